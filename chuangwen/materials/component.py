"""The 网上申报 component of the composite index: each ranked unit's completion and return rates, as they
stood at a ranking's ``as_of`` (docs/materials.md, "In the rankings").

- The cells counted are those of the latest 申报周期 of each office that existed at ``as_of`` (``Submission``
  rows), each assigned to the ranked unit at or above the cell's unit.
- Completion rate = cells with a material passed by the 网申组 at or before ``as_of`` / cells.
- Return rate = returns / submissions (submit and resubmit) at or before ``as_of``, from the history; none
  when nothing was submitted.
- Score = 100 × (w_completion × completion + w_return × (1 − return rate)) / (the weights used), with the
  weights of ``materials_weights`` in the standard's parameters. A unit without cells has no score, and the
  composite renormalises over the components it has.

Everything is read from timestamped history, so a published ranking's figures can be recomputed later.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Count

from chuangwen.materials.models import MaterialEvent, Period, Submission

HUNDRED = Decimal(100)


@dataclass
class MaterialsTally:
    cells: int = 0
    passed: int = 0
    submissions: int = 0
    returns: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "cells": self.cells,
            "passed": self.passed,
            "submissions": self.submissions,
            "returns": self.returns,
        }


def periods_at(as_of: datetime) -> list[int]:
    """The latest period of each office that had been opened by ``as_of``."""
    latest: dict[int, int] = {}
    rows = Period.objects.filter(created_at__lte=as_of).order_by("owner_unit_id", "-reference_date", "-pk")
    for pk, owner in rows.values_list("pk", "owner_unit_id"):
        latest.setdefault(owner, pk)
    return list(latest.values())


def tallies(level_of: Callable[[int | None], int | None], as_of: datetime) -> dict[int, MaterialsTally]:
    """Ranked unit id → its cells, passed cells, submissions and returns at ``as_of`` (grouped queries)."""
    periods = periods_at(as_of)
    out: dict[int, MaterialsTally] = defaultdict(MaterialsTally)
    if not periods:
        return {}
    cells = Submission.objects.filter(period_id__in=periods)
    for unit_id, n in cells.values_list("unit_id").annotate(n=Count("pk")).values_list("unit_id", "n"):
        target = level_of(unit_id)
        if target is not None:
            out[target].cells += n
    events = MaterialEvent.objects.filter(material__task__period_id__in=periods, at__lte=as_of)
    # order_by(): the model's default ordering would otherwise join the DISTINCT and count each pass.
    passed = (
        events.filter(action="pass")
        .order_by()
        .values_list("material__task_id", "material__unit_id")
        .distinct()
    )
    for _task_id, unit_id in passed:
        target = level_of(unit_id)
        if target is not None:
            out[target].passed += 1
    counted = (
        events.filter(action__in=("submit", "resubmit", "return"))
        .order_by()
        .values_list("material__unit_id", "action")
        .annotate(n=Count("pk"))
    )
    for unit_id, action, n in counted:
        target = level_of(unit_id)
        if target is None:
            continue
        if action == "return":
            out[target].returns += n
        else:
            out[target].submissions += n
    return dict(out)


def score(tally: MaterialsTally | None, weights: Mapping[str, Decimal]) -> Decimal | None:
    if tally is None or tally.cells == 0:
        return None
    parts = {"completion_rate": Decimal(tally.passed) / Decimal(tally.cells)}
    if tally.submissions:
        returned = min(Decimal(1), Decimal(tally.returns) / Decimal(tally.submissions))
        parts["return_rate"] = Decimal(1) - returned
    used = sum((weights.get(name, Decimal(0)) for name in parts), Decimal(0))
    if used == 0:
        return None
    total = sum((weights.get(name, Decimal(0)) * value for name, value in parts.items()), Decimal(0))
    return HUNDRED * total / used
