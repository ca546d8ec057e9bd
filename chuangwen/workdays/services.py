"""Working days on the Chinese official calendar, deadlines and the traffic light (see docs/deadlines.md).

Where a date's kind comes from, first match wins:

1. a ``CalendarDay`` row (本地维护) — the coordinator's correction or extension;
2. the ``chinesecalendar`` package (国务院办公厅通知) for the years it knows, 调休上班 included;
3. the weekend rule (默认周末规则) for any other year: Saturday and Sunday off, Monday to Friday on.

All times are in Asia/Shanghai. Overrides are cached per process; saving or deleting a row clears the cache of
this process at once (signals) and other processes reload within ``CACHE_SECONDS``.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from enum import StrEnum
from fractions import Fraction
from zoneinfo import ZoneInfo

import chinese_calendar
from chinese_calendar import constants as cc
from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

TZ = ZoneInfo(settings.TIME_ZONE)  # the district's local time (settings)
ONE_DAY = timedelta(days=1)
CACHE_SECONDS = 60.0
# Longest run of non-working days searched before giving up (a table marking a whole year off is an error).
MAX_SEARCH_DAYS = 370

# Severity rule, in one place: the item's deadline_days is multiplied by this factor and rounded up.
# Default: both severities keep the item's own days (the standard already gives serious items short ones);
# severity only sets the case's priority. Set "serious" to Fraction(1, 2) to halve its days.
SEVERITY_DAY_FACTOR: dict[str, Fraction] = {"general": Fraction(1), "serious": Fraction(1)}

GREEN, YELLOW, RED = "green", "yellow", "red"
YELLOW_FROM = Fraction(80, 100)  # share of the allowed working time used at which green turns yellow

_PACKAGE_NAMES = {h.value: h.chinese for h in cc.Holiday}


class Source(StrEnum):
    LOCAL = "local"
    PACKAGE = "package"
    WEEKEND_RULE = "weekend_rule"


SOURCE_LABELS = {
    Source.LOCAL: gettext_lazy("本地维护"),
    Source.PACKAGE: gettext_lazy("国务院办公厅通知（chinesecalendar）"),
    Source.WEEKEND_RULE: gettext_lazy("默认周末规则"),
}


@dataclass(frozen=True)
class DayInfo:
    date: date
    workday: bool
    name: str
    source: Source

    @property
    def source_label(self) -> str:
        return str(SOURCE_LABELS[self.source])


# --- the override cache -------------------------------------------------------------------------------------


@dataclass
class _Cache:
    version: int = 0
    built_for: int = -1
    loaded_at: float = 0.0
    # A row was written inside a transaction not yet known to be committed: do not trust a cached copy.
    dirty: bool = False
    rows: dict[date, tuple[bool, str]] | None = None


_cache = _Cache()
_lock = threading.Lock()


def invalidate() -> None:
    """Forget the cached overrides (called by the CalendarDay signals; safe to call any time)."""
    with _lock:
        _cache.version += 1
        _cache.dirty = connection.in_atomic_block
    if connection.in_atomic_block:
        transaction.on_commit(_committed)


def _committed() -> None:
    with _lock:
        _cache.version += 1
        _cache.dirty = False


def _overrides() -> dict[date, tuple[bool, str]]:
    from chuangwen.workdays.models import CalendarDay, DayKind

    with _lock:
        if _cache.dirty and not connection.in_atomic_block:
            _cache.dirty = False  # the writing transaction has ended one way or the other
        fresh = time.monotonic() - _cache.loaded_at < CACHE_SECONDS
        if _cache.rows is not None and not _cache.dirty and _cache.built_for == _cache.version and fresh:
            return _cache.rows
        version = _cache.version
    rows = {
        d: (kind == DayKind.WORKDAY, name)
        for d, kind, name in CalendarDay.objects.values_list("date", "kind", "name")
    }
    with _lock:
        _cache.rows, _cache.built_for, _cache.loaded_at = rows, version, time.monotonic()
    return rows


# --- what kind of day ---------------------------------------------------------------------------------------


def package_years() -> range:
    """The years the installed chinesecalendar knows."""
    years = [d.year for d in cc.holidays]
    return range(min(years), max(years) + 1)


def known_years() -> set[int]:
    """Years with holiday data: the package's years plus any year with at least one local row.

    Any other year is covered only by the weekend rule (see ``unmaintained_warning``).
    """
    return set(package_years()) | {d.year for d in _overrides()}


def unmaintained_warning(year: int) -> str | None:
    """「YYYY 年节假日尚未维护」 when a year is covered only by the weekend rule, else None."""
    if year in known_years():
        return None
    return _("%(year)d 年节假日尚未维护，暂按周六、周日休息计算") % {"year": year}


def base_day(d: date) -> DayInfo:
    """The day as the package (or, for unknown years, the weekend rule) has it, ignoring local rows."""
    try:
        holiday, name = chinese_calendar.get_holiday_detail(d)
    except NotImplementedError:
        return DayInfo(d, d.weekday() < 5, "", Source.WEEKEND_RULE)
    return DayInfo(d, not holiday, _PACKAGE_NAMES.get(name or "", name or ""), Source.PACKAGE)


def day_info(d: date) -> DayInfo:
    row = _overrides().get(d)
    if row is not None:
        return DayInfo(d, row[0], row[1], Source.LOCAL)
    return base_day(d)


def is_workday(d: date) -> bool:
    return day_info(d).workday


def special_days(year: int) -> list[DayInfo]:
    """Holidays and make-up workdays of a year (not plain weekends), local rows in place of the package's."""
    rows = _overrides()
    package = {d for d in (*cc.holidays, *cc.workdays) if d.year == year}
    local = {d for d in rows if d.year == year}
    return [day_info(d) for d in sorted(package | local)]


# --- time arithmetic ----------------------------------------------------------------------------------------


def _local(dt: datetime) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("naive datetime: use an aware datetime")
    return dt.astimezone(TZ)


def start_of_day(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=TZ)


def end_of_day(d: date) -> datetime:
    """23:59:59.999999 Asia/Shanghai: the last instant of a day, the form every deadline takes."""
    return datetime.combine(d, clock_time.max, tzinfo=TZ)  # no day after it needed: 9999-12-31 has an end too


def next_workday(d: date, *, include_self: bool = False) -> date:
    candidate = d if include_self else d + ONE_DAY
    for _step in range(MAX_SEARCH_DAYS):
        if is_workday(candidate):
            return candidate
        candidate += ONE_DAY
    raise ValueError(
        _("%(date)s 之后 %(n)d 天内没有工作日，请检查节假日表") % {"date": d, "n": MAX_SEARCH_DAYS}
    )


# Whole days are counted a year at a time: day by day in a year with holiday data (at most 366 lookups),
# by whole weeks under the weekend rule. However far apart two dates are (a bad date in an old row), the
# work is bounded by the number of years with holiday data, never by the number of days.


def _segments(first: date, last: date) -> Iterator[tuple[date, date, bool]]:
    """[first, last] cut into runs (start, end, has holiday data): one run per known year, one per gap."""
    known = sorted(known_years())
    day = first
    while day <= last:
        if day.year in known:
            end = min(last, date(day.year, 12, 31))
        else:
            later = [year for year in known if year > day.year]
            end = last if not later else min(last, date(later[0] - 1, 12, 31))
        yield day, end, day.year in known
        if end >= last:
            return
        day = end + ONE_DAY


def _each_day(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += ONE_DAY


def _weekdays(first: date, last: date) -> int:
    """Monday to Friday in [first, last], by whole weeks."""
    if last < first:
        return 0
    weeks, rest = divmod((last - first).days + 1, 7)
    return weeks * 5 + sum(1 for i in range(rest) if (first.weekday() + i) % 7 < 5)


def _nth_weekday(first: date, n: int) -> date:
    """The nth (n ≥ 1) Monday-to-Friday day on or after ``first``."""
    day = first + timedelta(days=(7 - first.weekday()) % 7 if first.weekday() >= 5 else 0)
    weeks, rest = divmod(n - 1, 5)
    day += timedelta(weeks=weeks)
    for _step in range(rest):
        day += timedelta(days=3 if day.weekday() == 4 else 1)
    return day


def count_workdays(first: date, last: date) -> int:
    """Working days in [first, last] (0 when last < first)."""
    total = 0
    for begin, end, known in _segments(first, last):
        total += sum(1 for d in _each_day(begin, end) if is_workday(d)) if known else _weekdays(begin, end)
    return total


def nth_workday(first: date, n: int) -> date:
    """The nth (n ≥ 1) working day on or after ``first``."""
    left = n
    for begin, end, known in _segments(first, date.max):
        if not known:
            available = _weekdays(begin, end)
            if available >= left:
                return _nth_weekday(begin, left)
            left -= available
            continue
        for day in _each_day(begin, end):
            left -= is_workday(day)
            if left == 0:
                return day
    raise ValueError("no working day left in the calendar")


def add_workdays(start: datetime, n: int) -> datetime:
    """The deadline ``n`` working days after ``start``.

    n ≥ 1: the end of the nth working day after the start's day (the start's own day never counts);
    n = 0 (立行立改): the end of the start's day if it is a working day, else the end of the next working day.
    """
    if n < 0:
        raise ValueError("n must be ≥ 0")
    day = _local(start).date()
    if n == 0:
        return end_of_day(next_workday(day, include_self=True))
    return end_of_day(nth_workday(day + ONE_DAY, n))


def _day_part(day: date, a: datetime, b: datetime) -> timedelta:
    """The part of [a, b) on ``day`` if it is a working day."""
    if not is_workday(day):
        return timedelta(0)
    return max(timedelta(0), min(b, start_of_day(day + ONE_DAY)) - max(a, start_of_day(day)))


def working_time(a: datetime, b: datetime) -> timedelta:
    """The part of [a, b) that falls on working days, each working day counting its full 24 hours."""
    a, b = _local(a), _local(b)
    if b <= a:
        return timedelta(0)
    first, last = a.date(), b.date()
    if first == last:
        return _day_part(first, a, b)
    whole = count_workdays(first + ONE_DAY, last - ONE_DAY)
    return _day_part(first, a, b) + whole * ONE_DAY + _day_part(last, a, b)


def workdays_between(a: datetime, b: datetime) -> Fraction:
    """Elapsed working days from a to b, exact (e.g. 3/2 for one and a half working days)."""
    return Fraction(working_time(a, b) // timedelta(microseconds=1), ONE_DAY // timedelta(microseconds=1))


def deadline_for(opened_at: datetime, deadline_days: int, severity: str) -> datetime:
    """The deadline of a case opened at ``opened_at`` for an item with ``deadline_days`` and ``severity``."""
    factor = SEVERITY_DAY_FACTOR.get(severity, Fraction(1))
    return add_workdays(opened_at, math.ceil(deadline_days * factor))


# --- overdue and the traffic light --------------------------------------------------------------------------


def is_overdue(deadline: datetime, now: datetime, *, paused: bool = False) -> bool:
    """Computed, never stored: past the deadline and not paused (挂账)."""
    return not paused and _local(now) > _local(deadline)


def share_used(opened_at: datetime, deadline: datetime, now: datetime) -> Fraction:
    """Share of the allowed working time used so far (1 = all of it); an empty allowance counts as used up."""
    allowed = working_time(opened_at, deadline)
    used = working_time(opened_at, now)
    if allowed <= timedelta(0):
        return Fraction(1)
    return Fraction(used // timedelta(microseconds=1), allowed // timedelta(microseconds=1))


def warn_point(start: datetime, deadline: datetime) -> datetime:
    """The moment at which ``YELLOW_FROM`` of the working time from ``start`` to ``deadline`` is used: the
    light is yellow from then on (``share_used(start, deadline, t) >= YELLOW_FROM`` exactly when
    ``t >= warn_point``). Stored with the deadline so the worklist can count lights in SQL."""
    start, deadline = _local(start), _local(deadline)
    day_us = ONE_DAY // timedelta(microseconds=1)
    allowed_us = working_time(start, deadline) // timedelta(microseconds=1)
    if allowed_us <= 0:
        return start
    target = -(-allowed_us * YELLOW_FROM.numerator // YELLOW_FROM.denominator)  # ceil: share ≥ 80 %
    first_us = _day_part(start.date(), start, deadline) // timedelta(microseconds=1)
    if first_us >= target:  # within the start's own day
        return max(start, start_of_day(start.date())) + timedelta(microseconds=target)
    # Then whole working days after the start's day: the target falls in the k-th of them (or on the last).
    whole, rest = divmod(target - first_us, day_us)
    if rest == 0:
        return start_of_day(nth_workday(start.date() + ONE_DAY, whole)) + ONE_DAY
    day = nth_workday(start.date() + ONE_DAY, whole + 1)
    return min(start_of_day(day) + timedelta(microseconds=rest), deadline)
