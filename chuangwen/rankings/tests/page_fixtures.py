"""A small scored world for the ranking pages: one published 暗访 round this month with three visits, findings
and their cases, and the street ranking of that round published.

West street: 西湖大道 (ZD, weight 1.0, declared) scored 90 (ZD-02 × 10 → −10, case B closed on time) and
柳浪农贸市场 (NM, weight 1.2, undeclared × 1.5 = 1.8) scored 94 (NM-03 × 3 → −6, case A open and overdue).
East street: 东门老旧小区 (LJ, weight 1.2, undeclared → 1.8) scored 70, and case C (a citizen report this
month, overdue). The clock stands at ``NOW`` (2026-03-16 10:00 in Shanghai) and ticks from there.
Registered for every test by ``pytest_plugins`` in the root conftest.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

__all__ = ["NOW", "make_visit", "ranked", "scored"]

NOW = datetime(2026, 3, 16, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def make_visit(round_: Any, site: Any, inspector: Any, score: Any, when: Any, **extra: Any) -> Any:
    from chuangwen.rounds.models import Visit

    return Visit.objects.create(
        client_id=uuid.uuid4(),
        round=round_,
        site=site,
        inspector=inspector,
        status="accepted",
        score=Decimal(score),
        finished_at=when,
        **extra,
    )


def _finding_case(round_: Any, visit: Any, item_code: str, count: int, unit: Any, **case: Any) -> Any:
    from chuangwen.cases.models import CaseSource
    from chuangwen.cases.services import create_case
    from chuangwen.rounds.models import Finding, Judgement
    from chuangwen.standards.models import CheckItem

    item = CheckItem.objects.get(site_type__standard=round_.standard, code=item_code)
    judgement = Judgement.objects.create(visit=visit, check_item=item, result="not_conforming", count=count)
    finding = Finding.objects.create(
        judgement=judgement,
        round=round_,
        visit=visit,
        site=visit.site,
        check_item=item,
        count=count,
        deduction=min(item.deduct * count, item.cap or item.deduct * count),
        status="dispatched",
    )
    return create_case(
        source=CaseSource.FINDING,
        title=item.text[:50],
        site=visit.site,
        finding=finding,
        check_item=item,
        unit=unit,
        area_unit=visit.site.area_unit,
        **case,
    )


@pytest.fixture
def scored(org: dict[str, Any], users: dict[str, Any], sites: dict[str, Any]) -> Iterator[dict[str, Any]]:
    with time_machine.travel(NOW, tick=True):
        yield _scored(org, users, sites)


def _scored(org: dict[str, Any], users: dict[str, Any], sites: dict[str, Any]) -> dict[str, Any]:
    from chuangwen.cases.models import CaseSource
    from chuangwen.cases.services import create_case
    from chuangwen.rounds.models import Round
    from chuangwen.standards.services.versions import load_default_standard

    standard = load_default_standard()
    now = timezone.now()
    when = now - timedelta(minutes=5)
    today = timezone.localdate()
    round_ = Round.objects.create(
        name="本月暗访",
        kind="unannounced",
        standard=standard,
        owner_unit=org["district"],
        target_unit=org["district"],
        period_start=today.replace(day=1),
        period_end=today,
        status="published",
        created_by=users["coordinator"],
        published_at=now,
    )
    inspector = users["inspector"]
    road = make_visit(round_, sites["west_road"], inspector, 90, when)
    market = make_visit(round_, sites["west_market"], inspector, 94, when)
    estate = make_visit(round_, sites["east_estate"], inspector, 70, when)
    case_b = _finding_case(
        round_,
        road,
        "ZD-02",
        10,
        org["west"],
        state="closed",
        opened_at=when,
        deadline=now + timedelta(days=1),
        closed_at=now - timedelta(minutes=1),
    )
    case_a = _finding_case(
        round_,
        market,
        "NM-03",
        3,
        org["west"],
        state="accepted",
        opened_at=when,
        deadline=now - timedelta(minutes=3),
    )
    case_c = create_case(
        source=CaseSource.CITIZEN,
        state="accepted",
        title="楼道堆物",
        unit=org["east"],
        area_unit=org["east_c"],
        opened_at=when,
        deadline=now - timedelta(minutes=2),
    )
    return {
        "standard": standard,
        "round": round_,
        "road": road,
        "market": market,
        "estate": estate,
        "case_a": case_a,
        "case_b": case_b,
        "case_c": case_c,
    }


@pytest.fixture
def ranked(scored: dict[str, Any], users: dict[str, Any]) -> Any:
    """The street ranking of the round, published."""
    from chuangwen.rankings.compute import Period
    from chuangwen.rankings.services import publish

    return publish(Period.for_round(scored["round"]), "street", users["coordinator"])
