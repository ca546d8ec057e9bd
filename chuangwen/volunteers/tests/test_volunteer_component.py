"""The 志愿服务 component of the composite index: the mean of three capped sub-scores (registration share,
hours per registered volunteer, share active) against the targets of the standard version; it drops out for a
unit without registered volunteers and the composite renormalises; stored on the published row and shown on
the ranking table, the unit's drill-down, the method page and in the API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from chuangwen.rankings import formulas, services
from chuangwen.rankings.compute import Period, compute, period_months
from chuangwen.rankings.config import from_parameters, ranking_config
from chuangwen.rankings.models import RankingRow
from chuangwen.rankings.tests.page_fixtures import make_visit
from chuangwen.rounds.models import RoundStatus
from chuangwen.rounds.tests.visit_fixtures import make_round
from chuangwen.standards.services.validation import Place, clean_parameters
from chuangwen.volunteers.tests.fixtures_results import NOW, SHANGHAI, build_month
from conftest import client_for

pytestmark = pytest.mark.django_db
DECEMBER = Period.for_month(date(2026, 12, 1))
TARGETS = {"registration_share": D("0.13"), "hours_per_volunteer": D(2), "active_share": D("0.3")}


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def visited(org: Any, users: Any, sites: Any, standard: Any, clock: None) -> Any:
    """A published December round: every site scored 90, so both streets' on-site score is 90. No cases, no
    网上申报 tasks, no survey: those components drop out."""
    round_ = make_round(org, users, standard, status=RoundStatus.PUBLISHED)
    for site in sites.values():
        make_visit(round_, site, users["inspector"], 90, datetime(2026, 12, 3, 10, tzinfo=SHANGHAI))
    config = ranking_config(standard)
    assert (config.composite["onsite"], config.composite["volunteer"]) == (D("0.4"), D("0.1"))
    assert config.volunteer == TARGETS
    return round_


def _streets() -> dict[str, Any]:
    return {s.unit_code: s for s in compute(DECEMBER, "street", as_of=NOW)}


def test_it_averages_three_capped_parts_by_hand() -> None:
    # West: 3 registered of 30 residents (0.1 of 0.13 → 76.92), 240 minutes = 1.33 h each of 2 (66.67),
    # 2 of 3 active (0.667 of 0.3 → capped at 100): mean 81.1966 → 81.20.
    parts = formulas.volunteer_parts(3, 30, 240, 2, D(1), TARGETS)
    assert {k: formulas.q_score(v) for k, v in parts.items() if v is not None} == {
        "registration_share": D("76.92"),
        "hours_per_volunteer": D("66.67"),
        "active_share": D("100.00"),
    }
    assert formulas.volunteer_score(parts) == D("81.20")
    # Without a population the share drops out of the mean; without volunteers everything does.
    assert formulas.volunteer_score(formulas.volunteer_parts(1, None, 60, 0, D(1), TARGETS)) == D("25.00")
    assert formulas.volunteer_score(formulas.volunteer_parts(0, 30, 600, 0, D(1), TARGETS)) is None
    # A 15-day round expects half a month's hours: 1 h each against 2 × 0.5.
    assert formulas.volunteer_parts(1, None, 60, 1, D("0.5"), TARGETS)["hours_per_volunteer"] == D(100)


def test_it_feeds_the_component_into_the_composite(visited: Any, org: Any, users: Any) -> None:
    before = _streets()
    assert before["S01"].volunteer is None and before["S01"].composite == D("90.00")  # on-site alone
    build_month(org, users)
    streets = _streets()
    west, east = streets["S01"], streets["S02"]
    assert (west.volunteer, east.volunteer) == (D("81.20"), D("100.00"))
    # East: no population (share drops out), 2 h for its one volunteer (100), active 1 of 1 (100).
    assert (
        east.volunteer_detail["population"] is None
        and east.volunteer_detail["parts"]["registration_share"] is None
    )
    assert west.volunteer_detail["registered"] == 3 and west.volunteer_detail["hours_per_volunteer"] == "1.33"
    # (0.4 × 90 + 0.1 × 81.20) ÷ 0.5 = 88.24; east (36 + 10) ÷ 0.5 = 92.00.
    assert (west.composite, east.composite) == (D("88.24"), D("92.00"))
    assert (east.rank, west.rank) == (1, 2)
    (dept,) = compute(DECEMBER, "department", as_of=NOW)
    assert dept.volunteer is None  # no registered volunteer lives in a department


def test_it_drops_out_without_volunteer_data_and_renormalises(visited: Any, org: Any, users: Any) -> None:
    """Volunteers only in the east: the west keeps its composite of the other components alone."""
    from chuangwen.volunteers.tests.fixtures import volunteer

    volunteer(org, 4, unit="east_c", now=NOW)
    streets = _streets()
    assert streets["S01"].volunteer is None and streets["S01"].composite == D("90.00")
    # East: one volunteer, no hours (0), not active (0), no population: 0 → (36 + 0) ÷ 0.5 = 72.00.
    assert streets["S02"].volunteer == D("0.00") and streets["S02"].composite == D("72.00")


def test_it_stores_and_shows_the_component(visited: Any, org: Any, users: Any) -> None:
    build_month(org, users)
    ranking = services.publish(DECEMBER, "street", users["coordinator"])
    row = RankingRow.objects.get(ranking=ranking, unit=org["west"])
    assert (row.volunteer, row.composite) == (D("81.20"), D("88.24"))
    assert row.volunteer_detail["parts"]["registration_share"] == "76.92"
    assert ranking.config["volunteer"]["registration_share"] == "0.13"

    client = client_for(users["west_head"])
    detail = client.get(reverse("rankings:detail", args=[ranking.pk])).content.decode()
    assert 'data-volunteer="81.20"' in detail and "注册志愿者 3 人" in detail
    unit = client.get(reverse("rankings:unit", args=[ranking.pk, org["west"].pk])).content.decode()
    assert 'id="volunteer-source"' in unit and "志愿服务得分 81.20" in unit
    assert 'data-volunteer-part="hours_per_volunteer"' in unit and "目标 2.00" in unit
    assert "志愿服务" in unit and "0.1" in unit  # the component's weight in the composite list
    method = client.get(reverse("rankings:method")).content.decode()
    assert (
        'id="rule-volunteer"' in method and "目标 0.13" in method and 'data-component="volunteer"' in method
    )
    rows = {r["unit_id"]: r for r in client.get(f"/api/v1/rankings/{ranking.pk}").json()["rows"]}
    assert D(str(rows[org["west"].pk]["volunteer"])) == D("81.20")
    assert rows[org["west"].pk]["volunteer_detail"]["active"] == 2
    export = client.get(reverse("rankings:export", args=[ranking.pk, "csv"])).content.decode("utf-8-sig")
    assert "志愿服务得分" in export.splitlines()[0] and "81.20" in export


def test_it_says_so_on_the_drilldown_when_the_component_dropped_out(
    visited: Any, org: Any, users: Any
) -> None:
    ranking = services.publish(DECEMBER, "street", users["coordinator"])
    unit = client_for(users["west_head"]).get(reverse("rankings:unit", args=[ranking.pk, org["west"].pk]))
    assert "志愿服务分项不参与计算" in unit.content.decode()


def test_it_takes_the_targets_from_the_standard_version() -> None:
    config = from_parameters({"volunteer_targets": {"hours_per_volunteer": 4}})
    assert config.volunteer == {**TARGETS, "hours_per_volunteer": D(4)}  # the others keep their defaults
    for bad in (
        {"registration_share": 0},
        {"active_share": 1.5},
        {"volunteers": 1},
        {"hours_per_volunteer": "x"},
    ):
        problems: list[Any] = []
        clean_parameters({"volunteer_targets": bad}, Place("parameters"), problems)
        assert problems, bad
    with pytest.raises(ValueError, match="目标值"):
        from_parameters({"volunteer_targets": {"active_share": 2}})


def test_it_scales_the_hours_target_with_a_rounds_length(visited: Any) -> None:
    assert period_months(DECEMBER) == D(1)
    assert period_months(Period.for_round(visited)) == D(5) / D(30)  # December 1–5
