"""Rectification cases (案卷): one problem to fix, its responsible unit, its state and its history.

A case's state changes only through ``services.apply``, which follows the one table in ``machine.py``;
``CaseEvent`` is the append-only history of every change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chuangwen.core.writeonce import WriteOnce

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
# Cases that never count in a ranking or an indicator: not a problem (rejected, a duplicate) or withdrawn.
NOT_COUNTED_STATES = (CaseState.REJECTED, CaseState.DUPLICATE, CaseState.CANCELLED)


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
    address = models.CharField(_("地址"), max_length=200, blank=True)
    lat = models.FloatField(_("纬度（WGS-84）"), null=True, blank=True)
    lng = models.FloatField(_("经度（WGS-84）"), null=True, blank=True)
    opened_at = models.DateTimeField(_("立案时间"), default=timezone.now)
    deadline = models.DateTimeField(_("整改期限"), null=True, blank=True)
    # The allowed time runs from here to the deadline (dispatch, rework or the instruction); warn_at is the
    # moment 80% of its working time is used. Both are derived when the deadline is set (``deadlines.py``)
    # so the light can be computed in SQL; overdue itself is never stored.
    deadline_from = models.DateTimeField(_("期限起算时间"), null=True, blank=True)
    warn_at = models.DateTimeField(_("临期提醒时间"), null=True, blank=True)
    extension_requested_until = models.DateTimeField(_("申请延期至"), null=True, blank=True)
    extension_count = models.PositiveIntegerField(_("延期次数"), default=0)
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

    # Picked at random when closed for a second, independent check (抽查复核).
    reverify_pending = models.BooleanField(_("待抽查复核"), default=False)
    recurrence_of = models.ForeignKey(
        "self",
        verbose_name=_("复发自"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recurrences",
    )
    # The hotline's own work order number (12345 工单号): an import of the same order opens nothing new.
    external_ref = models.CharField(_("外部工单号"), max_length=40, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("案卷")
        verbose_name_plural = _("案卷")
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["state", "deadline"]),
            # The worklist at 1 M cases (bench/cases, p99 ≤ 50 ms). Its page: one state, newest first, read
            # in index order until 50 cases of the unit subtree are found (the unit is in the index, so the
            # rows that do not match are never read). Its count: by unit and state, the area unit included
            # for the coordinators' "routed or in my area" scope, answered from the index alone.
            models.Index(fields=["state", "-opened_at", "-id", "unit"], name="case_state_opened_idx"),
            models.Index(fields=["unit", "state", "area_unit"], name="case_unit_state_area_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_ref"],
                condition=~Q(external_ref=""),
                name="case_external_ref_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class CaseEvent(WriteOnce):
    """One entry of a case's history: who did what, when, why, with which photos. Never changed or deleted."""

    write_once_message = "case history is append-only"

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


class Instruction(models.Model):
    """A leader's or coordinator's instruction (督办) on a case, with its own deadline."""

    case = models.ForeignKey(
        Case, verbose_name=_("案卷"), on_delete=models.PROTECT, related_name="instructions"
    )
    text = models.TextField(_("督办要求"))
    deadline = models.DateTimeField(_("督办期限"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("督办人"), on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("督办时间"), default=timezone.now)

    class Meta:
        verbose_name = _("督办")
        verbose_name_plural = _("督办")
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.text[:30]}"


class PhotoFlagKind(models.TextChoices):
    BEFORE_OPEN = "before_open", _("拍摄时间早于立案")
    FAR_FROM_SITE = "far_from_site", _("拍摄地点远离问题位置")
    SAME_AS_PROBLEM = "same_as_problem", _("与问题照片几乎相同")
    REUSED = "reused", _("与其他案卷的照片几乎相同")
    NO_LOCATION = "no_location", _("照片没有定位")


class PhotoFlag(models.Model):
    """A doubt about one rectification photo, found by the automatic checks and shown to the verifier."""

    case = models.ForeignKey(
        Case, verbose_name=_("案卷"), on_delete=models.CASCADE, related_name="photo_flags"
    )
    event = models.ForeignKey(
        CaseEvent, verbose_name=_("整改记录"), on_delete=models.CASCADE, related_name="photo_flags"
    )
    evidence = models.ForeignKey(
        "evidence.Evidence", verbose_name=_("照片"), on_delete=models.CASCADE, related_name="case_flags"
    )
    kind = models.CharField(_("疑点"), max_length=20, choices=PhotoFlagKind.choices)
    other_evidence = models.ForeignKey(
        "evidence.Evidence",
        verbose_name=_("相似照片"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    detail = models.CharField(_("说明"), max_length=300, blank=True)
    # The keypoint comparison behind a same_as_problem or reused flag (evidence.forensics.Comparison): changed
    # share, inliers, mirrored, overlap; empty when the photos were too plain and the hashes decided.
    comparison = models.JSONField(_("比对结果"), default=dict, blank=True)
    created_at = models.DateTimeField(_("发现时间"), default=timezone.now)

    class Meta:
        verbose_name = _("照片疑点")
        verbose_name_plural = _("照片疑点")
        ordering = ["event", "evidence", "kind"]
        constraints = [models.UniqueConstraint(fields=["event", "evidence", "kind"], name="photo_flag_once")]

    def __str__(self) -> str:
        return f"{self.evidence_id} {self.kind}"


class PhotoCheckState(models.TextChoices):
    PENDING = "pending", _("待检查")
    RUNNING = "running", _("检查中")
    DONE = "done", _("已检查")
    FAILED = "failed", _("检查失败")


class PhotoCheck(models.Model):
    """Where the automatic checks of one reported fix stand, so the page never calls unchecked photos clean:
    queued (pending) → running → done or failed, each step with its time."""

    event = models.OneToOneField(
        CaseEvent, verbose_name=_("整改记录"), on_delete=models.CASCADE, related_name="photo_check"
    )
    state = models.CharField(
        _("核验状态"), max_length=10, choices=PhotoCheckState.choices, default=PhotoCheckState.PENDING
    )
    queued_at = models.DateTimeField(_("排队时间"), default=timezone.now)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    error = models.CharField(_("失败原因"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("照片核验状态")
        verbose_name_plural = _("照片核验状态")

    def __str__(self) -> str:
        return f"{self.event_id} {self.state}"

    @property
    def is_final(self) -> bool:
        return self.state in (PhotoCheckState.DONE, PhotoCheckState.FAILED)


class EscalationLevel(models.TextChoices):
    UNIT_HEAD = "unit_head", _("提醒单位负责人（已用八成时限）")
    COORDINATOR = "coordinator", _("报创建办（已超期）")
    LEADER = "leader", _("报领导（超期多日）")


class Escalation(models.Model):
    """One escalation sent for one deadline of a case: each level fires once per deadline."""

    case = models.ForeignKey(
        Case, verbose_name=_("案卷"), on_delete=models.CASCADE, related_name="escalations"
    )
    level = models.CharField(_("级别"), max_length=16, choices=EscalationLevel.choices)
    deadline = models.DateTimeField(_("针对的期限"))
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("催办升级")
        verbose_name_plural = _("催办升级")
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "level", "deadline"], name="escalation_once_per_deadline")
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.level}"
