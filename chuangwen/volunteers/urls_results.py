"""Staff pages under /volunteers/ for results (docs/volunteers.md)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
