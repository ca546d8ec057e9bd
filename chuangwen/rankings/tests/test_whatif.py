"""Where to act: the what-if predicts what the ranking will say once the chosen cases are closed for real.

The clock stands at T (2026-03-16 10:00, Shanghai). One published 暗访 round this month:
west — 西湖大道 (weight 1.0) 90, 柳浪农贸市场 (1.2 × 1.5 = 1.8) 94; east — 东门老旧小区 (1.8) 70.
West's cases: B closed on time (counts), A from the market's finding NM-03 × 3 (−6) due in 5 days, E due in
2 days (neither counts yet), D overdue since yesterday (counts, overdue). East: C overdue (counts).

On-site (k = 5, fewer than 5 visits): level mean (90 + 94·1.8 + 70·1.8) / 4.6 = 83.739130;
west raw (90 + 94·1.8) / 2.8 = 92.571429, shrunk (2·92.571429 + 5·83.739130) / 7 = 86.26;
east (70 + 5·83.739130) / 6 = 81.45.
Rectification (0.25 处置, 0.25 按期, 0.15 返工, 0.2 超期, 0.05 延期, 0.1 复发):
west now (B, D): 100 × (0.25·0.5 + 0.25·0.5 + 0.15 + 0.2·0.5 + 0.05 + 0.1) = 65.00;
east (C): 100 × (0.15 + 0.05 + 0.1) = 30.00.
Composite (0.6 on-site + 0.3 rectification) / 0.9: west (51.756 + 19.5) / 0.9 = 79.17; east 64.30.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal as D
from typing import Any

import pytest
import time_machine

from chuangwen.cases.tests.case_fixtures import make_case, make_photo
from chuangwen.rankings import whatif
from chuangwen.rankings.compute import Period, compute
from chuangwen.rankings.tests.page_fixtures import NOW as T
from chuangwen.rankings.tests.page_fixtures import _finding_case, make_visit
from conftest import client_for


@pytest.fixture
def world(org: dict[str, Any], users: dict[str, Any], sites: dict[str, Any]) -> Iterator[dict[str, Any]]:
    from chuangwen.rounds.models import Round
    from chuangwen.standards.services.versions import load_default_standard

    with time_machine.travel(T, tick=False):
        round_ = Round.objects.create(
            name="三月暗访", kind="unannounced", standard=load_default_standard(),
            owner_unit=org["district"], target_unit=org["district"], period_start=date(2026, 3, 1),
            period_end=date(2026, 3, 16), status="published", created_by=users["coordinator"], published_at=T,
        )  # fmt: skip
        when = T - timedelta(hours=1)
        road = make_visit(round_, sites["west_road"], users["inspector"], 90, when)
        market = make_visit(round_, sites["west_market"], users["inspector"], 94, when)
        make_visit(round_, sites["east_estate"], users["inspector"], 70, when)
        west = org["west"]
        a_minute_ago = T - timedelta(minutes=1)
        on_time = {"state": "closed", "deadline": T + timedelta(days=1), "closed_at": a_minute_ago}
        due_later = {"state": "accepted", "deadline": T + timedelta(days=5)}
        cases = {
            "b": _finding_case(round_, road, "ZD-02", 10, west, opened_at=when, **on_time),
            "a": _finding_case(round_, market, "NM-03", 3, west, opened_at=when, **due_later),
            "d": make_case("accepted", west, area=org["west_c"], deadline=T - timedelta(days=1)),
            "e": make_case("accepted", west, area=org["west_c"], deadline=T + timedelta(days=2)),
            "c": make_case("accepted", org["east"], area=org["east_c"], deadline=T - timedelta(minutes=2)),
        }
        yield cases


def close_for_real(case: Any, users: dict[str, Any]) -> None:
    """The unit reports the fix with a photo, a verifier passes it: closed through the case services."""
    from chuangwen.cases.services import apply

    handler = users["west_handler"]
    apply(case, "rectify", handler, reason="已清理", photos=[make_photo(handler)])
    apply(case, "verify_pass", users["verifier"])


def test_it_matches_the_ranking_when_nothing_is_closed(world: dict[str, Any]) -> None:
    outcomes = whatif.scene_for("street").evaluate()
    for score in compute(Period.for_month(T.date()), "street"):
        assert outcomes[score.unit_id].composite == score.composite
        assert outcomes[score.unit_id].rank == score.rank
    west = outcomes[world["b"].unit_id]
    assert (west.onsite, west.rectification, west.composite) == (D("86.26"), D("65.00"), D("79.17"))


def test_it_predicts_the_ranking_after_closing_cases_for_real(
    world: dict[str, Any], users: dict[str, Any], org: dict[str, Any]
) -> None:
    chosen = [world["a"].pk, world["d"].pk, world["e"].pk, world["c"].pk]  # C is east's: ignored
    prediction = whatif.what_if(org["west"], chosen)
    assert prediction.case_ids == sorted([world["a"].pk, world["d"].pk, world["e"].pk])
    # Closing A, D and E now: 4 cases, all closed, D late (it was overdue already: it stays overdue):
    # 100 × (0.25·1 + 0.25·0.75 + 0.15 + 0.2·0.75 + 0.05 + 0.1) = 88.75.
    # On-site stays 86.26: A's −6 at the market is what the inspector saw; it is not given back.
    # Composite (0.6·86.26 + 0.3·88.75) / 0.9 = 87.09.
    after = prediction.after
    assert (after.onsite, after.rectification, after.composite, after.rank) == (
        D("86.26"),
        D("88.75"),
        D("87.09"),
        1,
    )
    assert after.counts["ontime_rate"] == 3 and after.counts["overdue_rate"] == 1
    assert prediction.gain == D("87.09") - D("79.17")

    with time_machine.travel(T, tick=False):
        for key in ("a", "d", "e"):
            close_for_real(world[key], users)
        recomputed = {s.unit_id: s for s in compute(Period.for_month(T.date()), "street")}
    real = recomputed[org["west"].pk]
    numbers = ("onsite", "onsite_raw", "rectification", "composite", "rank", "cases", "counts", "indicators")
    for name in numbers:
        assert getattr(real, name) == getattr(after, name), name
    assert sorted(real.case_ids) == sorted(after.case_ids)
    assert recomputed[org["east"].pk].composite == D("64.30")


def test_it_orders_open_cases_by_the_points_they_give_back(
    world: dict[str, Any], org: dict[str, Any]
) -> None:
    costs = whatif.case_costs(org["west"])
    # D alone (B, D closed, D late): 100 × (0.25 + 0.25·0.5 + 0.15 + 0.2·0.5 + 0.05 + 0.1) = 77.50,
    # composite (51.756 + 23.25) / 0.9 = 83.34: +4.17. A or E alone (B, D and it; rates to four places):
    # 100 × (0.25·0.6667 + 0.25·0.6667 + 0.15 + 0.2·0.6667 + 0.05 + 0.1) = 76.67, composite 83.06: +3.89.
    assert [(c.case.pk, c.rectification_gain, c.composite_gain, c.counted) for c in costs] == [
        (world["d"].pk, D("12.50"), D("4.17"), True),
        (world["a"].pk, D("11.67"), D("3.89"), False),
        (world["e"].pk, D("11.67"), D("3.89"), False),
    ]
    assert costs[1].deduction == D(6)  # shown, never given back: min(10, 2 × 3)
    assert costs[1].composite_gain == whatif.what_if(org["west"], [world["a"].pk]).gain


def test_it_shows_the_page_and_the_htmx_result_to_the_unit_and_above(
    world: dict[str, Any], users: dict[str, Any], org: dict[str, Any]
) -> None:
    url = f"/rankings/unit/{org['west'].pk}/act/"
    with time_machine.travel(T, tick=False):
        assert client_for(users["east_handler"]).get(url).status_code == 404
        assert client_for(users["coordinator"]).get(url).status_code == 200
        page = client_for(users["west_handler"]).get(url).content.decode()
        assert world["a"].code in page and "办结不返还测评扣分" in page
        partial = client_for(users["west_handler"]).get(url + "whatif/", {"case": [world["a"].pk]})
        result = whatif.what_if(org["west"], [world["a"].pk])
    assert f'data-after="{result.after.composite}"' in partial.content.decode()
    assert "<html" not in partial.content.decode()


def test_it_says_when_a_unit_is_not_ranked(
    world: dict[str, Any], users: dict[str, Any], org: dict[str, Any]
) -> None:
    page = client_for(users["coordinator"]).get(f"/rankings/unit/{org['district'].pk}/act/")
    assert "该单位不参加排名" in page.content.decode()
