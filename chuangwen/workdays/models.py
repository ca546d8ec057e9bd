"""The coordinator's corrections and extensions of the official working calendar (see docs/deadlines.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DayKind(models.TextChoices):
    WORKDAY = "workday", _("工作日（调休上班）")
    HOLIDAY = "holiday", _("休息日（节假日）")


class CalendarDay(models.Model):
    """One date whose kind is set locally; a row always wins over the package and the weekend rule."""

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=DayKind.choices)
    name = models.CharField(_("名称"), max_length=50, blank=True, help_text=_("例如：春节、国庆节、调休上班"))
    note = models.CharField(_("备注"), max_length=200, blank=True, help_text=_("依据，例如通知文号"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("维护人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()} {self.name}".strip()
