"""Django admin for units (reference data), in Chinese through the models' verbose names."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from chuangwen.org.models import Unit


def scoped(request: HttpRequest, queryset: QuerySet[Any], scope: Any) -> QuerySet[Any]:
    """Superusers see everything; any other staff member only his or her unit's subtree."""
    user: Any = request.user
    if user.is_superuser:
        return queryset
    return queryset.filter(pk__in=scope.visible_to(user).values("pk"))


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "code", "kind", "parent", "duty_tags", "contact", "active")
    list_filter = ("kind", "active")
    search_fields = ("name", "code")
    list_select_related = ("parent",)
    autocomplete_fields = ("parent",)
    readonly_fields = ("path", "depth")
    ordering = ("path",)
    fieldsets = (
        (None, {"fields": ("code", "name", "kind", "parent", "sort_order", "active")}),
        (_("职责与联系"), {"fields": ("duty_tags", "contact")}),
        (_("边界"), {"classes": ("collapse",), "fields": ("boundary", "path", "depth")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Unit]:
        return scoped(request, super().get_queryset(request), Unit.objects)
