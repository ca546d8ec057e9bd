"""Django admin for evidence: read-only, and always through the scoping function (secret rounds included:
not even a superuser sees the photos of a round he or she may not know about)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from chuangwen.evidence.models import Evidence


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "id",
        "preview",
        "kind",
        "uploader",
        "site",
        "captured_at",
        "received_at",
        "derivatives_done",
    )
    list_filter = ("kind", "derivatives_done")
    search_fields = ("sha256", "client_id", "phash")
    list_select_related = ("uploader", "site")
    list_per_page = 50
    exclude = ("file", "display_file", "thumb_file")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Evidence]:
        user: Any = request.user
        return Evidence.objects.visible_to(user).select_related("uploader", "site")

    @admin.display(description=_("缩略图"))
    def preview(self, obj: Evidence) -> str:
        return format_html('<img src="{}" alt="" height="60">', reverse("evidence:thumb", args=[obj.pk]))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
