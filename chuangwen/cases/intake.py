"""Intake: a published round's not-conforming findings become cases, routed and dispatched.

``open_cases_for_round`` runs on ``rounds.services.round_published`` (see ``signals.py``, after the
publication has committed) and from ``chuangwen cases intake ROUND``. For every ready finding without a case,
in one transaction per finding:

1. ``services.open_case_from_finding`` opens the case (actor: the system, shown as no one);
2. ``routing.route`` picks the unit;
3. ``services.apply(case, "triage_accept", …)`` dispatches it as the coordinator who published the round
   (or the ``actor`` given), with the deadline ``workdays.deadline_for(published_at, item.deadline_days,
   item.severity)`` passed to ``apply`` (the ``route`` effect stores it on ``Case.deadline``).

When the dispatch is refused (no coordinator, or the routed unit lies outside the coordinator's scope) the
case stays ``new`` for a coordinator to triage by hand; the refusal is logged. Running it again opens nothing
new: findings that already have a case are skipped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from chuangwen.accounts.models import Role
from chuangwen.cases import routing, services
from chuangwen.cases.exceptions import CaseNotFound, TransitionRefused
from chuangwen.cases.models import Case
from chuangwen.rounds.models import Finding, FindingStatus, RoundStatus
from chuangwen.workdays.services import deadline_for

if TYPE_CHECKING:
    from chuangwen.accounts.models import User
    from chuangwen.rounds.models import Round

logger = logging.getLogger(__name__)


@dataclass
class IntakeResult:
    opened: list[Case] = field(default_factory=list)
    dispatched: int = 0
    left_new: int = 0


def _dispatcher(round_: Round, actor: User | None) -> User | None:
    """The coordinator the dispatch is made as: the given actor, else whoever published the round."""
    user = actor or round_.published_by
    if user is None or user.role != Role.COORDINATOR:
        return None
    return user


def _ready_findings(round_: Round) -> list[Finding]:
    return list(
        Finding.objects.filter(round=round_, status=FindingStatus.READY, case__isnull=True)
        .select_related("site__area_unit", "site__responsible_unit", "check_item")
        .order_by("site__code", "check_item__code", "pk")
    )


def _dispatch(case: Case, finding: Finding, round_: Round, coordinator: User) -> bool:
    """Route and dispatch a new case; False (the case stays new) when the machine refuses."""
    decision = routing.route(finding.site, finding.check_item)
    assert round_.published_at is not None
    item = finding.check_item
    deadline = deadline_for(round_.published_at, item.deadline_days, item.severity)
    data = {"routing": decision.explanation, "rule_id": decision.rule.pk if decision.rule else None}
    try:
        services.apply(case, "triage_accept", coordinator, unit=decision.unit, deadline=deadline, data=data)
    except (TransitionRefused, ValidationError, CaseNotFound) as exc:
        logger.warning("case %s left for manual triage: %s", case.code, exc)
        return False
    return True


def open_cases_for_round(round_: Round, actor: User | None = None) -> IntakeResult:
    """Open, route and dispatch a case for every ready finding of a published round that has none."""
    result = IntakeResult()
    if round_.status != RoundStatus.PUBLISHED:
        return result
    coordinator = _dispatcher(round_, actor)
    for finding in _ready_findings(round_):
        try:
            with transaction.atomic():
                case = services.open_case_from_finding(finding, None)
                dispatched = coordinator is not None and _dispatch(case, finding, round_, coordinator)
        except IntegrityError:  # another intake opened this finding's case at the same moment
            continue
        result.opened.append(case)
        if dispatched:
            result.dispatched += 1
        else:
            result.left_new += 1
    return result
