"""Which days are working days: the official 2026 calendar, local rows, years the package does not know."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar

from chuangwen.workdays import services
from chuangwen.workdays.models import CalendarDay, DayKind
from chuangwen.workdays.services import Source, day_info, is_workday


def span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def test_it_knows_the_2026_spring_festival_and_its_make_up_workdays(db):
    # 国办发明电〔2025〕7号: 2月15日（周日）至23日（周一）放假，共9天；2月14日（周六）、2月28日（周六）上班。
    holidays = chinese_calendar.get_holidays(date(2026, 2, 1), date(2026, 3, 1), include_weekends=False)
    assert holidays == span(date(2026, 2, 15), date(2026, 2, 23))
    assert chinese_calendar.get_workdays(date(2026, 2, 14), date(2026, 2, 14)) == [date(2026, 2, 14)]
    assert all(not is_workday(d) for d in span(date(2026, 2, 15), date(2026, 2, 23)))
    assert date(2026, 2, 14).weekday() == 5 and is_workday(date(2026, 2, 14))
    assert date(2026, 2, 28).weekday() == 5 and is_workday(date(2026, 2, 28))
    assert day_info(date(2026, 2, 14)) == services.DayInfo(date(2026, 2, 14), True, "春节", Source.PACKAGE)
    assert day_info(date(2026, 2, 17)).name == "春节"
    assert is_workday(date(2026, 2, 13)) and is_workday(date(2026, 2, 24))


def test_it_knows_the_2026_national_day_and_its_make_up_workdays(db):
    # 10月1日（周四）至7日（周三）放假，共7天；9月20日（周日）、10月10日（周六）上班。中秋 9月25日至27日。
    assert all(not is_workday(d) for d in span(date(2026, 10, 1), date(2026, 10, 7)))
    assert date(2026, 9, 20).weekday() == 6 and is_workday(date(2026, 9, 20))
    assert date(2026, 10, 10).weekday() == 5 and is_workday(date(2026, 10, 10))
    assert day_info(date(2026, 10, 10)).name == "国庆节"
    assert all(not is_workday(d) for d in span(date(2026, 9, 25), date(2026, 9, 27)))
    assert is_workday(date(2026, 10, 8)) and is_workday(date(2026, 10, 9))
    assert not is_workday(date(2026, 10, 11))  # an ordinary Sunday


def test_it_falls_back_to_weekends_for_a_year_the_package_does_not_know(db):
    assert 2026 in services.package_years() and 2027 not in services.package_years()
    assert day_info(date(2027, 1, 1)) == services.DayInfo(date(2027, 1, 1), True, "", Source.WEEKEND_RULE)
    assert not is_workday(date(2028, 1, 1))  # Saturday
    assert is_workday(date(2028, 1, 3))  # Monday
    assert services.unmaintained_warning(2027) == "2027 年节假日尚未维护，暂按周六、周日休息计算"
    assert services.unmaintained_warning(2026) is None
    assert 2027 not in services.known_years()


def test_it_applies_a_row_for_an_unknown_year_at_once(db):
    assert is_workday(date(2027, 1, 1))  # cached now
    CalendarDay.objects.create(date=date(2027, 1, 1), kind=DayKind.HOLIDAY, name="元旦")
    assert not is_workday(date(2027, 1, 1))
    assert day_info(date(2027, 1, 1)).source == Source.LOCAL
    assert 2027 in services.known_years()
    assert services.unmaintained_warning(2027) is None
    CalendarDay.objects.get(date=date(2027, 1, 1)).delete()
    assert is_workday(date(2027, 1, 1))
    assert services.unmaintained_warning(2027) is not None


def test_it_lets_a_local_row_beat_the_package(db):
    assert is_workday(date(2026, 3, 2))
    CalendarDay.objects.create(date=date(2026, 3, 2), kind=DayKind.HOLIDAY, name="本地停工")
    assert not is_workday(date(2026, 3, 2))
    assert services.base_day(date(2026, 3, 2)).workday  # the package's own view is kept for display
    CalendarDay.objects.create(date=date(2026, 2, 14), kind=DayKind.HOLIDAY, name="取消调休")
    assert not is_workday(date(2026, 2, 14))
    row = CalendarDay.objects.get(date=date(2026, 3, 2))
    row.kind = DayKind.WORKDAY
    row.save()
    assert is_workday(date(2026, 3, 2))


def test_it_lists_the_special_days_of_a_year(db):
    days = services.special_days(2026)
    assert [d.date for d in days if d.workday] == [
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    ]
    assert services.special_days(2027) == []
    CalendarDay.objects.create(date=date(2027, 2, 6), kind=DayKind.HOLIDAY, name="春节")
    assert [(d.date, d.source) for d in services.special_days(2027)] == [(date(2027, 2, 6), Source.LOCAL)]
