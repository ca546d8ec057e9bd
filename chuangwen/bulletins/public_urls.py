"""(being written) 曝光台."""

from typing import Any

app_name = "exposure"
urlpatterns: list[Any] = []
