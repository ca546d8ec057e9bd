"""Who hears of a case's change: the people who must now decide or act on it.

Runs after a transition has committed (``signals.case_changed``). Decisions (``NOTICES``) are told at once. A
dispatch (to the unit's people and group robots) and a reported fix (to the verifiers over the case) are told
as each receiving unit chose in its notice preferences (``notify.preferences``): at once by default, or in
the next morning's digest (a unit that receives hundreds of cases from one publication may prefer that).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chuangwen.accounts.models import Role, User
from chuangwen.cases import machine
from chuangwen.cases.models import Case, CaseEvent
from chuangwen.notify import preferences
from chuangwen.notify.models import NoticeKind
from chuangwen.notify.services import notify

# action → (role of the people told, whether they sit in the case's unit or in the units above it, subject)
NOTICES: dict[str, tuple[str, str, Promise]] = {
    "request_return": (Role.UNIT_HEAD, "unit", gettext_lazy("退回申请待您审批：%(code)s")),
    "request_extension": (Role.UNIT_HEAD, "unit", gettext_lazy("延期申请待审批：%(code)s")),
    "approve_return": (Role.COORDINATOR, "above", gettext_lazy("案卷被退回，待重新派遣：%(code)s")),
    "verify_fail": (Role.HANDLER, "unit", gettext_lazy("案卷核查不通过，请返工：%(code)s")),
    "reverify_fail": (Role.HANDLER, "unit", gettext_lazy("案卷抽查复核不通过，请返工：%(code)s")),
    "approve_extension": (Role.HANDLER, "unit", gettext_lazy("延期申请已批准：%(code)s")),
    "decline_extension": (Role.HANDLER, "unit", gettext_lazy("延期申请未获批准：%(code)s")),
}


def people_for(case: Case, role: str, where: str) -> QuerySet[User]:
    """Active people of ``role`` in the case's unit (``where="unit"``) or in it and every unit above it
    (``"above"``). Handlers' messages reach their unit head too. Notices and escalation both ask here."""
    assert case.unit is not None
    units = [case.unit.pk] if where == "unit" else case.unit.lineage_ids
    roles = [Role.HANDLER, Role.UNIT_HEAD] if role == Role.HANDLER else [role]
    return User.objects.filter(role__in=roles, unit_id__in=units, is_active=True).order_by("pk")


# Actions that send a case to a unit, and the one that reports a fix for the verifiers.
DISPATCH_ACTIONS = frozenset({"triage_accept", "redispatch", "reroute"})


def verifiers_for(case: Case) -> QuerySet[User]:
    """Active verifiers who see the case: those in a unit above (or at) its responsible or area unit."""
    units = set(case.unit.lineage_ids if case.unit is not None else [])
    if case.area_unit is not None:
        units.update(case.area_unit.lineage_ids)
    return User.objects.filter(role=Role.VERIFIER, unit_id__in=units, is_active=True).order_by("pk")


def announce_work(case: Case, event: CaseEvent, action: str) -> int:
    """A dispatch or a reported fix: tell whoever must now act, as each unit chose (at once or in the digest).
    Returns how many were told at once."""
    assert case.unit is not None
    link = reverse("cases:detail", args=[case.pk])
    key = f"case-event:{event.pk}"
    if action in DISPATCH_ACTIONS:
        people = people_for(case, Role.HANDLER, "unit")
        subject = _("新案卷派到本单位：%(code)s") % {"code": case.code}
        kind, robots = NoticeKind.CASE_DISPATCH, case.unit
    else:
        people = verifiers_for(case)
        subject = _("整改已完成，待核查：%(code)s") % {"code": case.code}
        kind, robots = NoticeKind.CASE_RECTIFIED, None
    if event.actor_id is not None:
        people = people.exclude(pk=event.actor_id)
    deadline = timezone.localtime(case.deadline).strftime("%Y-%m-%d %H:%M") if case.deadline else "—"
    body = _("%(title)s\n责任单位：%(unit)s\n整改期限：%(deadline)s") % {
        "title": case.title,
        "unit": case.unit.name,
        "deadline": deadline,
    }
    told, _held = preferences.send(
        people, robots_of=robots, kind=kind, subject=subject, body=body, link=link, key=key
    )
    return told


def announce(case: Case, event: CaseEvent, action: str) -> int:
    """Tell the people the action concerns (never the actor); returns how many were told at once."""
    notice = NOTICES.get(action)
    if notice is None and action not in DISPATCH_ACTIONS and action != "rectify":
        return 0
    case = Case.objects.select_related("unit", "area_unit").get(pk=case.pk)
    if case.unit is None:
        return 0
    if notice is None:
        return announce_work(case, event, action)
    role, where, subject = notice
    people = people_for(case, role, where)
    if event.actor_id is not None:
        people = people.exclude(pk=event.actor_id)
    body = _("%(title)s\n%(action)s：%(reason)s") % {
        "title": case.title,
        "action": machine.action_label(action),
        "reason": event.reason or "—",
    }
    sent = notify(
        people,
        subject=str(subject) % {"code": case.code},
        body=body,
        link=reverse("cases:detail", args=[case.pk]),
        kind=f"case.{action}",
        key=f"case-event:{event.pk}",
    )
    return len(sent)
