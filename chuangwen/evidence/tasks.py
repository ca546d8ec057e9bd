"""Background work on photos (huey discovers ``tasks`` modules of installed apps)."""

from __future__ import annotations

import logging
import os
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from chuangwen.evidence.derivatives import build_derivatives
from chuangwen.evidence.models import Evidence
from chuangwen.evidence.storage import sweep

logger = logging.getLogger(__name__)

# Rows whose derivatives are still missing this long after upload are queued again by the hourly sweep.
CATCH_UP_AFTER = timedelta(minutes=10)
CATCH_UP_BATCH = 500


@HUEY.on_startup()
def yield_cpu_to_web_requests() -> None:
    """Each worker thread runs at a lower CPU priority (Linux niceness is per thread), so that a burst of
    uploads is answered first and its display copies are made when the web server has room: derivatives are
    background work by design. Setting TASK_WORKER_NICENESS (default 19, the lowest; 0 turns it off)."""
    niceness = int(settings.TASK_WORKER_NICENESS)
    if niceness > 0 and hasattr(os, "nice"):
        try:
            os.nice(niceness)
        except OSError:
            logger.warning("could not lower the task worker's CPU priority")


@db_task(retries=2, retry_delay=10)
def make_derivatives(evidence_id: int) -> None:
    """Display copy with watermark, thumbnail and perceptual hash of one photo (a repeat does nothing)."""
    evidence = Evidence.objects.select_related("site", "uploader").filter(pk=evidence_id).first()
    if evidence is None or evidence.derivatives_done:
        return
    build_derivatives(evidence)


@db_periodic_task(crontab(minute="23"))
def sweep_evidence() -> None:
    """Hourly: remove temporary and orphan files, and queue derivatives that were never made."""
    sweep()
    stale = Evidence.objects.filter(
        derivatives_done=False, received_at__lt=timezone.now() - CATCH_UP_AFTER
    ).exclude(file__startswith="bench-baseline/")
    for pk in stale.values_list("pk", flat=True)[:CATCH_UP_BATCH]:
        make_derivatives(pk)
