"""/api/v1/rounds/{id}/draw, /teams, /start, /publish, /entries/{id}/reassign (rounds/api_lifecycle.py): each
does what its button on the round page does, once per client id, and nothing for anyone outside the round."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from chuangwen.audit.models import AuditEntry
from chuangwen.rounds.models import FindingStatus, RoundSite, RoundStatus, Team
from chuangwen.rounds.tests.round_fixtures import accept_visit_with_finding
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db

BASE = "/api/v1/rounds"


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel("2026-12-02 10:00 +0800", tick=False):
        yield


def post(client: Any, url: str, payload: dict[str, Any] | None = None) -> Any:
    body = {"client_id": str(uuid.uuid4()), **(payload or {})}
    return client.post(url, data=json.dumps(body), content_type="application/json")


def audits(action: str) -> int:
    return AuditEntry.objects.filter(action=action).count()


def test_it_draws_once_per_client_id(draft_round, users) -> None:
    client = client_for(users["coordinator"])
    body = {"client_id": str(uuid.uuid4())}
    first = post(client, f"{BASE}/{draft_round.pk}/draw", body)
    assert first.status_code == 200, first.content
    drawn = first.json()
    assert drawn["status"] == "drawn" and len(drawn["entries"]) == 7 and drawn["seed"] is None
    assert drawn["commitments"]["combined"]
    draft_round.refresh_from_db()
    seed = draft_round.seed
    again = post(client, f"{BASE}/{draft_round.pk}/draw", body)
    assert again.status_code == 200 and again.json() == drawn
    draft_round.refresh_from_db()
    assert draft_round.seed == seed and audits("round.draw") == 1
    late = post(client, f"{BASE}/{draft_round.pk}/draw")  # a new id: the page's refusal, as a 409
    assert late.status_code == 409 and late.json()["code"] == "refused"


def test_it_builds_teams_and_asks_before_replacing_them(drawn_round, users, team_inspectors) -> None:
    client = client_for(users["coordinator"])
    ids = [person.pk for person in team_inspectors]
    body = {"client_id": str(uuid.uuid4()), "inspector_ids": ids}
    first = post(client, f"{BASE}/{drawn_round.pk}/teams", body)
    assert first.status_code == 200, first.content
    assert [len(team["members"]) for team in first.json()["teams"]] == [2, 2]
    assert all(entry["team_id"] for entry in first.json()["entries"])
    assert post(client, f"{BASE}/{drawn_round.pk}/teams", body).json() == first.json()
    assert audits("round.teams") == 1
    again = post(client, f"{BASE}/{drawn_round.pk}/teams", {"inspector_ids": ids[:2]})
    assert again.status_code == 409 and again.json()["field"] == "replace"
    assert Team.objects.filter(round=drawn_round).count() == 2
    replaced = post(client, f"{BASE}/{drawn_round.pk}/teams", {"inspector_ids": ids[:2], "replace": True})
    assert replaced.status_code == 200 and len(replaced.json()["teams"]) == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"inspector_ids": []}, "inspector_ids"),
        ({"inspector_ids": [0]}, "inspector_ids"),
        ({"inspector_ids": [1], "team_size": 11}, "team_size"),
        ({"inspector_ids": "1,2"}, "inspector_ids"),
    ],
)
def test_bad_team_input_is_a_422_and_changes_nothing(drawn_round, users, payload, field) -> None:
    response = post(client_for(users["coordinator"]), f"{BASE}/{drawn_round.pk}/teams", payload)
    assert response.status_code == 422
    assert field in response.json()["detail"][0]["loc"]
    assert not Team.objects.filter(round=drawn_round).exists()


def test_someone_who_may_not_inspect_cannot_be_put_on_a_team(drawn_round, users, team_inspectors) -> None:
    ids = [team_inspectors[0].pk, users["leader"].pk]
    response = post(
        client_for(users["coordinator"]), f"{BASE}/{drawn_round.pk}/teams", {"inspector_ids": ids}
    )
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "inspector_ids"
    assert not Team.objects.filter(round=drawn_round).exists() and audits("round.teams") == 0


def test_it_starts_and_publishes_once_with_the_gaps_confirmed(drawn_round, users, team_inspectors) -> None:
    client = client_for(users["coordinator"])
    early = post(client, f"{BASE}/{drawn_round.pk}/start")
    assert early.status_code == 409 and "分组" in early.json()["detail"]
    post(client, f"{BASE}/{drawn_round.pk}/teams", {"inspector_ids": [p.pk for p in team_inspectors]})
    body: dict[str, Any] = {"client_id": str(uuid.uuid4())}
    assert post(client, f"{BASE}/{drawn_round.pk}/start", body).json()["status"] == "in_progress"
    assert post(client, f"{BASE}/{drawn_round.pk}/start", body).status_code == 200
    assert audits("round.start") == 1
    entry = RoundSite.objects.filter(round=drawn_round).order_by("draw_order").first()
    assert entry is not None
    visit = accept_visit_with_finding(drawn_round, entry, team_inspectors[0])
    gaps = post(client, f"{BASE}/{drawn_round.pk}/publish")
    assert gaps.status_code == 409 and gaps.json()["code"] == "missing_visits"
    assert len(gaps.json()["missing"]) == 6 and entry.site.code not in gaps.json()["missing"]
    body = {"client_id": str(uuid.uuid4()), "confirm_missing": True}
    published = post(client, f"{BASE}/{drawn_round.pk}/publish", body)
    assert published.status_code == 200 and published.json()["status"] == "published"
    drawn_round.refresh_from_db()
    assert published.json()["seed"] == drawn_round.seed
    assert visit.findings.get().status == FindingStatus.READY
    assert post(client, f"{BASE}/{drawn_round.pk}/publish", body).json() == published.json()
    assert audits("round.publish") == 1


def test_it_reassigns_a_site_to_another_team(started_round, users) -> None:
    client = client_for(users["coordinator"])
    entry = RoundSite.objects.filter(round=started_round).order_by("draw_order").first()
    assert entry is not None
    other = Team.objects.filter(round=started_round).exclude(pk=entry.team_id or 0).get()
    url = f"{BASE}/{started_round.pk}/entries/{entry.pk}/reassign"
    body: dict[str, Any] = {"client_id": str(uuid.uuid4()), "team_id": other.pk}
    moved = post(client, url, body)
    assert moved.status_code == 200
    assert next(e for e in moved.json()["entries"] if e["id"] == entry.pk)["team_id"] == other.pk
    assert post(client, url, body).json() == moved.json() and audits("round.reassign") == 1
    wrong = post(client, url, {"team_id": 999999})
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"][-1] == "team_id"
    missing = post(client, f"{BASE}/{started_round.pk}/entries/999999/reassign", {"team_id": other.pk})
    assert missing.status_code == 404


ACTIONS: list[tuple[str, dict[str, Any]]] = [
    ("draw", {}),
    ("teams", {"inspector_ids": [1]}),
    ("start", {}),
    ("publish", {"confirm_missing": True}),
    ("entries/1/reassign", {"team_id": 1}),
]


@pytest.mark.parametrize("who", ["west_coordinator", "leader", "west_handler", "east_handler", "verifier"])
def test_outsiders_cannot_learn_a_round_in_progress_exists(who, started_round, users, org) -> None:
    people = {**users, "west_coordinator": make_user("west_coord", "coordinator", org["west"])}
    client = client_for(people[who])
    for action, payload in ACTIONS:
        secret = post(client, f"{BASE}/{started_round.pk}/{action}", payload)
        missing = post(client, f"{BASE}/999999/{action}", payload)
        assert secret.status_code == missing.status_code == 404, (action, secret.content)
        assert secret.json() == missing.json()
    started_round.refresh_from_db()
    assert started_round.status == RoundStatus.IN_PROGRESS and audits("round.publish") == 0


def test_an_inspector_on_the_round_sees_it_but_may_not_run_it(started_round, users) -> None:
    client = client_for(users["inspector"])
    assert client.get(f"{BASE}/{started_round.pk}").status_code == 200
    refused = post(client, f"{BASE}/{started_round.pk}/publish", {"confirm_missing": True})
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    started_round.refresh_from_db()
    assert started_round.status == RoundStatus.IN_PROGRESS
