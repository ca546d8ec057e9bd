"""The one scoring module: a visit's site score and score rate (docs/standards.md, "Site score and
score rate").

Site score = ``max(0, 100 − Σ min(cap, deduct × count))`` over the not-conforming judgements, where a binary
item counts once, a per-occurrence item counts its occurrences (capped), and a failed veto item sets the score
to 0. Score rate = conforming judgements / applicable judgements (``not_applicable`` excluded).

The functions take plain records, not model instances, so that rankings can score a million judgements from
``values()`` rows with exactly the same rules. All arithmetic is :class:`~decimal.Decimal`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

FULL_SCORE = Decimal(100)
SCORE_QUANTUM = Decimal("0.01")
RATE_QUANTUM = Decimal("0.0001")

# The values of ScoringMode and JudgementResult (kept as plain strings so this module imports nothing).
BINARY = "binary"
PER_OCCURRENCE = "per_occurrence"
VETO = "veto"
CONFORMING = "conforming"
NOT_CONFORMING = "not_conforming"
NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class ItemRule:
    """How one check item scores: its mode, the deduction per occurrence and the cap (None: no cap)."""

    mode: str
    deduct: Decimal
    cap: Decimal | None = None


@dataclass(frozen=True)
class ScoredJudgement:
    """One judgement as scoring sees it."""

    rule: ItemRule
    result: str
    count: int = 0


@dataclass(frozen=True)
class VisitScore:
    score: Decimal
    score_rate: Decimal | None
    vetoed: bool


def _dec(value: Decimal | int | str | float) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def occurrences(rule: ItemRule, result: str, count: int) -> int:
    """How many times a judgement counts: 0 unless not conforming; binary and veto items count once."""
    if result != NOT_CONFORMING:
        return 0
    if rule.mode == PER_OCCURRENCE:
        return max(count, 0)
    return 1


def item_deduction(rule: ItemRule, result: str, count: int = 0) -> Decimal:
    """``min(cap, deduct × count)`` for one judgement (0 when it conforms or does not apply)."""
    n = occurrences(rule, result, count)
    if n == 0:
        return Decimal(0)
    raw = _dec(rule.deduct) * n
    if rule.cap is not None:
        raw = min(raw, _dec(rule.cap))
    return raw.quantize(SCORE_QUANTUM, rounding=ROUND_HALF_UP)


def is_veto_failure(judgement: ScoredJudgement) -> bool:
    return judgement.rule.mode == VETO and judgement.result == NOT_CONFORMING


def site_score(judgements: Iterable[ScoredJudgement]) -> Decimal:
    """``max(0, 100 − Σ min(cap, deduct × count))``; 0 when any veto item failed."""
    total = Decimal(0)
    for judgement in judgements:
        if is_veto_failure(judgement):
            return Decimal(0).quantize(SCORE_QUANTUM)
        total += item_deduction(judgement.rule, judgement.result, judgement.count)
    return max(Decimal(0), FULL_SCORE - total).quantize(SCORE_QUANTUM, rounding=ROUND_HALF_UP)


def score_rate(results: Iterable[str]) -> Decimal | None:
    """Conforming / applicable judgements to four decimals; None when no judgement applies."""
    applicable = conforming = 0
    for result in results:
        if result == NOT_APPLICABLE:
            continue
        applicable += 1
        if result == CONFORMING:
            conforming += 1
    if applicable == 0:
        return None
    return (Decimal(conforming) / Decimal(applicable)).quantize(RATE_QUANTUM, rounding=ROUND_HALF_UP)


def score_visit(judgements: Iterable[ScoredJudgement]) -> VisitScore:
    """Both numbers of one visit, from one pass over its judgements."""
    rows = list(judgements)
    return VisitScore(
        score=site_score(rows),
        score_rate=score_rate(j.result for j in rows),
        vetoed=any(is_veto_failure(j) for j in rows),
    )
