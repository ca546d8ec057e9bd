"""Staff pages under /volunteers/ for people (docs/volunteers.md)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
