"""Deadline sweeps on the task queue: escalation as a case runs out of time, and the daily digest per unit.

Escalation follows one ladder per deadline (a new deadline after rework or an extension starts it again):

1. the unit's head, and the unit's group robots, once 80 % of the working time is used (``warn_at``);
2. the coordinators over the unit once the deadline has passed;
3. the leaders over the unit once ``CASES_LEADER_AFTER_WORKDAYS`` working days have passed after it.

Each step is written as an ``Escalation`` row (unique per case, level and deadline) in the same transaction
as its notifications, so a sweep that runs twice, or two workers at once, tell nobody twice. Suspended
(挂账) cases are paused and never escalated. ``now`` is a parameter so the tests can stop the clock.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.accounts.models import Role, User
from chuangwen.cases.deadlines import LIT_STATES, light_counts, overdue_q
from chuangwen.cases.models import Case, CaseState, Escalation, EscalationLevel
from chuangwen.cases.notices import people_for
from chuangwen.notify.preferences import flush_deferred
from chuangwen.notify.services import notify, notify_unit
from chuangwen.org.models import Unit
from chuangwen.workdays.services import add_workdays

if TYPE_CHECKING:
    from collections.abc import Iterable

logger = logging.getLogger(__name__)

ROLE_OF_LEVEL = {
    EscalationLevel.UNIT_HEAD: Role.UNIT_HEAD,
    EscalationLevel.COORDINATOR: Role.COORDINATOR,
    EscalationLevel.LEADER: Role.LEADER,
}
DIGEST_OVERDUE_LINES = 10


@dataclass
class SweepResult:
    escalated: Counter[str] = field(default_factory=Counter)

    def __str__(self) -> str:
        return "、".join(f"{EscalationLevel(level).label} {n}" for level, n in sorted(self.escalated.items()))


def _running(now: datetime) -> QuerySet[Case]:
    """Open cases with a deadline that are not paused, routed to a unit."""
    return Case.objects.filter(state__in=LIT_STATES, deadline__isnull=False, unit__isnull=False).exclude(
        state=CaseState.SUSPENDED
    )


def _not_yet(level: str) -> Q:
    sent = Escalation.objects.filter(case=OuterRef("pk"), level=level, deadline=OuterRef("deadline"))
    return ~Q(Exists(sent))


def due_escalations(now: datetime) -> list[tuple[Case, str]]:
    """(case, level) for every step of the ladder that is due now and has not been taken for this deadline."""
    running = _running(now).select_related("unit")
    due: list[tuple[Case, str]] = []
    for case in running.filter(_not_yet(EscalationLevel.UNIT_HEAD), warn_at__lte=now):
        due.append((case, EscalationLevel.UNIT_HEAD))
    overdue = running.filter(overdue_q(now))
    for case in overdue.filter(_not_yet(EscalationLevel.COORDINATOR)):
        due.append((case, EscalationLevel.COORDINATOR))
    days = int(settings.CASES_LEADER_AFTER_WORKDAYS)
    for case in overdue.filter(_not_yet(EscalationLevel.LEADER)):
        assert case.deadline is not None
        if now > add_workdays(case.deadline, days):
            due.append((case, EscalationLevel.LEADER))
    return due


def recipients(case: Case, level: str) -> QuerySet[User]:
    """The people of the level's role in the case's unit (heads) or in the offices over it."""
    where = "unit" if level == EscalationLevel.UNIT_HEAD else "above"
    return people_for(case, ROLE_OF_LEVEL[EscalationLevel(level)], where)


def _message(case: Case, level: str, now: datetime) -> tuple[str, str]:
    assert case.deadline is not None and case.unit is not None
    deadline = timezone.localtime(case.deadline).strftime("%Y-%m-%d %H:%M")
    subjects = {
        EscalationLevel.UNIT_HEAD: _("案卷临期：%(code)s"),
        EscalationLevel.COORDINATOR: _("案卷超期：%(code)s"),
        EscalationLevel.LEADER: _("案卷超期未办结，请督办：%(code)s"),
    }
    body = _("%(title)s\n责任单位：%(unit)s\n整改期限：%(deadline)s\n状态：%(state)s") % {
        "title": case.title,
        "unit": case.unit.name,
        "deadline": deadline,
        "state": case.get_state_display(),
    }
    return subjects[EscalationLevel(level)] % {"code": case.code}, body


def escalate_one(case: Case, level: str, now: datetime) -> bool:
    """Take one step of the ladder: the record and its notifications together, or nothing (False when
    another sweep took it first)."""
    assert case.deadline is not None and case.unit is not None
    subject, body = _message(case, level, now)
    link = reverse("cases:detail", args=[case.pk])
    key = f"case-escalation:{case.pk}:{level}:{case.deadline.isoformat()}"
    try:
        with transaction.atomic():
            Escalation.objects.create(case=case, level=level, deadline=case.deadline, at=now)
            people = list(recipients(case, level))
            notify(people, subject=subject, body=body, link=link, kind=f"case.escalation.{level}", key=key)
            if level == EscalationLevel.UNIT_HEAD:
                notify_unit(case.unit, subject=subject, body=body, link=link, kind="case.escalation", key=key)
    except IntegrityError:
        return False
    if not people:
        logger.warning("case %s: nobody to tell at level %s", case.code, level)
    return True


def sweep(now: datetime | None = None) -> SweepResult:
    """Every due escalation, once."""
    now = now or timezone.now()
    result = SweepResult()
    for case, level in due_escalations(now):
        if escalate_one(case, level, now):
            result.escalated[level] += 1
    return result


# --- the daily digest ---------------------------------------------------------------------------------------


def _digest_units(cases: QuerySet[Case]) -> QuerySet[Unit]:
    return Unit.objects.filter(pk__in=cases.values("unit_id")).order_by("path")


def digest_text(unit: Unit, now: datetime) -> str:
    """Open cases of the unit (its subtree) by light, and the overdue ones by name."""
    cases = Case.objects.filter(unit__path__startswith=unit.path, state__in=LIT_STATES)
    lights = light_counts(cases, now)
    lines = [
        _("在办案卷 %(n)d 件：绿灯 %(green)d，黄灯 %(yellow)d，红灯（超期）%(red)d")
        % {"n": cases.count(), **lights}
    ]
    overdue = cases.filter(overdue_q(now)).order_by("deadline", "pk")
    for case in overdue[:DIGEST_OVERDUE_LINES]:
        assert case.deadline is not None
        lines.append(
            _("超期：%(code)s %(title)s（期限 %(deadline)s）")
            % {
                "code": case.code,
                "title": case.title[:40],
                "deadline": timezone.localtime(case.deadline).strftime("%m-%d"),
            }
        )
    more = overdue.count() - DIGEST_OVERDUE_LINES
    if more > 0:
        lines.append(_("另有 %(n)d 件超期案卷") % {"n": more})
    return "\n".join(lines)


def unit_people(unit: Unit) -> Iterable[User]:
    return User.objects.filter(unit=unit, role__in=[Role.UNIT_HEAD, Role.HANDLER], is_active=True).order_by(
        "pk"
    )


def daily_digest(now: datetime | None = None) -> int:
    """One digest per unit that has open cases routed to it: to its heads and handlers and its group
    robots. Keyed by unit and day, so a second run the same day sends nothing. Then the notices the units
    chose to hear in the digest (``notify.preferences``), one summary per person. Returns the units told."""
    now = now or timezone.now()
    day: date = timezone.localtime(now).date()
    told = 0
    open_cases = Case.objects.filter(state__in=LIT_STATES, unit__isnull=False)
    for unit in _digest_units(open_cases):
        subject = _("%(unit)s 案卷日报 %(day)s") % {"unit": unit.name, "day": day.isoformat()}
        body = digest_text(unit, now)
        key = f"case-digest:{unit.pk}:{day.isoformat()}"
        link = reverse("cases:list") + f"?unit={unit.pk}"
        with transaction.atomic():
            sent = notify(
                unit_people(unit), subject=subject, body=body, link=link, kind="case.digest", key=key
            )
            deliveries = notify_unit(unit, subject=subject, body=body, link=link, kind="case.digest", key=key)
        told += bool(sent or deliveries)
    flush_deferred(now)
    return told
