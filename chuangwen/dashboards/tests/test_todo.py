"""待办 on the home page: each role's real queues, counted in its scope; each number equals the rows its link
shows (the test follows every link and counts)."""

from __future__ import annotations

import html as htmllib
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from chuangwen.cases.deadlines import deadline_fields
from chuangwen.cases.models import Escalation, EscalationLevel
from chuangwen.cases.tests import case_fixtures
from chuangwen.cases.tests.case_fixtures import make_case
from chuangwen.reports.tests import report_fixtures
from chuangwen.reports.tests.report_fixtures import EAST, WEST, submit
from chuangwen.rounds.tests import visit_fixtures
from chuangwen.rounds.tests.visit_fixtures import done_payload, make_round
from chuangwen.rounds.visits import submit_visit
from conftest import make_user

pytestmark = pytest.mark.django_db
# Fixtures of the other apps' tests, used here by name.
people = case_fixtures.people
categories = report_fixtures.categories
standard = visit_fixtures.standard
visit_round = visit_fixtures.visit_round
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
ITEM = re.compile(
    r'<li data-todo="([^"]+)"><a href="([^"]+)">[^<]*(?:<span class="cw-tag" data-count="(\d+)")?'
)


def todo(user: Any) -> dict[str, tuple[int | None, str]]:
    """The 待办 box as the person reads it: queue → (number shown, link)."""
    client = Client()
    client.force_login(user)
    page = client.get(reverse("home")).content.decode()
    found = ITEM.findall(page)
    return {key: (int(n) if n else None, htmllib.unescape(url)) for key, url, n in found}


def rows_at(user: Any, url: str) -> int:
    """How many rows the linked list shows the same person."""
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    page = response.content.decode()
    if url.startswith("/cases/"):
        return page.count('data-case="')
    if url.startswith("/reports/"):
        return page.count('data-report="')
    assert url.startswith("/visits/")
    return page.split("<tbody>", 1)[1].count("<tr") if "<tbody>" in page else 0


def assert_counts_match_rows(user: Any, wanted: dict[str, int]) -> dict[str, tuple[int | None, str]]:
    items = todo(user)
    for key, number in wanted.items():
        assert key in items, (key, items)
        shown, url = items[key]
        assert shown == number, (key, shown, number)
        assert rows_at(user, url) == number, (key, url)
    return items


def deadline(days: float, warn_hours: float) -> dict[str, Any]:
    """A deadline ``days`` from now whose 80 % point is ``warn_hours`` from now."""
    return deadline_fields(
        NOW - timedelta(days=10), NOW + timedelta(days=days), warn_at=NOW + timedelta(hours=warn_hours)
    )


@pytest.fixture
def cases(org: Any) -> dict[str, Any]:
    east, west = org["east"], org["west"]
    return {
        "dispatched": make_case("dispatched", east, area=org["east_c"], **deadline(5, 48)),
        "returning": make_case(
            "dispatched", east, area=org["east_c"], return_requested=True, **deadline(5, 48)
        ),
        "rework": make_case("rework", east, area=org["east_c"], **deadline(3, 24)),
        "yellow": make_case("accepted", east, area=org["east_c"], **deadline(1, -2)),
        "red": make_case("accepted", east, area=org["east_c"], **deadline(-2, -60)),
        "extension": make_case(
            "accepted",
            east,
            area=org["east_c"],
            extension_requested_until=NOW + timedelta(days=20),
            **deadline(4, 40),
        ),
        "rectified": make_case("rectified", east, area=org["east_c"], **deadline(4, 40)),
        "reverify": make_case("closed", east, area=org["east_c"], reverify_pending=True),
        # Another street's work: never in the east people's numbers.
        "west_dispatched": make_case("dispatched", west, area=org["west_c"], **deadline(5, 48)),
        "west_red": make_case("accepted", west, area=org["west_c"], **deadline(-1, -30)),
        "west_rectified": make_case("rectified", west, area=org["west_c"], **deadline(4, 40)),
    }


@time_machine.travel(NOW, tick=False)
def test_it_shows_a_handler_his_units_dispatched_rework_and_late_cases(users: Any, cases: Any) -> None:
    items = assert_counts_match_rows(
        users["east_handler"], {"dispatched": 2, "rework": 1, "yellow": 1, "red": 1}
    )
    assert items["dispatched"][1] == "/cases/?state=dispatched"
    assert items["red"][1] == "/cases/?light=red"
    assert_counts_match_rows(users["west_handler"], {"dispatched": 1, "rework": 0, "yellow": 0, "red": 1})


@time_machine.travel(NOW, tick=False)
def test_it_shows_a_unit_head_the_requests_to_approve_and_the_overdue(people: Any, cases: Any) -> None:
    items = assert_counts_match_rows(people["east_head"], {"return": 1, "extension": 1, "overdue": 1})
    assert items["return"][1] == "/cases/?pending=return"
    assert_counts_match_rows(people["west_head"], {"return": 0, "extension": 0, "overdue": 1})


@time_machine.travel(NOW, tick=False)
def test_it_shows_a_verifier_the_fixes_to_check_and_the_picks(org: Any, users: Any, cases: Any) -> None:
    assert_counts_match_rows(users["verifier"], {"rectified": 2, "reverify": 1})
    east_verifier = make_user("east_verifier", "verifier", org["east"])
    assert_counts_match_rows(east_verifier, {"rectified": 1, "reverify": 1})


@time_machine.travel(NOW, tick=False)
def test_it_shows_a_coordinator_reports_visits_requests_and_overdue(
    org: Any, users: Any, sites: Any, cases: Any, categories: Any, visit_round: Any
) -> None:
    submit(categories["garbage"], WEST)
    submit(categories["garbage"], EAST)
    submit_visit(done_payload(visit_round, sites["west_road"]), users["inspector"])
    key = f"visits-{visit_round.pk}"
    items = assert_counts_match_rows(
        users["coordinator"], {"reports": 2, "extension": 1, "overdue": 2, "returned": 0, key: 1}
    )
    assert items[key][1] == f"/visits/round/{visit_round.pk}/?status=submitted"
    # A street's coordinator: his street's report only, and nothing of the district's secret round.
    west_coordinator = make_user("west_coord", "coordinator", org["west"])
    west_items = assert_counts_match_rows(west_coordinator, {"reports": 1, "overdue": 1})
    assert key not in west_items
    assert "2026年12月暗访" not in str(west_items)


@time_machine.travel(NOW, tick=False)
def test_it_shows_a_leader_the_overdue_and_the_escalated(users: Any, cases: Any) -> None:
    red = cases["red"]
    Escalation.objects.create(case=red, level=EscalationLevel.LEADER, deadline=red.deadline, at=NOW)
    old = cases["west_red"]  # escalated for an earlier deadline only: not on the list any more
    Escalation.objects.create(
        case=old, level=EscalationLevel.LEADER, deadline=old.deadline - timedelta(days=9)
    )
    items = assert_counts_match_rows(users["leader"], {"overdue": 2, "escalated": 1})
    assert items["escalated"][1] == "/cases/?pending=escalated"


@time_machine.travel(NOW, tick=False)
def test_it_shows_an_inspector_the_sites_left_on_todays_route(
    org: Any, users: Any, sites: Any, visit_round: Any, standard: Any
) -> None:
    submit_visit(done_payload(visit_round, sites["west_road"]), users["inspector"])
    later = make_round(org, users, standard, name="一月暗访", period_start=NOW.date() + timedelta(days=30),
                       period_end=NOW.date() + timedelta(days=35))  # fmt: skip
    assert later.pk
    items = todo(users["inspector"])
    assert items["route"] == (2, reverse("inspect:app"))
    assert todo(users["leader"]).get("route") is None
