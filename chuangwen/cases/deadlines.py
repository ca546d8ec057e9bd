"""A case's deadline and its traffic light, in one place (the calendar rules are in ``workdays.services``).

Every path that sets a deadline (dispatch, rework, an approved extension, an instruction case) stores it with
``deadline_fields``: the start of the allowed time and ``warn_at``, the moment 80 % of its working time is
used. The light is then a comparison of ``now`` with two stored moments, in Python (``light_of``) and in SQL
(``light_q``/``light_counts``) alike; overdue itself is never stored.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q

from chuangwen.cases.models import OPEN_STATES, Case, CaseState
from chuangwen.workdays.services import (
    GREEN,
    RED,
    YELLOW,
    deadline_for,
    invalidate,
    start_of_day,
    warn_point,
)

if TYPE_CHECKING:
    from chuangwen.cases.models import CaseQuerySet

# Lights are computed for the open cases that have a deadline; the others have none ("").
LIT_STATES = sorted(OPEN_STATES)
# Days for a rework when the case has no check item to take them from (hotline, instruction).
DEFAULT_REWORK_DAYS = 3


def deadline_fields(
    start: datetime, deadline: datetime, *, warn_at: datetime | None = None
) -> dict[str, Any]:
    """The stored fields of a deadline whose allowed time runs from ``start`` (``warn_at``: already computed
    by the caller outside its write transaction)."""
    warn = warn_at if warn_at is not None else warn_point(start, deadline)
    return {"deadline": deadline, "deadline_from": start, "warn_at": warn}


def rework_deadline(case: Case, now: datetime) -> datetime:
    """A new deadline for a case sent back to the unit: the item's days again, counted from now."""
    item = case.check_item
    if item is None:
        return deadline_for(now, DEFAULT_REWORK_DAYS, "general")
    return deadline_for(now, item.deadline_days, item.severity)


def light_of(case: Case, now: datetime) -> str:
    """The traffic light of one case now, or "" for a final case or one without a deadline.

    Suspended (挂账) cases are paused: never red, tracked to their planned date instead."""
    if case.deadline is None or case.state not in OPEN_STATES:
        return ""
    if case.state == CaseState.SUSPENDED:
        return GREEN
    if now > case.deadline:
        return RED
    warn_at = case.warn_at or warn_point(case.deadline_from or case.opened_at, case.deadline)
    return YELLOW if now >= warn_at else GREEN


def overdue_q(now: datetime) -> Q:
    """Overdue, in SQL: open, not suspended (挂账), past the deadline (the same rule as ``light_of``)."""
    return Q(state__in=LIT_STATES, deadline__lt=now) & ~Q(state=CaseState.SUSPENDED)


def light_q(light: str, now: datetime) -> Q:
    """The cases whose light is ``light`` now, in SQL."""
    lit = Q(state__in=LIT_STATES, deadline__isnull=False)
    running = lit & ~Q(state=CaseState.SUSPENDED) & Q(deadline__gte=now)
    yellow = running & Q(warn_at__lte=now)
    if light == RED:
        return overdue_q(now) & Q(deadline__isnull=False)
    if light == YELLOW:
        return yellow
    if light == GREEN:
        return lit & ~overdue_q(now) & ~yellow
    raise ValueError(light)


def light_counts(cases: CaseQuerySet, now: datetime) -> dict[str, int]:
    """Open cases by light now, in one SQL query."""
    counts = cases.order_by().aggregate(
        **{light: Count("pk", filter=light_q(light, now)) for light in (GREEN, YELLOW, RED)}
    )
    return {light: counts[light] or 0 for light in (GREEN, YELLOW, RED)}


def refresh_warnings(day: date) -> int:
    """After the calendar changed for ``day``: recompute ``warn_at`` of the open cases whose allowed time
    covers it (the deadlines themselves stay as given). Returns how many changed."""
    invalidate()
    begin = start_of_day(day)
    cases = Case.objects.filter(
        state__in=LIT_STATES,
        deadline__gte=begin,
        deadline_from__lt=begin + timedelta(days=1),
    ).only("pk", "deadline", "deadline_from", "warn_at")
    changed = 0
    for case in cases.iterator(chunk_size=2000):
        assert case.deadline is not None and case.deadline_from is not None
        warn_at = warn_point(case.deadline_from, case.deadline)
        if warn_at != case.warn_at:
            Case.objects.filter(pk=case.pk).update(warn_at=warn_at)
            changed += 1
    return changed
