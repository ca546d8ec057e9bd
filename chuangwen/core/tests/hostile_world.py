"""A district in which every text a person can write holds script-injection markup.

Units, people, sites, the standard, rounds, teams, visits, cases with their events and instructions, hotline
orders (through the real import), citizen reports (through the web contract and through Open311 POST), their
categories, the inbox and a published ranking (test_browser_hostile_markup). Registered for every test by
``pytest_plugins`` in the root conftest.py.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

__all__ = ["HOSTILE_NOW", "LONG", "MID", "SHORT", "URLISH", "hostile", "hostile_clock", "hostile_world"]

# Each payload sets window.__pwned if the browser ever runs it; the test asserts it never does.
MID = '<img src=x onerror="window.__pwned=1">"><svg onload=window.__pwned=1>'
LONG = (
    '"><svg onload=window.__pwned=1><img src=x onerror="window.__pwned=1">'
    + "<script>window.__pwned=1</script>"
)
SHORT = "<img src=x onerror=window.__pwned=1>"
URLISH = "javascript:window.__pwned=1"
# Built in the middle of a month, so "this month" and "last month" hold what the pages show.
HOSTILE_NOW = datetime.fromisoformat("2026-06-17T10:00:00+08:00")


def hostile(label: str, limit: int) -> str:
    """``label`` followed by the longest payload that fits in ``limit`` characters."""
    for payload in (LONG + URLISH, LONG, MID, SHORT):
        if len(label) + len(payload) <= limit:
            return label + payload
    raise ValueError(f"{label!r} leaves no room for a payload in {limit} characters")


def _people() -> None:
    from chuangwen.accounts.models import User
    from chuangwen.org.models import Unit

    for unit in Unit.objects.all():
        Unit.objects.filter(pk=unit.pk).update(name=hostile(unit.name[:6], 100))
    for user in User.objects.all():
        User.objects.filter(pk=user.pk).update(full_name=hostile(user.username[:6], 50))


def _sites(sites: dict[str, Any]) -> None:
    from chuangwen.sites.models import Site

    for site in sites.values():
        Site.objects.filter(pk=site.pk).update(
            name=hostile(site.name[:6], 200), address=hostile("地址", 300), area_note=hostile("说明", 200)
        )


def _standard() -> dict[str, Any]:
    from chuangwen.standards.models import CheckItem, SiteType, Standard

    standard = Standard.objects.create(code="HOST", name=hostile("标准", 200), is_active=True)
    items = {}
    for type_code in ("ZD", "NM", "LJ"):
        site_type = SiteType.objects.create(
            standard=standard, code=type_code, name=hostile(type_code, 100), protocol=hostile("方法", 300)
        )
        items[type_code] = CheckItem.objects.create(
            site_type=site_type,
            code=f"{type_code}-1",
            category=hostile("类", 50),
            text=hostile("内容", 300),
            mode="per_occurrence",
            deduct=Decimal("2"),
            duty="城管",
            unit_label='"><svg/onload=pwn()>',
        )
    return {"standard": standard, "items": items}


def _round(
    name: str, status: str, standard: Any, org: dict[str, Any], users: dict[str, Any], **extra: Any
) -> Any:
    from chuangwen.rounds.models import Round

    now = timezone.now()
    return Round.objects.create(
        name=hostile(name, 200),
        kind="unannounced",
        standard=standard,
        owner_unit=org["district"],
        target_unit=org["district"],
        period_start=now.date() - timedelta(days=10),
        period_end=now.date() + timedelta(days=3),
        status=status,
        params={"max_distance_m": 300},
        created_by=users["coordinator"],
        **extra,
    )


def _visit(round_: Any, site: Any, inspector: Any, item: Any, at: datetime, failing: bool) -> Any:
    from chuangwen.rounds.models import Finding, Judgement, Visit

    visit = Visit.objects.create(
        client_id=uuid.uuid4(),
        round=round_,
        site=site,
        inspector=inspector,
        status="accepted",
        score=Decimal("90" if failing else "100"),
        score_rate=Decimal("0.9" if failing else "1.0"),
        finished_at=at,
        note=hostile("备注", 1000),
        far_reason=hostile("过远", 500),
        review_note=hostile("审核", 500),
        lat=site.lat,
        lng=site.lng,
    )
    result = "not_conforming" if failing else "conforming"
    judgement = Judgement.objects.create(
        visit=visit, check_item=item, result=result, count=2 if failing else 0, note=hostile("说明", 500)
    )
    if failing:
        Finding.objects.create(
            judgement=judgement,
            round=round_,
            visit=visit,
            site=site,
            check_item=item,
            count=2,
            deduction=Decimal("4"),
            status="ready",
        )
    return visit


def _rounds(
    org: dict[str, Any], users: dict[str, Any], sites: dict[str, Any], std: dict[str, Any]
) -> dict[str, Any]:
    from chuangwen.rounds.models import RoundSite, Team

    now = timezone.now()
    published = _round(
        "本月暗访", "published", std["standard"], org, users, published_at=now - timedelta(hours=2)
    )
    running = _round("进行中暗访", "in_progress", std["standard"], org, users)
    team = Team.objects.create(round=running, name=hostile("组", 50))
    team.members.add(users["inspector"])
    for order, key in enumerate(sites, start=1):
        RoundSite.objects.create(
            round=running, site=sites[key], draw_order=order, team=team, route_order=order
        )
    visits = {
        key: _visit(
            published, site, users["inspector"], std["items"][site.site_type], now - timedelta(hours=3), True
        )
        for key, site in sites.items()
    }
    return {"published": published, "running": running, "team": team, "visits": visits}


def _hotline(users: dict[str, Any]) -> Any:
    from chuangwen.cases import hotline
    from chuangwen.cases.models import Case

    headers = ["工单号", "来电时间", "标题", "诉求内容", "诉求详情", "事发地址", "经度", "纬度", "责任单位"]
    row = [
        "GD-HOSTILE-1",
        (timezone.localtime() - timedelta(hours=5)).strftime("%Y-%m-%d %H:%M"),
        hostile("热线", 200),
        hostile("来电", 400),
        hostile("详情", 400),
        hostile("事发", 200),
        "120.07",
        "30.06",
        "S02",
    ]
    out = io.StringIO()
    csv.writer(out).writerows([headers, row])
    mapping = {
        "external_ref": "工单号", "opened_at": "来电时间", "title": "标题", "content": "诉求内容",
        "description": "诉求详情", "address": "事发地址", "lng": "经度", "lat": "纬度", "unit": "责任单位",
    }  # fmt: skip
    result = hotline.import_hotline(
        out.getvalue().encode(), mapping, users["coordinator"], file_name="12345.csv"
    )
    assert result.ok, result.errors
    return Case.objects.get(code=result.created[0])


def _reports(users: dict[str, Any], org: dict[str, Any]) -> dict[str, Any]:
    from chuangwen.open311 import services as open311
    from chuangwen.open311.models import Integration
    from chuangwen.reports import services, triage
    from chuangwen.reports.categories import seed
    from chuangwen.reports.models import CitizenReport, ReportCategory

    seed(ReportCategory)
    category = ReportCategory.objects.get(code="garbage")
    ReportCategory.objects.filter(pk=category.pk).update(
        name=hostile("垃圾", 50), description=hostile("说明", 200)
    )
    category.refresh_from_db()
    web = [
        services.submit_report(
            category=category,
            description=hostile(f"随手拍{n}", 1000),
            address=hostile("地址", 200),
            lat=30.05 + n / 1000,
            lng=120.02,
            client_id=uuid.uuid4(),
        )
        for n in range(3)
    ]
    integration = Integration(name=hostile("热线平台", 100), organisation=hostile("中心", 100))
    key = open311.issue_key(integration)
    client = Client()
    post = {"api_key": key, "service_code": "garbage", "lat": "30.06", "long": "120.07"}
    # A URL-ish field with a javascript: URL is refused outright.
    refused = client.post("/open311/v2/requests.json", {**post, "description": "x", "media_url": URLISH})
    assert refused.status_code == 400
    answer = client.post(
        "/open311/v2/requests.json",
        {**post, "description": hostile("接入", 1000), "address_string": hostile("接入地址", 200)},
    )
    assert answer.status_code == 200, answer.content
    via_open311 = CitizenReport.objects.get(pk=answer.json()[0]["service_request_id"])
    triage.accept_report(web[0], users["coordinator"], org["west"], explanation=hostile("分拣", 500))
    triage.reject_report(web[1], users["coordinator"], hostile("不予受理", 500))
    return {"category": category, "web": web, "open311": via_open311}


def _case_events(cases: dict[str, Any], users: dict[str, Any]) -> None:
    from chuangwen.cases.models import CaseEvent, Instruction

    for action in ("request_return", "decline_return", "verify_fail", "suspend", "request_extension"):
        case = cases["dispatched"]
        CaseEvent.objects.create(
            case=case,
            action=action,
            from_state=case.state,
            to_state=case.state,
            actor=users["west_handler"],
            reason=hostile(action, 1000),
            data={"note": hostile("附注", 300)},
        )
    Instruction.objects.create(
        case=cases["dispatched"],
        text=hostile("督办", 1000),
        deadline=timezone.now() + timedelta(days=3),
        issued_by=users["leader"],
    )


def _cases(
    org: dict[str, Any], users: dict[str, Any], sites: dict[str, Any], std: dict[str, Any]
) -> dict[str, Any]:
    from chuangwen.cases import services

    now = timezone.now()

    def case(state: str, unit: Any, site: Any, **extra: Any) -> Any:
        return services.create_case(
            source="citizen",
            state=state,
            title=hostile(f"案卷{state}", 200),
            description=hostile("描述", 1000),
            address=hostile("地址", 200),
            unit=unit,
            area_unit=site.area_unit,
            site=site,
            lat=site.lat,
            lng=site.lng,
            check_item=std["items"][site.site_type],
            opened_at=now - timedelta(days=2),
            **extra,
        )

    road, estate = sites["west_road"], sites["east_estate"]
    cases = {
        "dispatched": case(
            "dispatched", org["west"], road, deadline=now - timedelta(hours=1),
            warn_at=now - timedelta(days=1), deadline_from=now - timedelta(days=2),
        ),
        "accepted": case("accepted", org["west"], sites["west_market"], deadline=now + timedelta(days=5)),
        "closed": case("closed", org["east"], estate, closed_at=now - timedelta(hours=1)),
    }  # fmt: skip
    _case_events(cases, users)
    return cases


def _inbox(users: dict[str, Any], cases: dict[str, Any]) -> None:
    from chuangwen.notify.services import notify

    notify(
        users.values(),
        subject=hostile("通知", 200),
        body=hostile("正文", 1000),
        link=f"/cases/{cases['dispatched'].pk}/",
        kind="test.hostile",
    )


@pytest.fixture
def hostile_clock() -> Iterator[datetime]:
    with time_machine.travel(HOSTILE_NOW, tick=True):
        yield HOSTILE_NOW


@pytest.fixture
def hostile_world(
    hostile_clock: datetime, org: dict[str, Any], users: dict[str, Any], sites: dict[str, Any]
) -> dict[str, Any]:
    from chuangwen.rankings.compute import Period
    from chuangwen.rankings.services import publish

    _people()
    _sites(sites)
    for key in sites:
        sites[key].refresh_from_db()
    std = _standard()
    rounds = _rounds(org, users, sites, std)
    cases = _cases(org, users, sites, std)
    hotline_case = _hotline(users)
    reports = _reports(users, org)
    _inbox(users, cases)
    # Published rankings keep the unit names of their day: published after the renaming above.
    ranking = publish(Period.for_round(rounds["published"]), "street", users["coordinator"])
    return {**std, **rounds, "cases": cases, "hotline": hotline_case, "reports": reports, "ranking": ranking}
