"""网上申报: periods, the task split per indicator, the materials units upload, their review history, and
ledger exports (docs/materials.md)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chuangwen.materials.files import FileKind
from chuangwen.standards.models import MaterialType

if TYPE_CHECKING:
    from chuangwen.accounts.models import User


def _unit_of(user: User) -> tuple[str, bool] | None:
    """The user's unit path, and whether the user works for the 文明办 (reviews what the subtree uploads)."""
    if not user.is_authenticated or user.unit_id is None or user.unit is None:
        return None
    from chuangwen.accounts.models import Role

    return user.unit.path, user.role in (Role.COORDINATOR, Role.LEADER)


class PeriodState(models.TextChoices):
    OPEN = "open", _("申报中")
    CLOSED = "closed", _("已归档")


class PeriodQuerySet(models.QuerySet["Period"]):
    def visible_to(self, user: User) -> PeriodQuerySet:
        """Periods run by an office in the user's lineage (a street sees its district's period)."""
        mine = _unit_of(user)
        if mine is None:
            return self.none()
        assert user.unit is not None
        return self.filter(owner_unit_id__in=user.unit.lineage_ids)


class Period(models.Model):
    """One year's 网上申报 (申报周期): the tree it uses, the test date its evidence window ends at."""

    name = models.CharField(_("申报周期"), max_length=100)
    standard = models.ForeignKey(
        "standards.Standard", verbose_name=_("测评体系版本"), on_delete=models.PROTECT, related_name="+"
    )
    owner_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("组织单位"), on_delete=models.PROTECT, related_name="material_periods"
    )
    # Evidence counts when the activity it documents lies within the indicator's window before this date.
    reference_date = models.DateField(_("测评基准日"))
    state = models.CharField(_("状态"), max_length=16, choices=PeriodState.choices, default=PeriodState.OPEN)
    closed_at = models.DateTimeField(_("归档时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects: ClassVar[PeriodQuerySet] = PeriodQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("申报周期")
        verbose_name_plural = _("申报周期")
        ordering = ["-reference_date", "-pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.state == PeriodState.OPEN


class TaskQuerySet(models.QuerySet["Task"]):
    def visible_to(self, user: User) -> TaskQuerySet:
        """The one scoping function for tasks: those led by, or supported by, a unit of the user's subtree."""
        mine = _unit_of(user)
        if mine is None:
            return self.none()
        path, _office = mine
        inside = Q(lead_unit__path__startswith=path) | Q(supporting_units__path__startswith=path)
        ids = Task.objects.filter(inside).values("pk")
        return self.filter(pk__in=ids)


class Task(models.Model):
    """任务分解: who answers for one indicator in one period, by when."""

    period = models.ForeignKey(
        Period, verbose_name=_("申报周期"), on_delete=models.CASCADE, related_name="tasks"
    )
    indicator = models.ForeignKey(
        "standards.Indicator", verbose_name=_("测评标准"), on_delete=models.PROTECT, related_name="tasks"
    )
    lead_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("牵头单位"), on_delete=models.PROTECT, related_name="led_material_tasks"
    )
    supporting_units = models.ManyToManyField(
        "org.Unit", verbose_name=_("配合单位"), blank=True, related_name="supported_material_tasks"
    )
    due_date = models.DateField(_("完成时限"))
    note = models.CharField(_("备注"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects: ClassVar[TaskQuerySet] = TaskQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("申报任务")
        verbose_name_plural = _("申报任务")
        unique_together = [("period", "indicator")]
        ordering = ["period", "indicator__code"]

    def __str__(self) -> str:
        return f"{self.indicator.code} → {self.lead_unit}"


class Standing(models.TextChoices):
    """Where one unit's submission for one indicator stands (the board's cell)."""

    EMPTY = "empty", _("未报送")
    IN_PROGRESS = "in_progress", _("报送中")
    AWAITING = "awaiting", _("待审核")
    RETURNED = "returned", _("已退回")
    PASSED = "passed", _("已通过")


class SubmissionQuerySet(models.QuerySet["Submission"]):
    def visible_to(self, user: User) -> SubmissionQuerySet:
        """The board's rows a user may see: those of the tasks the user may see (Task.visible_to)."""
        return self.filter(task__in=Task.objects.visible_to(user).values("pk"))


class Submission(models.Model):
    """One unit's submission for one task (牵头 or 配合): the board's cell, kept up to date by the services
    from the unit's materials in the same transaction, so the board at city scale is a grouped count, not a
    scan of every material."""

    period = models.ForeignKey(Period, verbose_name=_("申报周期"), on_delete=models.CASCADE, related_name="+")
    task = models.ForeignKey(
        Task, verbose_name=_("申报任务"), on_delete=models.CASCADE, related_name="submissions"
    )
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("报送单位"), on_delete=models.PROTECT, related_name="+"
    )
    is_lead = models.BooleanField(_("牵头"), default=False)
    standing = models.CharField(_("进度"), max_length=16, choices=Standing.choices, default=Standing.EMPTY)
    # The task's due date, or the later date a reviewer gave with a return.
    due_date = models.DateField(_("完成时限"))
    materials = models.PositiveIntegerField(_("材料数"), default=0)
    submitted_times = models.PositiveIntegerField(_("提交次数"), default=0)
    returned_times = models.PositiveIntegerField(_("退回次数"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects: ClassVar[SubmissionQuerySet] = SubmissionQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("单位报送进度")
        verbose_name_plural = _("单位报送进度")
        unique_together = [("task", "unit")]
        indexes = [models.Index(fields=["period", "unit", "standing", "due_date"])]

    def __str__(self) -> str:
        return f"{self.task_id}/{self.unit_id} {self.standing}"


class StoredFile(models.Model):
    """One file's bytes, kept once under their SHA-256 however many materials use them."""

    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    kind = models.CharField(_("文件类型"), max_length=8, choices=FileKind.choices)
    size = models.BigIntegerField(_("大小（字节）"))
    file = models.CharField(_("存储位置"), max_length=200)
    pages = models.PositiveIntegerField(_("页数"), null=True, blank=True)
    text = models.TextField(_("提取文本"), blank=True)
    preview_file = models.CharField(_("预览图"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("入库时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("材料文件")
        verbose_name_plural = _("材料文件")

    def __str__(self) -> str:
        return self.sha256[:12]


class MaterialState(models.TextChoices):
    DRAFT = "draft", _("待提交")
    SUBMITTED = "submitted", _("待单位审核")
    UNIT_APPROVED = "unit_approved", _("待网申组审核")
    RETURNED = "returned", _("已退回")
    PASSED = "passed", _("审核通过")
    WITHDRAWN = "withdrawn", _("已撤回")


# States whose material still counts for its task (a withdrawn one is history only).
LIVE_STATES = frozenset(set(MaterialState) - {MaterialState.WITHDRAWN})
AWAITING_STATES = frozenset({MaterialState.SUBMITTED, MaterialState.UNIT_APPROVED})


class MaterialQuerySet(models.QuerySet["Material"]):
    def visible_to(self, user: User) -> MaterialQuerySet:
        """The one scoping function for materials: a unit's own (and its subtree's), and, for a task it leads
        or supports, the lead unit's and the other units' materials of that task (a supporting unit sees what
        the lead unit files; the lead unit sees what its supporters file)."""
        mine = _unit_of(user)
        if mine is None:
            return self.none()
        path, _office = mine
        own = Q(unit__path__startswith=path)
        tasks = Task.objects.visible_to(user).values("pk")
        return self.filter(own | Q(task_id__in=tasks))


class Material(models.Model):
    """申报材料: one document, account, photo or table a unit files for one indicator."""

    client_id = models.UUIDField(_("客户端编号"), unique=True, default=uuid.uuid4)
    task = models.ForeignKey(
        Task, verbose_name=_("申报任务"), on_delete=models.CASCADE, related_name="materials"
    )
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("报送单位"), on_delete=models.PROTECT, related_name="materials"
    )
    kind = models.CharField(_("材料类型"), max_length=16, choices=MaterialType.choices)
    title = models.CharField(_("材料名称"), max_length=200)
    activity_date = models.DateField(_("活动日期"))
    description = models.CharField(_("简要说明"), max_length=500, blank=True)
    # A 情况说明 written in the page has a body and no file; every other material has a file.
    body = models.TextField(_("说明正文"), blank=True)
    file = models.ForeignKey(
        StoredFile,
        verbose_name=_("文件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="materials",
    )
    original_name = models.CharField(_("原文件名"), max_length=200, blank=True)
    state = models.CharField(
        _("状态"), max_length=16, choices=MaterialState.choices, default=MaterialState.DRAFT
    )
    # Set when a reviewer returns the material: the new date the uploader must answer by.
    due_date = models.DateField(_("退回后完成时限"), null=True, blank=True)
    last_comment = models.CharField(_("最近审核意见"), max_length=500, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    version = models.PositiveIntegerField(_("版本"), default=1)

    objects: ClassVar[MaterialQuerySet] = MaterialQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("申报材料")
        verbose_name_plural = _("申报材料")
        ordering = ["task", "created_at", "pk"]
        indexes = [models.Index(fields=["task", "unit", "state"])]

    def __str__(self) -> str:
        return self.title


class MaterialEvent(models.Model):
    """The history of a material: every upload, submission, review and replacement, never edited."""

    material = models.ForeignKey(
        Material, verbose_name=_("申报材料"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("操作"), max_length=24)
    from_state = models.CharField(_("原状态"), max_length=16, blank=True)
    to_state = models.CharField(_("新状态"), max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    comment = models.CharField(_("意见"), max_length=500, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("材料审核记录")
        verbose_name_plural = _("材料审核记录")
        ordering = ["material", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.material_id} {self.action}"


class ExportState(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class LedgerExport(models.Model):
    """One 台账 archive of a period, made on the task queue."""

    period = models.ForeignKey(
        Period, verbose_name=_("申报周期"), on_delete=models.CASCADE, related_name="ledger_exports"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    state = models.CharField(
        _("状态"), max_length=16, choices=ExportState.choices, default=ExportState.QUEUED
    )
    done = models.PositiveIntegerField(_("已处理文件"), default=0)
    total = models.PositiveIntegerField(_("文件总数"), default=0)
    file = models.CharField(_("归档文件"), max_length=200, blank=True)
    size = models.BigIntegerField(_("大小（字节）"), default=0)
    error = models.CharField(_("错误"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("台账导出")
        verbose_name_plural = _("台账导出")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.period} #{self.pk}"
