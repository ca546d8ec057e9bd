"""Who hears of a case's change at once: the people who must now decide or act on it.

Runs after a transition has committed (``signals.case_changed``). Everyday dispatches are not announced one by
one (a publication may dispatch hundreds): the unit sees them in its worklist and in the morning digest.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chuangwen.accounts.models import Role, User
from chuangwen.cases import machine
from chuangwen.cases.models import Case, CaseEvent
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


def announce(case: Case, event: CaseEvent, action: str) -> int:
    """Tell the people the action concerns (never the actor); returns how many were told."""
    notice = NOTICES.get(action)
    if notice is None:
        return 0
    case = Case.objects.select_related("unit").get(pk=case.pk)
    if case.unit is None:
        return 0
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
