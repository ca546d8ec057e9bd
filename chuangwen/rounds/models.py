"""Inspection rounds (测评批次): a secret, verifiable draw; teams, visits, judgements and findings."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chuangwen.org.models import path_ids

if TYPE_CHECKING:
    from chuangwen.accounts.models import User


def _unit_path(user: User) -> str | None:
    unit = user.unit if user.is_authenticated else None
    return unit.path if unit is not None else None


class RoundKind(models.TextChoices):
    UNANNOUNCED = "unannounced", _("暗访")
    REVISIT = "revisit", _("回头看")
    SELF_CHECK = "self_check", _("自查")
    PEER_CHECK = "peer_check", _("互查")


# The kinds whose visits score a unit (rankings, dashboards): a unit's own 自查 never scores it.
OFFICIAL_KINDS = (RoundKind.UNANNOUNCED, RoundKind.REVISIT, RoundKind.PEER_CHECK)


class RoundStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    DRAWN = "drawn", _("已抽样")
    IN_PROGRESS = "in_progress", _("测评中")
    PUBLISHED = "published", _("已发布")
    CANCELLED = "cancelled", _("已取消")


class RoundQuerySet(models.QuerySet["Round"]):
    """Secrecy lives here: until publication a round exists only for the coordinators of its owning office
    (or above) and for the inspectors on its teams. Every round query goes through these two functions."""

    def fully_visible_to(self, user: User) -> RoundQuerySet:
        """Rounds whose every site, visit and finding the user may see."""
        path = _unit_path(user)
        if path is None:
            return self.none()
        from chuangwen.accounts.models import Role

        secret = Q(pk__in=Team.objects.filter(members=user).values("round_id"))
        if user.role == Role.COORDINATOR:
            secret |= Q(owner_unit__path__startswith=path)
        published = Q(status=RoundStatus.PUBLISHED) & (
            Q(owner_unit__path__startswith=path) | Q(target_unit__path__startswith=path)
        )
        return self.filter(secret | published)

    def visible_to(self, user: User) -> RoundQuerySet:
        """The one scoping function for rounds: fully visible ones, plus published rounds over the user's unit
        (whose visits the user then sees only for his or her own sites)."""
        path = _unit_path(user)
        if path is None:
            return self.none()
        over_me = Q(status=RoundStatus.PUBLISHED, target_unit_id__in=path_ids(path))
        return self.filter(Q(pk__in=self.fully_visible_to(user).values("pk")) | over_me)


class Round(models.Model):
    public_id = models.UUIDField(_("公开编号"), default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("批次名称"), max_length=200)
    kind = models.CharField(_("批次类型"), max_length=16, choices=RoundKind.choices)
    standard = models.ForeignKey(
        "standards.Standard", verbose_name=_("测评标准版本"), on_delete=models.PROTECT, related_name="rounds"
    )
    # The office that runs the round; before publication only its coordinators and inspectors know it.
    owner_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("组织单位"), on_delete=models.PROTECT, related_name="owned_rounds"
    )
    # Whose sites are drawn: the district for 暗访/回头看, the unit itself for 自查, street B for 互查.
    target_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("被测评范围"), on_delete=models.PROTECT, related_name="targeted_rounds"
    )
    inspecting_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("测评单位（互查）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inspecting_rounds",
    )
    period_start = models.DateField(_("开始日期"))
    period_end = models.DateField(_("结束日期"))
    # Draw parameters: type_quotas {code: n}, street_quotas {unit code: max n}, declared_cap (0–1),
    # and for revisit rounds failed_share (0–1) and random_extra (n). See rounds/sampling.py.
    params = models.JSONField(_("抽样参数"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=RoundStatus.choices, default=RoundStatus.DRAFT, db_index=True
    )
    # The seed stays secret until publication; the commitments are shown to everyone from the draw on.
    seed = models.CharField(_("随机种子"), max_length=64, blank=True, editable=False)
    seed_commitment = models.CharField(_("种子承诺值"), max_length=64, blank=True)
    sites_commitment = models.CharField(_("候选点位承诺值"), max_length=64, blank=True)
    params_commitment = models.CharField(_("参数承诺值"), max_length=64, blank=True)
    commitment = models.CharField(_("抽样承诺值"), max_length=64, blank=True, db_index=True)
    eligible_snapshot = models.JSONField(_("候选点位清单"), default=list, blank=True, editable=False)
    drawn_at = models.DateTimeField(_("抽样时间"), null=True, blank=True)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("抽样人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = RoundQuerySet.as_manager()

    class Meta:
        verbose_name = _("测评批次")
        verbose_name_plural = _("测评批次")
        ordering = ["-period_start", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def published(self) -> bool:
        return self.status == RoundStatus.PUBLISHED


class Team(models.Model):
    round = models.ForeignKey(
        Round, verbose_name=_("测评批次"), on_delete=models.CASCADE, related_name="teams"
    )
    name = models.CharField(_("小组名称"), max_length=50)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("组员"), related_name="teams")

    class Meta:
        verbose_name = _("测评小组")
        verbose_name_plural = _("测评小组")
        ordering = ["round", "name"]

    def __str__(self) -> str:
        return self.name


class RoundSite(models.Model):
    """One drawn site of a round, with its place in the draw and in its team's route."""

    round = models.ForeignKey(
        Round, verbose_name=_("测评批次"), on_delete=models.CASCADE, related_name="entries"
    )
    site = models.ForeignKey("sites.Site", verbose_name=_("点位"), on_delete=models.PROTECT, related_name="+")
    draw_order = models.PositiveIntegerField(_("抽中顺序"))
    reason = models.CharField(_("入选原因"), max_length=16, default="random")  # random | failed_before
    team = models.ForeignKey(
        Team,
        verbose_name=_("测评小组"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="entries",
    )
    route_order = models.PositiveIntegerField(_("路线顺序"), default=0)

    class Meta:
        verbose_name = _("抽中点位")
        verbose_name_plural = _("抽中点位")
        unique_together = [("round", "site")]
        ordering = ["round", "team", "route_order", "draw_order"]

    def __str__(self) -> str:
        return f"{self.round} · {self.site}"


class VisitOutcome(models.TextChoices):
    DONE = "done", _("已测评")
    REFUSED = "refused", _("拒访")
    NOT_POSSIBLE = "not_possible", _("无法调查")


class VisitStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待审核")
    ACCEPTED = "accepted", _("已采纳")
    SENT_BACK = "sent_back", _("退回重测")


def _visible_through_round(user: User, prefix: str = "") -> Q:
    """Rows of rounds the user sees whole, or of published rounds over the user's unit on his or her sites."""
    from chuangwen.sites.models import Site

    whole = Q(**{f"{prefix}round__in": Round.objects.fully_visible_to(user)})
    own_sites = Q(**{f"{prefix}round__in": Round.objects.visible_to(user)}) & Q(
        **{f"{prefix}site__in": Site.objects.visible_to(user)}
    )
    return whole | own_sites


class VisitQuerySet(models.QuerySet["Visit"]):
    def visible_to(self, user: User) -> VisitQuerySet:
        """The one scoping function for visits."""
        if _unit_path(user) is None:
            return self.none()
        return self.filter(_visible_through_round(user))


class Visit(models.Model):
    client_id = models.UUIDField(_("客户端编号"), unique=True)
    round = models.ForeignKey(
        Round, verbose_name=_("测评批次"), on_delete=models.PROTECT, related_name="visits"
    )
    site = models.ForeignKey(
        "sites.Site", verbose_name=_("点位"), on_delete=models.PROTECT, related_name="visits"
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("测评小组"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visits",
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("测评员"), on_delete=models.PROTECT, related_name="visits"
    )
    outcome = models.CharField(
        _("测评结果"), max_length=16, choices=VisitOutcome.choices, default=VisitOutcome.DONE
    )
    exception_reason = models.CharField(_("异常原因"), max_length=500, blank=True)
    lat = models.FloatField(_("纬度（WGS-84）"), null=True, blank=True)
    lng = models.FloatField(_("经度（WGS-84）"), null=True, blank=True)
    accuracy_m = models.FloatField(_("定位精度（米）"), null=True, blank=True)
    distance_m = models.FloatField(_("距点位距离（米）"), null=True, blank=True)
    far_reason = models.CharField(_("距离过远说明"), max_length=500, blank=True)
    note = models.TextField(_("备注"), blank=True)
    started_at = models.DateTimeField(_("开始时间（手机）"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间（手机）"), null=True, blank=True)
    received_at = models.DateTimeField(_("接收时间（服务器）"), auto_now_add=True)
    status = models.CharField(
        _("审核状态"),
        max_length=16,
        choices=VisitStatus.choices,
        default=VisitStatus.SUBMITTED,
        db_index=True,
    )
    score = models.DecimalField(_("点位得分"), max_digits=6, decimal_places=2, null=True, blank=True)
    score_rate = models.DecimalField(_("得分率"), max_digits=6, decimal_places=4, null=True, blank=True)
    review_note = models.CharField(_("审核意见"), max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("实地测评")
        verbose_name_plural = _("实地测评")
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["round", "site"])]

    def __str__(self) -> str:
        return f"{self.round} · {self.site}"


class JudgementResult(models.TextChoices):
    CONFORMING = "conforming", _("符合")
    NOT_CONFORMING = "not_conforming", _("不符合")
    NOT_APPLICABLE = "not_applicable", _("不适用")


class Judgement(models.Model):
    visit = models.ForeignKey(
        Visit, verbose_name=_("实地测评"), on_delete=models.CASCADE, related_name="judgements"
    )
    check_item = models.ForeignKey(
        "standards.CheckItem", verbose_name=_("测评指标"), on_delete=models.PROTECT, related_name="+"
    )
    result = models.CharField(_("判定"), max_length=16, choices=JudgementResult.choices)
    count = models.PositiveIntegerField(_("问题数量"), default=0)
    note = models.CharField(_("说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("测评判定")
        verbose_name_plural = _("测评判定")
        unique_together = [("visit", "check_item")]

    def __str__(self) -> str:
        return f"{self.check_item.code} {self.get_result_display()}"


class FindingStatus(models.TextChoices):
    HIDDEN = "hidden", _("未发布")
    READY = "ready", _("待派遣")
    DISPATCHED = "dispatched", _("已派遣")


class FindingQuerySet(models.QuerySet["Finding"]):
    def visible_to(self, user: User) -> FindingQuerySet:
        """The one scoping function for findings (the same rule as visits)."""
        if _unit_path(user) is None:
            return self.none()
        return self.filter(_visible_through_round(user))


class Finding(models.Model):
    """A check item judged not conforming at a visit; handed to the case workflow at publication."""

    judgement = models.OneToOneField(
        Judgement, verbose_name=_("测评判定"), on_delete=models.CASCADE, related_name="finding"
    )
    round = models.ForeignKey(
        Round, verbose_name=_("测评批次"), on_delete=models.PROTECT, related_name="findings"
    )
    visit = models.ForeignKey(
        Visit, verbose_name=_("实地测评"), on_delete=models.CASCADE, related_name="findings"
    )
    site = models.ForeignKey(
        "sites.Site", verbose_name=_("点位"), on_delete=models.PROTECT, related_name="findings"
    )
    check_item = models.ForeignKey(
        "standards.CheckItem", verbose_name=_("测评指标"), on_delete=models.PROTECT, related_name="findings"
    )
    count = models.PositiveIntegerField(_("问题数量"), default=1)
    deduction = models.DecimalField(_("扣分"), max_digits=6, decimal_places=2, default=0)
    status = models.CharField(
        _("状态"), max_length=16, choices=FindingStatus.choices, default=FindingStatus.HIDDEN, db_index=True
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = FindingQuerySet.as_manager()

    class Meta:
        verbose_name = _("不符合项")
        verbose_name_plural = _("不符合项")
        ordering = ["round", "site", "check_item"]

    def __str__(self) -> str:
        return f"{self.site} · {self.check_item.code}"
