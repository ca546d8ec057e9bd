"""Channels (editable by coordinators and administrators), the delivery record and the inbox, read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chuangwen.audit.services import record
from chuangwen.core.web import user_of
from chuangwen.notify import channels, services
from chuangwen.notify.models import Channel, Delivery, DeliveryStatus, Notification
from chuangwen.org.models import Unit

EDITOR_ROLES = channels.EDITOR_ROLES


def may_edit(request: HttpRequest) -> bool:
    return channels.may_edit(request.user)


def visible_units(request: HttpRequest) -> QuerySet[Unit]:
    if request.user.is_superuser:
        return Unit.objects.all()
    return Unit.objects.visible_to(user_of(request))


class ScopedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Coordinators and administrators, within their unit subtree (superusers everywhere)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_edit(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_edit(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ChannelForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Channel
        fields = ("unit", "name", "kind", "target", "secret", "active")
        widgets = {
            "target": forms.TextInput(attrs={"size": 80}),
            "secret": forms.PasswordInput(render_value=True, attrs={"autocomplete": "off"}),
        }


@admin.register(Channel)
class ChannelAdmin(ScopedAdmin):
    form = ChannelForm
    list_display = ("name", "unit", "kind", "active", "created_at")
    list_filter = ("kind", "active")
    search_fields = ("name", "unit__name", "unit__code")
    actions = ["send_test"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Channel]:
        return super().get_queryset(request).filter(unit__in=visible_units(request)).select_related("unit")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "unit":
            kwargs["queryset"] = visible_units(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return may_edit(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_edit(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_edit(request)

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:  # type: ignore[type-arg]
        super().save_model(request, obj, form, change)
        action = "notify.channel.admin_change" if change else "notify.channel.admin_add"
        # Field names only: the target and secret are credentials of the robot.
        record(request, action, obj=obj, detail={"fields": list(form.changed_data)})

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        record(request, "notify.channel.admin_delete", obj=obj, detail={"unit": obj.unit_id})
        super().delete_model(request, obj)

    @admin.action(description=gettext_lazy("发送测试消息"))
    def send_test(self, request: HttpRequest, queryset: QuerySet[Channel]) -> None:
        ids = [services.send_test(channel).pk for channel in queryset.filter(active=True)]
        record(request, "notify.channel.admin_test", detail={"deliveries": ids})
        self.message_user(
            request,
            _("已排队发送 %(n)s 条测试消息，结果见「推送记录」。") % {"n": len(ids)},
            messages.SUCCESS,
        )


@admin.register(Delivery)
class DeliveryAdmin(ScopedAdmin):
    list_display = (
        "created_at", "channel_kind", "subject", "target", "status", "attempts", "next_attempt_at", "sent_at",
        "last_error",
    )  # fmt: skip
    list_filter = ("status", "channel_kind")
    search_fields = ("subject", "target", "key")
    date_hierarchy = "created_at"
    actions = ["retry_selected"]
    readonly_fields = (
        "channel_kind", "target", "channel", "notification", "subject", "body", "link", "payload", "status",
        "attempts", "last_error", "next_attempt_at", "sent_at", "created_at", "key",
    )  # fmt: skip

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delivery]:
        qs = super().get_queryset(request).select_related("channel", "notification")
        if request.user.is_superuser:
            return qs
        units = visible_units(request)
        return qs.filter(Q(channel__unit__in=units) | Q(notification__user__unit__in=units))

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return may_edit(request)

    @admin.action(description=gettext_lazy("立即重试"), permissions=["retry"])
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        chosen = list(queryset.filter(status__in=(DeliveryStatus.FAILED, DeliveryStatus.GAVE_UP)))
        ids = services.retry_now(chosen)
        if ids:
            record(request, "notify.delivery.admin_retry", detail={"deliveries": ids})
            self.message_user(request, _("已重新排队 %(n)s 条推送。") % {"n": len(ids)}, messages.SUCCESS)
        else:
            self.message_user(request, _("所选推送中没有失败的。"), messages.WARNING)


@admin.register(Notification)
class NotificationAdmin(ScopedAdmin):
    list_display = ("created_at", "user", "subject", "kind", "read_at")
    list_filter = ("kind",)
    search_fields = ("subject", "user__username", "user__full_name", "key")
    date_hierarchy = "created_at"
    readonly_fields = ("user", "subject", "body", "link", "kind", "key", "created_at", "read_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Notification]:
        qs = super().get_queryset(request).select_related("user")
        if request.user.is_superuser:
            return qs
        return qs.filter(user__unit__in=visible_units(request))
