"""通报: templates per kind, numbered bulletins drawn from published snapshots, their recipients (read
receipts and
rectification reports), and the commendation and accountability records that feed dossiers and rankings."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chuangwen.rankings.models import LevelKind

if TYPE_CHECKING:
    from chuangwen.accounts.models import User


class BulletinKind(models.TextChoices):
    INSPECTION = "inspection", _("暗访通报")
    LOOKBACK = "lookback", _("回头看通报")
    MONTHLY = "monthly", _("月度排名通报")
    REDBLACK = "redblack", _("红黑榜")
    COMMENDATION = "commendation", _("表彰决定")


class Section(models.TextChoices):
    """The parts a bulletin can have; a template chooses and orders them."""

    OVERVIEW = "overview", _("总体情况")
    RANKING = "ranking", _("排名情况")
    RED_LIST = "red_list", _("红榜")
    BLACK_LIST = "black_list", _("黑榜")
    TYPICAL = "typical", _("典型问题")
    DEADLINE = "deadline", _("限期整改问题清单")
    LOOKBACK = "lookback", _("整改不到位问题（回头看）")
    TALKS = "talks", _("约谈及通报批评")
    COMMENDATIONS = "commendations", _("表彰")
    SURVEY = "survey", _("问卷调查情况")
    MATERIALS = "materials", _("网上申报情况")
    REQUIREMENTS = "requirements", _("工作要求")


class Schedule(models.TextChoices):
    NONE = "none", _("不自动起草")
    WEEKLY = "weekly", _("每周（测评批次发布后）")
    MONTHLY = "monthly", _("每月（月度排名发布后）")


class TemplateQuerySet(models.QuerySet["BulletinTemplate"]):
    def visible_to(self, user: User) -> TemplateQuerySet:
        """Templates of an office in the user's subtree (only offices edit them; pages check the role)."""
        if not user.is_authenticated or user.unit is None:
            return self.none()
        return self.filter(owner_unit__path__startswith=user.unit.path)


class BulletinTemplate(models.Model):
    """An office's template of one kind: sections in order, editable wording blocks, thresholds, counts."""

    owner_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("发文单位"), on_delete=models.PROTECT, related_name="bulletin_templates"
    )
    kind = models.CharField(_("通报类型"), max_length=16, choices=BulletinKind.choices)
    name = models.CharField(_("模板名称"), max_length=100)
    sections = models.JSONField(_("章节（按顺序）"), default=list)
    wording = models.JSONField(_("文字段落"), default=dict, blank=True)
    red_threshold = models.DecimalField(_("红榜分数线（不低于）"), max_digits=5, decimal_places=2, default=95)
    black_threshold = models.DecimalField(_("黑榜分数线（低于）"), max_digits=5, decimal_places=2, default=85)
    red_count = models.PositiveSmallIntegerField(_("红榜最多单位数"), default=3)
    typical_count = models.PositiveSmallIntegerField(_("典型问题条数"), default=5)
    addressees = models.CharField(_("主送"), max_length=300, default="各街道、各有关部门：")
    issuer = models.CharField(_("发文机关署名"), max_length=100)
    number_prefix = models.CharField(_("发文字号前缀"), max_length=30, help_text=_("例如 区文明办通"))
    reply_days = models.PositiveSmallIntegerField(_("整改报告期限（工作日）"), default=10)
    schedule = models.CharField(_("自动起草"), max_length=8, choices=Schedule.choices, default=Schedule.NONE)
    ranking_level = models.CharField(
        _("引用排名的对象"), max_length=16, choices=LevelKind.choices, default=LevelKind.STREET
    )
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    objects = TemplateQuerySet.as_manager()

    class Meta:
        verbose_name = _("通报模板")
        verbose_name_plural = _("通报模板")
        ordering = ["owner_unit", "kind", "name"]

    def __str__(self) -> str:
        return self.name


class BulletinState(models.TextChoices):
    DRAFT = "draft", _("起草中")
    IN_REVIEW = "in_review", _("待审核")
    REVIEWED = "reviewed", _("待签发")
    SIGNED = "signed", _("已签发")
    ISSUED = "issued", _("已印发")


class RenderState(models.TextChoices):
    NONE = "none", _("未生成")
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已生成")
    FAILED = "failed", _("生成失败")


class BulletinQuerySet(models.QuerySet["Bulletin"]):
    def visible_to(self, user: User) -> BulletinQuerySet:
        """The issued bulletins sent to the user's unit or a unit below it; an office (coordinator, leader)
        also sees every bulletin, in any state, of the offices in its subtree."""
        if not user.is_authenticated or user.unit is None:
            return self.none()
        from chuangwen.accounts.capabilities import may_oversee

        path = user.unit.path
        sent_here = models.Exists(
            Recipient.objects.filter(bulletin=models.OuterRef("pk"), unit__path__startswith=path)
        )
        received = Q(sent_here, state=BulletinState.ISSUED)
        if may_oversee(user):
            return self.filter(received | Q(owner_unit__path__startswith=path))
        return self.filter(received)


class Bulletin(models.Model):
    """One 通报. Its numbers are a snapshot (``content``) built from the published records it cites; once
    issued
    it never changes (services refuse, and a correction is a new bulletin citing this one)."""

    template = models.ForeignKey(
        BulletinTemplate, verbose_name=_("模板"), on_delete=models.PROTECT, related_name="bulletins"
    )
    owner_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("发文单位"), on_delete=models.PROTECT, related_name="bulletins"
    )
    kind = models.CharField(_("通报类型"), max_length=16, choices=BulletinKind.choices)
    title = models.CharField(_("标题"), max_length=200)
    state = models.CharField(
        _("状态"), max_length=16, choices=BulletinState.choices, default=BulletinState.DRAFT
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    number = models.PositiveIntegerField(_("序号"), null=True, blank=True)
    number_prefix = models.CharField(_("发文字号前缀"), max_length=30)
    addressees = models.CharField(_("主送"), max_length=300)
    issuer = models.CharField(_("发文机关署名"), max_length=100)
    sections = models.JSONField(_("章节（按顺序）"), default=list)
    wording = models.JSONField(_("文字段落"), default=dict, blank=True)
    # Sources: published snapshots only (services check the state when a draft cites them).
    ranking = models.ForeignKey(
        "rankings.Ranking",
        verbose_name=_("引用排名"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    round = models.ForeignKey(
        "rounds.Round",
        verbose_name=_("引用测评批次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    wave = models.ForeignKey(
        "surveys.Wave",
        verbose_name=_("引用问卷调查轮次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    materials_period = models.ForeignKey(
        "materials.Period",
        verbose_name=_("引用申报周期"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    period_start = models.DateField(_("通报期间起"))
    period_end = models.DateField(_("通报期间止"))
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("更正的通报"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
    )
    # The numbers, lists and photo references as built from the sources (content.build); frozen when issued.
    content = models.JSONField(_("通报内容快照"), default=dict)
    content_built_at = models.DateTimeField(_("内容生成时间"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本号"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("起草人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("起草时间"), default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签发人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_at = models.DateTimeField(_("签发时间"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("印发人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("印发时间"), null=True, blank=True)
    return_note = models.CharField(_("退回意见"), max_length=500, blank=True)
    reply_due = models.DateTimeField(_("整改报告截止"), null=True, blank=True)
    # Documents (docx, pdf, xlsx) rendered on the task queue; names in the bulletin file storage.
    render_state = models.CharField(
        _("文档生成状态"), max_length=8, choices=RenderState.choices, default=RenderState.NONE
    )
    render_progress = models.PositiveSmallIntegerField(_("文档生成进度（%）"), default=0)
    render_error = models.CharField(_("文档生成失败原因"), max_length=300, blank=True)
    render_version = models.PositiveIntegerField(_("文档对应版本号"), default=0)
    docx_name = models.CharField(_("Word 文件"), max_length=200, blank=True)
    pdf_name = models.CharField(_("PDF 文件"), max_length=200, blank=True)
    xlsx_name = models.CharField(_("排名表文件"), max_length=200, blank=True)
    public_token = models.UUIDField(_("公开编号"), default=uuid.uuid4, unique=True, editable=False)
    public_at = models.DateTimeField(_("曝光台发布时间"), null=True, blank=True)
    public_summary = models.TextField(_("曝光台摘要"), blank=True)

    objects = BulletinQuerySet.as_manager()

    class Meta:
        verbose_name = _("通报")
        verbose_name_plural = _("通报")
        ordering = ["-year", "-number", "-created_at"]
        constraints = [
            # One series per office, document-number prefix and year: two kinds that share a prefix (通报 of
            # every kind) share the series, so no two documents ever carry the same 发文字号.
            models.UniqueConstraint(
                fields=["owner_unit", "number_prefix", "year", "number"],
                condition=Q(number__isnull=False),
                name="bulletin_number_once_per_office_prefix_year",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def document_number(self) -> str:
        """发文字号, e.g. 区文明办通〔2026〕3号; empty before issue."""
        if self.number is None:
            return ""
        return f"{self.number_prefix}〔{self.year}〕{self.number}号"

    @property
    def frozen(self) -> bool:
        return self.state == BulletinState.ISSUED


class TypicalProblem(models.Model):
    """A finding the office picked as a typical problem, with its photos (public copies only in documents)."""

    bulletin = models.ForeignKey(
        Bulletin, verbose_name=_("通报"), on_delete=models.CASCADE, related_name="typical_problems"
    )
    finding = models.ForeignKey(
        "rounds.Finding", verbose_name=_("不符合项"), on_delete=models.PROTECT, related_name="+"
    )
    caption = models.CharField(_("说明"), max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("典型问题")
        verbose_name_plural = _("典型问题")
        ordering = ["bulletin", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["bulletin", "finding"], name="typical_problem_once")]

    def __str__(self) -> str:
        return f"{self.bulletin_id}:{self.finding_id}"


class RecipientReason(models.TextChoices):
    LISTED = "listed", _("排名单位")
    BLACK = "black", _("列入黑榜")
    DEADLINE = "deadline", _("有限期整改问题")
    TALK = "talk", _("被约谈或通报批评")
    NAMED = "named", _("通报涉及")


class ReplyState(models.TextChoices):
    NOT_REQUIRED = "not_required", _("无需回复")
    AWAITING = "awaiting", _("待报整改报告")
    REPLIED = "replied", _("已报待审")
    ACCEPTED = "accepted", _("已认可")
    RETURNED = "returned", _("退回重报")


class RecipientQuerySet(models.QuerySet["Recipient"]):
    def visible_to(self, user: User) -> RecipientQuerySet:
        """A unit's own receipts and replies, its subtree's, and those of bulletins its office issued."""
        if not user.is_authenticated or user.unit is None:
            return self.none()
        from chuangwen.accounts.capabilities import may_oversee

        mine = Q(unit__path__startswith=user.unit.path)
        if may_oversee(user):
            mine |= Q(bulletin__owner_unit__path__startswith=user.unit.path)
        return self.filter(mine, bulletin__state=BulletinState.ISSUED)


class Recipient(models.Model):
    """A unit a bulletin was sent to: when it was first read, and the rectification report it owes."""

    bulletin = models.ForeignKey(
        Bulletin, verbose_name=_("通报"), on_delete=models.PROTECT, related_name="recipients"
    )
    unit = models.ForeignKey("org.Unit", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+")
    reasons = models.JSONField(_("送达原因"), default=list)
    read_at = models.DateTimeField(_("首次阅读时间"), null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("阅读人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reply_state = models.CharField(
        _("整改报告"), max_length=16, choices=ReplyState.choices, default=ReplyState.NOT_REQUIRED
    )
    reply_due = models.DateTimeField(_("整改报告截止"), null=True, blank=True)
    reply_text = models.TextField(_("整改报告"), blank=True)
    replied_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报送人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reply_photos = models.ManyToManyField(
        "evidence.Evidence", verbose_name=_("整改照片"), blank=True, related_name="+"
    )
    review_note = models.CharField(_("审核意见"), max_length=500, blank=True)
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("催报时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("超期督办时间"), null=True, blank=True)

    objects = RecipientQuerySet.as_manager()

    class Meta:
        verbose_name = _("通报送达单位")
        verbose_name_plural = _("通报送达单位")
        ordering = ["bulletin", "unit__path"]
        constraints = [models.UniqueConstraint(fields=["bulletin", "unit"], name="bulletin_recipient_once")]

    def __str__(self) -> str:
        return f"{self.bulletin_id}:{self.unit_id}"


class RecordQuerySet(models.QuerySet[Any]):
    def visible_to(self, user: User) -> RecordQuerySet:
        """Records about a unit in the user's subtree, or kept by an office in it."""
        if not user.is_authenticated or user.unit is None:
            return self.none()
        path = user.unit.path
        return self.filter(Q(unit__path__startswith=path) | Q(owner_unit__path__startswith=path))


class Commendation(models.Model):
    """表彰: a unit (and optionally a person in it) commended, why, when, with links to the evidence."""

    owner_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("表彰机关"), on_delete=models.PROTECT, related_name="commendations_given"
    )
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("受表彰单位"), on_delete=models.PROTECT, related_name="commendations"
    )
    person_name = models.CharField(_("受表彰个人"), max_length=50, blank=True)
    title = models.CharField(_("表彰名称"), max_length=100)
    reason = models.TextField(_("表彰事由"))
    date = models.DateField(_("表彰日期"))
    bulletin = models.ForeignKey(
        Bulletin,
        verbose_name=_("表彰决定"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ranking = models.ForeignKey(
        "rankings.Ranking",
        verbose_name=_("依据排名"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    evidence_links = models.JSONField(_("相关材料链接"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    objects = RecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("表彰")
        verbose_name_plural = _("表彰")
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return self.title


class TalkKind(models.TextChoices):
    TALK = "talk", _("约谈")
    CRITICISM = "criticism", _("通报批评")


class TalkState(models.TextChoices):
    PLANNED = "planned", _("待约谈")
    FOLLOWING = "following", _("整改跟踪中")
    CLOSED = "closed", _("已办结")


class AccountabilityTalk(models.Model):
    """约谈 / 通报批评: the unit, why, the meeting, the follow-up deadline and the outcome."""

    owner_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("约谈机关"), on_delete=models.PROTECT, related_name="talks_held"
    )
    unit = models.ForeignKey(
        "org.Unit", verbose_name=_("被约谈单位"), on_delete=models.PROTECT, related_name="talks"
    )
    kind = models.CharField(_("类型"), max_length=16, choices=TalkKind.choices, default=TalkKind.TALK)
    reason = models.TextField(_("事由"))
    meeting_date = models.DateField(_("约谈日期"))
    follow_up_due = models.DateField(_("整改跟踪期限"))
    state = models.CharField(_("状态"), max_length=16, choices=TalkState.choices, default=TalkState.PLANNED)
    outcome = models.TextField(_("整改结果"), blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    bulletin = models.ForeignKey(
        Bulletin,
        verbose_name=_("所在通报"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ranking = models.ForeignKey(
        "rankings.Ranking",
        verbose_name=_("依据排名"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reminded_at = models.DateTimeField(_("催办时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    objects = RecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("约谈及通报批评")
        verbose_name_plural = _("约谈及通报批评")
        ordering = ["-meeting_date", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.unit_id} {self.meeting_date}"
