"""Every date a person gives a case lies within the bounds (chuangwen.core.bounds) or is refused, the field
named, before anything is written: instruction deadlines, extensions, suspensions (挂账) and hotline dates.

An instruction deadline in the year 9956 was accepted, and counting its working days held the SQLite write
lock for two minutes; an extension to the year 2400 took six seconds."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
import time_machine
from django.test import Client

from chuangwen.cases import services
from chuangwen.cases.hotline import import_hotline
from chuangwen.cases.instructions import open_instruction_case
from chuangwen.cases.models import Case, CaseState, Instruction
from chuangwen.cases.tests.case_fixtures import make_case
from chuangwen.cases.tests.test_hotline import HEADERS, MAPPING, ROW_A, csv_bytes
from chuangwen.workdays.services import end_of_day, is_workday
from conftest import client_for

pytestmark = pytest.mark.django_db
S = CaseState
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=TZ)  # a Thursday
BOUNDS = "须在 2006-01-01 至 2031-12-03 之间"


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _api(user: Any) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def test_it_refuses_an_instruction_deadline_in_the_year_9956(people: Any, org: Any) -> None:
    """Through the page and through the API, for a new case and for an existing one: refused with the
    field named, and nothing written."""
    leader = people["leader"]
    page = client_for(leader).post(
        "/cases/instruct/new/", {"title": "占道经营", "unit": org["west"].pk, "deadline": "9956-01-01T10:00"}
    )
    assert page.status_code == 400 and "督办期限" + BOUNDS in page.content.decode()
    body = {"title": "占道经营", "unit_id": org["west"].pk, "deadline": "9956-01-01T10:00:00+08:00"}
    api = _api(leader).post("/api/v1/cases/instructions", body, content_type="application/json")
    assert api.status_code == 422
    assert api.json()["detail"] == [
        {"loc": ["body", "payload", "deadline"], "msg": "督办期限" + BOUNDS, "type": "value_error"}
    ]
    assert not Case.objects.exists()

    case = make_case(S.DISPATCHED, org["west"])
    page = client_for(leader).post(
        f"/cases/{case.pk}/instruct/", {"text": "快办", "deadline": "9956-01-01T10:00"}
    )
    assert page.status_code == 400 and "督办期限" + BOUNDS in page.content.decode()
    api = _api(leader).post(
        f"/api/v1/cases/{case.pk}/instructions",
        {"text": "快办", "deadline": "9956-01-01T10:00:00+08:00"},
        content_type="application/json",
    )
    assert api.status_code == 422 and api.json()["detail"][0]["loc"][-1] == "deadline"
    assert not Instruction.objects.exists() and not case.events.filter(action="instruct").exists()


def _warn_point_by_hand(start: datetime, deadline: datetime) -> datetime:
    """The 80 % point of the working time, walked day by day (the plain rule, for a short span)."""
    days = []
    day = start.date()
    while day <= deadline.date():
        if is_workday(day):
            begin = max(start, datetime.combine(day, datetime.min.time(), tzinfo=TZ))
            end = min(deadline, datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=TZ))
            days.append((begin, end - begin))
        day += timedelta(days=1)
    target = sum((length for _begin, length in days), timedelta(0)) * 4 / 5
    for begin, length in days:
        if length >= target:
            return begin + target
        target -= length
    return deadline


def test_it_opens_an_instruction_case_two_years_ahead_with_few_calendar_lookups(
    people: Any, org: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    lookups = []
    original = chinese_calendar.get_holiday_detail

    def counted(day: date) -> Any:
        lookups.append(day)
        return original(day)

    monkeypatch.setattr(chinese_calendar, "get_holiday_detail", counted)
    deadline = end_of_day(date(2028, 12, 1))
    case = open_instruction_case(people["leader"], org["west"], "拆除违建", "", deadline)
    assert case.deadline == deadline and case.deadline_from == NOW
    assert case.warn_at is not None and abs(case.warn_at - _warn_point_by_hand(NOW, deadline)) < timedelta(
        microseconds=2
    )
    # Only the days of the years the package knows are looked up, each at most a few times.
    assert len(lookups) < 3 * 366


@pytest.fixture
def accepted(org: Any, people: Any) -> Case:
    case = make_case("new", None, area=org["east_c"])
    services.apply(case, "triage_accept", people["coordinator"], unit=org["east"])
    services.apply(case, "accept", people["east_handler"])
    return case


def test_it_refuses_an_extension_to_the_year_2400(people: Any, accepted: Case) -> None:
    handler = people["east_handler"]
    version = accepted.version
    with pytest.raises(services.ValidationError) as info:
        services.apply(
            accepted, "request_extension", handler, reason="x", deadline=end_of_day(date(2400, 1, 1))
        )
    assert info.value.message_dict == {"deadline": ["期限" + BOUNDS]}
    page = client_for(handler).post(
        f"/cases/{accepted.pk}/act/request_extension/",
        {
            "request_extension-expected_version": accepted.version,
            "request_extension-reason": "需采购设备",
            "request_extension-deadline": "2400-01-01",
        },
    )
    assert page.status_code == 400 and "申请延期至" + BOUNDS in page.content.decode()
    api = _api(handler).post(
        f"/api/v1/cases/{accepted.pk}/actions/request_extension",
        {"reason": "需采购设备", "deadline": "2400-01-01"},
        content_type="application/json",
    )
    assert api.status_code == 422
    assert api.json()["detail"][0] == {
        "loc": ["body", "payload", "deadline"],
        "msg": "期限" + BOUNDS,
        "type": "value_error",
    }
    accepted.refresh_from_db()
    assert accepted.version == version and accepted.extension_requested_until is None


def test_it_refuses_a_suspension_planned_for_the_year_9956(people: Any, accepted: Case) -> None:
    coordinator = people["coordinator"]
    api = _api(coordinator).post(
        f"/api/v1/cases/{accepted.pk}/actions/suspend",
        {"reason": "需立项改造", "planned_date": "9956-01-01"},
        content_type="application/json",
    )
    assert api.status_code == 422 and api.json()["detail"][0]["msg"] == "计划完成日期" + BOUNDS
    page = client_for(coordinator).post(
        f"/cases/{accepted.pk}/act/suspend/",
        {
            "suspend-expected_version": accepted.version,
            "suspend-reason": "需立项改造",
            "suspend-planned_date": "9956-01-01",
        },
    )
    assert page.status_code == 400 and "计划完成日期" + BOUNDS in page.content.decode()
    accepted.refresh_from_db()
    assert accepted.state == S.ACCEPTED and accepted.suspended_until is None
    # A date within the bounds is taken.
    services.apply(accepted, "suspend", coordinator, reason="需立项改造", planned_date=date(2027, 6, 30))
    assert accepted.state == S.SUSPENDED and accepted.suspended_until == date(2027, 6, 30)


def test_it_refuses_hotline_dates_out_of_bounds(people: Any) -> None:
    old = ["GD101", "1900-01-01 09:00", *ROW_A[2:]]
    far = [*ROW_A[:-1], "9956-01-01"]
    far[0] = "GD102"
    result = import_hotline(csv_bytes([old, far]), MAPPING, people["coordinator"])
    assert not result.ok and not Case.objects.exists()
    reasons = {(e.row, e.column): e.reason for e in result.errors}
    assert reasons[(2, HEADERS[1])] == "受理时间" + BOUNDS
    assert reasons[(3, HEADERS[7])] == "办理时限" + BOUNDS
