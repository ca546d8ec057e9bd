"""Talks and commendations in the composite: with points set in the standard version a talk in the period
takes them off the unit's composite and a commendation adds them, both counted in ``penalty_events``; with
the default (0) nothing changes; records outside the period or after ``as_of`` do not count."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from chuangwen.bulletins import records
from chuangwen.rankings.compute import Period, compute
from chuangwen.rankings.config import ranking_config
from chuangwen.rankings.drilldown import drilldown
from chuangwen.rankings.services import publish
from chuangwen.standards.models import Standard

pytestmark = pytest.mark.django_db

POINTS = {"falsified_rectification": 5, "accountability_talk": 3, "commendation": 2}


def _set_points(standard: Standard, penalties: dict[str, int]) -> None:
    parameters = dict(standard.parameters or {})
    parameters["penalties"] = penalties
    Standard.objects.filter(pk=standard.pk).update(parameters=parameters)


def _by_unit(period: Period) -> dict[int, Any]:
    return {s.unit_id: s for s in compute(period, "street")}


def _talk(org: dict[str, Any], users: dict[str, Any], unit: str, day: Any) -> Any:
    return records.schedule_talk(
        org["district"],
        users["coordinator"],
        unit=org[unit],
        kind="talk",
        reason="连续两月排名末位",
        meeting_date=day,
        follow_up_due=day + timedelta(days=20),
    )


def test_it_takes_a_talks_points_off_and_adds_a_commendations(
    scored: dict[str, Any], org: dict[str, Any], users: dict[str, Any]
) -> None:
    period = Period.for_round(scored["round"])
    _set_points(scored["standard"], POINTS)
    before = _by_unit(period)
    today = timezone.localdate()
    _talk(org, users, "east_c", today)  # a community's talk counts for its street
    records.commend(
        org["district"],
        users["coordinator"],
        unit=org["west"],
        title="先进单位",
        reason="整改及时",
        date=today,
    )
    after = _by_unit(period)
    east, west = org["east"].pk, org["west"].pk
    assert after[east].composite == before[east].composite - 3
    assert after[east].penalty_events == {"accountability_talk": 1}
    assert after[east].penalty == D(3)
    assert after[west].composite == before[west].composite + 2
    assert after[west].penalty_events == {"commendation": 1}
    assert after[west].penalty == D(-2)


def test_it_changes_nothing_with_the_default_points(
    scored: dict[str, Any], org: dict[str, Any], users: dict[str, Any]
) -> None:
    period = Period.for_round(scored["round"])
    config = ranking_config(scored["standard"])
    assert config.penalties["accountability_talk"] == 0 and config.penalties["commendation"] == 0
    before = _by_unit(period)
    _talk(org, users, "east", timezone.localdate())
    after = _by_unit(period)
    east = org["east"].pk
    assert after[east].composite == before[east].composite
    assert after[east].penalty == 0
    assert after[east].penalty_events == {"accountability_talk": 1}  # counted, weighing nothing


def test_it_counts_only_records_dated_in_the_period_up_to_as_of(
    scored: dict[str, Any], org: dict[str, Any], users: dict[str, Any]
) -> None:
    period = Period.for_round(scored["round"])  # 2026-03-01 … 2026-03-16, the clock on the 16th
    _set_points(scored["standard"], POINTS)
    before = _by_unit(period)
    today = timezone.localdate()
    _talk(org, users, "east", today.replace(day=1) - timedelta(days=1))  # last month
    _talk(org, users, "east", today + timedelta(days=3))  # after the period (planned)
    after = _by_unit(period)
    east = org["east"].pk
    assert after[east].composite == before[east].composite
    assert after[east].penalty_events == {}
    # A month's ranking computed mid-month does not count a meeting planned for later in the month.
    month = Period.for_month(today)
    planned = _talk(org, users, "west", today + timedelta(days=5))
    assert planned.meeting_date.month == today.month
    assert org["west"].pk not in {
        s.unit_id for s in compute(month, "street") if s.penalty_events.get("accountability_talk")
    }


def test_it_stores_the_events_so_the_published_number_can_be_recomputed(
    scored: dict[str, Any], org: dict[str, Any], users: dict[str, Any]
) -> None:
    _set_points(scored["standard"], POINTS)
    _talk(org, users, "east", timezone.localdate())
    records.commend(
        org["district"],
        users["coordinator"],
        unit=org["east"],
        title="志愿服务先进",
        reason="志愿服务常态化",
        date=timezone.localdate(),
    )
    ranking = publish(Period.for_round(scored["round"]), "street", users["coordinator"])
    row = ranking.rows.get(unit=org["east"])
    assert row.penalty_events == {"accountability_talk": 1, "commendation": 1}
    assert D(ranking.config["penalties"]["accountability_talk"]) == 3
    assert row.penalty == D(1)  # 1 × 3 − 1 × 2
    detail = drilldown(ranking, row)
    shown = {p["name"]: (p["events"], p["points"]) for p in detail.penalties}
    assert shown["accountability_talk"] == (1, D(3)) and shown["commendation"] == (1, D(2))


def test_it_says_on_the_method_page_that_a_commendation_adds_points(scored: dict[str, Any]) -> None:
    _set_points(scored["standard"], POINTS)
    text = Client().get("/rankings/method/").content.decode()
    assert "受到表彰（加分项）" in text and "综合指数加 2" in text
    assert "被约谈或通报批评" in text and "扣 3" in text
