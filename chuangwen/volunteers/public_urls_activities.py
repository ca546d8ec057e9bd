"""Public phone pages under /v/ for activities (docs/volunteers.md)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
