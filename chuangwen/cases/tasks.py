"""Case work on the task queue (huey discovers ``tasks`` modules of installed apps): photo checks of a
reported fix, deadline sweeps and the daily digest."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from chuangwen.cases import sweeps
from chuangwen.cases.models import CaseEvent

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/10"))
def sweep_deadlines() -> None:
    """Every ten minutes: the escalations that have become due (each is taken once per deadline)."""
    result = sweeps.sweep()
    if result.escalated:
        logger.info("case escalations: %s", result)


# huey's crontab runs in UTC: 00:05 UTC is 08:05 in Asia/Shanghai, before the offices open.
@db_periodic_task(crontab(hour="0", minute="5"))
def send_daily_digest() -> None:
    """Each morning: one digest per unit with open cases (a second run the same day sends nothing)."""
    sweeps.daily_digest()


@db_task()
def check_rectification_photos(event_id: int) -> None:
    """The automatic checks of a reported fix's photos (see photochecks.py); errors are logged."""
    from chuangwen.cases.signals import check_safely

    event = CaseEvent.objects.select_related("case").filter(pk=event_id).first()
    if event is not None:
        check_safely(event)
