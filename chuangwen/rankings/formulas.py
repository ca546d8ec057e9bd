"""The formulas of a unit's scores, as plain functions over numbers (the method page explains each of them).

A visit's own site score and score rate come from ``rounds.scoring``; everything here builds on them. All
arithmetic is Decimal; scores are rounded to 0.01 and rates to 0.0001, half up, only at the end.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal

from chuangwen.rankings.config import NEGATIVE, RankingConfig

SCORE_QUANTUM = Decimal("0.01")
RATE_QUANTUM = Decimal("0.0001")
HUNDRED = Decimal(100)


def q_score(value: Decimal) -> Decimal:
    return value.quantize(SCORE_QUANTUM, rounding=ROUND_HALF_UP)


def q_rate(value: Decimal) -> Decimal:
    return value.quantize(RATE_QUANTUM, rounding=ROUND_HALF_UP)


def visit_weight(site_type_weight: Decimal, declared: bool, revisit: bool, config: RankingConfig) -> Decimal:
    """Site-type weight × the declared or undeclared factor (undeclared sites weigh more: the national
    evaluators mostly pick sites the district did not declare) × the revisit factor (a 回头看 visit)."""
    weight = Decimal(site_type_weight)
    weight *= config.declared_weight if declared else config.undeclared_weight
    if revisit:
        weight *= config.revisit_weight
    return weight


def weighted_mean(pairs: Iterable[tuple[Decimal, Decimal]]) -> Decimal | None:
    """Σ weight·score / Σ weight over (score, weight) pairs, unrounded; None without weight."""
    total = weights = Decimal(0)
    for score, weight in pairs:
        total += Decimal(score) * weight
        weights += weight
    if weights == 0:
        return None
    return total / weights


def shrink(
    raw: Decimal | None, n: int, prior: Decimal | None, k: Decimal | int, min_sample: int = 0
) -> Decimal | None:
    """A unit with fewer than ``min_sample`` visits is shrunk toward the level's mean:
    (n·raw + k·prior) / (n + k); with ``min_sample`` visits or more its own mean stands.

    With k = 5, one perfect visit (100) among units averaging 80 counts as (100 + 5·80) / 6 = 83.33, so a
    unit with one lucky site does not top the table. No visits: no score."""
    if raw is None or n <= 0:
        return None
    if prior is None or k <= 0 or n >= min_sample > 0:
        return raw
    return (Decimal(n) * raw + Decimal(k) * prior) / (Decimal(n) + Decimal(k))


def rate(part: int, whole: int) -> Decimal | None:
    """part / whole to four decimals; None when there is nothing to count."""
    if whole <= 0:
        return None
    return q_rate(Decimal(part) / Decimal(whole))


def rectification_score(
    indicators: Mapping[str, Decimal | None], weights: Mapping[str, Decimal]
) -> Decimal | None:
    """100 × Σ wᵢ·goodᵢ / Σ wᵢ over the indicators that have a value, where good = the rate for 处置率 and
    按期处置率 and (1 − rate) for 返工率, 超期率, 延期率, 复发率. None when the unit had no case."""
    total = weights_used = Decimal(0)
    for name, weight in weights.items():
        value = indicators.get(name)
        if value is None or weight == 0:
            continue
        good = Decimal(1) - value if name in NEGATIVE else value
        total += weight * good
        weights_used += weight
    if weights_used == 0:
        return None
    return HUNDRED * total / weights_used


def composite(
    components: Mapping[str, Decimal | None], weights: Mapping[str, Decimal], penalty: Decimal = Decimal(0)
) -> Decimal | None:
    """Σ cⱼ·componentⱼ / Σ cⱼ over the components that have a value (a district without surveys is not
    punished for it), minus the penalty points, never below 0. None when no component has a value."""
    total = weights_used = Decimal(0)
    for name, weight in weights.items():
        value = components.get(name)
        if value is None or weight == 0:
            continue
        total += weight * value
        weights_used += weight
    if weights_used == 0:
        return None
    return q_score(max(Decimal(0), total / weights_used - penalty))


def penalty_points(events: Mapping[str, int], points: Mapping[str, Decimal]) -> Decimal:
    return sum((Decimal(events.get(name, 0)) * value for name, value in points.items()), Decimal(0))


def competition_ranks(values: Mapping[int, Decimal | None]) -> dict[int, int | None]:
    """Ranks by value, highest first, ties sharing a rank and the next rank skipping (1, 2, 2, 4);
    no value: no rank."""
    ordered = sorted((value, key) for key, value in values.items() if value is not None)
    ordered.reverse()
    ranks: dict[int, int | None] = {key: None for key in values}
    previous: Decimal | None = None
    rank = 0
    for position, (value, key) in enumerate(ordered, start=1):
        if value != previous:
            rank, previous = position, value
        ranks[key] = rank
    return ranks


def capped_part(value: Decimal | None, target: Decimal) -> Decimal | None:
    """100 × value ÷ target, at most 100; None without a value (or a target)."""
    if value is None or target <= 0:
        return None
    return min(HUNDRED, HUNDRED * Decimal(value) / target)


def volunteer_parts(
    registered: int,
    population: int | None,
    resident_minutes: int,
    active: int,
    months: Decimal,
    targets: Mapping[str, Decimal],
) -> dict[str, Decimal | None]:
    """The three capped sub-scores of the 志愿服务 component (0–100 each, unrounded):

    - registration_share: (registered ÷ residents aged 18–65) against its target; None without a population;
    - hours_per_volunteer: (confirmed hours of the unit's volunteers ÷ registered) against the monthly
      target × the period's length in months;
    - active_share: (volunteers with a confirmed record ÷ registered) against its target.

    Without registered volunteers every part is None (the component drops out)."""
    if registered <= 0:
        return dict.fromkeys(("registration_share", "hours_per_volunteer", "active_share"))
    share = Decimal(registered) / Decimal(population) if population else None
    hours_each = Decimal(resident_minutes) / 60 / Decimal(registered)
    return {
        "registration_share": capped_part(share, targets["registration_share"]),
        "hours_per_volunteer": capped_part(hours_each, targets["hours_per_volunteer"] * months),
        "active_share": capped_part(Decimal(active) / Decimal(registered), targets["active_share"]),
    }


def volunteer_score(parts: Mapping[str, Decimal | None]) -> Decimal | None:
    """The plain mean of the sub-scores that have a value, rounded to 0.01; None when none has one."""
    known = [value for value in parts.values() if value is not None]
    if not known:
        return None
    return q_score(sum(known, Decimal(0)) / len(known))
