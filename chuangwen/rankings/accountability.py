"""The ranking events kept by the bulletins' records: 约谈 / 通报批评 (penalty ``accountability_talk``) and
表彰 (bonus ``commendation``), counted for the unit of the level at or above the record's unit.

A talk counts in a period when its meeting date falls in it and is not after ``as_of`` (a meeting planned for
later in the month does not count yet); a commendation when its date does. Points come from the standard
version's ``penalties`` (default 0: nothing changes unless a version sets them); a bonus's points are added.
The counts go into ``penalty_events`` with the published row, so the composite can be recomputed from it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from chuangwen.rankings.config import BONUSES

if TYPE_CHECKING:
    from chuangwen.rankings.compute import Period

TALK = "accountability_talk"
COMMENDATION = "commendation"


def signed_points(points: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Points per event with a bonus's sign turned, for ``formulas.penalty_points``."""
    return {name: -value if name in BONUSES else value for name, value in points.items()}


def _dates(period: Period, as_of: datetime) -> tuple[date, date]:
    """The period's first and last local day (``end`` is exclusive), the last no later than ``as_of``'s."""
    last = timezone.localdate(period.end - timedelta(microseconds=1))
    return timezone.localdate(period.start), min(last, timezone.localdate(as_of))


def record_events(
    period: Period, as_of: datetime, level_of: Callable[[int | None], int | None], wanted: set[int]
) -> dict[int, dict[str, int]]:
    """Unit of the level → {"accountability_talk": n, "commendation": m} (only the non-zero counts)."""
    from chuangwen.bulletins.models import AccountabilityTalk, Commendation

    first, last = _dates(period, as_of)
    out: dict[int, dict[str, int]] = {}
    sources = (
        (TALK, AccountabilityTalk.objects.filter(meeting_date__gte=first, meeting_date__lte=last)),
        (COMMENDATION, Commendation.objects.filter(date__gte=first, date__lte=last)),
    )
    for name, records in sources:
        for unit_id in records.values_list("unit_id", flat=True):
            target = level_of(unit_id)
            if target is not None and target in wanted:
                counts = out.setdefault(target, {})
                counts[name] = counts.get(name, 0) + 1
    return out


def merge(events: dict[int, dict[str, int]], more: dict[int, dict[str, int]]) -> dict[int, dict[str, int]]:
    for unit_id, counts in more.items():
        mine = events.setdefault(unit_id, {})
        for name, n in counts.items():
            mine[name] = mine.get(name, 0) + n
    return events
