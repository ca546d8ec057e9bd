"""The dispatch board: triage with the routing suggestion, lights per unit, pending requests, access."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from chuangwen.cases import services
from chuangwen.cases.models import Case, CaseState, RoutingRule
from chuangwen.cases.tests.case_fixtures import make_case
from chuangwen.rounds.tests.round_fixtures import round_standard  # noqa: F401  (fixture)
from chuangwen.standards.models import CheckItem
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db
S = CaseState
BOARD = "/cases/board/"


@pytest.fixture
def item(round_standard):  # noqa: F811
    return CheckItem.objects.get(site_type__standard=round_standard, code="ZD-03")  # duty 城管


@pytest.fixture
def new_case(org, sites, item):
    RoutingRule.objects.create(check_item_code="ZD-03", target_unit=org["dept"])
    return make_case(S.NEW, org["west"], area=org["west_c"], site=sites["west_road"], check_item=item)


@pytest.fixture
def returned_case(people, org):
    case = make_case(S.NEW, org["west"], area=org["west_c"])
    services.apply(case, "triage_accept", people["coordinator"], unit=org["west"])
    services.apply(case, "request_return", people["west_handler"], reason="该路段由区城管局管理")
    services.apply(case, "approve_return", people["west_head"])
    return case


def test_it_offers_the_routing_suggestion_in_one_click(people, org, new_case):
    client = client_for(people["coordinator"])
    page = client.get(BOARD).content.decode()
    assert new_case.code in page and "区城管局" in page and "按分派规则" in page
    assert "派遣到建议单位" in page
    assert f'name="triage_accept-unit" value="{org["dept"].pk}"' in page
    act = reverse("cases:act", args=[new_case.pk, "triage_accept"])
    assert f'action="{act}"' in page
    response = client.post(
        act,
        {
            "triage_accept-expected_version": new_case.version,
            "triage_accept-unit": org["dept"].pk,
            "next": BOARD,
        },
    )
    assert response.status_code == 302 and response["Location"] == BOARD
    new_case.refresh_from_db()
    assert new_case.state == S.DISPATCHED and new_case.unit == org["dept"]
    assert new_case.code not in client.get(BOARD).content.decode().split('id="board-lights"')[0]


def test_it_shows_the_return_reason_and_redispatches_to_a_chosen_unit(people, org, returned_case):
    client = client_for(people["coordinator"])
    page = client.get(BOARD).content.decode()
    assert returned_case.code in page and "该路段由区城管局管理" in page
    assert 'name="redispatch-unit"' in page
    response = client.post(
        reverse("cases:act", args=[returned_case.pk, "redispatch"]),
        {
            "redispatch-expected_version": returned_case.version,
            "redispatch-unit": org["east"].pk,
            "next": BOARD,
        },
    )
    assert response.status_code == 302
    returned_case.refresh_from_db()
    assert returned_case.state == S.DISPATCHED and returned_case.unit == org["east"]


def test_it_refuses_a_foreign_next_address(people, org, returned_case):
    response = client_for(people["coordinator"]).post(
        reverse("cases:act", args=[returned_case.pk, "redispatch"]),
        {
            "redispatch-expected_version": returned_case.version,
            "redispatch-unit": org["east"].pk,
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == reverse("cases:detail", args=[returned_case.pk])


def test_it_counts_open_cases_per_unit_most_red_first(people, org):
    now = timezone.now()
    past = {"opened_at": now - timedelta(days=30), "deadline": now - timedelta(days=1)}
    for _ in range(2):
        make_case(S.DISPATCHED, org["east"], **past)
    make_case(S.ACCEPTED, org["west"], deadline=now + timedelta(days=60))
    make_case(S.CLOSED, org["west"], **past)
    response = client_for(people["coordinator"]).get(BOARD)
    rows = [(row.unit.name, row.red, row.yellow, row.green) for row, _cells in response.context["lights"]]
    assert rows == [("东城街道", 2, 0, 0), ("西湖街道", 0, 0, 1)]
    page = response.content.decode()
    link = f"/cases/?unit={org['east'].pk}&amp;light=red"
    assert f'<a href="{link}">2</a>' in page
    worklist = client_for(people["coordinator"]).get(f"/cases/?unit={org['east'].pk}&light=red")
    assert worklist.context["page"].paginator.count == 2


def test_it_lists_pending_return_and_extension_requests(people, org):
    asked = make_case(S.DISPATCHED, org["west"])
    services.apply(asked, "request_return", people["west_handler"], reason="不是我们的")
    extension = make_case(S.ACCEPTED, org["east"])
    Case.objects.filter(pk=extension.pk).update(extension_requested_until=timezone.now() + timedelta(days=10))
    make_case(S.ACCEPTED, org["east"])
    pending = client_for(people["coordinator"]).get(BOARD).content.decode().split('id="board-pending"')[1]
    assert asked.code in pending and "不是我们的" in pending and "申请退回" in pending
    assert extension.code in pending and "申请延期" in pending
    assert pending.count("data-case=") == 2


def test_it_shows_leaders_the_board_read_only(people, new_case):
    page = client_for(people["leader"]).get(BOARD).content.decode()
    assert new_case.code in page and "只读" in page
    assert "派遣到建议单位" not in page and "-unit" not in page


def test_it_refuses_the_board_to_unit_people_verifiers_and_inspectors(people):
    for role in ("west_handler", "west_head", "verifier", "inspector", "admin"):
        assert client_for(people[role]).get(BOARD).status_code == 403


def test_it_shows_a_street_coordinator_only_its_subtree(people, org, sites, item):
    west_coord = make_user("west_coord", "coordinator", org["west"])
    west = make_case(S.NEW, org["west"], area=org["west_c"], site=sites["west_road"], check_item=item)
    east = make_case(S.NEW, org["east"], area=org["east_c"], site=sites["east_estate"], check_item=item)
    make_case(S.DISPATCHED, org["east"], deadline=timezone.now() - timedelta(days=1))
    response = client_for(west_coord).get(BOARD)
    page = response.content.decode()
    assert west.code in page and east.code not in page
    assert "东城街道" not in page  # neither in the lights nor among the units to choose
    # The suggestion (the site's responsible unit) lies in scope: one click is offered.
    assert "派遣到建议单位" in page


def test_it_links_the_board_from_the_worklist_for_coordinators_only(people):
    assert BOARD in client_for(people["coordinator"]).get("/cases/").content.decode()
    page = client_for(people["west_handler"]).get("/cases/").content.decode()
    assert BOARD not in page and "/cases/map/" in page


def test_it_links_hotline_import_and_new_instructions_for_those_who_may(people):
    coordinator = client_for(people["coordinator"]).get("/cases/").content.decode()
    assert "/cases/hotline/" in coordinator and "/cases/instruct/new/" in coordinator
    leader = client_for(people["leader"]).get("/cases/").content.decode()
    assert "/cases/hotline/" not in leader and "/cases/instruct/new/" in leader
    handler = client_for(people["west_handler"]).get("/cases/").content.decode()
    assert "/cases/hotline/" not in handler and "/cases/instruct/new/" not in handler
