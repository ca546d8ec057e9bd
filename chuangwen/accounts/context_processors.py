"""``can`` in every template: what the signed-in user may do, from ``accounts.capabilities``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from chuangwen.accounts.capabilities import Capabilities


def capabilities(request: HttpRequest) -> dict[str, Any]:
    return {"can": Capabilities(getattr(request, "user", None))}
