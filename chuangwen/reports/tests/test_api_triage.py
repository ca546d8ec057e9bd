"""/api/v1/reports/triage (reports/api.py): the queue, one report, accept, reject and merge — what the triage
pages do, through the same functions, once per client id, scoped to the caller's unit."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from chuangwen.audit.models import AuditEntry
from chuangwen.cases.models import CaseEvent, CaseState
from chuangwen.core.bounds import ID_MAX
from chuangwen.reports import guard, public
from chuangwen.reports.models import CitizenReport
from chuangwen.reports.tests.report_fixtures import EAST, WEST, submit
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db

BASE = "/api/v1/reports/triage"
PHONE = "13812345678"


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel("2026-12-02 10:00 +0800", tick=False):
        yield


def post(client: Any, url: str, payload: dict[str, Any] | None = None) -> Any:
    body = {"client_id": str(uuid.uuid4()), **(payload or {})}
    return client.post(url, data=json.dumps(body), content_type="application/json")


def state(report: CitizenReport) -> str:
    report.case.refresh_from_db()
    return report.case.state


def test_the_queue_shows_the_full_number_to_coordinators_only(users, categories) -> None:
    waiting = submit(categories["garbage"], WEST, phone=PHONE)
    mine = client_for(users["coordinator"]).get(BASE).json()
    assert mine["count"] == 1 and mine["items"][0]["tracking_code"] == waiting.tracking_code
    assert mine["items"][0]["phone"] == PHONE and mine["items"][0]["status"]["code"] == "received"
    leader = client_for(users["leader"]).get(f"{BASE}?tab=all").json()
    assert leader["items"][0]["phone"] == "138****5678"
    for who in ("west_handler", "inspector", "west_head", "verifier"):
        assert client_for(users[who]).get(BASE).status_code == 403, who
    assert client_for(users["coordinator"]).get(f"{BASE}?tab=odd").status_code == 422


def test_a_report_shows_what_its_page_shows(users, org, categories) -> None:
    first = submit(categories["garbage"], WEST)
    second = submit(categories["garbage"], WEST)
    detail = client_for(users["coordinator"]).get(f"{BASE}/{second.pk}").json()
    assert detail["can_act"] and detail["suggestion"]["usable"]
    assert detail["suggestion"]["unit"]["id"] == org["west"].pk
    assert [item["tracking_code"] for item in detail["duplicates"]] == [first.tracking_code]
    assert not client_for(users["leader"]).get(f"{BASE}/{second.pk}").json()["can_act"]


def test_it_accepts_a_report_into_a_case_once(users, org, categories) -> None:
    report = submit(categories["garbage"], WEST)
    client = client_for(users["coordinator"])
    body = {"client_id": str(uuid.uuid4()), "unit_id": org["west"].pk, "explanation": "附近点位"}
    first = post(client, f"{BASE}/{report.pk}/accept", body)
    assert first.status_code == 200, first.content
    assert first.json()["case_state"] == CaseState.DISPATCHED and first.json()["unit"]["id"] == org["west"].pk
    assert post(client, f"{BASE}/{report.pk}/accept", body).json() == first.json()
    assert CaseEvent.objects.filter(case=report.case, action="triage_accept").count() == 1
    assert AuditEntry.objects.filter(object_id=str(report.case.pk), action="case.triage_accept").count() == 1
    late = post(client, f"{BASE}/{report.pk}/reject", {"reason": "晚了"})  # the page's refusal
    assert late.status_code == 403 and late.json()["code"] == "refused"
    assert state(report) == CaseState.DISPATCHED


def test_it_rejects_with_a_reason_the_citizen_sees(users, categories) -> None:
    report = submit(categories["garbage"], WEST)
    client = client_for(users["coordinator"])
    for reason, field in (("", "reason"), ("   ", "reason"), ("长" * 1001, "reason")):
        refused = post(client, f"{BASE}/{report.pk}/reject", {"reason": reason})
        assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][-1] == field
    assert state(report) == CaseState.NEW
    body = {"client_id": str(uuid.uuid4()), "reason": "已由交警现场处理"}
    assert post(client, f"{BASE}/{report.pk}/reject", body).json()["status"]["notes"] == "已由交警现场处理"
    assert post(client, f"{BASE}/{report.pk}/reject", body).status_code == 200
    assert CaseEvent.objects.filter(case=report.case, action="reject").count() == 1
    assert public.public_status(CitizenReport.objects.get(pk=report.pk)).code == "rejected"


def test_it_merges_a_duplicate_once(users, org, categories) -> None:
    kept = submit(categories["garbage"], WEST)
    duplicate = submit(categories["garbage"], WEST, phone="13900001111")
    guard.support_report(duplicate, phone="13700002222")
    client = client_for(users["coordinator"])
    self_merge = post(client, f"{BASE}/{kept.pk}/duplicate", {"duplicate_of": kept.tracking_code})
    assert self_merge.status_code == 422 and self_merge.json()["detail"][0]["loc"][-1] == "duplicate_of"
    body = {"client_id": str(uuid.uuid4()), "duplicate_of": kept.tracking_code.lower()}
    first = post(client, f"{BASE}/{duplicate.pk}/duplicate", body)
    assert first.status_code == 200 and first.json()["case_state"] == CaseState.DUPLICATE
    assert post(client, f"{BASE}/{duplicate.pk}/duplicate", body).json() == first.json()
    kept.refresh_from_db()
    assert kept.supporters == 2  # the duplicate's supporter and its reporter, counted once


@pytest.mark.parametrize("unit_id", [0, ID_MAX + 1, 999999, "east"])
def test_a_unit_outside_the_scope_is_a_422_and_changes_nothing(users, org, categories, unit_id) -> None:
    report = submit(categories["garbage"], WEST)
    west_coordinator = make_user("west_coord", "coordinator", org["west"])
    chosen = org["east"].pk if unit_id == "east" else unit_id
    response = post(client_for(west_coordinator), f"{BASE}/{report.pk}/accept", {"unit_id": chosen})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "unit_id"
    assert state(report) == CaseState.NEW
    response = post(client_for(users["coordinator"]), f"{BASE}/{report.pk}/accept", {"unit_id": chosen})
    if unit_id == "east":
        assert response.status_code == 200  # the district's coordinator may send it to the east street
    else:
        assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "unit_id"
        assert state(report) == CaseState.NEW


def test_another_units_coordinator_gets_404_on_every_operation(users, org, categories) -> None:
    east = submit(categories["garbage"], EAST)
    client = client_for(make_user("west_coord", "coordinator", org["west"]))
    assert client.get(BASE).json()["count"] == 0
    assert client.get(f"{BASE}/{east.pk}").status_code == 404
    calls = [
        ("accept", {"unit_id": org["west"].pk}),
        ("reject", {"reason": "不归我们管"}),
        ("duplicate", {"duplicate_of": east.tracking_code}),
    ]
    for action, payload in calls:
        secret = post(client, f"{BASE}/{east.pk}/{action}", payload)
        missing = post(client, f"{BASE}/999999/{action}", payload)
        assert secret.status_code == missing.status_code == 404, action
        assert secret.json() == missing.json()
    assert state(east) == CaseState.NEW


def test_leaders_read_but_do_not_triage(users, org, categories) -> None:
    report = submit(categories["garbage"], WEST)
    client = client_for(users["leader"])
    for action, payload in (("accept", {"unit_id": org["west"].pk}), ("reject", {"reason": "x"})):
        refused = post(client, f"{BASE}/{report.pk}/{action}", payload)
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert (
        post(client_for(users["west_handler"]), f"{BASE}/{report.pk}/reject", {"reason": "x"}).status_code
        == 403
    )
    assert state(report) == CaseState.NEW
