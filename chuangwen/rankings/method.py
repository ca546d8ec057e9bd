"""The numbers of the public method page (测评与排名方法), taken from the active standard's configuration.

Nothing here is written twice: the worked shrinkage examples are computed by ``rankings.formulas.shrink``, the
weights come from ``ranking_config`` and the site types of the active standard version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from chuangwen.rankings import formulas
from chuangwen.rankings.compute import active_standard
from chuangwen.rankings.config import (
    COMPONENT_NAMES,
    INDICATOR_NAMES,
    NEGATIVE,
    PENALTY_NAMES,
    RankingConfig,
    ranking_config,
)
from chuangwen.standards.models import SiteType, Standard

# The rules of fairness the ranking (``compute``) and the what-if (``whatif``) both follow, stated once: the
# method page shows them (the HTML id is the key with dashes); the tests check each against a hand-computed
# case.
RULES: dict[str, Promise] = {
    "rule_due": _(
        "整改指标只计本周期内到期（整改期限已到）或在本周期内办结的案卷；仍在整改期限内、尚未办结的案卷不计入，"
        "因此批次发布当天生成的新案卷不会让任何单位的处置率变成 0。"
    ),
    "rule_location": _(
        "街道、社区对位于本辖区的问题负责（按案卷点位所在区域，没有点位时按案卷所在区域），不论案卷派给了哪个部门；"
        "部门对派给本部门的案卷负责。问题被派往部门不会让街道的名次上升。"
    ),
    "rule_no_cases": _(
        "本周期没有计入案卷的单位，整改得分取同级有案卷单位整改得分的平均值（表中标“同级均值”）；"
        "同级所有单位都没有案卷时，整改分项对所有单位都不参与计算。"
    ),
    "rule_sample": _(
        "本周期没有计入任何实地测评的单位样本不足，不排名次、不计综合指数，列在有名次的单位之后并注明“样本不足”。"
    ),
    "rule_ontime": _(
        "按期与否只有一条规则：结案时间不晚于整改期限（没有期限的案卷视为按期）。排名与“从哪里改起”的测算使用同一规则，"
        "已超期的案卷现在办结仍计为超期办结。"
    ),
    "rule_onsite": _(
        "实地测评得分以测评员当天所见为准（与国家测评一致）：已发布的测评得分不因案卷办结而改变，"
        "因此“从哪里改起”的测算也不返还实地测评扣分，只计算整改指标的变化。"
    ),
}


@dataclass
class Method:
    standard: Standard | None
    config: RankingConfig
    site_types: list[SiteType]
    components: list[dict[str, Any]]
    indicators: list[dict[str, Any]]
    penalties: list[dict[str, Any]]
    examples: list[dict[str, Any]]
    weight_examples: list[dict[str, Any]]
    rules: dict[str, Promise]
    survey_waves: list[Any] = field(default_factory=list)  # what feeds the 问卷调查 component today


def _share(weight: Decimal, total: Decimal) -> Decimal:
    return formulas.q_score(Decimal(100) * weight / total) if total else Decimal(0)


def method() -> Method:
    standard = active_standard()
    config = ranking_config(standard)
    site_types = (
        list(SiteType.objects.filter(standard=standard).order_by("sort_order", "code")) if standard else []
    )
    composite_total = sum(config.composite.values(), Decimal(0))
    components = [
        {
            "name": name,
            "label": COMPONENT_NAMES[name],
            "weight": weight,
            "share": _share(weight, composite_total),
        }
        for name, weight in config.composite.items()
    ]
    rect_total = sum(config.rectification.values(), Decimal(0))
    indicators = [
        {
            "name": name,
            "label": INDICATOR_NAMES[name],
            "weight": weight,
            "share": _share(weight, rect_total),
            "negative": name in NEGATIVE,
        }
        for name, weight in config.rectification.items()
    ]
    penalties = [
        {"name": name, "label": PENALTY_NAMES.get(name, name), "points": points}
        for name, points in config.penalties.items()
    ]
    k = config.shrinkage_k
    prior = Decimal(80)
    examples = []
    for n in sorted({1, max(1, config.min_sample - 1), max(1, config.min_sample)}):
        shrunk = formulas.shrink(Decimal(100), n, prior, k, config.min_sample)
        examples.append(
            {
                "n": n,
                "raw": Decimal(100),
                "prior": prior,
                "k": k,
                "result": formulas.q_score(shrunk) if shrunk is not None else None,
            }
        )
    weight_examples = [
        {
            "declared": declared,
            "revisit": revisit,
            "weight": formulas.visit_weight(Decimal(1), declared, revisit, config),
        }
        for revisit in (False, True)
        for declared in (True, False)
    ]
    return Method(
        standard, config, site_types, components, indicators, penalties, examples, weight_examples, RULES,
        latest_survey_waves(),
    )  # fmt: skip


def latest_survey_waves() -> list[Any]:
    """The latest published survey wave of each office: where the 问卷调查 component comes from today."""
    from chuangwen.surveys.models import Wave, WaveState

    published = Wave.objects.filter(state=WaveState.PUBLISHED, published_at__isnull=False)
    latest: dict[int, Any] = {}
    for wave in (
        published.select_related("owner_unit")
        .order_by("-published_at", "-pk")
        .only("name", "published_at", "owner_unit__name", "owner_unit__path")
    ):
        latest.setdefault(wave.owner_unit_id, wave)
    return sorted(latest.values(), key=lambda wave: wave.owner_unit.path)
