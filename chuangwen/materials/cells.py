"""The board's cells: one ``Submission`` per task and named unit, recomputed from the unit's materials and
their history by every write, in the writer's transaction (services, the task split)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Max

from chuangwen.materials.models import (
    LIVE_STATES,
    Material,
    MaterialEvent,
    MaterialState,
    Standing,
    Submission,
    Task,
)


def task_units(task: Task) -> set[int]:
    """The units a task names: its lead unit and its supporting units."""
    return {task.lead_unit_id, *(u.pk for u in task.supporting_units.all())}


def standing_of(states: Iterable[str]) -> Standing:
    """A unit's standing on a task from its live materials' states: what needs someone's hand first."""
    present = set(states)
    if not present:
        return Standing.EMPTY
    if MaterialState.RETURNED in present:
        return Standing.RETURNED
    if MaterialState.DRAFT in present:
        return Standing.IN_PROGRESS
    if present & {MaterialState.SUBMITTED, MaterialState.UNIT_APPROVED}:
        return Standing.AWAITING
    return Standing.PASSED


def refresh_submission(task: Task, unit_id: int | None) -> Submission | None:
    """Recompute one unit's cell for one task from its materials and their history (in the caller's
    transaction)."""
    if unit_id is None:
        return None
    materials = Material.objects.filter(task=task, unit_id=unit_id, state__in=LIVE_STATES)
    states = list(materials.values_list("state", flat=True))
    returned_due = materials.filter(state=MaterialState.RETURNED).aggregate(d=Max("due_date"))["d"]
    events = MaterialEvent.objects.filter(material__task=task, material__unit_id=unit_id)
    counts = dict(
        events.filter(action__in=("submit", "resubmit", "return"))
        .values_list("action")
        .annotate(n=Count("pk"))
        .values_list("action", "n")
    )
    submission, _created = Submission.objects.update_or_create(
        task=task,
        unit_id=unit_id,
        defaults={
            "period_id": task.period_id,
            "is_lead": unit_id == task.lead_unit_id,
            "standing": standing_of(states),
            "due_date": max(task.due_date, returned_due) if returned_due else task.due_date,
            "materials": len(states),
            "submitted_times": counts.get("submit", 0) + counts.get("resubmit", 0),
            "returned_times": counts.get("return", 0),
        },
    )
    return submission


def sync_submissions(task: Task) -> None:
    """One cell per unit the task names (lead and supporting); a unit no longer named keeps its cell only
    while it has materials."""
    named = task_units(task)
    for unit_id in named:
        refresh_submission(task, unit_id)
    stale = Submission.objects.filter(task=task).exclude(unit_id__in=named).filter(materials=0)
    stale.delete()
