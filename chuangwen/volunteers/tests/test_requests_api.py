"""/api/v1/volunteers/requests and /certificates: scoped lists with bounded paging, the detail with its
allowed actions, transitions with structured refusals (400 field, 403, 404, 409 conflict)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from chuangwen.volunteers.models import Certificate, RequestState
from chuangwen.volunteers.tests.fixtures_requests import NOW, in_state, served_volunteer, submit, world
from conftest import client_for

pytestmark = pytest.mark.django_db
S = RequestState
API = "/api/v1/volunteers"


@pytest.fixture(autouse=True)
def clock() -> Iterator[Any]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def post(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def test_it_lists_in_scope_with_bounded_paging_and_masked_phones(
    org: dict[str, Any], users: dict[str, Any]
) -> None:
    w = world(org, users)
    req = submit(org)
    in_state(org, users, w, S.APPROVED)
    submit(org, unit="east_c")
    west = client_for(users["west_handler"])
    body = west.get(f"{API}/requests").json()
    assert body["count"] == 2 and {i["unit"]["name"] for i in body["items"]} == {"柳浪社区"}
    assert all(i["requester_phone"] == "138****5678" for i in body["items"])
    assert west.get(f"{API}/requests?state=approved").json()["count"] == 1
    assert west.get(f"{API}/requests?unit_id={org['west_c'].pk}&limit=1").json()["count"] == 2
    assert len(west.get(f"{API}/requests?limit=1&offset=1").json()["items"]) == 1
    assert client_for(users["coordinator"]).get(f"{API}/requests").json()["count"] == 3
    for bad in ("offset=-1", "offset=10000001", "limit=0", "limit=51", "state=open", "unit_id=0"):
        assert west.get(f"{API}/requests?{bad}").status_code == 422, bad
    detail = west.get(f"{API}/requests/{req.pk}").json()
    assert detail["code"] == req.code and detail["requester_phone"] == "138****5678"
    assert [a["action"] for a in detail["allowed_actions"]] == ["approve", "reject", "cancel"]
    assert detail["events"][0]["action"] == "submit"


def test_another_streets_staff_gets_404_and_other_roles_403(
    org: dict[str, Any], users: dict[str, Any]
) -> None:
    req = submit(org)
    east = client_for(users["east_handler"])
    assert east.get(f"{API}/requests").json()["count"] == 0
    assert east.get(f"{API}/requests/{req.pk}").status_code == 404
    response = post(east, f"{API}/requests/{req.pk}/transitions", {"action": "approve"})
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    leader = client_for(users["leader"])
    response = leader.get(f"{API}/requests")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


def test_it_takes_transitions_and_refuses_with_structured_errors(
    org: dict[str, Any], users: dict[str, Any]
) -> None:
    w = world(org, users)
    req = submit(org)
    west = client_for(users["west_handler"])
    url = f"{API}/requests/{req.pk}/transitions"
    response = post(west, url, {"action": "reject", "version": 1})
    assert response.status_code == 400
    assert response.json() == {
        "detail": "请填写理由", "code": "invalid", "field": "reason", "message": "请填写理由"
    }  # fmt: skip
    response = post(west, url, {"action": "approve", "version": 1})
    assert response.status_code == 200 and response.json()["state"] == "approved"
    assert response.json()["teams"] and response.json()["version"] == 2
    response = post(west, url, {"action": "dispatch", "version": 1, "team_id": w["team"].pk})
    assert response.status_code == 409 and response.json()["code"] == "conflict"
    assert response.json()["field"] == "version"
    response = post(west, url, {"action": "dispatch", "version": 2, "team_id": w["east_team"].pk})
    assert response.status_code == 400 and response.json()["field"] == "team_id"
    response = post(west, url, {"action": "take", "version": 2})
    assert response.status_code == 409 and response.json()["code"] == "state"
    response = post(west, url, {"action": "dispatch", "version": 2, "team_id": w["team"].pk})
    assert response.json()["state"] == "dispatched" and response.json()["team"]["id"] == w["team"].pk
    other = client_for(w["other_manager"])
    assert post(other, url, {"action": "take"}).status_code == 404  # not his team: not even found
    manager = client_for(w["team_manager"])
    response = post(manager, url, {"action": "take", "version": 3})
    assert response.status_code == 200 and response.json()["state"] == "taken"
    response = post(manager, url, {"action": "complete", "reason": "已完成"})
    assert response.json()["state"] == "done"
    response = post(west, url, {"action": "rate"})
    assert response.status_code == 422  # the requester rates on the public page, not through the API
    response = post(west, url, {"action": "approve", "team_id": 2**64})
    assert response.status_code == 422


def test_it_issues_and_lists_certificates(org: dict[str, Any], users: dict[str, Any]) -> None:
    w = world(org, users)
    served = served_volunteer(org, users, w)
    v = served["volunteer"]
    body = {
        "volunteer_id": v.pk,
        "team_id": w["team"].pk,
        "period_start": "2026-03-01",
        "period_end": "2026-03-31",
    }
    manager = client_for(w["team_manager"])
    response = post(manager, f"{API}/certificates", body)
    assert response.status_code == 201, response.content
    made = response.json()
    assert made["number"] == "T-W-1-2026-00001" and made["minutes"] == 210 and made["hours"] == "3.5"
    assert made["activities"] == 2 and made["verify_url"].endswith(
        f"/v/certificates/{Certificate.objects.get().verify_token}/"
    )
    assert manager.get(made["pdf"]).status_code == 200
    east = client_for(users["east_handler"])
    response = post(east, f"{API}/certificates", body)
    assert response.status_code == 404  # not a team he manages
    empty = {**body, "period_start": "2025-01-01", "period_end": "2025-01-31"}
    response = post(manager, f"{API}/certificates", empty)
    assert response.status_code == 400 and response.json()["code"] == "empty"
    response = post(manager, f"{API}/certificates", {**body, "period_start": "1900-01-01"})
    assert response.status_code == 422
    assert manager.get(f"{API}/certificates").json()["count"] == 1
    assert east.get(f"{API}/certificates").json()["count"] == 0
    assert v.user is not None
    mine = client_for(v.user).get(f"{API}/certificates").json()
    assert mine["count"] == 1 and mine["items"][0]["volunteer_number"] == v.number
