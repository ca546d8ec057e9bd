"""Staff pages under /volunteers/ for activities (docs/volunteers.md)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
