"""Published rankings: snapshots that never change once published (corrections show in the next period)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from chuangwen.core.writeonce import WriteOnce


class PeriodKind(models.TextChoices):
    ROUND = "round", _("测评批次")
    MONTH = "month", _("月度")


class LevelKind(models.TextChoices):
    STREET = "street", _("街道")
    COMMUNITY = "community", _("社区")
    DEPARTMENT = "department", _("部门")


class Ranking(WriteOnce):
    """One published ranking of one level for one period, with the configuration it was computed with."""

    write_once_message = "a published ranking never changes"

    period_kind = models.CharField(_("周期类型"), max_length=8, choices=PeriodKind.choices)
    period_key = models.CharField(_("周期"), max_length=20, help_text=_("round:<id> 或 month:YYYY-MM"))
    round = models.ForeignKey(
        "rounds.Round",
        verbose_name=_("测评批次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    month = models.DateField(_("月份"), null=True, blank=True)
    level = models.CharField(_("排名对象"), max_length=16, choices=LevelKind.choices)
    title = models.CharField(_("标题"), max_length=200)
    standard = models.ForeignKey(
        "standards.Standard",
        verbose_name=_("测评标准版本"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    config = models.JSONField(_("计算参数"), default=dict)
    as_of = models.DateTimeField(_("数据截至"))
    published_at = models.DateTimeField(_("发布时间"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发布人"), on_delete=models.PROTECT, related_name="+"
    )
    previous = models.ForeignKey(
        "self", verbose_name=_("上期排名"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("排名")
        verbose_name_plural = _("排名")
        ordering = ["-published_at", "level"]
        constraints = [
            models.UniqueConstraint(fields=["period_key", "level"], name="ranking_once_per_period_and_level")
        ]

    def __str__(self) -> str:
        return self.title


class RankingRow(WriteOnce):
    """One unit's line of a published ranking, with the ids of the records behind its numbers."""

    write_once_message = "a published ranking never changes"

    ranking = models.ForeignKey(
        Ranking, verbose_name=_("排名"), on_delete=models.PROTECT, related_name="rows"
    )
    unit = models.ForeignKey("org.Unit", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+")
    unit_name = models.CharField(_("单位名称（发布时）"), max_length=200)
    rank = models.PositiveIntegerField(_("名次"), null=True, blank=True)
    rank_change = models.IntegerField(_("名次变化（正数为上升）"), null=True, blank=True)
    composite = models.DecimalField(_("综合指数"), max_digits=7, decimal_places=2, null=True, blank=True)
    composite_change = models.DecimalField(
        _("综合指数变化"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    onsite = models.DecimalField(_("实地测评得分"), max_digits=7, decimal_places=2, null=True, blank=True)
    onsite_raw = models.DecimalField(
        _("实地测评原始均分"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    visits = models.PositiveIntegerField(_("测评点位次数"), default=0)
    weight_sum = models.DecimalField(_("权重合计"), max_digits=12, decimal_places=4, default=0)
    rectification = models.DecimalField(_("整改得分"), max_digits=7, decimal_places=2, null=True, blank=True)
    cases = models.PositiveIntegerField(_("案卷数"), default=0)
    materials = models.DecimalField(_("网上申报得分"), max_digits=7, decimal_places=2, null=True, blank=True)
    materials_counts = models.JSONField(_("网上申报计数"), default=dict, blank=True)
    survey = models.DecimalField(_("问卷调查得分"), max_digits=7, decimal_places=2, null=True, blank=True)
    survey_wave = models.ForeignKey(
        "surveys.Wave",
        verbose_name=_("问卷调查轮次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The wave's name and the unit's measure rates behind ``survey`` as they stood when published.
    survey_detail = models.JSONField(_("问卷调查指标率"), default=dict, blank=True)
    volunteer = models.DecimalField(_("志愿服务得分"), max_digits=7, decimal_places=2, null=True, blank=True)
    # The figures behind ``volunteer`` as they stood when published (registered, population, hours, parts …).
    volunteer_detail = models.JSONField(_("志愿服务明细"), default=dict, blank=True)
    indicators = models.JSONField(_("整改指标"), default=dict)
    counts = models.JSONField(_("整改指标分子"), default=dict)
    penalty = models.DecimalField(_("扣分"), max_digits=7, decimal_places=2, default=0)
    penalty_events = models.JSONField(_("扣分事项"), default=dict)
    visit_ids = models.JSONField(_("计入的测评记录"), default=list)
    case_ids = models.JSONField(_("计入的案卷"), default=list)

    class Meta:
        verbose_name = _("排名行")
        verbose_name_plural = _("排名行")
        # Unranked rows (样本不足) after the ranked ones: SQLite sorts NULL first otherwise.
        ordering = ["ranking", models.F("rank").asc(nulls_last=True), "unit_name"]

    def __str__(self) -> str:
        return f"{self.ranking_id} {self.unit_name} {self.rank}"
