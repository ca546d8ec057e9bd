"""The holiday table in the admin: coordinators and administrators correct and extend the calendar."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from chuangwen.audit.services import record
from chuangwen.core.bounds import DateBounds
from chuangwen.workdays import services, table
from chuangwen.workdays.models import CalendarDay

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def may_edit(request: HttpRequest) -> bool:
    return table.may_edit(request.user)


class CalendarDayForm(ModelForm):  # type: ignore[type-arg]
    """The date lies within the bounds every date of the system keeps (chuangwen.core.bounds)."""

    class Meta:
        model = CalendarDay
        fields = ("date", "kind", "name", "note")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "date" in self.fields:
            self.fields["date"].validators.append(DateBounds(lambda: str(_("日期"))))


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = CalendarDayForm
    list_display = ("date", "weekday", "kind", "name", "package_says", "note", "updated_by", "updated_at")
    list_filter = ("kind",)
    search_fields = ("name", "note")
    date_hierarchy = "date"
    fields = ("date", "kind", "name", "note", "updated_by", "updated_at")
    readonly_fields = ("updated_by", "updated_at")

    @admin.display(description=_("星期"))
    def weekday(self, obj: CalendarDay) -> str:
        return WEEKDAYS[obj.date.weekday()]

    @admin.display(description=_("官方日历"))
    def package_says(self, obj: CalendarDay) -> str:
        base = services.base_day(obj.date)
        kind = _("工作日") if base.workday else _("休息日")
        return f"{kind} {base.name}（{base.source_label}）".replace(" （", "（")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_edit(request) or super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_edit(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return may_edit(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_edit(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_edit(request)

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:  # type: ignore[type-arg]
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
        action = "workdays.calendar_day.admin_change" if change else "workdays.calendar_day.admin_add"
        record(request, action, obj=obj, detail={"fields": list(form.changed_data)})

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        record(request, "workdays.calendar_day.admin_delete", obj=obj, detail={"date": obj.date.isoformat()})
        super().delete_model(request, obj)
