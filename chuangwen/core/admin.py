"""Content-Security-Policy reports in the admin: read by administrators, never written by hand."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from chuangwen.core.models import CspReport


@admin.register(CspReport)
class CspReportAdmin(admin.ModelAdmin):
    list_display = (
        "received_at",
        "violated_directive",
        "blocked_uri",
        "document_uri",
        "source_file",
        "address",
    )
    list_filter = ("effective_directive", "disposition")
    search_fields = ("document_uri", "blocked_uri", "source_file", "violated_directive", "address")
    date_hierarchy = "received_at"
    fields = (
        "received_at",
        "document_uri",
        "violated_directive",
        "effective_directive",
        "blocked_uri",
        "source_file",
        "line_number",
        "column_number",
        "sample",
        "disposition",
        "user_agent",
        "address",
    )
    readonly_fields = fields
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
