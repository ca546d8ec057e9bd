"""Who hears of materials: the person who must act next on a review step, and, each working morning, the units
whose tasks fall due soon (reminder) or are overdue (escalated to the unit head and the 文明办)."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.accounts.models import Role, User
from chuangwen.materials import machine
from chuangwen.materials.models import Material, MaterialEvent, PeriodState, Standing, Submission
from chuangwen.notify.services import notify


def unit_people(unit_id: int, roles: tuple[str, ...]) -> QuerySet[User]:
    return User.objects.filter(unit_id=unit_id, role__in=roles, is_active=True).order_by("pk")


def reviewers(material: Material) -> QuerySet[User]:
    """The 网申组: coordinators of the office that runs the period (and of the offices above it)."""
    owner = material.task.period.owner_unit
    return User.objects.filter(role=Role.COORDINATOR, unit_id__in=owner.lineage_ids, is_active=True)


def announce(material: Material, event: MaterialEvent) -> int:
    """Tell whoever must act after ``event`` (never the actor); returns how many were told."""
    action = event.action
    if action in ("submit", "resubmit"):
        people = unit_people(material.unit_id, (Role.UNIT_HEAD,))
        subject = _("申报材料待单位审核：%(code)s %(title)s")
    elif action == "approve":
        people = reviewers(material)
        subject = _("申报材料待网申组审核：%(code)s %(title)s")
    elif action == "return":
        people = unit_people(material.unit_id, (Role.HANDLER, Role.UNIT_HEAD))
        subject = _("申报材料被退回，请修改：%(code)s %(title)s")
    elif action == "pass":
        people = unit_people(material.unit_id, (Role.HANDLER, Role.UNIT_HEAD))
        subject = _("申报材料审核通过：%(code)s %(title)s")
    else:
        return 0
    if event.actor_id is not None:
        people = people.exclude(pk=event.actor_id)
    body = _("%(action)s：%(comment)s") % {
        "action": machine.action_label(action),
        "comment": event.comment or "—",
    }
    if material.due_date and action == "return":
        body += "\n" + _("请于 %(due)s 前重新提交") % {"due": material.due_date}
    sent = notify(
        people,
        subject=subject % {"code": material.task.indicator.code, "title": material.title[:60]},
        body=body,
        link=reverse("materials:material", args=[material.pk]),
        kind=f"materials.{action}",
        key=f"material-event:{event.pk}",
    )
    return len(sent)


def remind(today: date | None = None) -> dict[str, int]:
    """The morning's reminders and escalations for open periods; each (cell, day) is told at most once."""
    from chuangwen.workdays.services import count_workdays, is_workday

    today = today or timezone.localdate()
    if not is_workday(today):
        return {"reminded": 0, "escalated": 0}
    open_cells = (
        Submission.objects.filter(period__state=PeriodState.OPEN)
        .exclude(standing=Standing.PASSED)
        .select_related("task__indicator", "unit", "period__owner_unit")
    )
    told = {"reminded": 0, "escalated": 0}
    for cell in open_cells.iterator(chunk_size=500):
        link = reverse("materials:task", args=[cell.task_id])
        code = cell.task.indicator.code
        if cell.due_date < today:
            people = [*unit_people(cell.unit_id, (Role.UNIT_HEAD,)), *reviewers_of(cell)]
            subject = _("申报任务已超期：%(code)s（%(unit)s，时限 %(due)s）")
            kind = "materials.overdue"
        elif count_workdays(today, cell.due_date) <= settings.MATERIALS_REMIND_WORKDAYS:
            people = list(unit_people(cell.unit_id, (Role.HANDLER, Role.UNIT_HEAD)))
            subject = _("申报任务即将到期：%(code)s（%(unit)s，时限 %(due)s）")
            kind = "materials.due_soon"
        else:
            continue
        people = list(people)
        text = subject % {"code": code, "unit": cell.unit.name, "due": cell.due_date}
        body = _("当前进度：%(standing)s") % {"standing": Standing(cell.standing).label}
        sent = notify(people, subject=text, body=body, link=link, kind=kind, key=f"{kind}:{cell.pk}:{today}")
        if sent:
            told["escalated" if kind == "materials.overdue" else "reminded"] += 1
    return told


def reviewers_of(cell: Submission) -> QuerySet[User]:
    owner_lineage = cell.period.owner_unit.lineage_ids
    return User.objects.filter(role=Role.COORDINATOR, unit_id__in=owner_lineage, is_active=True)
