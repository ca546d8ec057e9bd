"""任务分解: the rule for who answers for an online indicator in a period, and by when.

One task per (period, indicator): a lead unit (牵头单位), up to ``MAX_SUPPORTING_UNITS`` supporting
units (配合单位) and a due date (完成时限) on a working day of the official calendar. ``assign_task`` writes
one task; the 任务分解表 import (``tasksheet``) checks its rows with the same ``assignment_problems`` and
writes them with ``apply_assignment``, so a sheet and a form never disagree on what a valid assignment is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.accounts.models import Role
from chuangwen.audit.services import record
from chuangwen.materials.cells import sync_submissions
from chuangwen.materials.models import Period, PeriodState, Task
from chuangwen.standards.models import Indicator, Method
from chuangwen.workdays.services import is_workday, next_workday

if TYPE_CHECKING:
    from chuangwen.accounts.models import User
    from chuangwen.org.models import Unit

__all__ = [
    "MAX_SUPPORTING_UNITS",
    "TaskSplitError",
    "apply_assignment",
    "assign_task",
    "assignment_problems",
    "may_split_tasks",
    "online_indicators",
    "period_problems",
    "snapshot",
    "unassigned_indicators",
]

MAX_SUPPORTING_UNITS = 20
NOTE_MAX = 300
# How far back the hint looks for a working day before the reference date (the longest holiday is 9 days).
_HINT_BACK_DAYS = 31

Problem = tuple[str, str]  # (field name of Task, reason in Chinese)


class TaskSplitError(Exception):
    """An assignment the rule refuses; ``problems`` names each field with the reason."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        super().__init__("；".join(reason for _field, reason in self.problems))

    @property
    def fields(self) -> set[str]:
        return {name for name, _reason in self.problems}


# --- who may split, which indicators ------------------------------------------------------------------


def may_split_tasks(user: User, period: Period) -> bool:
    """The 文明办 that runs the period (a coordinator whose unit holds the period's office) or a superuser."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if user.role != Role.COORDINATOR or user.unit is None:
        return False
    return bool(period.owner_unit.path.startswith(user.unit.path))


def _tree_indicators(period: Period) -> models.QuerySet[Indicator]:
    return Indicator.objects.filter(content__project__standard_id=period.standard_id).order_by(
        "content__project__sort_order",
        "content__project__code",
        "content__sort_order",
        "content__code",
        "sort_order",
        "code",
    )


def online_indicators(period: Period) -> models.QuerySet[Indicator]:
    """The indicators of the period's tree tested by 网上申报, in the tree's order."""
    # methods is a JSON list and SQLite has no JSON "contains": filter in Python (a tree has a few hundred).
    pairs = _tree_indicators(period).values_list("pk", "methods")
    ids = [pk for pk, methods in pairs if Method.ONLINE in (methods or [])]
    return _tree_indicators(period).filter(pk__in=ids)


def unassigned_indicators(period: Period) -> models.QuerySet[Indicator]:
    """Online indicators of the tree that have no task in the period yet."""
    return online_indicators(period).exclude(tasks__period=period)


# --- the rule -----------------------------------------------------------------------------------------


def period_problems(period: Period) -> list[Problem]:
    if period.state != PeriodState.OPEN:
        return [("period", _("申报周期“%(name)s”已归档，不能再分解任务") % {"name": period.name})]
    return []


def _indicator_problems(period: Period, indicator: Indicator) -> list[Problem]:
    # The sheet loads its indicators with content__project, so this costs it no query.
    if indicator.content.project.standard_id != period.standard_id:
        reason = _("测评标准 %(code)s 不属于本申报周期的测评体系") % {"code": indicator.code}
        return [("indicator", reason)]
    if Method.ONLINE not in (indicator.methods or []):
        reason = _("测评标准 %(code)s 不采用网上申报，无需分解申报任务") % {"code": indicator.code}
        return [("indicator", reason)]
    return []


def _unit_problem(period: Period, unit: Unit) -> str:
    if not unit.path.startswith(period.owner_unit.path):
        return _("单位“%(unit)s”不在“%(office)s”的管辖范围内") % {
            "unit": unit.name,
            "office": period.owner_unit.name,
        }
    if not unit.active:
        return _("单位“%(unit)s”已停用") % {"unit": unit.name}
    return ""


def _units_problems(
    period: Period, lead_unit: Unit | None, supporting_units: Sequence[Unit]
) -> list[Problem]:
    problems: list[Problem] = []
    if lead_unit is not None and (reason := _unit_problem(period, lead_unit)):
        problems.append(("lead_unit", reason))
    problems += [("supporting_units", r) for r in (_unit_problem(period, u) for u in supporting_units) if r]
    if lead_unit is not None and any(u.pk == lead_unit.pk for u in supporting_units):
        reason = _("牵头单位“%(unit)s”不能同时是配合单位") % {"unit": lead_unit.name}
        problems.append(("supporting_units", reason))
    if len({u.pk for u in supporting_units}) > MAX_SUPPORTING_UNITS:
        reason = _("配合单位最多 %(max)s 个，现有 %(n)s 个") % {
            "max": MAX_SUPPORTING_UNITS,
            "n": len({u.pk for u in supporting_units}),
        }
        problems.append(("supporting_units", reason))
    return problems


def _earliest_due(period: Period) -> date:
    # Before the period exists nothing can be due; a period not yet saved counts from today.
    if period.created_at is not None:
        return timezone.localdate(period.created_at)
    return timezone.localdate()


def _workday_hint(period: Period, day: date) -> str:
    """The next working day, or the previous one when the next lies beyond the reference date."""
    try:
        following: date | None = next_workday(day)
    except ValueError:  # no working day within a year: the calendar table is wrong, give no hint
        following = None
    if following is not None and following <= period.reference_date:
        return _("（下一个工作日为 %(day)s）") % {"day": following.isoformat()}
    for back in range(1, _HINT_BACK_DAYS + 1):
        earlier = day - timedelta(days=back)
        if is_workday(earlier):
            return _("（上一个工作日为 %(day)s）") % {"day": earlier.isoformat()}
    return ""


def due_date_problems(period: Period, due_date: date) -> list[Problem]:
    """Between the period's creation and its reference date, and a working day of the official calendar."""
    earliest = _earliest_due(period)
    day = due_date.isoformat()
    if due_date < earliest:
        reason = _("完成时限 %(day)s 早于申报周期创建日期 %(start)s") % {
            "day": day,
            "start": earliest.isoformat(),
        }
        return [("due_date", reason)]
    if due_date > period.reference_date:
        reason = _("完成时限 %(day)s 晚于测评基准日 %(end)s") % {
            "day": day,
            "end": period.reference_date.isoformat(),
        }
        return [("due_date", reason)]
    if not is_workday(due_date):
        return [
            ("due_date", _("完成时限 %(day)s 不是工作日") % {"day": day} + _workday_hint(period, due_date))
        ]
    return []


def assignment_problems(
    period: Period,
    indicator: Indicator | None,
    *,
    lead_unit: Unit | None,
    supporting_units: Sequence[Unit] = (),
    due_date: date | None,
    note: str = "",
) -> list[Problem]:
    """Every problem of one assignment, the period's state aside (``period_problems``). A part given as None
    was already found wrong by the caller (an unknown code in a sheet) and is not checked again."""
    problems: list[Problem] = []
    if indicator is not None:
        problems += _indicator_problems(period, indicator)
    problems += _units_problems(period, lead_unit, supporting_units)
    if due_date is not None:
        problems += due_date_problems(period, due_date)
    if len(note) > NOTE_MAX:
        problems.append(
            ("note", _("备注长度 %(n)s 超过上限 %(max)s 个字符") % {"n": len(note), "max": NOTE_MAX})
        )
    return problems


# --- writing --------------------------------------------------------------------------------------------


def snapshot(task: Task | None) -> dict[str, Any] | None:
    """What an audit entry keeps of a task: unit codes, the due date and the note."""
    if task is None or task.pk is None:
        return None
    return {
        "lead_unit": task.lead_unit.code,
        "supporting_units": sorted(u.code for u in task.supporting_units.all()),
        "due_date": task.due_date.isoformat(),
        "note": task.note,
    }


def apply_assignment(
    period: Period,
    indicator: Indicator,
    *,
    lead_unit: Unit,
    supporting_units: Iterable[Unit],
    due_date: date,
    note: str,
    existing: Task | None,
) -> tuple[Task, dict[str, Any] | None, dict[str, Any] | None]:
    """Create or update the task, no checks and no audit (callers do both, inside their transaction).

    Returns (task, before, after); ``after`` is None when nothing changed.
    """
    before = snapshot(existing)
    task = existing if existing is not None else Task(period=period, indicator=indicator)
    task.lead_unit, task.due_date, task.note = lead_unit, due_date, note
    supporters = {u.pk: u for u in supporting_units}
    after = {
        "lead_unit": lead_unit.code,
        "supporting_units": sorted(u.code for u in supporters.values()),
        "due_date": due_date.isoformat(),
        "note": note,
    }
    if after == before:
        return task, before, None
    task.save()
    task.supporting_units.set(list(supporters.values()))
    sync_submissions(task)  # the board's cells follow the split at once
    return task, before, after


def assign_task(
    period: Period,
    indicator: Indicator,
    *,
    lead_unit: Unit,
    supporting_units: Iterable[Unit] = (),
    due_date: date,
    note: str = "",
    actor: User | None = None,
) -> Task:
    """Create or update the period's task for ``indicator``; TaskSplitError names every field it refuses."""
    supporters = list(supporting_units)
    note = note.strip()
    with transaction.atomic():
        # The period row is the lock: an archive running at the same moment waits, or wins and refuses this.
        locked = Period.objects.select_for_update(of=("self",)).select_related("owner_unit").get(pk=period.pk)
        problems = period_problems(locked) + assignment_problems(
            locked, indicator, lead_unit=lead_unit, supporting_units=supporters, due_date=due_date, note=note
        )
        if problems:
            raise TaskSplitError(problems)
        existing = (
            Task.objects.select_for_update(of=("self",))
            .select_related("lead_unit")
            .filter(period=locked, indicator=indicator)
            .first()
        )
        task, before, after = apply_assignment(
            locked,
            indicator,
            lead_unit=lead_unit,
            supporting_units=supporters,
            due_date=due_date,
            note=note,
            existing=existing,
        )
        if after is not None:
            detail = {"period": locked.pk, "indicator": indicator.code, "before": before, "after": after}
            record(None, "materials.task.assign", obj=task, actor=actor, detail=detail)
    return task
