"""Editing the local holiday table (本地维护的节假日与调休): who may, setting and removing a day. The admin,
the ``chuangwen workdays`` command and the API all write through here; each write is audited by its caller's
action name (the admin's, the command's, the API's), so the log says where a change came from."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.http import HttpRequest

from chuangwen.audit.services import record
from chuangwen.workdays.models import CalendarDay

# The office's coordinators and the system administrators keep the calendar (roles named as strings: the
# kernel does not import accounts).
EDITOR_ROLES = frozenset({"coordinator", "admin"})


def may_edit(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and (user.is_superuser or getattr(user, "role", "") in EDITOR_ROLES)
    )


def set_day(
    day: date, kind: str, name: str, note: str, *, action: str, user: Any = None,
    request: HttpRequest | None = None, actor_name: str = "",
) -> tuple[CalendarDay, bool]:  # fmt: skip
    """Make ``day`` a workday or a holiday (a local row wins over the package); returns (row, created)."""
    defaults: dict[str, Any] = {"kind": kind, "name": name, "note": note}
    if user is not None:  # the command has no user: the row keeps its last maintainer
        defaults["updated_by"] = user
    with transaction.atomic():
        row, created = CalendarDay.objects.update_or_create(date=day, defaults=defaults)
        detail = {"date": day.isoformat(), "kind": row.kind, "name": row.name, "note": row.note}
        record(request, action, obj=row, detail=detail, actor_name=actor_name)
    return row, created


def unset_day(day: date, *, action: str, request: HttpRequest | None = None, actor_name: str = "") -> bool:
    """Remove ``day``'s local row (the package's calendar applies again); False when there was none."""
    with transaction.atomic():
        row = CalendarDay.objects.select_for_update().filter(date=day).first()
        if row is None:
            return False
        record(request, action, obj=row, detail={"date": day.isoformat()}, actor_name=actor_name)
        row.delete()
    return True
