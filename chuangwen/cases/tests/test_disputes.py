"""Disputes: cases that go back and forth between units, read from the real history written by apply()."""

from __future__ import annotations

import pytest
from django.urls import reverse

from chuangwen.cases import services
from chuangwen.cases.disputes import disputes_for
from chuangwen.cases.models import CaseState
from chuangwen.cases.tests.case_fixtures import make_case
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db
S = CaseState


def bounce(case, coordinator, hops):
    """Dispatch the case to each (unit, handler, head) in turn; every unit but the last returns it."""
    action = "triage_accept"
    for i, (unit, handler, head) in enumerate(hops):
        services.apply(case, action, coordinator, unit=unit, reason="改派")
        if i == len(hops) - 1:
            break
        services.apply(case, "request_return", handler, reason=f"不属于{unit.name}职责")
        services.apply(case, "approve_return", head)
        action = "redispatch"
    return case


@pytest.fixture
def heads(people, org):
    return {
        "west": (org["west"], people["west_handler"], people["west_head"]),
        "east": (org["east"], people["east_handler"], people["east_head"]),
        "dept": (org["dept"], people["dept_handler"], make_user("dept_head", "unit_head", org["dept"])),
    }


@pytest.fixture
def history(people, org, heads):
    """Two west cases bouncing west → east → west, one east case east → dept."""
    coord = people["coordinator"]
    west_cases = [
        bounce(
            make_case(S.NEW, org["west"], area=org["west_c"]),
            coord,
            [heads["west"], heads["east"], heads["west"]],
        )
        for _ in range(2)
    ]
    east_case = bounce(
        make_case(S.NEW, org["east"], area=org["east_c"]), coord, [heads["east"], heads["dept"]]
    )
    return west_cases, east_case


def test_it_counts_a_pair_once_per_case_that_went_back_and_forth(people, org, history):
    west_cases, _east_case = history
    result = disputes_for(people["coordinator"])
    assert len(result.pairs) == 1
    pair = result.pairs[0]
    assert set(pair.names) == {"西湖街道", "东城街道"}
    assert pair.count == 2
    assert [case.code for case in pair.cases] == sorted(case.code for case in west_cases)
    returns = {row.name: (row.returns, row.cases) for row in result.returns}
    assert returns == {"西湖街道": (2, 2), "东城街道": (3, 3)}


def test_it_lowers_the_threshold_with_min(people, history):
    result = disputes_for(people["coordinator"], min_cases=1)
    pairs = {frozenset(pair.names): pair.count for pair in result.pairs}
    assert pairs == {frozenset({"西湖街道", "东城街道"}): 2, frozenset({"东城街道", "区城管局"}): 1}


def test_it_does_not_count_a_redispatch_to_the_same_unit(people, org, heads):
    case = make_case(S.NEW, org["west"], area=org["west_c"])
    bounce(case, people["coordinator"], [heads["west"], heads["west"]])
    result = disputes_for(people["coordinator"], min_cases=1)
    assert result.pairs == []
    assert [(row.name, row.returns) for row in result.returns] == [("西湖街道", 1)]


def test_it_keeps_to_the_viewers_cases(org, history):
    east_coord = make_user("east_coord", "coordinator", org["east"])
    result = disputes_for(east_coord, min_cases=1)
    # The west cases passed through east but are now routed to west and lie in west: east no longer sees them.
    assert [frozenset(pair.names) for pair in result.pairs] == [frozenset({"东城街道", "区城管局"})]


def test_it_shows_the_page_to_coordinators_and_leaders(people, history):
    west_cases, _ = history
    for role in ("coordinator", "leader"):
        page = client_for(people[role]).get(reverse("cases:disputes")).content.decode()
        assert "西湖街道 ⇄ 东城街道" in page or "东城街道 ⇄ 西湖街道" in page
        assert all(case.code in page for case in west_cases)
        assert reverse("cases:detail", args=[west_cases[0].pk]) in page
    page = client_for(people["coordinator"]).get(reverse("cases:disputes") + "?min=1").content.decode()
    assert "区城管局" in page


def test_it_refuses_the_page_to_other_roles(people, history):
    for role in ("west_handler", "west_head", "verifier", "inspector"):
        assert client_for(people[role]).get(reverse("cases:disputes")).status_code == 403


def test_it_answers_the_api_and_keeps_case_paths_apart(people, history):
    west_cases, _ = history
    client = client_for(people["coordinator"])
    body = client.get("/api/v1/cases/disputes").json()
    assert body["min"] == 2 and len(body["pairs"]) == 1
    assert body["pairs"][0]["count"] == 2
    assert {case["code"] for case in body["pairs"][0]["cases"]} == {case.code for case in west_cases}
    assert len(client.get("/api/v1/cases/disputes?min=1").json()["pairs"]) == 2
    assert client.get(f"/api/v1/cases/{west_cases[0].pk}").json()["code"] == west_cases[0].code
    assert client_for(people["west_handler"]).get("/api/v1/cases/disputes").status_code == 403
