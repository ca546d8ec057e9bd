"""The dashboard numbers against a hand-built district (see world.py for the data)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from chuangwen.dashboards import services

pytestmark = pytest.mark.django_db


def test_it_computes_the_districts_key_indicators_from_published_official_rounds(
    world: dict[str, Any], users: dict[str, Any], org: dict[str, Any]
) -> None:
    ind = services.indicators(users["leader"], org["district"], world["now"])
    # The latest official round is 二月暗访 (the later self-check and the secret round never count).
    assert ind.round_name == "二月暗访" and ind.visits == 3
    assert ind.mean_score == pytest.approx(86.67)  # (70 + 90 + 100) / 3
    assert ind.mean_rate == pytest.approx(86.7)
    assert ind.previous_round_name == "一月暗访" and ind.previous_mean_score == 85.0
    assert ind.score_change == pytest.approx(1.67)
    assert ind.open_total == 4  # c1, c2, c3, c5
    assert ind.lights == {"red": 1, "yellow": 1, "green": 1}  # c5 is new, without a deadline
    assert ind.overdue == 1
    # Opened in the last 30 days, the cancelled one left out: c1–c5; closed: c4.
    assert (ind.recent_cases, ind.recent_closed, ind.disposal_rate) == (5, 1, 20.0)


def test_it_gives_a_coordinator_the_same_numbers_without_his_secret_round(
    world: dict[str, Any], users: dict[str, Any], org: dict[str, Any]
) -> None:
    leader = services.overview_payload(users["leader"], org["district"], world["now"])
    coordinator = services.overview_payload(users["coordinator"], org["district"], world["now"])
    assert leader == coordinator
    assert 10.0 not in coordinator["trend"]["mean_score"]
    assert all(row["score"] != 10.0 for row in coordinator["worst_sites"])


def test_it_narrows_everything_to_a_street(world: dict[str, Any], org: dict[str, Any]) -> None:
    west = services.indicators(world["west_coord"], org["west"], world["now"])
    assert (west.mean_score, west.previous_mean_score, west.score_change) == (80.0, 80.0, 0.0)
    assert (west.open_total, west.overdue, west.lights) == (3, 1, {"red": 1, "yellow": 0, "green": 1})
    assert (west.recent_cases, west.recent_closed, west.disposal_rate) == (4, 1, 25.0)
    east = services.indicators(world["east_coord"], org["east"], world["now"])
    assert (east.mean_score, east.previous_mean_score) == (100.0, 90.0)
    assert (east.open_total, east.lights["yellow"], east.disposal_rate) == (1, 1, 0.0)
    # A leader looking at the east street from the district sees the same numbers as its coordinator.
    assert services.indicators(world["west_leader"], org["west"], world["now"]) == west


def test_it_buckets_scores_and_cases_by_month(
    world: dict[str, Any], users: dict[str, Any], org: dict[str, Any]
) -> None:
    trend = services.trend(users["leader"], org["district"], world["now"])
    assert len(trend["months"]) == services.WINDOW_MONTHS
    assert trend["months"][-1] == timezone.localtime(world["now"]).strftime("%Y-%m")
    # Previous month: 一月暗访 (80, 90); this month: 二月暗访 (70, 90, 100).
    assert trend["mean_score"][-2] == 85.0 and trend["visits"][-2] == 2
    assert trend["mean_score"][-1] == pytest.approx(86.67) and trend["visits"][-1] == 3
    assert trend["mean_rate"][-1] == pytest.approx(86.7)
    assert trend["mean_score"][:-2] == [None] * (services.WINDOW_MONTHS - 2)
    assert sum(trend["opened"]) == 6  # c1–c5 and c7 (cancelled left out)
    assert sum(trend["closed"]) == 2  # c4, c7


def test_it_lists_the_worst_sites_by_their_latest_score(
    world: dict[str, Any], users: dict[str, Any], org: dict[str, Any]
) -> None:
    worst = services.worst_sites(users["coordinator"], org["district"], world["now"])
    assert [(row.site.code, row.score, row.round_name) for row in worst] == [
        ("P0001", 70.0, "二月暗访"),
        ("P0002", 90.0, "二月暗访"),  # the secret round's 10 points never show
        ("P0003", 100.0, "二月暗访"),
    ]


def test_it_counts_problem_categories_of_published_rounds(
    world: dict[str, Any], users: dict[str, Any], org: dict[str, Any]
) -> None:
    rows = services.top_categories(users["coordinator"], org["district"], world["now"])
    assert rows == [
        {"category": "环境卫生", "count": 3, "problems": 6},  # not 4: the secret round's NM-1 is left out
        {"category": "交通秩序", "count": 1, "problems": 2},
    ]
    assert services.top_categories(world["east_coord"], org["east"], world["now"]) == []


def test_it_ranks_recurrence_hot_spots(
    world: dict[str, Any], users: dict[str, Any], org: dict[str, Any]
) -> None:
    spots = services.recurrence_hotspots(users["leader"], org["district"])
    assert len(spots) == 1
    spot = spots[0]
    assert spot.site.code == "P0001" and spot.recurrences == 1
    assert spot.repeated == [{"code": "ZD-1", "text": "ZD-1 测评内容", "count": 2}]
    assert spot.weight == 3
    # West market failed NM-1 once in public and once in the secret round: no hot spot.
    assert services.recurrence_hotspots(users["coordinator"], org["district"])[0].site.code == "P0001"
    only_traffic = services.ProblemFilter(category="交通秩序")
    assert services.recurrence_hotspots(users["leader"], org["district"], only_traffic) == []


def test_it_aggregates_problems_on_a_grid(
    world: dict[str, Any], users: dict[str, Any], org: dict[str, Any]
) -> None:
    data = services.heat_cells(users["coordinator"], org["district"], services.ProblemFilter())
    assert data["findings"] == 4 and data["cases"] == 4
    assert sum(c["findings"] for c in data["cells"]) == 4
    assert sum(c["cases"] for c in data["cells"]) == 4
    assert len(data["cells"]) == 3 and data["max"] == 5  # west road: 3 findings + c1 + c5
    assert len(data["points"]) == 8
    filtered = services.heat_cells(
        users["coordinator"], org["district"], services.ProblemFilter(category="交通秩序")
    )
    assert (filtered["findings"], filtered["cases"]) == (1, 1)
    future = services.ProblemFilter(since=world["now"].date() + timedelta(days=1))
    assert services.heat_cells(users["coordinator"], org["district"], future)["findings"] == 0


def test_it_builds_a_site_dossier_in_time_order(
    world: dict[str, Any], users: dict[str, Any], sites: Any
) -> None:
    entries = services.site_dossier(users["coordinator"], sites["west_road"])
    assert [e.kind for e in entries] == ["visit", "case", "case", "case", "visit", "visit"]
    assert [e.at for e in entries] == sorted(e.at for e in entries)
    visits = [e for e in entries if e.kind == "visit"]
    assert [e.visit.round.name for e in visits if e.visit] == ["一月暗访", "二月暗访", "西湖自查"]
    assert [f.check_item.code for f in visits[1].findings] == ["ZD-1", "ZD-2"]
    assert visits[1].photos == [world["photos"]["r2_road"]]
    c4 = next(e for e in entries if e.case == world["cases"]["c4"])
    assert c4.photos == [world["photos"]["c4"]]
    market = services.site_dossier(users["coordinator"], sites["west_market"])
    assert [e.visit.round.name for e in market if e.visit] == ["二月暗访"]
    assert all(world["photos"]["r3_market"] not in e.photos for e in market)
    assert services.citizen_reports_for_site(users["coordinator"], sites["west_road"]) == []
