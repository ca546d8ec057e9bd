"""Self-check reliability (自查可信度): do a unit's own inspections agree with the official ones?

For each unit of a level and each recent month: the self-check visits (accepted, of published rounds of kind
``self_check``, finished in the month) are paired with the official visits (the kinds that score a ranking:
暗访, 回头看, 互查 — ``rankings.compute.period_visits``) **of the same site in the same month**. A site
visited several times on either side counts with the mean of its scores on that side. The unit's gap is
the mean over its pairs of (self-check score − official score). A unit is **flagged** in a month
when it has at least ``selfcheck_min_pairs`` pairs and its gap exceeds ``selfcheck_gap`` points, and called
**consistently rosier** when it is flagged in at least 2 of its last 3 months with pairs.

Sites belong to a street or community by where they are (area unit) and to a department by responsibility, as
in the ranking.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from chuangwen.rankings import formulas
from chuangwen.rankings.compute import (
    LevelMap,
    Period,
    owner_field,
    period_visits,
    scored_visits,
    standard_of,
)
from chuangwen.rankings.config import RankingConfig, ranking_config
from chuangwen.rounds.models import RoundKind

ROSIER_WINDOW = 3  # the last months with pairs that are looked at
ROSIER_FLAGS = 2  # flagged in at least this many of them


@dataclass
class SitePair:
    site_id: int
    site_name: str
    self_score: Decimal
    official_score: Decimal

    @property
    def gap(self) -> Decimal:
        return self.self_score - self.official_score


@dataclass
class MonthGap:
    month: date
    pairs: list[SitePair] = field(default_factory=list)
    gap: Decimal | None = None  # mean of self − official over the pairs, to 0.01
    flagged: bool = False


@dataclass
class UnitReliability:
    unit_id: int
    unit_name: str
    months: dict[date, MonthGap] = field(default_factory=dict)
    rosier: bool = False

    def recent(self) -> list[MonthGap]:
        """The last months with pairs, newest first."""
        with_data = [m for m in self.months.values() if m.pairs]
        return sorted(with_data, key=lambda m: m.month, reverse=True)[:ROSIER_WINDOW]


def recent_months(count: int, today: date | None = None) -> list[date]:
    """The first days of the last ``count`` months, the current one included, oldest first."""
    first = (today or timezone.localdate()).replace(day=1)
    months = [first]
    while len(months) < count:
        months.append((months[-1] - timedelta(days=1)).replace(day=1))
    return sorted(months)


def self_check_visits(period: Period) -> Any:
    """Accepted, scored visits of published 自查 rounds finished in the month (``compute.scored_visits``)."""
    return scored_visits(period, (RoundKind.SELF_CHECK,))


def _site_means(visits: Any, owner: str) -> dict[int, tuple[Decimal, int | None, str]]:
    sums: dict[int, list[Decimal]] = defaultdict(list)
    info: dict[int, tuple[int | None, str]] = {}
    for site_id, site_name, unit_id, score in visits.values_list("site_id", "site__name", owner, "score"):
        sums[site_id].append(Decimal(score))
        info[site_id] = (unit_id, site_name)
    return {pk: (sum(v, Decimal(0)) / len(v), info[pk][0], info[pk][1]) for pk, v in sums.items()}


def reliability(
    level: str, *, months: list[date] | None = None, config: RankingConfig | None = None
) -> list[UnitReliability]:
    """Every active unit of the level, with its monthly gaps; flagged and rosier units first."""
    months = months or recent_months(6)
    config = config or ranking_config(standard_of(Period.for_month(months[-1])))
    level_of = LevelMap(level)
    owner = owner_field(level)
    result = {unit.pk: UnitReliability(unit.pk, unit.name) for unit in level_of.units}
    for month in months:
        period = Period.for_month(month)
        own = _site_means(self_check_visits(period), owner)
        official = _site_means(period_visits(period), owner)
        for unit in result.values():
            unit.months[month] = MonthGap(month)
        for site_id, (self_score, unit_id, name) in sorted(own.items()):
            target = level_of(unit_id)
            if target is None or target not in result or site_id not in official:
                continue
            pair = SitePair(
                site_id, name, formulas.q_score(self_score), formulas.q_score(official[site_id][0])
            )
            result[target].months[month].pairs.append(pair)
    for unit in result.values():
        for gap in unit.months.values():
            if gap.pairs:
                mean = sum((pair.gap for pair in gap.pairs), Decimal(0)) / len(gap.pairs)
                gap.gap = formulas.q_score(mean)
                gap.flagged = len(gap.pairs) >= config.selfcheck_min_pairs and gap.gap > config.selfcheck_gap
        unit.rosier = sum(m.flagged for m in unit.recent()) >= ROSIER_FLAGS
    return sorted(
        result.values(),
        key=lambda u: (not u.rosier, not any(m.flagged for m in u.months.values()), u.unit_name),
    )
