"""Audit work on the task queue (huey discovers ``tasks`` modules of installed apps)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from chuangwen.audit.checkpoints import CheckpointRefused, write_checkpoint

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/10"))
def checkpoint_chain() -> None:
    """Every ten minutes: check the entries since the last external checkpoint and append a new one.

    A refusal means the chain (or the checkpoint file) was tampered with; it is logged as an error and no
    checkpoint is written, so the last good one stays the newest until someone looks.
    """
    try:
        write_checkpoint()
    except CheckpointRefused as exc:
        logger.error("audit checkpoint refused: %s", exc)
