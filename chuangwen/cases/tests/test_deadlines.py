"""The deadline window and its light: stored moments compared with now, the same in Python and in SQL, and
in agreement with the calendar rule of workdays.traffic_light."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chuangwen.cases.deadlines import deadline_fields, light_counts, light_of, light_q
from chuangwen.cases.models import Case
from chuangwen.cases.tests.case_fixtures import make_case
from chuangwen.workdays.services import RED, add_workdays, warn_point
from chuangwen.workdays.tests.oracle import traffic_light

SHANGHAI = ZoneInfo("Asia/Shanghai")
MOMENTS = st.datetimes(
    min_value=datetime(2026, 1, 20), max_value=datetime(2026, 3, 10), timezones=st.just(SHANGHAI)
)


@pytest.mark.django_db  # the calendar reads the local holiday table
@settings(max_examples=300, deadline=None)
@given(start=MOMENTS, days=st.integers(min_value=0, max_value=12), now=MOMENTS)
def test_it_turns_yellow_exactly_where_the_calendar_rule_does(start, days, now):
    """Across the 2026 Spring Festival: now ≥ warn_point ⇔ traffic_light says yellow (or red)."""
    deadline = add_workdays(start, days)
    warn = warn_point(start, deadline)
    assert start <= warn <= deadline
    light = traffic_light(start, deadline, now)
    if light != RED:
        assert (light == "yellow") == (now >= warn)


@pytest.mark.django_db
def test_it_puts_the_warning_at_eighty_percent_of_working_time():
    # opened Friday 13 Feb 10:00, 5 working days: 14 (make-up Sat), 24, 25, 26, 27 → deadline end of 27 Feb
    start = datetime(2026, 2, 13, 10, 0, tzinfo=SHANGHAI)
    deadline = add_workdays(start, 5)
    assert deadline.date().isoformat() == "2026-02-27"
    # allowed: 14 h of the 13th + 5 whole days = 134 h; 80 % = 107.2 h → 93.2 h after the 13th's end:
    # the 14th, 24th and 25th (72 h) → 21.2 h into the 26th, i.e. 21:12 (the festival days never count)
    assert warn_point(start, deadline) == datetime(2026, 2, 26, 21, 12, tzinfo=SHANGHAI)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    state=st.sampled_from(["dispatched", "accepted", "rework", "suspended", "closed", "rectified"]),
    start=MOMENTS,
    days=st.integers(min_value=0, max_value=8),
    now=MOMENTS,
)
def test_it_counts_lights_in_sql_as_the_page_shows_them(org, state, start, days, now):
    case = make_case(state, org["east"], **deadline_fields(start, add_workdays(start, days)))
    cases = Case.objects.filter(pk=case.pk)
    shown = light_of(case, now)
    counts = light_counts(cases, now)
    for light in ("green", "yellow", "red"):
        assert counts[light] == (1 if shown == light else 0)
        assert cases.filter(light_q(light, now)).exists() == (shown == light)


@pytest.mark.django_db
def test_it_never_shows_a_suspended_or_closed_case_red(org):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
    fields = deadline_fields(start, add_workdays(start, 1))
    later = start + timedelta(days=30)
    assert light_of(make_case("suspended", org["east"], **fields), later) == "green"
    assert light_of(make_case("closed", org["east"], **fields), later) == ""
    assert light_of(make_case("accepted", org["east"], **fields), later) == "red"


@pytest.mark.django_db(transaction=True)
def test_it_moves_the_warning_when_the_coordinator_corrects_the_calendar(org):
    from chuangwen.workdays.models import CalendarDay, DayKind

    start = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)  # Monday; 5 working days → end of Monday 9 March
    deadline = add_workdays(start, 5)
    case = make_case("accepted", org["east"], **deadline_fields(start, deadline))
    before = case.warn_at
    CalendarDay.objects.create(date=datetime(2026, 3, 4).date(), kind=DayKind.HOLIDAY, name="本地停工")
    case.refresh_from_db()
    assert case.deadline == deadline  # a given deadline stands
    assert case.warn_at == warn_point(start, deadline) and case.warn_at != before
