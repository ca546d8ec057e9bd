"""The working-day arithmetic never walks day by day over centuries (years without holiday data are counted
by whole weeks), and the holiday table takes no date outside the bounds (chuangwen.core.bounds)."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
import time_machine
from django.core.management import CommandError, call_command

from chuangwen.cases.deadlines import light_of
from chuangwen.cases.models import Case, CaseSource, CaseState
from chuangwen.workdays import services
from chuangwen.workdays.models import CalendarDay, DayKind
from chuangwen.workdays.services import YELLOW_FROM, add_workdays, count_workdays, end_of_day, share_used
from conftest import client_for

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=TZ)
US = timedelta(microseconds=1)


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[date]:
    """Every day the chinesecalendar package is asked about."""
    seen: list[date] = []
    original = chinese_calendar.get_holiday_detail

    def counted(day: date) -> Any:
        seen.append(day)
        return original(day)

    monkeypatch.setattr(chinese_calendar, "get_holiday_detail", counted)
    return seen


def _weekdays_by_hand(first: date, last: date) -> int:
    return sum(1 for n in range((last - first).days + 1) if (first + timedelta(days=n)).weekday() < 5)


def test_it_counts_years_without_holiday_data_by_whole_weeks(db: Any, lookups: list[date]) -> None:
    assert count_workdays(date(2030, 1, 1), date(2130, 12, 31)) == _weekdays_by_hand(
        date(2030, 1, 1), date(2130, 12, 31)
    )
    assert count_workdays(date(2030, 1, 3), date(2030, 1, 2)) == 0
    assert not lookups  # no year of that span has holiday data
    # 5000 working days from a Friday in 2030: Monday to Friday only, as the weekend rule says.
    start = datetime(2030, 1, 4, 9, 0, tzinfo=TZ)
    day, left = start.date(), 5000
    while left:
        day += timedelta(days=1)
        left -= day.weekday() < 5
    assert add_workdays(start, 5000) == end_of_day(day)


def test_it_computes_a_deadline_in_the_year_9956_from_an_old_row_without_walking_every_day(
    db: Any, lookups: list[date]
) -> None:
    """A bad date already stored (before the bounds existed) still gets its light, quickly."""
    deadline = end_of_day(date(9956, 1, 1))
    warn = services.warn_point(NOW, deadline)
    # The defining property of the warning point: 80 % of the working time is used there, not before.
    assert share_used(NOW, deadline, warn) >= YELLOW_FROM > share_used(NOW, deadline, warn - US)
    assert len(lookups) < 4 * 366  # only the package's own years are looked at, day by day
    case = Case(source=CaseSource.CITIZEN, state=CaseState.ACCEPTED, deadline=deadline, deadline_from=NOW)
    assert light_of(case, NOW) == "green"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("workdays", *args, stdout=out)
    return out.getvalue()


@time_machine.travel(NOW, tick=False)
def test_it_refuses_a_holiday_outside_the_bounds(db: Any, users: dict[str, Any]) -> None:
    """``chuangwen workdays set 9956-01-01 holiday`` and the admin's form: refused, nothing written."""
    with pytest.raises(CommandError, match="日期须在 2006-01-01 至 2031-12-03 之间"):
        run("set", "9956-01-01", "holiday", "元旦")
    with pytest.raises(CommandError, match="日期须在"):
        run("set", "1999-12-31", "holiday")
    coordinator = users["coordinator"]
    coordinator.is_staff = True
    coordinator.save()
    page = client_for(coordinator).post(
        "/admin/workdays/calendarday/add/", {"date": "9956-01-01", "kind": DayKind.HOLIDAY, "name": "元旦"}
    )
    assert page.status_code == 200 and "日期须在 2006-01-01 至 2031-12-03 之间" in page.content.decode()
    assert not CalendarDay.objects.exists()
    run("set", "2031-01-01", "holiday", "元旦")  # within the bounds
    assert CalendarDay.objects.get().date == date(2031, 1, 1)
    # An old row outside the bounds can still be removed.
    CalendarDay.objects.create(date=date(2400, 1, 3), kind=DayKind.HOLIDAY)
    assert "已删除" in run("unset", "2400-01-03")
