"""Background work of 问卷调查 (huey discovers ``tasks`` modules of installed apps)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


# 19:30 UTC is 03:30 in Asia/Shanghai: a quiet hour.
@db_periodic_task(crontab(hour="19", minute="30"))
def purge_survey_identifiers() -> None:
    """Clear respondents' hashes and positions of long-published waves, and old coaching hashes."""
    from chuangwen.surveys.retention import purge

    purge()
