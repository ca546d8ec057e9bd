"""Asking for a 台账 archive of a period: who may (the 文明办 running it), one at a time per period, and
queueing the build (``ledger.py`` makes it on the task queue). The ledger page and the API both start here."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.accounts.models import Role
from chuangwen.materials.models import ExportState, LedgerExport, Period

if TYPE_CHECKING:
    from chuangwen.accounts.models import User

ACTIVE_STATES = (ExportState.QUEUED, ExportState.RUNNING)
# A queued or running export older than this is taken as lost (its worker died) and no longer blocks a new
# one; a district year takes minutes.
STALE_AFTER = timedelta(hours=6)


class LedgerBusy(Exception):
    """A new export is refused while one of the same period is queued or running."""


def may_export_ledger(user: User, period: Period) -> bool:
    """Coordinators and leaders of a unit that holds the office running the period."""
    if user.unit is None or user.role not in (Role.COORDINATOR, Role.LEADER):
        return False
    return bool(period.owner_unit.path.startswith(user.unit.path))


def request_export(period: Period, user: User) -> LedgerExport:
    """A new queued export of ``period``; :class:`LedgerBusy` while one is queued or running. The caller
    queues the task after the commit (``start_export`` does both)."""
    with transaction.atomic():
        # The period's row lock keeps two clicks from both passing the check (SQLite locks it all anyway).
        Period.objects.select_for_update().filter(pk=period.pk).first()
        active = LedgerExport.objects.filter(period=period, state__in=ACTIVE_STATES)
        active.filter(created_at__lt=timezone.now() - STALE_AFTER).update(
            state=ExportState.FAILED, error=_("超过 6 小时未完成，已视为失败"), finished_at=timezone.now()
        )
        if active.exists():
            raise LedgerBusy(_("本申报周期已有台账正在生成，请等待完成后再下载或重新生成。"))
        return LedgerExport.objects.create(period=period, requested_by=user)


def start_export(period: Period, user: User) -> LedgerExport:
    """Request an export and queue its build once the request commits (so that the worker finds the row)."""
    from chuangwen.materials.tasks import make_ledger

    export = request_export(period, user)
    transaction.on_commit(partial(make_ledger, export.pk))
    return export
