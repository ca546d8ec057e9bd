"""Where to act: the cost of each open case and the what-if of closing a chosen set on time."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone

from chuangwen.rankings import whatif
from chuangwen.rankings.compute import Period, compute
from chuangwen.rankings.formulas import q_score
from chuangwen.rankings.tests.page_fixtures import *  # noqa: F403
from conftest import client_for


def _composite(onsite: Decimal, rectification: Decimal) -> Decimal:
    # default weights: on-site 0.6, rectification 0.3 (survey 0.1 has no data and drops out)
    return q_score(
        (Decimal("0.6") * q_score(onsite) + Decimal("0.3") * q_score(rectification)) / Decimal("0.9")
    )


def test_it_matches_the_ranking_when_nothing_is_closed(scored: dict[str, Any]) -> None:
    scene = whatif.scene_for("street")
    outcomes = scene.evaluate()
    for score in compute(Period.for_month(timezone.localdate()), "street"):
        assert outcomes[score.unit_id].composite == score.composite
        assert outcomes[score.unit_id].rank == score.rank


def test_it_raises_the_composite_by_the_hand_computed_amount(
    scored: dict[str, Any], org: dict[str, Any]
) -> None:
    # Weights: 西湖大道 1.0 (declared), 农贸市场 1.2 × 1.5 = 1.8, 东门老旧小区 1.2 × 1.5 = 1.8; k = 5.
    prior = (90 + Decimal("94") * Decimal("1.8") + 70 * Decimal("1.8")) / Decimal("4.6")
    raw = (90 + 94 * Decimal("1.8")) / Decimal("2.8")
    before = _composite((2 * raw + 5 * prior) / 7, Decimal(75))  # cases A open, B closed on time: 75
    # Closing case A on time: NM-03 × 3 (−6) leaves its visit at 100; all indicators perfect: 100.
    prior_after = (90 + 100 * Decimal("1.8") + 70 * Decimal("1.8")) / Decimal("4.6")
    raw_after = (90 + 100 * Decimal("1.8")) / Decimal("2.8")
    after = _composite((2 * raw_after + 5 * prior_after) / 7, Decimal(100))
    result = whatif.what_if(
        org["west"], [scored["case_a"].pk, scored["case_c"].pk]
    )  # C is not west's: ignored
    assert result.case_ids == [scored["case_a"].pk]
    assert result.before.composite == before
    assert result.after.composite == after
    assert result.gain == after - before > 0


def test_it_orders_open_cases_by_the_points_they_cost(scored: dict[str, Any], org: dict[str, Any]) -> None:
    costs = whatif.case_costs(org["west"])
    assert [c.case.pk for c in costs] == [scored["case_a"].pk]  # B is closed
    cost = costs[0]
    assert cost.deduction == Decimal(6)  # min(10, 2 × 3)
    assert cost.weight_share == Decimal("1.8") / Decimal("2.8")
    assert cost.onsite_points == q_score(Decimal(6) * Decimal("1.8") / Decimal("2.8"))
    assert cost.rectification_gain == Decimal(25)
    assert cost.composite_gain == whatif.what_if(org["west"], [scored["case_a"].pk]).gain


def test_it_shows_the_page_and_the_htmx_result_to_the_unit_and_above(
    scored: dict[str, Any], users: dict[str, Any], org: dict[str, Any]
) -> None:
    url = f"/rankings/unit/{org['west'].pk}/act/"
    assert client_for(users["east_handler"]).get(url).status_code == 404
    assert client_for(users["coordinator"]).get(url).status_code == 200
    page = client_for(users["west_handler"]).get(url).content.decode()
    assert scored["case_a"].code in page
    partial = client_for(users["west_handler"]).get(url + "whatif/", {"case": [scored["case_a"].pk]})
    result = whatif.what_if(org["west"], [scored["case_a"].pk])
    assert f'data-after="{result.after.composite}"' in partial.content.decode()
    assert "<html" not in partial.content.decode()


def test_it_says_when_a_unit_is_not_ranked(
    scored: dict[str, Any], users: dict[str, Any], org: dict[str, Any]
) -> None:
    page = client_for(users["coordinator"]).get(f"/rankings/unit/{org['district'].pk}/act/")
    assert "该单位不参加排名" in page.content.decode()
