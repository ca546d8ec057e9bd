"""/api/v1/rounds (rounds/api_manage.py): the list, one round, creating, editing and deleting a draft, the
people for teams — as the round pages do it, idempotent by client id, secret to outsiders."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from chuangwen.audit.models import AuditEntry
from chuangwen.core.bounds import ID_MAX
from chuangwen.rounds.models import Round
from chuangwen.rounds.tests.round_fixtures import QUOTAS
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db

BASE = "/api/v1/rounds"
OUTSIDERS = ("west_coordinator", "west_handler", "leader", "inspector", "verifier")


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel("2026-11-20 09:00 +0800", tick=False):
        yield


@pytest.fixture
def people(users: dict[str, Any], org: dict[str, Any]) -> dict[str, Any]:
    return {**users, "west_coordinator": make_user("west_coord", "coordinator", org["west"])}


def send(client: Any, method: str, url: str, payload: Any = None) -> Any:
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, data=json.dumps(payload), content_type="application/json")


def new_round(standard: Any, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "client_id": str(uuid.uuid4()),
        "name": "2026年12月暗访",
        "kind": "unannounced",
        "standard_id": standard.pk,
        "period_start": "2026-12-01",
        "period_end": "2026-12-05",
        "type_quotas": dict(QUOTAS),
        "declared_cap": "0.3",
        "max_distance_m": 300,
    }
    body.update(extra)
    return body


def audits(action: str) -> int:
    return AuditEntry.objects.filter(action=action).count()


def test_it_creates_a_draft_once_per_client_id(users, org, round_standard, registry) -> None:
    client = client_for(users["coordinator"])
    body = new_round(round_standard)
    first = send(client, "post", BASE, body)
    assert first.status_code == 201, first.content
    created = first.json()
    assert created["status"] == "draft" and created["owner_unit"]["id"] == org["district"].pk
    assert created["target_unit"]["id"] == org["district"].pk and created["seed"] is None
    round_ = Round.objects.get()
    assert round_.params["type_quotas"] == QUOTAS and round_.params["max_distance_m"] == 300
    again = send(client, "post", BASE, {**body, "name": "别的名字"})
    assert again.status_code == 200 and again.json() == created
    assert Round.objects.count() == 1 and audits("round.create") == 1


def test_a_client_id_used_by_someone_else_is_a_conflict(people, round_standard, registry) -> None:
    body = new_round(round_standard)
    assert send(client_for(people["coordinator"]), "post", BASE, body).status_code == 201
    other = send(client_for(people["west_coordinator"]), "post", BASE, body)
    assert other.status_code == 409 and other.json()["code"] == "client_id_conflict"
    assert Round.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "长" * 201}, "name"),
        ({"name": "   "}, "name"),
        ({"kind": "secret"}, "kind"),
        ({"period_start": "1900-01-01"}, "period_start"),
        ({"period_end": "2026-11-01"}, "period_end"),  # before the start
        ({"standard_id": ID_MAX + 1}, "standard_id"),
        ({"standard_id": 987654}, "standard_id"),
        ({"target_unit_id": 0}, "target_unit_id"),
        ({"client_id": "not-a-uuid"}, "client_id"),
        ({"max_distance_m": 5}, "max_distance_m"),
        ({"random_extra": -1}, "random_extra"),
        ({"type_quotas": {"ZD": -1}}, "ZD"),
        ({"type_quotas": {"ZD": 2}, "declared_cap": "0.9"}, "declared_cap"),
        ({"declared_cap": "abc"}, "declared_cap"),
        ({"type_quotas": {"QQ": 2}}, "params"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_changes_nothing(
    users, round_standard, registry, change, field
) -> None:
    response = send(client_for(users["coordinator"]), "post", BASE, new_round(round_standard, **change))
    assert response.status_code == 422, response.content
    assert any(field in [str(part) for part in item["loc"]] for item in response.json()["detail"])
    assert Round.objects.count() == 0 and audits("round.create") == 0


def test_a_target_outside_the_callers_unit_is_refused(people, org, round_standard, registry) -> None:
    client = client_for(people["west_coordinator"])
    response = send(client, "post", BASE, new_round(round_standard, target_unit_id=org["east"].pk))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "target_unit_id"
    community = new_round(round_standard, target_unit_id=org["west_c"].pk)  # not a city, district or street
    response = send(client, "post", BASE, community)
    assert response.status_code == 422 and "市、区或街道" in response.json()["detail"][0]["msg"]
    assert Round.objects.count() == 0


def test_only_coordinators_create_rounds(users, round_standard, registry) -> None:
    for who in ("leader", "inspector", "west_handler"):
        response = send(client_for(users[who]), "post", BASE, new_round(round_standard))
        assert response.status_code == 403, who
    assert Round.objects.count() == 0


def test_it_edits_a_draft_once_and_then_refuses_after_the_draw(draft_round, users, round_standard) -> None:
    client = client_for(users["coordinator"])
    body = new_round(round_standard, name="改过的名字")
    first = send(client, "put", f"{BASE}/{draft_round.pk}", body)
    assert first.status_code == 200 and first.json()["name"] == "改过的名字"
    assert send(client, "put", f"{BASE}/{draft_round.pk}", body).json() == first.json()
    assert audits("round.update") == 1
    from chuangwen.rounds import services

    services.draw_round(draft_round, users["coordinator"])
    late = send(client, "put", f"{BASE}/{draft_round.pk}", new_round(round_standard, name="再改"))
    assert late.status_code == 409 and late.json()["code"] == "refused"
    draft_round.refresh_from_db()
    assert draft_round.name == "改过的名字"


def test_it_deletes_a_draft_once(draft_round, users) -> None:
    client = client_for(users["coordinator"])
    body = {"client_id": str(uuid.uuid4())}
    first = send(client, "post", f"{BASE}/{draft_round.pk}/delete", body)
    assert first.status_code == 200 and first.json() == {"id": draft_round.pk, "deleted": True}
    again = send(client, "post", f"{BASE}/{draft_round.pk}/delete", body)
    assert again.status_code == 200 and again.json() == first.json()
    assert not Round.objects.exists() and audits("round.delete") == 1


def test_the_list_and_a_round_show_what_the_pages_show(draft_round, users) -> None:
    mine = client_for(users["coordinator"]).get(BASE).json()
    assert mine["count"] == 1 and mine["items"][0]["id"] == draft_round.pk
    detail = client_for(users["coordinator"]).get(f"{BASE}/{draft_round.pk}").json()
    assert detail["can_manage"] and detail["whole"] and detail["entries"] == []
    assert client_for(users["dept_handler"]).get(f"{BASE}?status=draft").json()["count"] == 0


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_cannot_learn_an_unpublished_round_exists(who, people, drawn_round, round_standard) -> None:
    client = client_for(people[who])
    assert client.get(BASE).json()["count"] == 0
    calls = [
        ("get", f"{BASE}/{{}}", None),
        ("put", f"{BASE}/{{}}", new_round(round_standard)),
        ("post", f"{BASE}/{{}}/delete", {"client_id": str(uuid.uuid4())}),
        ("get", f"{BASE}/{{}}/inspectors", None),
    ]
    for method, url, payload in calls:
        secret = send(client, method, url.format(drawn_round.pk), payload)
        missing = send(client, method, url.format(999999), payload)
        assert secret.status_code == missing.status_code == 404, (url, secret.content)
        assert secret.json() == missing.json()
    assert Round.objects.filter(pk=drawn_round.pk).exists()


def test_a_published_round_is_read_by_its_street_but_run_by_its_office(published_round, users, org) -> None:
    client = client_for(users["west_handler"])
    detail = client.get(f"{BASE}/{published_round.pk}").json()
    assert not detail["whole"] and not detail["can_manage"] and detail["teams"] == []
    assert detail["seed"] == published_round.seed
    codes = {entry["code"] for entry in detail["entries"]}
    east = {e.site.code for e in published_round.entries.filter(site__area_unit=org["east_c"])}
    assert codes and not codes & east
    refused = send(client, "post", f"{BASE}/{published_round.pk}/delete", {"client_id": str(uuid.uuid4())})
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"


def test_it_lists_the_people_who_may_be_put_on_teams(drawn_round, users, team_inspectors) -> None:
    people = client_for(users["coordinator"]).get(f"{BASE}/{drawn_round.pk}/inspectors").json()
    assert {p["id"] for p in people} == {p.pk for p in team_inspectors}
    assert not any(p["on_team"] for p in people)
