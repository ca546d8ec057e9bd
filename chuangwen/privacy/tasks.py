"""The daily purge of personal data past retention on the task queue (huey discovers ``tasks`` modules)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


# 19:50 UTC is 03:50 in Asia/Shanghai: a quiet hour, after the surveys' own purge (03:30).
@db_periodic_task(crontab(hour="19", minute="50"))
def purge_personal_data() -> None:
    """Clear or delete personal data past its PRIVACY_*_DAYS retention; audited once per run."""
    from chuangwen.privacy.purge import purge

    purge()
