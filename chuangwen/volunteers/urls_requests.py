"""Staff pages under /volunteers/ for requests (docs/volunteers.md)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
