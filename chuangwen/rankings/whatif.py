"""Where to act: a unit's open cases ordered by the points they cost, and a what-if of closing a chosen set.

The period is the current month (what the next monthly ranking will be made of). The records of the whole
level are loaded once (``compute.Scene``, the same load that ``compute`` uses); the what-if then re-evaluates
the level in memory with the chosen cases treated as **closed on time** and their findings' judgements removed
from their visits' site scores (``rounds.scoring.site_score`` over the remaining judgements, so caps, the
floor at 0 and a failed veto item behave as in the visit itself). The level's mean (the shrinkage prior) and
the ranks are recomputed too, so "after" is the composite the unit would have if the ranking were computed
now. With no case chosen the result is ``compute(...)``'s.

A case's cost is the composite it would give back if closed on time alone; beside it, the item's deduction in
its visit's site score (``rounds.scoring.item_deduction``) times the visit's weight share in the unit's
on-site mean, and its effect on the rectification score.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.cases.models import OPEN_STATES, Case
from chuangwen.org.models import Unit
from chuangwen.rankings import formulas
from chuangwen.rankings.compute import LEVELS, Period, Scene, UnitScore
from chuangwen.rounds import scoring
from chuangwen.rounds.models import Judgement


class NotRanked(ValueError):
    """The unit is of a kind that is not ranked (a grid, the district …)."""


# One unit's numbers in one evaluation of the level.
Outcome = UnitScore


def scene_for(level: str) -> Scene:
    """The current month's records of the level."""
    return Scene.load(Period.for_month(timezone.localdate()), level)


def level_of_unit(unit: Unit) -> str:
    if unit.kind not in LEVELS:
        raise NotRanked(_("该单位不参加排名（只对街道、社区和部门排名）"))
    return unit.kind


def open_cases(unit: Unit) -> Any:
    """The unit's open cases (routed to it or below it)."""
    return (
        Case.objects.filter(unit__path__startswith=unit.path, state__in=OPEN_STATES)
        .select_related("site", "check_item", "finding", "finding__visit", "finding__judgement")
        .order_by("deadline", "pk")
    )


Rules = dict[int, list[tuple[int, scoring.ScoredJudgement]]]


def _rules(visit_ids: Iterable[int]) -> Rules:
    """visit id → its judgements (id, as scoring sees them)."""
    found: Rules = defaultdict(list)
    judgements = Judgement.objects.filter(visit_id__in=list(visit_ids)).select_related("check_item")
    for judgement in judgements:
        item = judgement.check_item
        rule = scoring.ItemRule(item.mode, item.deduct, item.cap)
        found[judgement.visit_id].append(
            (judgement.pk, scoring.ScoredJudgement(rule, judgement.result, judgement.count))
        )
    return found


def rescored_visits(cases: Iterable[Case], scene: Scene, rules: Rules | None = None) -> dict[int, Decimal]:
    """Visit id → its site score with the chosen cases' findings removed (visits of the period only);
    ``rules`` are the judgements already read (``_rules``) when the caller rescores case after case."""
    in_period = {visit.pk for visit in scene.visits}
    removed: dict[int, set[int]] = defaultdict(set)
    for case in cases:
        finding = case.finding
        if finding is not None and finding.visit_id in in_period:
            removed[finding.visit_id].add(finding.judgement_id)
    if rules is None:
        rules = _rules(removed)
    return {
        visit_id: scoring.site_score(j for pk, j in rules.get(visit_id, []) if pk not in dropped)
        for visit_id, dropped in removed.items()
    }


@dataclass
class CaseCost:
    case: Case
    deduction: Decimal  # the item's deduction in its visit's site score
    weight_share: Decimal | None  # the visit's weight / Σ weights of the unit's visits this month
    onsite_points: Decimal  # deduction × share: points of the unit's on-site mean
    rectification_gain: Decimal  # the rectification score's change if closed on time
    composite_gain: Decimal  # the composite's change if this case alone is closed on time
    counted: bool  # a case of this month (its indicators count)


@dataclass
class WhatIf:
    unit: Unit
    period: Period
    case_ids: list[int]
    before: Outcome
    after: Outcome

    @property
    def gain(self) -> Decimal | None:
        if self.before.composite is None or self.after.composite is None:
            return None
        return self.after.composite - self.before.composite


def _gain(after: Decimal | None, before: Decimal | None) -> Decimal:
    return (after or Decimal(0)) - (before or Decimal(0))


def case_costs(unit: Unit, *, scene: Scene | None = None) -> list[CaseCost]:
    """The unit's open cases, the most costly first."""
    scene = scene or scene_for(level_of_unit(unit))
    cases = list(open_cases(unit))
    mine = [v for v in scene.visits if v.target == unit.pk]
    total_weight = sum((v.weight for v in mine), Decimal(0))
    weight_of = {v.pk: v.weight for v in mine}
    rules = _rules({c.finding.visit_id for c in cases if c.finding is not None})
    base = scene.evaluate()[unit.pk]
    costs = []
    for case in cases:
        deduction = Decimal(0)
        share: Decimal | None = None
        finding = case.finding
        if finding is not None:
            judged = dict(rules.get(finding.visit_id, []))
            judgement = judged.get(finding.judgement_id)
            if judgement is not None:
                deduction = scoring.item_deduction(judgement.rule, judgement.result, judgement.count)
            if finding.visit_id in weight_of and total_weight:
                share = weight_of[finding.visit_id] / total_weight
        after = scene.evaluate(rescored_visits([case], scene, rules), [case.pk])[unit.pk]
        costs.append(
            CaseCost(
                case=case,
                deduction=deduction,
                weight_share=share,
                onsite_points=formulas.q_score(deduction * share) if share is not None else Decimal(0),
                rectification_gain=_gain(after.rectification, base.rectification),
                composite_gain=_gain(after.composite, base.composite),
                counted=case.pk in scene.cases,
            )
        )
    costs.sort(key=lambda c: (-c.composite_gain, -c.onsite_points, c.case.deadline is None, c.case.pk))
    return costs


def what_if(unit: Unit, case_ids: Iterable[int], *, scene: Scene | None = None) -> WhatIf:
    """Before and after closing the chosen open cases of the unit on time (other ids are ignored)."""
    scene = scene or scene_for(level_of_unit(unit))
    chosen = list(open_cases(unit).filter(pk__in=list(case_ids)))
    before = scene.evaluate()[unit.pk]
    after = scene.evaluate(rescored_visits(chosen, scene), [case.pk for case in chosen])[unit.pk]
    return WhatIf(unit, scene.period, sorted(case.pk for case in chosen), before, after)


def plan(unit: Unit, case_ids: Iterable[int]) -> tuple[WhatIf, list[CaseCost]]:
    """What the act page and its API show, over one load of the level: the what-if of the chosen cases and
    the cost of every open case. Raises ``NotRanked`` for a unit of a kind that is not ranked."""
    scene = scene_for(level_of_unit(unit))
    return what_if(unit, case_ids, scene=scene), case_costs(unit, scene=scene)
