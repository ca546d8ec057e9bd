"""Background work of bulletins (huey discovers ``tasks`` modules of installed apps)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


# No retries: a failure is recorded on the bulletin, and rendering again is one click away.
@db_task()
def render_bulletin(bulletin_id: int) -> None:
    from chuangwen.bulletins.rendering import render

    render(bulletin_id)


# Hourly: reminders before a rectification report falls due and escalation after it.
@db_periodic_task(crontab(minute="20"))
def sweep_replies() -> None:
    from chuangwen.bulletins.distribution import sweep

    sweep()


# Hourly: a scheduled template drafts its next issue after each publication of its source.
@db_periodic_task(crontab(minute="40"))
def draft_scheduled() -> None:
    from chuangwen.bulletins.schedule import draft_due

    draft_due()


# Daily: accountability talks still open after their follow-up date are escalated once per due date.
@db_periodic_task(crontab(hour="8", minute="10"))
def remind_talks() -> None:
    from chuangwen.bulletins.records import remind_talks as remind

    remind()


@db_task(retries=2, retry_delay=10)
def make_public_copies(evidence_ids: list[int]) -> None:
    """The blurred public copies of the photos picked as typical problems, made when picked so that rendering
    the documents later does not wait for face and plate detection."""
    from chuangwen.evidence.models import Evidence
    from chuangwen.evidence.privacy import ensure_public_file

    for evidence in Evidence.objects.filter(pk__in=evidence_ids):
        ensure_public_file(evidence)
