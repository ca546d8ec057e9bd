"""Rounds in the admin: read-only, and scoped by the same secrecy rule as every page (an unpublished round
does not exist for an administrator who is neither its coordinator nor on its teams)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from chuangwen.rounds.models import Round, RoundSite, Team


class ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TeamInline(ReadOnly, admin.TabularInline):
    model = Team
    fields = ("name",)
    extra = 0


class RoundSiteInline(ReadOnly, admin.TabularInline):
    model = RoundSite
    fields = ("draw_order", "site", "reason", "team", "route_order")
    extra = 0


@admin.register(Round)
class RoundAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("name", "kind", "status", "period_start", "period_end", "target_unit", "commitment")
    list_filter = ("kind", "status")
    search_fields = ("name",)
    show_full_result_count = False
    fields = (
        "public_id",
        "name",
        "kind",
        "standard",
        "owner_unit",
        "target_unit",
        "inspecting_unit",
        "period_start",
        "period_end",
        "params",
        "status",
        "seed_commitment",
        "sites_commitment",
        "params_commitment",
        "commitment",
        "drawn_at",
        "published_at",
    )
    readonly_fields = fields
    inlines = (TeamInline, RoundSiteInline)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Round]:
        return Round.objects.visible_to(request.user)  # type: ignore[arg-type]
