"""/api/v1/rounds/{id}/visits, /rounds/visits/{id}/accept, /send-back and /{id}/visits/accept-clean
(rounds/api_review.py): the review pages' buttons, audited like them, once per client id."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from chuangwen.audit.models import AuditEntry
from chuangwen.rounds.models import Finding, Visit, VisitStatus
from chuangwen.rounds.tests.visit_fixtures import done_payload, make_photo
from chuangwen.rounds.visits import submit_visit
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db

BASE = "/api/v1/rounds"


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel("2026-12-02 10:00 +0800", tick=False):
        yield


@pytest.fixture
def visits(users: Any, sites: Any, visit_round: Any) -> dict[str, Visit]:
    """A clean visit and one with a finding."""
    inspector = users["inspector"]
    clean, _ = submit_visit(done_payload(visit_round, sites["west_road"]), inspector)
    failing = done_payload(visit_round, sites["west_market"])
    failing["judgements"][0].update(
        result="not_conforming", count=1, photo_ids=[str(make_photo(inspector).client_id)]
    )
    found, _ = submit_visit(failing, inspector)
    return {"clean": clean, "found": found}


def post(client: Any, url: str, payload: dict[str, Any] | None = None) -> Any:
    body = {"client_id": str(uuid.uuid4()), **(payload or {})}
    return client.post(url, data=json.dumps(body), content_type="application/json")


def audits(action: str) -> int:
    return AuditEntry.objects.filter(action=action).count()


def test_it_lists_a_rounds_visits_with_the_pages_filter(users, visit_round, visits) -> None:
    client = client_for(users["coordinator"])
    listed = client.get(f"{BASE}/{visit_round.pk}/visits").json()
    assert listed["count"] == 2 and [v["id"] for v in listed["items"]] == [
        visits["found"].pk,
        visits["clean"].pk,
    ]
    assert client.get(f"{BASE}/{visit_round.pk}/visits?status=accepted").json()["count"] == 0
    assert client.get(f"{BASE}/{visit_round.pk}/visits?status=odd").status_code == 422


def test_it_accepts_a_visit_once(users, visits) -> None:
    client = client_for(users["coordinator"])
    body = {"client_id": str(uuid.uuid4())}
    url = f"{BASE}/visits/{visits['found'].pk}/accept"
    first = post(client, url, body)
    assert first.status_code == 200 and first.json()["status"] == "accepted"
    assert post(client, url, body).json() == first.json()
    assert audits("visit_accepted") == 1
    again = post(client, url)  # a new id: the page's refusal, as a 409
    assert again.status_code == 409 and again.json()["code"] == "refused"


def test_it_sends_a_visit_back_with_a_reason(users, visits) -> None:
    client = client_for(users["coordinator"])
    url = f"{BASE}/visits/{visits['found'].pk}/send-back"
    for note in ("", "   ", "长" * 501):
        refused = post(client, url, {"note": note})
        assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][-1] == "note"
    assert Visit.objects.get(pk=visits["found"].pk).status == VisitStatus.SUBMITTED
    body = {"client_id": str(uuid.uuid4()), "note": "照片看不清"}
    sent = post(client, url, body)
    assert sent.status_code == 200 and sent.json()["status"] == "sent_back"
    assert sent.json()["review_note"] == "照片看不清"
    assert not Finding.objects.filter(visit=visits["found"]).exists()
    assert post(client, url, body).json() == sent.json() and audits("visit_sent_back") == 1


def test_it_accepts_the_clean_visits_at_once(users, visit_round, visits) -> None:
    client = client_for(users["coordinator"])
    body = {"client_id": str(uuid.uuid4())}
    url = f"{BASE}/{visit_round.pk}/visits/accept-clean"
    first = post(client, url, body)
    assert first.status_code == 200 and first.json() == {"accepted": [visits["clean"].pk]}
    assert post(client, url, body).json() == first.json()
    assert audits("visit_accepted") == 1
    assert Visit.objects.get(pk=visits["found"].pk).status == VisitStatus.SUBMITTED


@pytest.mark.parametrize("who", ["west_coordinator", "leader", "west_handler", "verifier"])
def test_outsiders_cannot_learn_the_round_or_its_visits_exist(who, users, org, visit_round, visits) -> None:
    people = {**users, "west_coordinator": make_user("west_coord", "coordinator", org["west"])}
    client = client_for(people[who])
    pairs = [
        (f"{BASE}/visits/{visits['clean'].pk}/accept", f"{BASE}/visits/999999/accept", {}),
        (f"{BASE}/visits/{visits['clean'].pk}/send-back", f"{BASE}/visits/999999/send-back", {"note": "x"}),
        (f"{BASE}/{visit_round.pk}/visits/accept-clean", f"{BASE}/999999/visits/accept-clean", {}),
    ]
    for secret_url, missing_url, payload in pairs:
        secret, missing = post(client, secret_url, payload), post(client, missing_url, payload)
        assert secret.status_code == missing.status_code == 404, secret_url
        assert secret.json() == missing.json()
    listed = client.get(f"{BASE}/{visit_round.pk}/visits")
    assert listed.status_code == 404 and listed.json() == client.get(f"{BASE}/999999/visits").json()
    assert not Visit.objects.filter(status=VisitStatus.ACCEPTED).exists()


def test_an_inspector_of_the_round_may_not_review(users, visit_round, visits) -> None:
    client = client_for(users["inspector"])
    refused = post(client, f"{BASE}/visits/{visits['clean'].pk}/accept")
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert post(client, f"{BASE}/{visit_round.pk}/visits/accept-clean").status_code == 403
    assert not Visit.objects.filter(status=VisitStatus.ACCEPTED).exists()
