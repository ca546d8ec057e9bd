"""Rectification cases (案卷): one problem to fix, its responsible unit, its state and its history.

A case's state changes only through ``services.apply``, which follows the one table in ``machine.py``;
``CaseEvent`` is the append-only history of every change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from chuangwen.accounts.models import User


class CaseState(models.TextChoices):
    NEW = "new", _("待分拣")
    DISPATCHED = "dispatched", _("已派遣")
    ACCEPTED = "accepted", _("已受理")
    RETURNED = "returned", _("已退回")
    RECTIFIED = "rectified", _("已整改待核查")
    REWORK = "rework", _("返工")
    SUSPENDED = "suspended", _("挂账")
    CLOSED = "closed", _("已结案")
    REJECTED = "rejected", _("不予受理")
    DUPLICATE = "duplicate", _("重复")
    CANCELLED = "cancelled", _("已撤销")


# States in which work is still owed; the others are final (closed may only be reopened by a coordinator).
OPEN_STATES = frozenset(
    {
        CaseState.NEW,
        CaseState.DISPATCHED,
        CaseState.ACCEPTED,
        CaseState.RETURNED,
        CaseState.RECTIFIED,
        CaseState.REWORK,
        CaseState.SUSPENDED,
    }
)


class CaseSource(models.TextChoices):
    FINDING = "finding", _("测评发现")
    CITIZEN = "citizen", _("市民随手拍")
    HOTLINE = "hotline", _("12345 热线")
    INSTRUCTION = "instruction", _("领导督办")


# Roles that work across their whole unit subtree by area: they see a case by its responsible unit or by the
# area the problem lies in. Handlers and unit heads see only cases routed to their unit subtree.
AREA_ROLES = frozenset({"coordinator", "leader", "verifier", "inspector", "admin"})


class CaseQuerySet(models.QuerySet["Case"]):
    def visible_to(self, user: User) -> CaseQuerySet:
        """The one scoping function for cases.

        - No unit (or not signed in): nothing.
        - Coordinators, leaders, verifiers, inspectors (and administrators, read-only): cases whose
          responsible unit **or** area unit lies in the user's unit subtree; so a new, unrouted case is seen
          by the offices over the place where the problem is.
        - Handlers, unit heads (and anyone else): cases whose responsible unit lies in the user's unit
          subtree; a case nobody has routed to them does not exist for them.
        """
        unit = user.unit if user.is_authenticated and user.unit_id is not None else None
        if unit is None:
            return self.none()
        routed = Q(unit__path__startswith=unit.path)
        if user.role in AREA_ROLES:
            return self.filter(routed | Q(area_unit__path__startswith=unit.path))
        return self.filter(routed)


class Case(models.Model):
    code = models.CharField(_("案卷编号"), max_length=20, unique=True)
    source = models.CharField(_("来源"), max_length=16, choices=CaseSource.choices)
    state = models.CharField(
        _("状态"), max_length=16, choices=CaseState.choices, default=CaseState.NEW, db_index=True
    )
    title = models.CharField(_("标题"), max_length=200)
    description = models.TextField(_("问题描述"), blank=True)
    site = models.ForeignKey(
        "sites.Site",
        verbose_name=_("点位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    finding = models.OneToOneField(
        "rounds.Finding",
        verbose_name=_("不符合项"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="case",
    )
    check_item = models.ForeignKey(
        "standards.CheckItem",
        verbose_name=_("测评指标"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    # Who must fix it; empty while the case waits for triage.
    unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("责任单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    # Where the problem is (the site's area, or the office that took the report): scopes unrouted cases.
    area_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("所在区域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="area_cases",
    )
    lat = models.FloatField(_("纬度（WGS-84）"), null=True, blank=True)
    lng = models.FloatField(_("经度（WGS-84）"), null=True, blank=True)
    opened_at = models.DateTimeField(_("立案时间"), default=timezone.now)
    deadline = models.DateTimeField(_("整改期限"), null=True, blank=True)
    rework_count = models.PositiveIntegerField(_("返工次数"), default=0)
    # Optimistic locking: every transition is UPDATE … WHERE version = the version the actor saw.
    version = models.PositiveIntegerField(_("版本号"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("立案人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("最近变更"), default=timezone.now)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    suspended_until = models.DateField(_("挂账计划完成日期"), null=True, blank=True)
    # A handler's return awaits the unit head's approval while this is set.
    return_requested = models.BooleanField(_("退回待审批"), default=False)
    # Who last reported the fix: he or she may never verify it (separation of duties).
    rectified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("整改人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("案卷")
        verbose_name_plural = _("案卷")
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["unit", "state"]),
            models.Index(fields=["state", "deadline"]),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class CaseEvent(models.Model):
    """One entry of a case's history: who did what, when, why, with which photos. Never changed or deleted."""

    case = models.ForeignKey(Case, verbose_name=_("案卷"), on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("操作"), max_length=32)
    from_state = models.CharField(_("原状态"), max_length=16, choices=CaseState.choices, blank=True)
    to_state = models.CharField(_("新状态"), max_length=16, choices=CaseState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="case_events",
    )
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    reason = models.TextField(_("理由"), blank=True)
    data = models.JSONField(_("附加信息"), default=dict, blank=True)
    photos = models.ManyToManyField(
        "evidence.Evidence", verbose_name=_("照片"), blank=True, related_name="case_events"
    )

    class Meta:
        verbose_name = _("案卷记录")
        verbose_name_plural = _("案卷记录")
        ordering = ["case", "at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action} {self.from_state}→{self.to_state}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("case history is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PermissionError("case history is append-only")


class RoutingRule(models.Model):
    """Where the cases of a check item (or of a duty category) in an area go; edited by the coordinator.

    ``routing.route`` picks the most specific active rule (see its docstring); with none, the site's
    responsible unit gets the case."""

    check_item_code = models.CharField(
        _("测评指标编码"), max_length=16, blank=True, help_text=_("填写则只匹配该指标（优先于责任类别）")
    )
    duty = models.CharField(
        _("责任类别"), max_length=30, blank=True, help_text=_("测评指标的责任类别，如“城管”")
    )
    area_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("适用区域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("只对该单位辖区（含下级）内的点位生效；留空则全域适用"),
    )
    target_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("派往单位"), on_delete=models.PROTECT, related_name="routing_rules"
    )
    priority = models.IntegerField(_("优先级"), default=0, help_text=_("同样具体的规则中数字大者优先"))
    active = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("分派规则")
        verbose_name_plural = _("分派规则")
        ordering = ["check_item_code", "duty", "-priority", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(check_item_code="", duty=""), name="routing_rule_item_or_duty"
            )
        ]

    def __str__(self) -> str:
        what = self.check_item_code or self.duty
        return f"{what} → {self.target_unit}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if not self.check_item_code.strip() and not self.duty.strip():
            raise ValidationError(_("测评指标编码与责任类别至少填写一项"))
