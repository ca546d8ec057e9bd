"""Citizen reports (随手拍): a resident's report of a problem, behind a case of source ``citizen``.

The report keeps what only the citizen side needs (the public tracking code, the category, the phone number,
the rating, the supporters); the case carries the state, the unit and the history (``cases.services.apply``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from chuangwen.accounts.models import User


class ReportCategory(models.Model):
    """A public category (Open311 ``service_code``), mapped to a check item of the standard or a duty tag."""

    code = models.SlugField(_("类别编码"), max_length=40, unique=True, help_text=_("Open311 的 service_code"))
    name = models.CharField(_("类别名称"), max_length=50)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    check_item_code = models.CharField(
        _("对应测评指标编码"), max_length=16, blank=True, help_text=_("如 BJ-04；用于分派与查重")
    )
    duty = models.CharField(_("责任类别"), max_length=30, blank=True, help_text=_("如“城管”；用于分派与查重"))
    keywords = models.CharField(_("关键词"), max_length=200, blank=True, help_text=_("以空格分隔"))
    active = models.BooleanField(_("启用"), default=True)
    sort_order = models.IntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("随手拍类别")
        verbose_name_plural = _("随手拍类别")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class ReportSource(models.TextChoices):
    WEB = "web", _("随手拍页面")
    OPEN311 = "open311", _("Open311 接口")


class CitizenReportQuerySet(models.QuerySet["CitizenReport"]):
    def visible_to(self, user: User) -> CitizenReportQuerySet:
        """The one scoping function for citizen reports: those whose case the user may see."""
        from chuangwen.cases.models import Case

        return self.filter(case__in=Case.objects.visible_to(user))


class CitizenReport(models.Model):
    tracking_code = models.CharField(_("查询码"), max_length=16, unique=True)
    case = models.OneToOneField(
        "cases.Case", verbose_name=_("案卷"), on_delete=models.PROTECT, related_name="citizen_report"
    )
    category = models.ForeignKey(
        ReportCategory, verbose_name=_("类别"), on_delete=models.PROTECT, related_name="reports"
    )
    description = models.TextField(_("问题描述"))
    lat = models.FloatField(_("纬度（WGS-84）"))
    lng = models.FloatField(_("经度（WGS-84）"))
    address = models.CharField(_("地址"), max_length=200, blank=True)
    # Stored in full; shown in full only to coordinators (``masking.mask_phone`` everywhere else).
    phone = models.CharField(_("手机号"), max_length=20, blank=True, db_index=True)
    client_id = models.UUIDField(_("客户端编号"), unique=True)
    source = models.CharField(
        _("渠道"), max_length=16, choices=ReportSource.choices, default=ReportSource.WEB
    )
    # The Open311 integration that sent it (its name; the open311 app owns the key model).
    integration = models.CharField(_("接入系统"), max_length=100, blank=True)
    # Keyed hash of the sender's address: rate limits count by it, the address itself is not kept.
    address_hash = models.CharField(_("来源地址摘要"), max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now, db_index=True)
    rating = models.PositiveSmallIntegerField(
        _("满意度评价"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rating_comment = models.TextField(_("评价意见"), blank=True)
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    reopened_at = models.DateTimeField(_("申请重新办理时间"), null=True, blank=True)
    supporters = models.PositiveIntegerField(_("“我也遇到”人数"), default=0)

    objects = CitizenReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("市民随手拍")
        verbose_name_plural = _("市民随手拍")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="report_rating_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return self.tracking_code


class ReportSupporter(models.Model):
    """“我也遇到”: one more person who has the same problem; one per report and person."""

    report = models.ForeignKey(
        CitizenReport, verbose_name=_("随手拍"), on_delete=models.CASCADE, related_name="supporter_rows"
    )
    # Keyed hash of the phone number, or else of the address: never the number or address itself.
    person_hash = models.CharField(_("身份摘要"), max_length=64)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("我也遇到")
        verbose_name_plural = _("我也遇到")
        constraints = [
            models.UniqueConstraint(fields=["report", "person_hash"], name="report_supporter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.report_id} +1"


class LimitBucket(models.Model):
    """The recent attempts counted against one limit (reports or “me too” of one address, device or phone
    number), read and written under a row lock so that concurrent requests are counted one at a time."""

    # "<action>:<what>:<keyed hash>", e.g. "report:address:…": never the address or number itself.
    key = models.CharField(_("限额键"), max_length=120, unique=True)
    # Unix times of the attempts still inside the window, oldest first (at most the limit's number).
    stamps = models.JSONField(_("尝试时间"), default=list)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("提交限额计数")
        verbose_name_plural = _("提交限额计数")

    def __str__(self) -> str:
        return self.key


class CaptchaChallenge(models.Model):
    """A captcha shown on the report page: deleted by the one request that answers it (right or wrong), so a
    solved captcha lets exactly one report through however many requests race with it."""

    token = models.CharField(_("验证码编号"), max_length=64, unique=True)
    # Keyed hash of the token and the answer: the answer itself is not kept.
    digest = models.CharField(_("答案摘要"), max_length=64)
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("验证码")
        verbose_name_plural = _("验证码")

    def __str__(self) -> str:
        return self.token[:8]
