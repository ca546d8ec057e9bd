"""GET /api/v1/cases/board: the dispatch board's triage, lights and pending requests, its access and scope."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from chuangwen.cases import services
from chuangwen.cases.models import Case, CaseState, RoutingRule
from chuangwen.cases.tests.case_fixtures import make_case
from chuangwen.rounds.tests.round_fixtures import round_standard  # noqa: F401  (fixture)
from chuangwen.standards.models import CheckItem
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db
S = CaseState
URL = "/api/v1/cases/board"


@pytest.fixture
def board(people, org, sites, round_standard):  # noqa: F811
    """A new west case with a routing rule to 区城管局, a case east returned, red and pending east cases."""
    item = CheckItem.objects.get(site_type__standard=round_standard, code="ZD-03")
    RoutingRule.objects.create(check_item_code="ZD-03", target_unit=org["dept"])
    new = make_case(S.NEW, org["west"], area=org["west_c"], site=sites["west_road"], check_item=item)
    returned = make_case(S.NEW, org["east"], area=org["east_c"])
    services.apply(returned, "triage_accept", people["coordinator"], unit=org["east"])
    services.apply(returned, "request_return", people["east_handler"], reason="该路段由区城管局管理")
    services.apply(returned, "approve_return", people["east_head"])
    now = timezone.now()
    red = make_case(
        S.DISPATCHED, org["east"], opened_at=now - timedelta(days=30), deadline=now - timedelta(days=1)
    )
    services.apply(red, "request_return", people["east_handler"], reason="不是我们的")
    until = (now + timedelta(days=10)).replace(microsecond=0)
    extension = make_case(S.ACCEPTED, org["east"], deadline=now + timedelta(days=60))
    Case.objects.filter(pk=extension.pk).update(extension_requested_until=until)
    for case in (new, returned, red):
        case.refresh_from_db()
    return {"new": new, "returned": returned, "red": red, "extension": extension, "until": until}


def test_it_answers_the_board_like_the_page(people, org, board):
    body = client_for(people["coordinator"]).get(URL).json()
    assert body["triage_total"] == 2
    triage = {row["code"]: row for row in body["triage"]}
    new = triage[board["new"].code]
    assert new["state"] == "new" and new["action"] == "triage_accept" and new["unit"] is None
    assert new["area_unit"] == {"id": org["west_c"].pk, "name": "柳浪社区"}
    assert new["suggested_unit"] == {"id": org["dept"].pk, "name": "区城管局"}
    assert new["suggestion_usable"] is True and "按分派规则" in new["explanation"]
    assert new["version"] == board["new"].version and new["return_reason"] == ""
    returned = triage[board["returned"].code]
    assert returned["state"] == "returned" and returned["action"] == "redispatch"
    assert returned["return_reason"] == "该路段由区城管局管理" and returned["suggested_unit"] is None
    assert returned["explanation"] == "" and returned["version"] == board["returned"].version
    lights = [(row["unit"]["name"], row["red"], row["yellow"], row["green"]) for row in body["unit_lights"]]
    assert lights == [("东城街道", 1, 0, 2)]  # the returned case still counts for the unit that holds it
    pending = {(row["code"], row["kind"]): row for row in body["pending"]}
    assert set(pending) == {(board["red"].code, "return"), (board["extension"].code, "extension")}
    assert pending[(board["red"].code, "return")]["requested_until"] is None
    assert pending[(board["red"].code, "return")]["reason"] == "不是我们的"
    requested = pending[(board["extension"].code, "extension")]["requested_until"]
    assert datetime.fromisoformat(requested) == board["until"]


def test_it_answers_a_leader_and_refuses_other_roles(people, board):
    assert client_for(people["leader"]).get(URL).json()["triage_total"] == 2
    for role in ("west_handler", "west_head", "verifier", "inspector", "east_head"):
        response = client_for(people[role]).get(URL)
        assert response.status_code == 403 and response.json()["code"] == "refused"


def test_it_keeps_a_street_coordinator_to_his_street(org, board):
    body = client_for(make_user("west_coord", "coordinator", org["west"])).get(URL).json()
    assert [row["code"] for row in body["triage"]] == [board["new"].code]
    # 区城管局 lies outside the west coordinator's scope: the suggestion is shown but not usable in one click.
    assert body["triage"][0]["suggestion_usable"] is False
    assert body["unit_lights"] == [] and body["pending"] == []


def test_it_keeps_the_board_apart_from_the_case_paths(people, board):
    client = client_for(people["coordinator"])
    assert client.get(f"/api/v1/cases/{board['red'].pk}").json()["code"] == board["red"].code
    assert client.get(URL).status_code == 200
