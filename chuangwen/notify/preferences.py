"""A unit's choice per kind of notice: at once (the default), or held for the next morning's digest.

``send()`` is what the workflow calls for the kinds in ``NoticeKind``: each recipient's unit decides for its
people, and the unit named for robots decides for its group robots. Held notices are ``DeferredNotice`` rows;
``flush_deferred()`` (run by the daily digest) sends each person and each unit's robots one summary of them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.audit.services import record
from chuangwen.notify.models import DeferredNotice, NoticeKind, NoticeMode, NoticePreference
from chuangwen.notify.services import notify, notify_unit, validate_link

if TYPE_CHECKING:
    from chuangwen.accounts.models import User
    from chuangwen.org.models import Unit

# A summary lists at most this many held notices by name; the inbox and the home page have the rest.
SUMMARY_LINES = 20


def modes(unit_ids: Iterable[int], kind: str) -> dict[int, str]:
    """The chosen mode of ``kind`` per unit (units without a choice are instant)."""
    ids = set(unit_ids)
    chosen = dict(NoticePreference.objects.filter(unit_id__in=ids, kind=kind).values_list("unit_id", "mode"))
    return {pk: chosen.get(pk, NoticeMode.INSTANT) for pk in ids}


def unit_modes(unit: Unit) -> dict[str, str]:
    """Every kind's mode for one unit (the preferences page)."""
    chosen = dict(NoticePreference.objects.filter(unit=unit).values_list("kind", "mode"))
    return {kind: chosen.get(kind, NoticeMode.INSTANT) for kind in NoticeKind.values}


def set_mode(unit: Unit, kind: str, mode: str) -> None:
    NoticePreference.objects.update_or_create(unit=unit, kind=kind, defaults={"mode": mode})


class NotAllowed(Exception):
    """The user may not set notice preferences at all."""


def preference_unit(user: User, wanted: int | None) -> Unit | None:
    """The unit whose preferences ``user`` sets: a coordinator any unit in scope (``wanted``), a unit head
    only his or her own (``wanted`` ignored). None: the wanted unit is out of scope."""
    from chuangwen.accounts import capabilities
    from chuangwen.accounts.models import Role
    from chuangwen.org.models import Unit

    if not capabilities.may_set_notices(user) or user.unit is None:
        raise NotAllowed(_("只有单位负责人和文明办协调员可以设置通知方式。"))
    if not wanted or user.role != Role.COORDINATOR:
        return user.unit
    return Unit.objects.visible_to(user).filter(pk=wanted).first()


def save_unit_modes(unit: Unit, chosen: dict[str, str], *, user: User, request: HttpRequest | None) -> None:
    """The preferences page's save (and the API's): every kind's mode for one unit, audited as one entry."""
    with transaction.atomic():
        for kind, mode in chosen.items():
            set_mode(unit, kind, mode)
        record(request, "notify.preferences", obj=unit, actor=user, detail=chosen)


def _defer(rows: list[DeferredNotice]) -> None:
    for row in rows:
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:
            continue  # the same event held already: once is enough


def send(
    people: Iterable[User],
    *,
    robots_of: Unit | None,
    kind: str,
    subject: str,
    body: str,
    link: str,
    key: str,
) -> tuple[int, int]:
    """Tell ``people`` (and ``robots_of``'s group robots) now or in the digest, as each unit chose.
    Returns (told now, held for the digest)."""
    link = validate_link(link)
    people = [person for person in people if person.is_active]
    unit_ids = {person.unit_id for person in people if person.unit_id is not None}
    if robots_of is not None:
        unit_ids.add(robots_of.pk)
    mode = modes(unit_ids, kind)
    now_people = [p for p in people if p.unit_id is None or mode[p.unit_id] == NoticeMode.INSTANT]
    held_people = [p for p in people if p not in now_people]
    told = len(notify(now_people, subject=subject, body=body, link=link, kind=kind, key=key))
    held = [DeferredNotice(user=p, kind=kind, subject=subject[:200], link=link, key=key) for p in held_people]
    if robots_of is not None:
        if mode[robots_of.pk] == NoticeMode.INSTANT:
            notify_unit(robots_of, subject=subject, body=body, link=link, kind=kind, key=key)
        else:
            held.append(DeferredNotice(unit=robots_of, kind=kind, subject=subject[:200], link=link, key=key))
    _defer(held)
    return told, len(held)


def _summary(rows: list[DeferredNotice], day: str) -> tuple[str, str]:
    subject = _("待办通知汇总 %(day)s（%(n)d 条）") % {"day": day, "n": len(rows)}
    lines = [f"{row.subject} {row.link}".strip() for row in rows[:SUMMARY_LINES]]
    if len(rows) > SUMMARY_LINES:
        lines.append(_("另有 %(n)d 条，请在首页待办中查看") % {"n": len(rows) - SUMMARY_LINES})
    return subject, "\n".join(lines)


def flush_deferred(now: datetime | None = None) -> int:
    """Send every held notice as one summary per person and per unit's robots; returns the summaries sent.
    The rows are marked in the same transaction as their summary, so a second run sends nothing twice."""
    now = now or timezone.now()
    day = timezone.localtime(now).date().isoformat()
    by_user: dict[int, list[DeferredNotice]] = defaultdict(list)
    by_unit: dict[int, list[DeferredNotice]] = defaultdict(list)
    pending = DeferredNotice.objects.filter(sent_at__isnull=True).select_related("user", "unit")
    for row in pending.order_by("created_at", "pk"):
        if row.user_id is not None:
            by_user[row.user_id].append(row)
        elif row.unit_id is not None:
            by_unit[row.unit_id].append(row)
    for rows in [*by_user.values(), *by_unit.values()]:
        _send_summary(rows, day, now)
    return len(by_user) + len(by_unit)


def _send_summary(rows: list[DeferredNotice], day: str, now: datetime) -> None:
    """One summary of ``rows`` (all of one person or one unit's robots), and the rows marked, together."""
    subject, body = _summary(rows, day)
    home = reverse("home")  # the 待办 box lists what the held notices were about
    key = f"held:{rows[-1].pk}"
    with transaction.atomic():
        first = rows[0]
        if first.user is not None:
            notify([first.user], subject=subject, body=body, link=home, kind="digest", key=key)
        elif first.unit is not None:
            notify_unit(first.unit, subject=subject, body=body, link=home, kind="digest", key=key)
        DeferredNotice.objects.filter(pk__in=[row.pk for row in rows]).update(sent_at=now)
