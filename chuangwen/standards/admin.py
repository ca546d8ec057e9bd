"""Admin for standard versions: editable while a version is a draft, read-only once a round froze it."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chuangwen.audit.services import record
from chuangwen.standards import services
from chuangwen.standards.models import CheckItem, SiteType, Standard


def standard_of(obj: Model | None) -> Standard | None:
    if isinstance(obj, Standard):
        return obj
    if isinstance(obj, SiteType):
        return obj.standard
    if isinstance(obj, CheckItem):
        return obj.site_type.standard
    return None


def is_frozen(obj: Model | None) -> bool:
    standard = standard_of(obj)
    return standard is not None and standard.pk is not None and standard.frozen


class FrozenGuard:
    """Change, add and delete permissions vanish on anything inside a frozen version."""

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not is_frozen(obj) and super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not is_frozen(obj) and super().has_delete_permission(request, obj)  # type: ignore[misc]


class FrozenInlineGuard(FrozenGuard):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not is_frozen(obj) and super().has_add_permission(request, obj)  # type: ignore[misc]


class AuditedAdmin(admin.ModelAdmin):
    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        action = f"{obj._meta.model_name}.admin_{'change' if change else 'add'}"
        record(request, f"standard.{action}", obj=obj, detail={"fields": list(form.changed_data)})

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        for obj in [*formset.new_objects, *(o for o, _fields in formset.changed_objects)]:
            record(request, f"standard.{obj._meta.model_name}.admin_change", obj=obj)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        record(request, f"standard.{obj._meta.model_name}.admin_delete", obj=obj)
        super().delete_model(request, obj)


class SiteTypeInline(FrozenInlineGuard, admin.TabularInline):
    model = SiteType
    fields = ("sort_order", "code", "name", "protocol", "weight")
    extra = 0
    show_change_link = True


class CheckItemInline(FrozenInlineGuard, admin.TabularInline):
    model = CheckItem
    fields = (
        "sort_order", "code", "category", "text", "mode", "deduct", "cap", "unit_label", "severity",
        "deadline_days", "duty",
    )  # fmt: skip
    extra = 0


@admin.register(Standard)
class StandardAdmin(FrozenGuard, AuditedAdmin):
    list_display = ("code", "version", "name", "is_active", "frozen_at", "derived_from", "created_at")
    list_display_links = ("code", "version", "name")
    list_filter = ("is_active", "code")
    search_fields = ("code", "name")
    readonly_fields = ("version", "is_active", "frozen_at", "frozen_reason", "derived_from", "created_at")
    fields = ("code", "name", "site_score_formula", "parameters", *readonly_fields)
    inlines = [SiteTypeInline]
    actions = ["derive_action", "activate_action"]

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        if not change:
            obj.version = services.next_version(obj.code)
        super().save_model(request, obj, form, change)

    @admin.action(description=gettext_lazy("派生新版本"))
    def derive_action(self, request: HttpRequest, queryset: QuerySet[Standard]) -> None:
        for standard in queryset:
            new = services.derive_new_version(standard, actor=request.user)
            self.message_user(request, _("已从 %(old)s 派生 %(new)s") % {"old": standard, "new": new})

    @admin.action(description=gettext_lazy("设为当前生效版本"))
    def activate_action(self, request: HttpRequest, queryset: QuerySet[Standard]) -> None:
        if queryset.count() != 1:
            self.message_user(request, _("请只选择一个版本"), level=messages.ERROR)
            return
        standard = services.activate(queryset.get(), actor=request.user)
        self.message_user(request, _("已启用 %(std)s") % {"std": standard})


class DraftChoicesOnly:
    """A site type or item can only be put into a version that is not frozen."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "standard":
            kwargs["queryset"] = Standard.objects.filter(frozen_at__isnull=True)
        elif db_field.name == "site_type":
            kwargs["queryset"] = SiteType.objects.filter(standard__frozen_at__isnull=True).select_related(
                "standard"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


@admin.register(SiteType)
class SiteTypeAdmin(FrozenGuard, DraftChoicesOnly, AuditedAdmin):
    list_display = ("code", "name", "standard", "weight", "sort_order")
    list_filter = ("standard",)
    search_fields = ("code", "name")
    list_select_related = ("standard",)
    inlines = [CheckItemInline]


@admin.register(CheckItem)
class CheckItemAdmin(FrozenGuard, DraftChoicesOnly, AuditedAdmin):
    list_display = ("code", "text", "site_type", "mode", "deduct", "cap", "severity", "deadline_days", "duty")
    list_filter = ("site_type__standard", "mode", "severity", "duty")
    search_fields = ("code", "text", "category")
    list_select_related = ("site_type", "site_type__standard")
