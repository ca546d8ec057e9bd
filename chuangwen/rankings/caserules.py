"""Which cases a ranking counts and how (issue 11 §5): the one on-time rule, the period rule, a case's owner.

``compute`` (the ranking), ``drilldown`` (its recount) and ``whatif`` (the prediction) all use these, so the
three never disagree on a case.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import F, Q
from django.db.models.functions import Coalesce

from chuangwen.cases.models import NOT_COUNTED_STATES, OPEN_STATES, Case, CaseState
from chuangwen.org.models import UnitKind
from chuangwen.rankings.config import INDICATORS

if TYPE_CHECKING:
    from chuangwen.rankings.compute import Period


def period_cases(period: Period) -> Any:
    """The cases a period may count: routed, not rejected, duplicate or cancelled, and due or closed in the
    period, or still open (a what-if may close one now). ``counts_in_period`` makes the final choice."""
    cases = Case.objects.filter(unit__isnull=False).exclude(state__in=NOT_COUNTED_STATES)
    due = Q(deadline__gte=period.start, deadline__lt=period.end)
    closed = Q(closed_at__gte=period.start, closed_at__lt=period.end)
    return cases.filter(due | closed | Q(state__in=list(OPEN_STATES)))


def case_owner(level: str) -> Any:
    """The unit a case counts for: a department answers for the cases routed to it; a street or community for
    the problems located in it, as the national test sees them (the site's area, else the case's area unit,
    else the unit it was routed to), so routing a problem to a department never lifts a street's rank."""
    if level == UnitKind.DEPARTMENT:
        return F("unit_id")
    return Coalesce(F("site__area_unit_id"), F("area_unit_id"), F("unit_id"))


def on_time(closed_at: datetime, deadline: datetime | None) -> bool:
    """A case closed at ``closed_at`` was closed on time when it had no deadline or closed by it (the one rule
    the ranking, the drill-down and the what-if share)."""
    return deadline is None or closed_at <= deadline


def closed_by(row: tuple[Any, ...], as_of: datetime) -> datetime | None:
    """When the case of ``row`` (``CASE_FIELDS``) was closed, if it was closed at ``as_of``."""
    state, closed_at = row[0], row[1]
    if state == CaseState.CLOSED and closed_at is not None and closed_at <= as_of:
        return closed_at  # type: ignore[no-any-return]
    return None


def counts_in_period(row: tuple[Any, ...], start: datetime, as_of: datetime) -> bool:
    """A case counts in a period when its deadline fell in it (up to ``as_of``) or it was closed in it; a case
    still inside its time does not count yet."""
    deadline = row[2]
    closed_at = closed_by(row, as_of)
    due = deadline is not None and start <= deadline <= as_of
    return due or (closed_at is not None and closed_at >= start)


def case_counts(rows: Iterable[tuple[Any, ...]], as_of: datetime) -> dict[str, int]:
    """The numerators of the indicators over (state, closed_at, deadline, rework, extension, recurrence)
    rows: closed (by ``as_of``), closed on time (``on_time``), reworked, overdue (closed late, or open and not
    suspended past the deadline at ``as_of``), extended, recurrences."""
    counts = dict.fromkeys(INDICATORS, 0)
    for row in rows:
        state, _closed_at, deadline, rework_count, extension_count, recurrence_of = row
        closed_at = closed_by(row, as_of)
        closed = closed_at is not None
        counts["disposal_rate"] += closed
        in_time = closed_at is not None and on_time(closed_at, deadline)
        counts["ontime_rate"] += in_time
        counts["rework_rate"] += rework_count > 0
        late_open = not closed and state != CaseState.SUSPENDED and deadline is not None and as_of > deadline
        counts["overdue_rate"] += (closed and not in_time) or late_open
        counts["extension_rate"] += extension_count > 0
        counts["recurrence_rate"] += recurrence_of is not None
    return counts


CASE_FIELDS = ("state", "closed_at", "deadline", "rework_count", "extension_count", "recurrence_of_id")


def case_row(case: Case) -> tuple[Any, ...]:
    """One case as the row ``case_counts`` reads (``CASE_FIELDS``)."""
    return tuple(getattr(case, name) for name in CASE_FIELDS)
