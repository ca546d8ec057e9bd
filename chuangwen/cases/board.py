"""The coordinator's dispatch board: what awaits triage, the open cases per unit, the pending requests.

Everything starts from ``Case.objects.visible_to``; the lights come from ``forms.light_counts`` (SQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Q

from chuangwen.cases.forms import light_counts
from chuangwen.cases.models import OPEN_STATES, Case, CaseEvent, CaseState
from chuangwen.cases.routing import RouteDecision, route
from chuangwen.org.models import Unit
from chuangwen.workdays.services import GREEN, RED, YELLOW

if TYPE_CHECKING:
    from chuangwen.accounts.models import User

# Who may open the board and the disputes (leaders read only); only coordinators dispatch.
# The board lists at most this many cases awaiting triage; the worklist has the rest.
TRIAGE_LIMIT = 200
TRIAGE_STATES = (CaseState.NEW, CaseState.RETURNED)
# Which action of the table sends a case of each state to a unit.
DISPATCH_ACTION = {CaseState.NEW: "triage_accept", CaseState.RETURNED: "redispatch"}


@dataclass(frozen=True)
class TriageRow:
    case: Case
    action: str
    suggestion: RouteDecision | None
    # The suggested unit may be taken in one click (active and inside the viewer's scope).
    suggestion_usable: bool
    return_reason: str


@dataclass(frozen=True)
class UnitLights:
    unit: Unit
    green: int
    yellow: int
    red: int

    @property
    def total(self) -> int:
        return self.green + self.yellow + self.red


@dataclass(frozen=True)
class PendingRequest:
    case: Case
    return_reason: str


def last_return_reasons(case_ids: list[int]) -> dict[int, str]:
    """The reason of each case's latest return request (申请退回)."""
    rows = (
        CaseEvent.objects.filter(case_id__in=case_ids, action="request_return")
        .order_by("case_id", "at", "id")
        .values_list("case_id", "reason")
    )
    return dict(rows)  # later rows overwrite earlier ones: the last request wins


def triage_rows(user: User) -> tuple[list[TriageRow], int]:
    """Cases awaiting the coordinator (new, returned), oldest first, with the routing suggestion."""
    cases = (
        Case.objects.visible_to(user)
        .filter(state__in=TRIAGE_STATES)
        .select_related("site__area_unit", "site__responsible_unit", "check_item", "unit", "area_unit")
        .order_by("opened_at", "id")
    )
    total = cases.count()
    shown = list(cases[:TRIAGE_LIMIT])
    reasons = last_return_reasons([case.pk for case in shown if case.state == CaseState.RETURNED])
    usable_ids = set(Unit.objects.visible_to(user).filter(active=True).values_list("pk", flat=True))
    rows = []
    for case in shown:
        suggestion = None
        if case.site is not None and case.check_item is not None:
            suggestion = route(case.site, case.check_item)
        rows.append(
            TriageRow(
                case=case,
                action=DISPATCH_ACTION[CaseState(case.state)],
                suggestion=suggestion,
                suggestion_usable=suggestion is not None and suggestion.unit.pk in usable_ids,
                return_reason=reasons.get(case.pk, ""),
            )
        )
    return rows, total


def unit_lights(user: User, now: datetime) -> list[UnitLights]:
    """Per responsible unit of the viewer's open cases: green/yellow/red counts of the unit and the units
    below it (the same cases as the worklist filtered by that unit), most red first."""
    open_cases = Case.objects.visible_to(user).filter(state__in=OPEN_STATES, unit__isnull=False)
    unit_ids = set(open_cases.order_by().values_list("unit_id", flat=True).distinct())
    rows = []
    for unit in Unit.objects.filter(pk__in=unit_ids).order_by("path"):
        counts = light_counts(open_cases.filter(unit__path__startswith=unit.path), now)
        rows.append(UnitLights(unit, counts[GREEN], counts[YELLOW], counts[RED]))
    rows.sort(key=lambda row: (-row.red, -row.yellow, row.unit.path))
    return rows


def pending_requests(user: User) -> list[PendingRequest]:
    """Open cases with a return request or an extension request awaiting the unit head."""
    cases = list(
        Case.objects.visible_to(user)
        .filter(state__in=OPEN_STATES)
        .filter(Q(return_requested=True) | Q(extension_requested_until__isnull=False))
        .select_related("unit")
        .order_by("opened_at", "id")[:TRIAGE_LIMIT]
    )
    reasons = last_return_reasons([case.pk for case in cases if case.return_requested])
    return [PendingRequest(case, reasons.get(case.pk, "")) for case in cases]
