"""The numbers of the public method page (测评与排名方法), taken from the active standard's configuration.

Nothing here is written twice: the worked shrinkage examples are computed by ``rankings.formulas.shrink``, the
weights come from ``ranking_config`` and the site types of the active standard version.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

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
    return Method(standard, config, site_types, components, indicators, penalties, examples, weight_examples)
