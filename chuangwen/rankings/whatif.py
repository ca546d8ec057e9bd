"""Where to act: a unit's open cases ordered by the points they cost, and a what-if of closing a chosen set.

The period is the current month (what the next monthly ranking will be made of). The records of the whole
level are loaded once (``compute.Scene``, the same load that ``compute`` uses); the what-if then re-evaluates
the level in memory with the chosen cases **closed now**, exactly as the ranking will see them once closed for
real: closed at the scene's ``as_of``, on time or late as ``caserules.on_time`` says (an already overdue case
stays overdue), and counted in the month because it was closed in it.

On-site points are never given back: a published visit's score is what the inspector saw that day (the
national test scores it so too) and does not change when its case closes, so the what-if leaves every visit's
score alone. The item's deduction is shown beside each case for information only.

The level's mean and the ranks are recomputed too, so "after" is the composite the unit would have if the
ranking were computed now. With no case chosen the result is ``compute(...)``'s.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.cases.models import OPEN_STATES, Case
from chuangwen.org.models import Unit
from chuangwen.rankings.compute import LEVELS, Period, Scene, UnitScore


class NotRanked(ValueError):
    """The unit is of a kind that is not ranked (a grid, the district …), or is not active."""


# One unit's numbers in one evaluation of the level.
Outcome = UnitScore


def scene_for(level: str) -> Scene:
    """The current month's records of the level."""
    return Scene.load(Period.for_month(timezone.localdate()), level)


def level_of_unit(unit: Unit) -> str:
    if unit.kind not in LEVELS:
        raise NotRanked(_("该单位不参加排名（只对街道、社区和部门排名）"))
    return unit.kind


def _ranked_in(scene: Scene, unit: Unit) -> None:
    """A unit of a ranked kind is still ranked only while it is active (the scene holds the active units)."""
    if all(ranked.pk != unit.pk for ranked in scene.units):
        raise NotRanked(_("该单位已停用，不参加排名"))


def open_cases(unit: Unit, scene: Scene) -> Any:
    """The open cases the unit answers for in the scene's level (located in a street or community, routed to
    a department: ``caserules.case_owner``), whether they count yet or not."""
    return (
        Case.objects.filter(pk__in=scene.open_case_ids(unit.pk), state__in=OPEN_STATES)
        .select_related("site", "check_item", "finding")
        .order_by("deadline", "pk")
    )


def deduction_of(case: Case) -> Decimal:
    """The item's deduction in its visit's site score (information: closing the case does not return it)."""
    return case.finding.deduction if case.finding is not None else Decimal(0)


@dataclass
class CaseCost:
    case: Case
    deduction: Decimal  # the item's deduction in its visit's site score (not given back by closing)
    rectification_gain: Decimal  # the rectification score's change if closed now
    composite_gain: Decimal  # the composite's change if this case alone is closed now
    counted: bool  # the case already counts this month (due or closed in it)


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
    _ranked_in(scene, unit)
    base = scene.evaluate()
    counted = set(base[unit.pk].case_ids)
    costs = []
    for case in open_cases(unit, scene):
        after = scene.evaluate(closed=[case.pk])[unit.pk]
        costs.append(
            CaseCost(
                case=case,
                deduction=deduction_of(case),
                rectification_gain=_gain(after.rectification, base[unit.pk].rectification),
                composite_gain=_gain(after.composite, base[unit.pk].composite),
                counted=case.pk in counted,
            )
        )
    costs.sort(key=lambda c: (-c.composite_gain, -c.rectification_gain, c.case.deadline is None, c.case.pk))
    return costs


def what_if(unit: Unit, case_ids: Iterable[int], *, scene: Scene | None = None) -> WhatIf:
    """Before and after closing the chosen open cases of the unit now (other ids are ignored)."""
    scene = scene or scene_for(level_of_unit(unit))
    _ranked_in(scene, unit)
    wanted = set(case_ids)
    chosen = sorted(pk for pk in scene.open_case_ids(unit.pk) if pk in wanted)
    before = scene.evaluate()[unit.pk]
    after = scene.evaluate(closed=chosen)[unit.pk]
    return WhatIf(unit, scene.period, chosen, before, after)


def plan(unit: Unit, case_ids: Iterable[int]) -> tuple[WhatIf, list[CaseCost]]:
    """What the act page and its API show, over one load of the level: the what-if of the chosen cases and
    the cost of every open case. Raises ``NotRanked`` for a unit of a kind that is not ranked, or inactive."""
    scene = scene_for(level_of_unit(unit))
    return what_if(unit, case_ids, scene=scene), case_costs(unit, scene=scene)
