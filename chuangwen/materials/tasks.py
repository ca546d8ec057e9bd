"""Background work of 网上申报 (huey discovers ``tasks`` modules of installed apps)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from chuangwen.materials.ledger import build_ledger
from chuangwen.materials.models import LedgerExport
from chuangwen.materials.previews import make_preview


# No retries: build_ledger records its own failure on the row, and a new export is one click away.
@db_task()
def make_ledger(export_id: int) -> None:
    """Build the 台账 archive of one queued export (a repeated message for a finished one does nothing)."""
    export = LedgerExport.objects.select_related("period", "requested_by").filter(pk=export_id).first()
    if export is None:
        return
    build_ledger(export)


@db_task(retries=2, retry_delay=10)
def make_previews(file_ids: list[int]) -> None:
    """The preview images of newly stored files (services._queue_previews); one already made is kept."""
    for file_id in file_ids:
        make_preview(file_id)


# huey's crontab runs in UTC: 00:15 UTC is 08:15 in Asia/Shanghai, after the cases' digest.
@db_periodic_task(crontab(hour="0", minute="15"))
def remind_materials() -> None:
    """Each working morning: tasks falling due and overdue cells (a second run the same day tells no one)."""
    from chuangwen.materials.notices import remind

    remind()
