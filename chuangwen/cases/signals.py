"""Signals of the case workflow: a published round's findings become cases (``intake``); a reported fix and a
photo whose perceptual hash arrives run the photo checks (``photochecks``)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.dispatch import Signal

from chuangwen.rounds.models import Round

if TYPE_CHECKING:
    from chuangwen.cases.models import Case, CaseEvent
    from chuangwen.evidence.models import Evidence

logger = logging.getLogger(__name__)

# Sent by ``services.apply`` after a transition has committed; kwargs: case, event, action.
case_changed = Signal()


def open_cases_on_publication(sender: type[Round], round: Round, **kwargs: Any) -> None:
    """Runs after the publication has committed. A failure here must not look like a failed publication:
    it is logged, and ``chuangwen cases intake ROUND`` opens the missing cases later."""
    from chuangwen.cases.intake import open_cases_for_round

    try:
        open_cases_for_round(round)
    except Exception:
        logger.exception("opening the cases of round %s failed", round.pk)


def check_safely(event: CaseEvent) -> None:
    """The checks only advise the verifier: an error is logged, stored as a failed check (the page says so and
    offers to queue it again) and never fails the action or the worker (the savepoint keeps a failed query
    from spoiling an outer transaction)."""
    from chuangwen.cases import photochecks

    if event.action != "rectify":
        return
    photochecks.mark_running(event)
    try:
        with transaction.atomic():
            photochecks.check_photos(event)
    except Exception as exc:
        logger.exception("photo checks of case event %s failed", event.pk)
        photochecks.mark_finished(event, error=f"{type(exc).__name__}: {exc}")
        return
    photochecks.mark_finished(event)


def queue_check(event: CaseEvent) -> None:
    """Store "waiting" before the task is queued, so a worker that never takes it still shows as waiting."""
    from chuangwen.cases.photochecks import mark_queued
    from chuangwen.cases.tasks import check_rectification_photos

    mark_queued(event)
    check_rectification_photos(event.pk)


def check_photos_on_rectify(
    sender: type[Case], case: Case, event: CaseEvent, action: str, **kwargs: Any
) -> None:
    """On the task queue: comparing hashes scans every stored case photo, which a request should not wait
    for at city scale."""
    if action == "rectify":
        queue_check(event)


def announce_change(sender: type[Case], case: Case, event: CaseEvent, action: str, **kwargs: Any) -> None:
    """Tell whoever must now act (notices.py); a failure is logged, the change itself stands."""
    from chuangwen.cases.notices import announce

    try:
        with transaction.atomic():
            announce(case, event, action)
    except Exception:
        logger.exception("notices of case event %s failed", event.pk)


def recheck_on_photo_hashed(sender: type[Evidence], evidence: Evidence, **kwargs: Any) -> None:
    """A perceptual hash that arrives after the fix was reported: compare again where the photo matters."""
    from chuangwen.cases.photochecks import events_to_recheck

    try:
        events = list(events_to_recheck(evidence))
    except Exception:
        logger.exception("finding the case events of evidence %s failed", evidence.pk)
        return
    for event in events:
        check_safely(event)


def refresh_warnings_on_calendar_change(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A corrected holiday moves the 80 % point of the cases running over it (after the change commits)."""
    from chuangwen.cases.deadlines import refresh_warnings

    day = instance.date
    transaction.on_commit(lambda: refresh_warnings(day))


def connect() -> None:
    from chuangwen.cases.models import Case
    from chuangwen.evidence.models import Evidence
    from chuangwen.evidence.signals import photo_hashed
    from chuangwen.rounds.services import round_published

    round_published.connect(
        open_cases_on_publication, sender=Round, dispatch_uid="cases.open_cases_on_publication"
    )
    case_changed.connect(check_photos_on_rectify, sender=Case, dispatch_uid="cases.check_photos_on_rectify")
    case_changed.connect(announce_change, sender=Case, dispatch_uid="cases.announce_change")
    photo_hashed.connect(
        recheck_on_photo_hashed, sender=Evidence, dispatch_uid="cases.recheck_on_photo_hashed"
    )
    from django.db.models.signals import post_delete, post_save

    from chuangwen.workdays.models import CalendarDay

    for model_signal in (post_save, post_delete):
        model_signal.connect(
            refresh_warnings_on_calendar_change,
            sender=CalendarDay,
            dispatch_uid=f"cases.refresh_warnings.{model_signal is post_save}",
        )
