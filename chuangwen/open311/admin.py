"""Integrations in the admin: adding one issues its key (shown once); actions issue a new key or revoke it.
Keys are never editable and never shown again; every issue and revocation is written to the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from chuangwen.open311 import services
from chuangwen.open311.models import Integration, ServiceAttribute, Submission


def _show_key(modeladmin: admin.ModelAdmin, request: HttpRequest, integration: Integration, key: str) -> None:  # type: ignore[type-arg]
    text = _("“%(name)s”的接入密钥（api_key）只显示这一次，请立即复制并交给接入方：%(key)s") % {
        "name": integration.name,
        "key": key,
    }
    modeladmin.message_user(request, text, messages.WARNING)


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "name",
        "organisation",
        "key_prefix",
        "active",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("active", "revoked_at")
    search_fields = ("name", "organisation", "key_prefix")
    list_select_related = ("created_by",)
    readonly_fields = ("key_prefix", "active", "created_by", "created_at", "last_used_at", "revoked_at")
    fields = ("name", "organisation", *readonly_fields)
    actions = ["issue_new_key", "revoke"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead: the requests it sent keep pointing at it

    def save_model(self, request: HttpRequest, obj: Integration, form: ModelForm, change: bool) -> None:  # type: ignore[type-arg]
        if change:
            super().save_model(request, obj, form, change)
            return
        obj.created_by = request.user  # type: ignore[assignment]
        key = services.issue_key(obj, request=request)
        _show_key(self, request, obj, key)

    @admin.action(description=_("签发新密钥（旧密钥立即失效）"), permissions=["change"])
    def issue_new_key(self, request: HttpRequest, queryset: QuerySet[Integration]) -> None:
        for integration in queryset:
            key = services.issue_key(integration, request=request)
            _show_key(self, request, integration, key)

    @admin.action(description=_("吊销所选接入方的密钥"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[Integration]) -> None:
        revoked = sum(services.revoke_key(integration, request=request) for integration in queryset)
        self.message_user(request, _("已吊销 %(count)d 个密钥。") % {"count": revoked}, messages.SUCCESS)


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("category", "order", "code", "description", "datatype", "required", "variable")
    list_filter = ("category", "datatype", "required")
    search_fields = ("code", "description", "category__name", "category__code")
    list_select_related = ("category",)


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """What integrations sent; read-only (the report and its case are handled in their own apps)."""

    list_display = ("created_at", "integration", "report", "external_id")
    list_filter = ("integration",)
    search_fields = ("external_id", "client_id", "report__tracking_code")
    list_select_related = ("integration", "report")
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Submission._meta.fields]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
