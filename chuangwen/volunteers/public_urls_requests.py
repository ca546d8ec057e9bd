"""Public phone pages under /v/ for requests (docs/volunteers.md)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
