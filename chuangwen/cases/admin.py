"""Cases in the admin: read-only, scoped by the same rule as every page, with the history inline.
States change only through ``services.apply``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from chuangwen.cases.models import Case, CaseEvent, RoutingRule


class ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CaseEventInline(ReadOnly, admin.TabularInline):
    model = CaseEvent
    fields = ("at", "action", "from_state", "to_state", "actor", "reason", "data", "photos")
    readonly_fields = fields
    extra = 0
    ordering = ("at", "id")


@admin.register(Case)
class CaseAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("code", "title", "source", "state", "unit", "deadline", "rework_count", "opened_at")
    list_filter = ("state", "source")
    search_fields = ("code", "title")
    show_full_result_count = False
    inlines = [CaseEventInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Case]:
        return Case.objects.visible_to(request.user).select_related("unit")  # type: ignore[arg-type]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    """The coordinator's rule table (see ``routing`` for which rule wins)."""

    list_display = ("check_item_code", "duty", "area_unit", "target_unit", "priority", "active", "note")
    list_filter = ("active",)
    search_fields = ("check_item_code", "duty", "note", "target_unit__name")
    autocomplete_fields = ("area_unit", "target_unit")
