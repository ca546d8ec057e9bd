"""Staff pages under /volunteers/ for results (docs/volunteers.md)."""

from django.urls import URLPattern, path

from chuangwen.volunteers.views import results

urlpatterns: list[URLPattern] = [
    path("results/", results.results_page, name="results_index"),
    path("results/export/<str:kind>.xlsx", results.results_export, name="results_export"),
]
