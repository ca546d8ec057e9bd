"""Issue 11 §5: a ranking published the day its round is published is fair. Each rule against a hand-computed
district (default parameters: composite 0.6 on-site + 0.3 rectification, survey without data; indicator
weights 0.25 处置率, 0.25 按期, 0.15 返工, 0.2 超期, 0.05 延期, 0.1 复发; k = 5, min_sample = 5).

Visit weights: 西湖大道 (ZD, declared) 1.0; 东门老旧小区 (LJ 1.2 × undeclared 1.5) 1.8.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal as D
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from chuangwen.cases.tests.case_fixtures import make_case
from chuangwen.rankings.compute import Period, compute
from chuangwen.rankings.services import publish
from chuangwen.rankings.tests.page_fixtures import _finding_case, make_visit
from conftest import client_for

T = datetime(2026, 3, 16, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def clock() -> Iterator[None]:
    with time_machine.travel(T, tick=False):
        yield


@pytest.fixture
def round_(clock: None, org: dict[str, Any], users: dict[str, Any]) -> Any:
    from chuangwen.rounds.models import Round
    from chuangwen.standards.services.versions import load_default_standard

    return Round.objects.create(
        name="三月暗访",
        kind="unannounced",
        standard=load_default_standard(),
        owner_unit=org["district"],
        target_unit=org["district"],
        period_start=date(2026, 3, 1),
        period_end=date(2026, 3, 16),
        status="published",
        created_by=users["coordinator"],
        published_at=T,
    )


def visits(round_: Any, sites: dict[str, Any], users: dict[str, Any], **scores: int) -> None:
    for key, score in scores.items():
        make_visit(round_, sites[key], users["inspector"], score, T - timedelta(hours=1))


def by_name(period: Period, level: str = "street") -> dict[str, Any]:
    return {score.unit_name: score for score in compute(period, level)}


def test_it_does_not_count_cases_still_inside_their_time(
    round_: Any, org: dict[str, Any], users: dict[str, Any], sites: dict[str, Any]
) -> None:
    visits(round_, sites, users, east_estate=70)
    road = make_visit(round_, sites["west_road"], users["inspector"], 90, T - timedelta(hours=1))
    # Publishing the round just opened a case from its finding at 西湖大道, due in 5 days: nobody has had
    # time to fix it.
    _finding_case(round_, road, "ZD-02", 1, org["west"], state="accepted", deadline=T + timedelta(days=5))
    scores = by_name(Period.for_round(round_))
    west, east = scores["西湖街道"], scores["东城街道"]
    # level mean (90·1 + 70·1.8) / 2.8 = 77.142857; west (90 + 5·77.142857) / 6 = 79.29,
    # east (70 + 5·77.142857) / 6 = 75.95. No unit has a case due: the rectification part is left out for
    # all alike (before the fix west got 100 × (0.15 + 0.2 + 0.05 + 0.1) = 50.00 and fell to 69.53).
    assert (west.cases, west.rectification, west.onsite, west.composite, west.rank) == (
        0,
        None,
        D("79.29"),
        D("79.29"),
        1,
    )
    assert (east.composite, east.rank) == (D("75.95"), 2)


def test_it_makes_a_street_answer_for_problems_routed_to_departments(
    round_: Any, org: dict[str, Any], users: dict[str, Any], sites: dict[str, Any]
) -> None:
    visits(round_, sites, users, west_road=90, east_estate=88)
    overdue = T - timedelta(days=1)
    make_case("accepted", org["west"], area=org["west_c"], site=sites["west_road"], deadline=overdue)
    # east's problem went to the department: east still answers for it (it is located in east)
    make_case("accepted", org["dept"], area=org["east_c"], site=sites["east_estate"], deadline=overdue)
    scores = by_name(Period.for_month(T.date()))
    west, east = scores["西湖街道"], scores["东城街道"]
    # level mean (90 + 88·1.8) / 2.8 = 88.714286; west (90 + 5·88.714286) / 6 = 88.93; east
    # (88 + 5·88.714286) / 6 = 88.60. Each has one open overdue case: 100 × (0.15 + 0.05 + 0.1) = 30.00.
    # west (0.6·88.93 + 0.3·30) / 0.9 = 69.29; east (0.6·88.60 + 0.3·30) / 0.9 = 69.07. Before the fix east
    # had no case, kept 88.60 alone and ranked first.
    assert (east.cases, east.rectification, east.composite, east.rank) == (1, D("30.00"), D("69.07"), 2)
    assert (west.cases, west.rectification, west.composite, west.rank) == (1, D("30.00"), D("69.29"), 1)
    # the department answers for the case routed to it; it has no visit of its own: not ranked
    (dept,) = compute(Period.for_month(T.date()), "department")
    assert (dept.cases, dept.rectification, dept.rank) == (1, D("30.00"), None)


def test_it_gives_a_unit_without_cases_the_level_mean_rectification(
    round_: Any, org: dict[str, Any], users: dict[str, Any], sites: dict[str, Any]
) -> None:
    visits(round_, sites, users, west_road=90, east_estate=70)
    area = {"area": org["west_c"], "site": sites["west_road"]}
    make_case("closed", org["west"], **area, deadline=T + timedelta(days=1), closed_at=T - timedelta(hours=1))
    make_case("accepted", org["west"], **area, deadline=T - timedelta(days=1))
    scores = by_name(Period.for_month(T.date()))
    west, east = scores["西湖街道"], scores["东城街道"]
    # west: 2 cases, 1 closed on time, 1 open overdue:
    # 100 × (0.25·0.5 + 0.25·0.5 + 0.15·1 + 0.2·0.5 + 0.05·1 + 0.1·1) = 65.00
    assert (west.cases, west.rectification) == (2, D("65.00"))
    # east has no case: it takes the level's mean rectification, 65.00 (the only unit with one)
    assert (east.cases, east.rectification) == (0, D("65.00"))
    # west (0.6·79.29 + 0.3·65) / 0.9 = 74.53; east (0.6·75.95 + 0.3·65) / 0.9 = 72.30
    assert (west.composite, east.composite) == (D("74.53"), D("72.30"))


def test_it_lists_units_without_enough_sample_after_the_ranked_ones(
    round_: Any, org: dict[str, Any], users: dict[str, Any], sites: dict[str, Any]
) -> None:
    visits(round_, sites, users, west_road=90)
    # east was never visited but closed its one case on time: rectification 100
    make_case("closed", org["east"], area=org["east_c"], deadline=T, closed_at=T - timedelta(hours=2))
    period = Period.for_month(T.date())
    scores = by_name(period)
    west, east = scores["西湖街道"], scores["东城街道"]
    # before the fix east's composite was its rectification alone, 100, and it ranked first
    assert (east.rectification, east.composite, east.rank) == (D("100.00"), None, None)
    assert east.unranked_reason.startswith("样本不足")
    # west: on-site 90 (its own mean is the level's), rectification the level mean 100:
    # (0.6·90 + 0.3·100) / 0.9 = 93.33
    assert (west.composite, west.rank) == (D("93.33"), 1)
    ranking = publish(period, "street", users["coordinator"])
    assert [row.unit_name for row in ranking.rows.all()] == ["西湖街道", "东城街道"]
    page = client_for(users["west_handler"]).get(f"/rankings/{ranking.pk}/").content.decode()
    assert page.index("西湖街道") < page.index("样本不足") and page.index("东城街道") > page.index("西湖街道")


def test_it_tells_the_coordinators_the_preview_is_ready_when_a_round_is_published(
    clock: None,
    org: dict[str, Any],
    users: dict[str, Any],
    sites: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    from chuangwen.notify.models import Notification
    from chuangwen.rounds.models import Round
    from chuangwen.rounds.services import publish_round
    from chuangwen.standards.services.versions import load_default_standard

    round_ = Round.objects.create(
        name="三月暗访",
        kind="unannounced",
        standard=load_default_standard(),
        owner_unit=org["district"],
        target_unit=org["district"],
        period_start=date(2026, 3, 1),
        period_end=date(2026, 3, 16),
        status="in_progress",
        created_by=users["coordinator"],
    )
    make_visit(round_, sites["west_road"], users["inspector"], 90, T - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        publish_round(round_, users["coordinator"], confirm_missing=True)
    (notice,) = Notification.objects.filter(user=users["coordinator"], kind="ranking.preview")
    assert "三月暗访" in notice.subject
    assert notice.link == f"/rankings/compute/?period=round:{round_.pk}&level=street"
    # street: west ranked, east not visited; community: 柳浪 ranked, 东门 not; the department not visited
    assert "街道 1 个单位排名、1 个样本不足" in notice.body
    assert not Notification.objects.filter(user=users["west_handler"], kind="ranking.preview").exists()
