"""Upkeep of the citizen report limits on the task queue (huey discovers ``tasks`` modules)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from chuangwen.reports import captcha, limits


@db_periodic_task(crontab(minute="41"))
def purge_limits_and_captchas() -> None:
    """Hourly: limit counters untouched for longer than the longest window, captchas nobody answered."""
    limits.purge()
    captcha.purge()
