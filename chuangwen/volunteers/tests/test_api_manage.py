"""The volunteers API's setup writes: a unit's practice body, a new team, a member added by number — as the
staff pages do, once per client id; another street refused; bad input names the field."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from chuangwen.audit.models import AuditEntry
from chuangwen.volunteers.models import Membership, PracticeBody, Team
from chuangwen.volunteers.tests.fixtures import team, volunteer
from conftest import client_for

pytestmark = pytest.mark.django_db
BASE = "/api/v1/volunteers"
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def _send(user: Any, method: str, path: str, body: dict[str, Any]) -> Any:
    return getattr(client_for(user), method)(f"{BASE}{path}", body, content_type="application/json")


def test_it_sets_a_station_once(org: dict[str, Any], users: dict[str, Any]) -> None:
    body = {"client_id": str(uuid.uuid4()), "name": "柳浪社区新时代文明实践站", "address": "柳浪路 1 号",
            "position": {"lat": 30.05, "lng": 120.02}, "managers": ["west_handler"]}  # fmt: skip
    answer = _send(users["west_head"], "put", f"/bodies/units/{org['west_c'].pk}", body)
    assert answer.status_code == 200, answer.content
    station = PracticeBody.objects.get(unit=org["west_c"])
    assert station.kind == "station" and list(station.managers.all()) == [users["west_handler"]]
    again = _send(users["west_head"], "put", f"/bodies/units/{org['west_c'].pk}", {**body, "name": "改名"})
    assert again.json()["duplicate"] is True and PracticeBody.objects.get().name == "柳浪社区新时代文明实践站"
    assert AuditEntry.objects.filter(action="volunteer.body_save").count() == 1
    outsider = {**body, "client_id": str(uuid.uuid4()), "managers": ["east_handler"]}
    refused = _send(users["west_head"], "put", f"/bodies/units/{org['west_c'].pk}", outsider)
    assert refused.status_code == 404 and refused.json()["field"] == "managers"


def test_it_creates_a_team_and_adds_a_member_once(org: dict[str, Any], users: dict[str, Any]) -> None:
    body = {
        "client_id": str(uuid.uuid4()),
        "name": "柳浪巷清洁队",
        "unit_id": org["west_c"].pk,
        "kind": "public",
    }
    made = _send(users["west_handler"], "post", "/teams", body)
    assert made.status_code == 201, made.content
    created = Team.objects.get(name="柳浪巷清洁队")
    assert made.json()["id"] == created.pk and created.code.startswith(org["west_c"].code)
    assert _send(users["west_handler"], "post", "/teams", body).json()["duplicate"] is True
    v = volunteer(org, now=NOW)
    add = {"client_id": str(uuid.uuid4()), "number": v.number}
    joined = _send(users["west_handler"], "post", f"/teams/{created.pk}/members", add)
    assert joined.status_code == 200 and joined.json()["team"]["members"] == 1
    assert (
        _send(users["west_handler"], "post", f"/teams/{created.pk}/members", add).json()["duplicate"] is True
    )
    assert Membership.objects.filter(team=created, volunteer=v).count() == 1
    unknown = _send(users["west_handler"], "post", f"/teams/{created.pk}/members",
                    {"client_id": str(uuid.uuid4()), "number": "ZY0"})  # fmt: skip
    assert unknown.status_code == 400 and unknown.json()["field"] == "number"


def test_it_refuses_another_street(org: dict[str, Any], users: dict[str, Any]) -> None:
    west_team = team(org)
    v = volunteer(org, now=NOW)
    east = users["east_handler"]
    add = {"client_id": str(uuid.uuid4()), "number": v.number}
    assert _send(east, "post", f"/teams/{west_team.pk}/members", add).status_code == 404
    body = {"client_id": str(uuid.uuid4()), "name": "东城越界队", "unit_id": org["west_c"].pk}
    elsewhere = _send(east, "post", "/teams", body)
    assert elsewhere.status_code == 403 and elsewhere.json()["field"] == "unit_id"
    station = {"client_id": str(uuid.uuid4()), "name": "越界站"}
    assert _send(east, "put", f"/bodies/units/{org['west_c'].pk}", station).status_code == 404
    assert _send(users["inspector"], "post", "/teams", body).status_code == 403
    assert not Membership.objects.exists() and not Team.objects.filter(name="东城越界队").exists()
    assert not PracticeBody.objects.exists()


def test_it_names_the_field_of_bad_input(org: dict[str, Any], users: dict[str, Any]) -> None:
    body = {"client_id": str(uuid.uuid4()), "name": "x" * 101, "unit_id": org["west_c"].pk}
    answer = _send(users["west_handler"], "post", "/teams", body)
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"][-1] == "name"
    kind = _send(users["west_handler"], "post", "/teams", {**body, "name": "x", "kind": "army"})
    assert kind.status_code == 422 and kind.json()["detail"][0]["loc"][-1] == "kind"
    assert not Team.objects.exists()


def test_it_lets_a_volunteer_leave_once(org: dict[str, Any], users: dict[str, Any]) -> None:
    from chuangwen.volunteers.models import Volunteer

    v = volunteer(org, now=NOW)
    account = v.user
    assert account is not None
    confirmed = {"client_id": str(uuid.uuid4()), "confirm": True}
    assert _send(users["west_handler"], "post", "/me/leave", confirmed).status_code == 403
    unconfirmed = _send(account, "post", "/me/leave", {"client_id": str(uuid.uuid4()), "confirm": False})
    assert unconfirmed.status_code == 422 and unconfirmed.json()["detail"][0]["loc"][-1] == "confirm"
    answer = _send(account, "post", "/me/leave", {"client_id": str(uuid.uuid4()), "confirm": True})
    assert answer.status_code == 200 and answer.json()["number"] == v.number
    left = Volunteer.objects.get(pk=v.pk)
    assert left.left_at is not None and left.phone == "" and left.user is None
    account.refresh_from_db()
    assert not account.is_active
