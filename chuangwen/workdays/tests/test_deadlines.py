"""Deadlines in working days, the elapsed working time and the traffic light."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from fractions import Fraction

import pytest

from chuangwen.workdays import services
from chuangwen.workdays.models import CalendarDay, DayKind
from chuangwen.workdays.services import add_workdays, deadline_for, workdays_between
from chuangwen.workdays.tests.conftest import at
from chuangwen.workdays.tests.oracle import traffic_light

US = timedelta(microseconds=1)


def end(text: str) -> datetime:
    return at(f"{text} 23:59:59.999999")


def test_it_counts_across_the_2026_spring_festival(db):
    # Thu 02-12 → Fri 13 (1), Sat 14 make-up (2), 15–23 off, Tue 24 (3), Wed 25 (4), Thu 26 (5).
    assert add_workdays(at("2026-02-12 10:00"), 1) == end("2026-02-13")
    assert add_workdays(at("2026-02-12 10:00"), 2) == end("2026-02-14")
    assert add_workdays(at("2026-02-12 10:00"), 3) == end("2026-02-24")
    assert add_workdays(at("2026-02-12 10:00"), 5) == end("2026-02-26")
    # Opened during the holiday: the first working day after it is Tue 02-24.
    assert add_workdays(at("2026-02-18 09:00"), 1) == end("2026-02-24")
    # Fri 02-27 → Sat 28 make-up (1), Sun off, Mon 03-02 (2).
    assert add_workdays(at("2026-02-27 16:00"), 1) == end("2026-02-28")
    assert add_workdays(at("2026-02-27 16:00"), 2) == end("2026-03-02")


def test_it_counts_across_the_2026_national_day(db):
    # Wed 09-30 → 10-01…07 off, Thu 08 (1), Fri 09 (2), Sat 10 make-up (3), Sun off, Mon 12 (4).
    assert add_workdays(at("2026-09-30 09:00"), 1) == end("2026-10-08")
    assert add_workdays(at("2026-09-30 09:00"), 3) == end("2026-10-10")
    assert add_workdays(at("2026-09-30 09:00"), 4) == end("2026-10-12")
    # Thu 09-24 → 中秋 Fri 25–Sun 27 off → Mon 28 (1); Sat 09-19 → Sun 20 make-up (1).
    assert add_workdays(at("2026-09-24 09:00"), 1) == end("2026-09-28")
    assert add_workdays(at("2026-09-19 09:00"), 1) == end("2026-09-20")
    # Ten working days from Fri 09-18: 20, 21, 22, 23, 24, 28, 29, 30, 10-08, 10-09.
    assert add_workdays(at("2026-09-18 09:00"), 10) == end("2026-10-09")


def test_it_makes_a_zero_day_deadline_the_end_of_the_working_day(db):
    assert add_workdays(at("2026-03-03 10:00"), 0) == end("2026-03-03")  # a Tuesday: same day
    assert add_workdays(at("2026-03-07 10:00"), 0) == end("2026-03-09")  # a Saturday: Monday
    assert add_workdays(at("2026-02-16 10:00"), 0) == end("2026-02-24")  # in the holiday: first day after
    assert add_workdays(at("2026-09-20 08:00"), 0) == end("2026-09-20")  # a make-up Sunday counts
    assert add_workdays(at("2026-03-03 23:59:59.999999"), 0) == end("2026-03-03")


def test_it_takes_the_day_in_shanghai_time(db):
    # 2026-03-06 17:00 UTC is Sat 03-07 01:00 in Shanghai: the start day is Saturday.
    utc = datetime(2026, 3, 6, 17, 0, tzinfo=services.ZoneInfo("UTC"))
    assert add_workdays(utc, 0) == end("2026-03-09")
    assert add_workdays(utc, 1) == end("2026-03-09")
    with pytest.raises(ValueError):
        add_workdays(datetime(2026, 3, 6, 9, 0), 1)
    with pytest.raises(ValueError):
        add_workdays(at("2026-03-06 09:00"), -1)


def test_it_counts_into_a_year_the_package_does_not_know_and_follows_a_new_row(db):
    # Thu 2026-12-31: 2027-01-01 is a Friday, a working day by the weekend rule until a row says otherwise.
    assert add_workdays(at("2026-12-31 10:00"), 1) == end("2027-01-01")
    assert add_workdays(at("2026-12-31 10:00"), 2) == end("2027-01-04")
    CalendarDay.objects.create(date=date(2027, 1, 1), kind=DayKind.HOLIDAY, name="元旦")
    assert add_workdays(at("2026-12-31 10:00"), 1) == end("2027-01-04")
    CalendarDay.objects.create(date=date(2027, 1, 2), kind=DayKind.WORKDAY, name="调休上班")
    assert add_workdays(at("2026-12-31 10:00"), 1) == end("2027-01-02")


def test_it_lets_a_local_holiday_move_a_deadline(db):
    assert add_workdays(at("2026-02-27 16:00"), 2) == end("2026-03-02")
    CalendarDay.objects.create(date=date(2026, 3, 2), kind=DayKind.HOLIDAY, name="本地停工")
    assert add_workdays(at("2026-02-27 16:00"), 2) == end("2026-03-03")


def test_it_measures_elapsed_working_days_exactly(db):
    # Fri 02-13 12:00 → Tue 02-24 12:00: 12 h on Fri, Sat 14 make-up 24 h, holidays 0, 12 h on Tue.
    assert workdays_between(at("2026-02-13 12:00"), at("2026-02-24 12:00")) == Fraction(2)
    assert workdays_between(at("2026-03-06 18:00"), at("2026-03-09 06:00")) == Fraction(1, 2)  # 6 h + 6 h
    assert workdays_between(at("2026-03-07 00:00"), at("2026-03-09 00:00")) == 0  # a weekend
    assert workdays_between(at("2026-03-09 00:00"), at("2026-03-07 00:00")) == 0  # backwards


def test_it_turns_yellow_at_exactly_80_percent_and_red_just_after_the_deadline(db):
    opened, deadline = at("2026-03-02 10:00"), at("2026-03-02 20:00")  # 10 working hours allowed
    assert traffic_light(opened, deadline, at("2026-03-02 17:59:59.999999")) == "green"
    assert traffic_light(opened, deadline, at("2026-03-02 18:00")) == "yellow"  # exactly 80%
    assert traffic_light(opened, deadline, deadline) == "yellow"  # exactly 100%
    assert traffic_light(opened, deadline, deadline + US) == "red"
    assert traffic_light(opened, deadline, deadline + US, paused=True) == "green"
    assert services.is_overdue(deadline, deadline + US)
    assert not services.is_overdue(deadline, deadline)


def test_it_stops_the_clock_on_weekends_and_holidays(db):
    opened, deadline = at("2026-03-06 14:00"), at("2026-03-09 14:00")  # Fri 10 h + Mon 14 h = 24 h
    assert traffic_light(opened, deadline, at("2026-03-08 23:00")) == "green"  # 10 h of 24 h
    assert traffic_light(opened, deadline, at("2026-03-09 09:11:59.999999")) == "green"
    assert traffic_light(opened, deadline, at("2026-03-09 09:12")) == "yellow"  # 19.2 h = 80%
    # Two working days before the Spring Festival: 11 calendar days in, only 39 of 63 working hours used.
    opened = at("2026-02-13 09:00")
    deadline = add_workdays(opened, 2)
    assert deadline == end("2026-02-24")
    assert traffic_light(opened, deadline, at("2026-02-23 23:00")) == "green"
    assert services.share_used(opened, deadline, at("2026-02-23 23:00")) < Fraction(80, 100)
    assert traffic_light(opened, deadline, at("2026-02-24 14:00")) == "yellow"
    assert traffic_light(opened, deadline, at("2026-02-25 00:00")) == "red"


def test_it_treats_an_empty_allowance_as_used_up(db):
    deadline = end("2026-03-03")
    assert traffic_light(deadline, deadline, deadline) == "yellow"
    assert traffic_light(deadline, deadline, deadline + US) == "red"


def test_it_takes_the_items_days_whatever_the_severity(db, monkeypatch):
    opened = at("2026-09-30 09:00")
    assert deadline_for(opened, 3, "general") == end("2026-10-10")
    assert deadline_for(opened, 3, "serious") == end("2026-10-10")
    assert deadline_for(opened, 0, "serious") == end("2026-09-30")
    monkeypatch.setitem(services.SEVERITY_DAY_FACTOR, "serious", Fraction(1, 2))
    assert deadline_for(opened, 3, "serious") == end("2026-10-09")  # ceil(1.5) = 2
