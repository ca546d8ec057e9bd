"""Django admin for sites (reference data)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from chuangwen.org.admin import scoped
from chuangwen.sites.models import Site


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "name", "site_type", "area_unit", "responsible_unit", "declared", "active")
    list_filter = ("site_type", "declared", "active", ("area_unit", admin.RelatedOnlyFieldListFilter))
    search_fields = ("code", "name", "address")
    list_select_related = ("area_unit", "responsible_unit")
    autocomplete_fields = ("area_unit", "responsible_unit")
    readonly_fields = ("created_at", "updated_at")
    list_per_page = 50

    def get_queryset(self, request: HttpRequest) -> QuerySet[Site]:
        return scoped(request, super().get_queryset(request), Site.objects)
