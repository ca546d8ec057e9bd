"""Self-check reliability: a unit whose self-checks are consistently rosier than the official visits."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from chuangwen.rankings import selfcheck
from chuangwen.rankings.compute import TZ
from chuangwen.rankings.tests.page_fixtures import make_visit
from conftest import client_for


@pytest.fixture
def checks(org: dict[str, Any], users: dict[str, Any], sites: dict[str, Any]) -> dict[str, Any]:
    from chuangwen.rounds.models import Round
    from chuangwen.sites.models import Site
    from chuangwen.standards.services.versions import load_default_standard

    standard = load_default_standard()
    west = [sites["west_road"], sites["west_market"]] + [
        Site.objects.create(
            code=f"W{i}",
            name=f"西区点位{i}",
            site_type="ZD",
            lng=120.01,
            lat=30.01,
            area_unit=org["west_c"],
            responsible_unit=org["west"],
        )
        for i in range(2)
    ]
    east = [sites["east_estate"]] + [
        Site.objects.create(
            code=f"E{i}",
            name=f"东区点位{i}",
            site_type="ZD",
            lng=120.07,
            lat=30.01,
            area_unit=org["east_c"],
            responsible_unit=org["east"],
        )
        for i in range(2)
    ]
    today = timezone.localdate()
    months = selfcheck.recent_months(3, today)

    def round_(kind: str, target: Any, name: str) -> Any:
        return Round.objects.create(
            name=name,
            kind=kind,
            standard=standard,
            owner_unit=target,
            target_unit=target,
            period_start=months[0],
            period_end=today,
            status="published",
            created_by=users["coordinator"],
        )

    official = round_("unannounced", org["district"], "暗访")
    own_west, own_east = (
        round_("self_check", org["west"], "西湖自查"),
        round_("self_check", org["east"], "东城自查"),
    )
    for month in months[1:]:  # the last two months
        when = datetime.combine(month + timedelta(days=0), time(10), tzinfo=TZ)
        when = min(when, timezone.now() - timedelta(minutes=1))
        for site in west:
            make_visit(official, site, users["inspector"], 80, when)
            make_visit(own_west, site, users["west_handler"], 92, when)  # 12 points rosier
        for site in east:
            make_visit(official, site, users["inspector"], 80, when)
            make_visit(own_east, site, users["east_handler"], 82, when)  # 2 points: within the gap
    return {"months": months}


def test_it_flags_the_unit_whose_self_checks_are_rosier(checks: dict[str, Any], org: dict[str, Any]) -> None:
    units = {u.unit_id: u for u in selfcheck.reliability("street", months=checks["months"])}
    west, east = units[org["west"].pk], units[org["east"].pk]
    recent = west.recent()
    assert len(recent) == 2 and all(m.flagged and len(m.pairs) == 4 for m in recent)
    assert recent[0].gap == 12
    assert west.rosier
    assert not east.rosier and all(m.gap == 2 and not m.flagged for m in east.recent())
    assert not west.months[checks["months"][0]].pairs  # no data in the oldest month


def test_it_needs_enough_pairs(checks: dict[str, Any], org: dict[str, Any]) -> None:
    from chuangwen.rankings.config import from_parameters

    strict = from_parameters({"selfcheck_min_pairs": 5})
    units = {u.unit_id: u for u in selfcheck.reliability("street", months=checks["months"], config=strict)}
    assert not units[org["west"].pk].rosier


def test_it_shows_the_page_to_coordinators_and_leaders_only(
    checks: dict[str, Any], users: dict[str, Any], org: dict[str, Any]
) -> None:
    page = client_for(users["leader"]).get("/rankings/selfcheck/")
    assert page.status_code == 200
    assert f'data-unit="{org["west"].pk}" data-rosier="yes"' in page.content.decode()
    assert client_for(users["west_head"]).get("/rankings/selfcheck/").status_code == 403
    export = (
        client_for(users["coordinator"]).get("/rankings/selfcheck/export.csv").content.decode("utf-8-sig")
    )
    assert "西湖街道" in export and "+12" not in export and "12.00" in export
