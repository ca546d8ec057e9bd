"""GET /api/v1/inspect/assignments and who may use the inspection API at all."""

from __future__ import annotations

import pytest

from chuangwen.accounts.services import issue_token
from chuangwen.rounds.models import RoundStatus, Team, Visit
from chuangwen.rounds.tests.visit_fixtures import done_payload, make_round, post_json
from chuangwen.rounds.visits import submit_visit
from conftest import client_for, make_user

BASE = "/api/v1/inspect"
OUTSIDERS = ["leader", "west_handler", "west_head", "verifier", "admin"]


def test_inspector_sees_the_team_route_and_checklists(users, sites, visit_round) -> None:
    response = client_for(users["inspector"]).get(f"{BASE}/assignments")
    assert response.status_code == 200
    (round_out,) = response.json()["rounds"]
    assert round_out["id"] == visit_round.pk and round_out["name"] == "2026年12月暗访"
    assert round_out["kind"] == "unannounced" and round_out["period_start"] == "2026-12-01"
    assert round_out["max_distance_m"] == 300
    assert round_out["team"]["name"] == "第1组" and round_out["team"]["members"] == ["inspector"]
    assert [s["code"] for s in round_out["sites"]] == ["P0001", "P0002", "P0003"]
    first = round_out["sites"][0]
    assert first["site_id"] == sites["west_road"].pk and first["route_order"] == 1
    assert first["lat"] == 30.05 and first["visit"] is None
    assert set(round_out["site_types"]) == {"ZD", "NM", "LJ"}
    zd = round_out["site_types"]["ZD"]
    assert zd["name"] == "主次干道" and zd["protocol"]
    item = zd["items"][0]
    assert item == {
        "code": "ZD-01",
        "category": "公益广告",
        "text": item["text"],
        "mode": "per_occurrence",
        "deduct": "2.00",
        "cap": "12.00",
        "unit_label": "处（缺少）",
    }
    assert zd["items"][-1]["cap"] is None  # ZD-07 is binary


def test_assignment_shows_the_stored_visit(users, sites, visit_round) -> None:
    payload = done_payload(visit_round, sites["west_road"])
    submit_visit(payload, users["inspector"])
    body = client_for(users["inspector"]).get(f"{BASE}/assignments/{visit_round.pk}").json()
    assert body["sites"][0]["visit"] == {
        "client_id": payload["client_id"],
        "status": "submitted",
        "outcome": "done",
    }
    assert body["sites"][1]["visit"] is None


def test_only_rounds_in_progress_are_listed(org, users, sites, standard, visit_round) -> None:
    draft = make_round(org, users, standard, name="草稿批次", status=RoundStatus.DRAFT)
    Team.objects.create(round=draft, name="第1组").members.add(users["inspector"])
    rounds = client_for(users["inspector"]).get(f"{BASE}/assignments").json()["rounds"]
    assert [r["id"] for r in rounds] == [visit_round.pk]
    assert client_for(users["inspector"]).get(f"{BASE}/assignments/{draft.pk}").status_code == 404


def test_team_route_only(users, sites, visit_round) -> None:
    other = Team.objects.create(round=visit_round, name="第2组")
    visit_round.entries.filter(site=sites["east_estate"]).update(team=other)
    body = client_for(users["inspector"]).get(f"{BASE}/assignments/{visit_round.pk}").json()
    assert [s["code"] for s in body["sites"]] == ["P0001", "P0002"]
    assert set(body["site_types"]) == {"ZD", "NM"}
    response = post_json(
        client_for(users["inspector"]), f"{BASE}/visits", done_payload(visit_round, sites["east_estate"])
    )
    assert response.status_code == 404 and response.json()["code"] == "not_assigned"


def test_inspector_not_on_a_team_gets_404(org, users, sites, visit_round) -> None:
    stranger = make_user("inspector2", "inspector", org["district"])
    client = client_for(stranger)
    assert client.get(f"{BASE}/assignments").json() == {"rounds": []}
    response = client.get(f"{BASE}/assignments/{visit_round.pk}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    response = post_json(client, f"{BASE}/visits", done_payload(visit_round, sites["west_road"]))
    assert response.status_code == 404
    assert response.json() == {"detail": "测评批次不存在，或您不在该批次的测评小组中", "code": "not_found"}
    assert Visit.objects.count() == 0


def test_unknown_round_reads_exactly_like_a_secret_one(users, sites, visit_round) -> None:
    client = client_for(users["leader"])
    secret = client.get(f"{BASE}/assignments/{visit_round.pk}")
    missing = client.get(f"{BASE}/assignments/999999")
    assert secret.status_code == missing.status_code == 404
    assert secret.json() == missing.json()


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_never_see_a_secret_round(users, sites, visit_round, who) -> None:
    client = client_for(users[who])
    assert client.get(f"{BASE}/assignments").json() == {"rounds": []}
    assert client.get(f"{BASE}/assignments/{visit_round.pk}").status_code == 404
    response = post_json(client, f"{BASE}/visits", done_payload(visit_round, sites["west_road"]))
    assert response.status_code == 404
    assert "2026年12月暗访" not in response.content.decode()


def test_coordinator_reads_but_cannot_submit(users, sites, visit_round) -> None:
    client = client_for(users["coordinator"])
    assert client.get(f"{BASE}/assignments").json() == {"rounds": []}  # not on a team
    body = client.get(f"{BASE}/assignments/{visit_round.pk}").json()
    assert body["team"] is None and len(body["sites"]) == 3
    response = post_json(client, f"{BASE}/visits", done_payload(visit_round, sites["west_road"]))
    assert response.status_code == 403 and response.json()["code"] == "not_on_team"
    assert Visit.objects.count() == 0


def test_token_auth_for_phones(users, sites, visit_round) -> None:
    from django.test import Client

    key = issue_token(users["inspector"], "手机")
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(f"{BASE}/assignments").json()["rounds"][0]["id"] == visit_round.pk
    response = post_json(client, f"{BASE}/visits", done_payload(visit_round, sites["west_road"]))
    assert response.status_code == 201


def test_anonymous_is_refused(visit_round) -> None:
    from django.test import Client

    assert Client().get(f"{BASE}/assignments").status_code == 401


def test_openapi_documents_the_visit_body(users) -> None:
    schema = client_for(users["inspector"]).get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/inspect/visits"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert {"client_id", "round_id", "site_id", "judgements"} <= set(body["properties"])
    judgement = body["properties"]["judgements"]["items"]
    assert "item_code" in judgement["properties"] and "$ref" not in str(body)
    assert {"200", "201", "403", "404", "409"} <= set(operation["responses"])
