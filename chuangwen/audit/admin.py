"""The audit log in the admin: readable by those allowed to view it, never added to, changed or deleted."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from chuangwen.audit.models import AuditAnchor, AuditEntry


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("seq", "at", "actor_name", "address", "action", "object_repr", "outcome")
    list_filter = ("action", "outcome")
    search_fields = ("actor_name", "action", "object_repr", "object_id", "address")
    date_hierarchy = "at"
    # The actor is shown by account name only: the user row may since have been deleted.
    fields = (
        "seq",
        "at",
        "actor_name",
        "address",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "outcome",
        "detail",
        "prev_hash",
        "hash",
        "scheme",
        "key_id",
    )
    readonly_fields = fields
    show_full_result_count = False


@admin.register(AuditAnchor)
class AuditAnchorAdmin(ReadOnlyAdmin):
    list_display = ("seq", "pruned_at", "removed", "hash")
    fields = ("seq", "hash", "pruned_at", "removed")
    readonly_fields = fields
