"""The 网上申报 figures: per-unit counts of the board's cells, the indicators × units matrix, each unit's
rates, and a leader's summary. All are grouped counts over ``Submission`` (one row per unit and task, 45 000
at city scale): no material is loaded here, so the pages, the API and the benchmark share these functions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from chuangwen.materials.models import Material, MaterialState, Period, Standing, Submission, Task

if TYPE_CHECKING:
    from chuangwen.accounts.models import User
    from chuangwen.org.models import Unit

STANDINGS: tuple[Standing, ...] = tuple(Standing)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole > 0 else None


def percent(value: float | None) -> str:
    """A share as "87.5%", or an em dash when there is nothing to divide."""
    return "—" if value is None else f"{100 * value:.1f}%"


def bar_step(value: float | None) -> int:
    """A share in steps of 5 for the CSS bars (no inline style under the CSP); a sliver stays visible."""
    if not value:
        return 0
    return max(5, min(100, round(value * 20) * 5))


def _overdue_q(today: date) -> Q:
    return Q(due_date__lt=today) & ~Q(standing=Standing.PASSED)


def _counts() -> dict[str, Any]:
    """The aggregates every grouping below asks for: cells, one count per standing, the two tallies."""
    return {
        "cells": Count("pk"),
        **{f"n_{s.value}": Count("pk", filter=Q(standing=s)) for s in STANDINGS},
        "submitted": Sum("submitted_times"),
        "returned": Sum("returned_times"),
    }


@dataclass(frozen=True)
class Tally:
    """Counts of a set of cells: how many, by standing, overdue, and the submission/return tallies."""

    cells: int = 0
    standings: dict[str, int] = field(default_factory=dict)
    overdue: int = 0
    submitted_times: int = 0
    returned_times: int = 0

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Tally:
        return cls(
            cells=row["cells"],
            standings={s.value: row[f"n_{s.value}"] for s in STANDINGS},
            overdue=row.get("overdue", 0),
            submitted_times=row["submitted"] or 0,
            returned_times=row["returned"] or 0,
        )

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            cells=self.cells + other.cells,
            standings={s.value: self.count(s) + other.count(s) for s in STANDINGS},
            overdue=self.overdue + other.overdue,
            submitted_times=self.submitted_times + other.submitted_times,
            returned_times=self.returned_times + other.returned_times,
        )

    def count(self, standing: Standing) -> int:
        return self.standings.get(standing.value, 0)

    @property
    def passed(self) -> int:
        return self.count(Standing.PASSED)

    @property
    def completion(self) -> float | None:
        """Passed cells over all cells."""
        return _ratio(self.passed, self.cells)

    @property
    def return_rate(self) -> float | None:
        """Returns over submissions (a cell submitted twice and returned once: 50 %)."""
        return _ratio(self.returned_times, self.submitted_times)

    @property
    def completion_text(self) -> str:
        return percent(self.completion)

    @property
    def return_rate_text(self) -> str:
        return percent(self.return_rate)

    @property
    def completion_step(self) -> int:
        return bar_step(self.completion)

    @property
    def awaiting(self) -> int:
        return self.count(Standing.AWAITING)

    @property
    def returned(self) -> int:
        return self.count(Standing.RETURNED)

    def by_standing(self) -> list[tuple[Standing, int]]:
        return [(s, self.count(s)) for s in STANDINGS]


@dataclass(frozen=True)
class UnitRow:
    unit_id: int
    code: str
    name: str
    tally: Tally


def period_cells(period: Period, user: User) -> QuerySet[Submission]:
    """The period's cells the user may see (the one scoping of every figure here)."""
    return Submission.objects.visible_to(user).filter(period=period).order_by()


def board_rows(period: Period, user: User, *, today: date | None = None) -> list[UnitRow]:
    """Per unit of the cells the user sees: counts of each standing, overdue, completion and return rate; the
    most complete first (then by unit code)."""
    today = today or timezone.localdate()
    rows = (
        period_cells(period, user)
        .values("unit_id", "unit__code", "unit__name")
        .annotate(**_counts(), overdue=Count("pk", filter=_overdue_q(today)))
    )
    found = [UnitRow(r["unit_id"], r["unit__code"], r["unit__name"], Tally.from_row(r)) for r in rows]
    return sorted(found, key=lambda row: (-(row.tally.completion or 0.0), row.code))


def unit_rates(period: Period, units: Sequence[Unit], *, today: date | None = None) -> dict[int, Tally]:
    """Each given unit's figures over its own cells and those of the units below it (a street with its
    communities), from one grouped query; the caller has scoped ``units``."""
    today = today or timezone.localdate()
    paths = sorted(((u.path, u.pk) for u in units), key=lambda pair: -len(pair[0]))
    result = {u.pk: Tally() for u in units}
    if not units:
        return result
    inside = Q()
    for path, _pk in paths:
        inside |= Q(unit__path__startswith=path)
    rows = (
        Submission.objects.filter(period=period)
        .filter(inside)
        .order_by()
        .values("unit__path")
        .annotate(**_counts(), overdue=Count("pk", filter=_overdue_q(today)))
    )
    for row in rows:
        tally = Tally.from_row(row)
        for path, pk in paths:  # every given unit whose subtree holds the row's unit
            if row["unit__path"].startswith(path):
                result[pk] = result[pk] + tally
    return result


# --- the matrix ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MatrixCell:
    standing: Standing
    due_date: date
    overdue: bool


@dataclass(frozen=True)
class MatrixRow:
    task_id: int
    code: str
    text: str
    cells: list[MatrixCell | None]


def board_matrix(
    period: Period, user: User, units: Sequence[Unit], *, today: date | None = None
) -> list[MatrixRow]:
    """Indicators × ``units``: each unit's own cell of each task (None where the task does not name the unit);
    only the tasks that name at least one of the units."""
    today = today or timezone.localdate()
    column = {u.pk: i for i, u in enumerate(units)}
    found: dict[int, list[MatrixCell | None]] = {}
    cells = period_cells(period, user).filter(unit_id__in=list(column))
    for task_id, unit_id, standing, due in cells.values_list("task_id", "unit_id", "standing", "due_date"):
        row = found.setdefault(task_id, [None] * len(units))
        overdue = due < today and standing != Standing.PASSED
        row[column[unit_id]] = MatrixCell(Standing(standing), due, overdue)
    tasks = Task.objects.filter(pk__in=list(found)).order_by("indicator__code")
    return [
        MatrixRow(pk, code, text, found[pk])
        for pk, code, text in tasks.values_list("pk", "indicator__code", "indicator__text")
    ]


# --- periods and the summary --------------------------------------------------------------------------------


def period_figures(periods: Iterable[Period], user: User, *, today: date | None = None) -> dict[int, Tally]:
    """One tally per period over the cells the user sees (the index's list of periods)."""
    today = today or timezone.localdate()
    ids = [p.pk for p in periods]
    result = {pk: Tally() for pk in ids}
    rows = (
        Submission.objects.visible_to(user)
        .filter(period_id__in=ids)
        .order_by()
        .values("period_id")
        .annotate(**_counts(), overdue=Count("pk", filter=_overdue_q(today)))
    )
    for row in rows:
        result[row["period_id"]] = Tally.from_row(row)
    return result


@dataclass(frozen=True)
class ProjectBar:
    code: str
    name: str
    tally: Tally


@dataclass(frozen=True)
class Summary:
    overall: Tally
    without_passed: int
    without_passed_top: list[dict[str, Any]]
    weakest: list[UnitRow]
    strongest: list[UnitRow]
    projects: list[ProjectBar]


def _project_bars(period: Period, user: User, today: date) -> list[ProjectBar]:
    project = "task__indicator__content__project__"
    rows = (
        period_cells(period, user)
        .values(code=F(f"{project}code"), name=F(f"{project}name"), order=F(f"{project}sort_order"))
        .annotate(**_counts(), overdue=Count("pk", filter=_overdue_q(today)))
    )
    ordered = sorted(rows, key=lambda r: (r["order"], r["code"]))
    return [ProjectBar(r["code"], r["name"], Tally.from_row(r)) for r in ordered]


def summary(
    period: Period, user: User, *, today: date | None = None, top: int = 10, extremes: int = 5
) -> Summary:
    """A leader's one screen: overall figures, the indicators without any passed material, the weakest and
    strongest units by completion, completion per 测评项目."""
    today = today or timezone.localdate()
    units = board_rows(period, user, today=today)
    overall = sum((row.tally for row in units), Tally())
    passed_tasks = Material.objects.filter(task__period=period, state=MaterialState.PASSED).values("task_id")
    lacking = (
        Task.objects.visible_to(user)
        .filter(period=period)
        .exclude(pk__in=passed_tasks)
        .order_by("due_date", "indicator__code")
    )
    fields = ("pk", "indicator__code", "indicator__text", "lead_unit__name", "due_date")
    top_rows: list[dict[str, Any]] = [dict(row) for row in lacking.values(*fields)[:top]]
    by_completion = sorted(units, key=lambda row: (row.tally.completion or 0.0, row.code))
    return Summary(
        overall=overall,
        without_passed=lacking.count(),
        without_passed_top=top_rows,
        weakest=by_completion[:extremes],
        strongest=list(reversed(by_completion[-extremes:])) if by_completion else [],
        projects=_project_bars(period, user, today),
    )


def tally_of(cells: QuerySet[Submission], today: date) -> Tally:
    """The tally of any set of cells in one aggregate query."""
    row = cells.order_by().aggregate(**_counts(), overdue=Count("pk", filter=_overdue_q(today)))
    return Tally.from_row(row)
