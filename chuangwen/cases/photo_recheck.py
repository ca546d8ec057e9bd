"""Queueing the automatic checks of a fix's photos again (the case page's 「重新排队」 and the API): only a
failed check, or one left waiting or running too long, is queued again; each requeue is audited."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from django.utils import timezone

from chuangwen.audit.services import record
from chuangwen.cases import photochecks
from chuangwen.cases.models import Case, CaseEvent
from chuangwen.cases.signals import queue_check

if TYPE_CHECKING:
    from chuangwen.accounts.models import User


def rectify_event(case: Case, event_id: int) -> CaseEvent | None:
    """The case's rectify event ``event_id`` (None for any other event or another case's)."""
    return case.events.filter(action="rectify", pk=event_id).first()


def requeue(case: Case, event: CaseEvent, user: User | Any, request: HttpRequest | None = None) -> bool:
    """Queue the event's checks again; False when they are running now and need no new turn."""
    check = photochecks.checks_of([event])[event.pk]
    if check.pk is not None and not photochecks.can_requeue(check, timezone.now()):
        return False
    queue_check(event)
    record(request, "case.photo_recheck", obj=case, actor=user, detail={"event": event.pk})
    return True
