"""The holiday table's API: read a year with sources, set and remove days as the admin and the command do;
idempotent by client id; only coordinators and administrators write; dates out of bounds refused."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from chuangwen.audit.models import AuditEntry
from chuangwen.workdays import services
from chuangwen.workdays.models import CalendarDay
from conftest import client_for

pytestmark = pytest.mark.django_db
BASE = "/api/v1/workdays"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _fixed_clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _put(user: Any, day: str, body: dict[str, Any]) -> Any:
    return client_for(user).put(f"{BASE}/days/{day}", body, content_type="application/json")


def test_it_sets_a_day_once_and_the_arithmetic_follows(users: dict[str, Any]) -> None:
    saturday = date(2027, 3, 6)
    assert not services.is_workday(saturday)
    body = {
        "client_id": str(uuid.uuid4()),
        "kind": "workday",
        "name": "调休上班",
        "note": "区政办〔2027〕1号",
    }
    answer = _put(users["coordinator"], saturday.isoformat(), body)
    assert answer.status_code == 200, answer.content
    assert answer.json()["workday"] is True and answer.json()["source"] == "local"
    assert services.is_workday(saturday)
    row = CalendarDay.objects.get(date=saturday)
    assert row.updated_by == users["coordinator"] and row.note == "区政办〔2027〕1号"
    again = _put(users["coordinator"], saturday.isoformat(), {**body, "kind": "holiday"})
    assert again.json()["duplicate"] is True and CalendarDay.objects.get(date=saturday).kind == "workday"
    assert AuditEntry.objects.filter(action="workdays.calendar_day.api_set").count() == 1
    year = client_for(users["west_handler"]).get(f"{BASE}/years", {"year": 2027}).json()
    assert any(day["date"] == "2027-03-06" and day["source"] == "local" for day in year["days"])


def test_it_removes_a_local_day(users: dict[str, Any]) -> None:
    CalendarDay.objects.create(date=date(2027, 3, 6), kind="workday", name="调休上班")
    client_id = str(uuid.uuid4())
    answer = client_for(users["admin"]).delete(f"{BASE}/days/2027-03-06?client_id={client_id}")
    assert answer.status_code == 200 and answer.json()["changed"] is True
    assert not CalendarDay.objects.exists() and not services.is_workday(date(2027, 3, 6))
    again = client_for(users["admin"]).delete(f"{BASE}/days/2027-03-06?client_id={client_id}")
    assert again.json()["duplicate"] is True
    assert AuditEntry.objects.filter(action="workdays.calendar_day.api_unset").count() == 1


def test_it_refuses_other_roles(users: dict[str, Any]) -> None:
    body = {"client_id": str(uuid.uuid4()), "kind": "holiday"}
    for name in ("west_handler", "east_handler", "west_head", "leader"):
        assert _put(users[name], "2027-03-08", body).status_code == 403, name
        delete = client_for(users[name]).delete(f"{BASE}/days/2027-03-08?client_id={uuid.uuid4()}")
        assert delete.status_code == 403
    assert not CalendarDay.objects.exists()


def test_it_names_the_field_of_bad_input(users: dict[str, Any]) -> None:
    coordinator = users["coordinator"]
    far = _put(coordinator, "9956-01-01", {"client_id": str(uuid.uuid4()), "kind": "holiday"})
    assert far.status_code == 400 and far.json()["field"] == "day"
    kind = _put(coordinator, "2027-03-08", {"client_id": str(uuid.uuid4()), "kind": "party"})
    assert kind.status_code == 422 and kind.json()["detail"][0]["loc"][-1] == "kind"
    name = _put(
        coordinator, "2027-03-08", {"client_id": str(uuid.uuid4()), "kind": "holiday", "name": "x" * 51}
    )
    assert name.status_code == 422 and name.json()["detail"][0]["loc"][-1] == "name"
    year = client_for(coordinator).get(f"{BASE}/years", {"year": 99999})
    assert year.status_code == 422
    assert not CalendarDay.objects.exists()
