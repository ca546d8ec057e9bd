"""A hand-built district for the dashboard tests: two published official rounds, a published self-check, a
secret round under way, findings, cases in several states and photos. The expected figures are in the tests.

Registered for every test by ``pytest_plugins`` in the root conftest.py.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from conftest import make_user

__all__ = ["WORLD_NOW", "add_visit", "world", "world_clock"]

# The world is built in the middle of a month, away from month and year ends, whatever today is: "the previous
# month" and "this month" must not swap places during the first days of a real month.
WORLD_NOW = datetime.fromisoformat("2026-06-17T10:00:00+08:00")


@pytest.fixture
def world_clock() -> Iterator[datetime]:
    with time_machine.travel(WORLD_NOW, tick=True):
        yield WORLD_NOW


def add_visit(
    round_: Any,
    site: Any,
    inspector: Any,
    score: str,
    rate: str,
    at: datetime,
    failures: tuple[Any, ...] = (),
) -> Any:
    """An accepted visit with a not-conforming judgement and finding per failed item."""
    from chuangwen.rounds.models import Finding, Judgement, Visit

    visit = Visit.objects.create(
        client_id=uuid.uuid4(),
        round=round_,
        site=site,
        inspector=inspector,
        status="accepted",
        score=Decimal(score),
        score_rate=Decimal(rate),
        finished_at=at,
    )
    Visit.objects.filter(pk=visit.pk).update(received_at=at)
    visit.refresh_from_db()
    for item in failures:
        judgement = Judgement.objects.create(visit=visit, check_item=item, result="not_conforming", count=2)
        status = "ready" if round_.status == "published" else "hidden"
        Finding.objects.create(
            judgement=judgement,
            round=round_,
            visit=visit,
            site=site,
            check_item=item,
            count=2,
            deduction=Decimal("4"),
            status=status,
        )
    return visit


def photo(uploader: Any, visit: Any = None) -> Any:
    from chuangwen.evidence.models import Evidence

    digest = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
    return Evidence.objects.create(
        client_id=uuid.uuid4(),
        sha256=digest,
        file=f"evidence/{digest}.jpg",
        uploader=uploader,
        visit=visit,
        site=visit.site if visit else None,
        round=visit.round if visit else None,
    )


@pytest.fixture
def world(
    world_clock: datetime, org: dict[str, Any], users: dict[str, Any], sites: dict[str, Any]
) -> dict[str, Any]:
    from chuangwen.cases import services as case_services
    from chuangwen.cases.models import CaseEvent
    from chuangwen.dashboards import services
    from chuangwen.rounds.models import Round
    from chuangwen.standards.models import CheckItem, SiteType, Standard

    now = timezone.now()
    this_month = services.window_start(now, 1)
    standard = Standard.objects.create(code="TEST", name="测试标准", is_active=True)
    items = {}
    for type_code, specs in {
        "ZD": [("ZD-1", "环境卫生"), ("ZD-2", "交通秩序")],
        "NM": [("NM-1", "环境卫生")],
        "LJ": [("LJ-1", "公益广告")],
    }.items():
        site_type = SiteType.objects.create(standard=standard, code=type_code, name=type_code)
        for code, category in specs:
            items[code] = CheckItem.objects.create(
                site_type=site_type,
                code=code,
                category=category,
                text=f"{code} 测评内容",
                mode="binary",
                deduct=Decimal("4"),
                duty="城管",
            )
    coordinator, inspector = users["coordinator"], users["inspector"]

    def make_round(name: str, status: str, published_at: datetime | None, kind: str = "unannounced") -> Round:
        return Round.objects.create(
            name=name,
            kind=kind,
            standard=standard,
            owner_unit=org["district"],
            target_unit=org["district"],
            period_start=now.date() - timedelta(days=90),
            period_end=now.date(),
            status=status,
            published_at=published_at,
            created_by=coordinator,
        )

    r1 = make_round("一月暗访", "published", now - timedelta(days=30))
    r2 = make_round("二月暗访", "published", now - timedelta(days=1))
    r3 = make_round("秘密暗访", "in_progress", None)
    r4 = make_round("西湖自查", "published", now - timedelta(hours=1), kind="self_check")
    earlier = this_month - timedelta(days=10)  # the previous month
    recent = now - timedelta(minutes=1)  # this month
    v = {
        "r1_road": add_visit(r1, sites["west_road"], inspector, "80", "0.8", earlier, (items["ZD-1"],)),
        "r1_estate": add_visit(r1, sites["east_estate"], inspector, "90", "0.9", earlier),
        "r2_road": add_visit(
            r2, sites["west_road"], inspector, "70", "0.7", recent, (items["ZD-1"], items["ZD-2"])
        ),
        "r2_market": add_visit(r2, sites["west_market"], inspector, "90", "0.9", recent, (items["NM-1"],)),
        "r2_estate": add_visit(r2, sites["east_estate"], inspector, "100", "1.0", recent),
        "r3_market": add_visit(r3, sites["west_market"], inspector, "10", "0.1", recent, (items["NM-1"],)),
        "r4_road": add_visit(r4, sites["west_road"], inspector, "100", "1.0", recent),
    }
    photos = {"r2_road": photo(inspector, v["r2_road"]), "r3_market": photo(inspector, v["r3_market"])}

    def case(key: str, state: str, unit: Any, site: Any, opened_days: float, **extra: Any) -> Any:
        made = case_services.create_case(
            source="citizen",
            state=state,
            title=f"案卷{key}",
            unit=unit if state != "new" else None,
            area_unit=site.area_unit,
            site=site,
            lat=site.lat,
            lng=site.lng,
            opened_at=now - timedelta(days=opened_days),
            **extra,
        )
        return made

    west, east = org["west"], org["east"]
    road, market, estate = sites["west_road"], sites["west_market"], sites["east_estate"]
    c4 = case("c4", "closed", west, road, 20, closed_at=now - timedelta(days=3), check_item=items["ZD-1"])
    cases = {
        "c1": case("c1", "dispatched", west, road, 5, deadline=now - timedelta(days=1),
                   deadline_from=now - timedelta(days=5), warn_at=now - timedelta(days=2),
                   check_item=items["ZD-2"]),
        "c2": case("c2", "accepted", west, market, 2, deadline=now + timedelta(days=10),
                   deadline_from=now - timedelta(days=1), warn_at=now + timedelta(days=8)),
        "c3": case("c3", "accepted", east, estate, 10, deadline=now + timedelta(hours=1),
                   deadline_from=now - timedelta(days=10), warn_at=now - timedelta(days=1)),
        "c4": c4,
        "c5": case("c5", "new", west, road, 1, recurrence_of=c4, check_item=items["ZD-1"]),
        "c6": case("c6", "cancelled", east, estate, 3),
        "c7": case("c7", "closed", east, estate, 60, closed_at=now - timedelta(days=50)),
    }  # fmt: skip
    event = CaseEvent.objects.create(case=c4, action="rectify", from_state="accepted", to_state="rectified")
    photos["c4"] = photo(users["west_handler"])
    event.photos.add(photos["c4"])
    return {
        "now": now,
        "standard": standard,
        "items": items,
        "rounds": {"r1": r1, "r2": r2, "r3": r3, "r4": r4},
        "visits": v,
        "photos": photos,
        "cases": cases,
        "west_coord": make_user("west_coord", "coordinator", west),
        "east_coord": make_user("east_coord", "coordinator", east),
        "west_leader": make_user("west_leader", "leader", west),
    }
