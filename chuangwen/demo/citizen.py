"""Demo citizen reports (随手拍): a few hundred over the demo district, in every state.

Each goes through ``reports.services.submit_report`` and its case through ``cases.services.apply`` (accepted
and dispatched, in progress, rectified, closed and rated, rejected with a reason, duplicate, reopened by the
citizen); then its clock is set back (open ones by a few days, finished ones by up to eleven months) so the
list and the trend do not look as if everything happened at once."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F

from chuangwen.accounts.models import Role, User
from chuangwen.cases import services as case_services
from chuangwen.cases.models import Case, CaseEvent
from chuangwen.demo.activity import synthetic_photo
from chuangwen.evidence.models import Evidence
from chuangwen.org.models import Unit, UnitKind
from chuangwen.reports import guard, services, triage
from chuangwen.reports.categories import seed as seed_categories
from chuangwen.reports.models import CitizenReport, ReportCategory
from chuangwen.sites.models import Site

# How many reports end in each scenario (≈ 250 in all).
SCENARIOS = {
    "new": 40,
    "dispatched": 40,
    "in_progress": 35,
    "rectified": 20,
    "closed_rated": 50,
    "closed": 15,
    "rejected": 15,
    "duplicate": 15,
    "reopened": 10,
}
WORDS = {
    "garbage": ["垃圾桶满溢，周边散落垃圾", "绿化带里堆了很多建筑垃圾", "路边垃圾几天没人清运，有异味"],
    "street-vending": ["早市摊贩占用人行道", "水果摊把货架摆到了盲道上", "夜宵摊占道经营，油烟很大"],
    "posters": ["电线杆上贴满小广告", "墙面被乱涂乱画", "公交站牌上有很多办证小广告"],
    "parking": ["共享单车堆在路口挡住盲道", "机动车停在人行道上", "小区门口车辆乱停，消防车进不去"],
    "pavement": ["人行道地砖松动，下雨溅水", "井盖缺失，很危险", "路面坑洼积水"],
    "streetlight": ["小巷路灯坏了一个多星期", "路灯白天亮晚上不亮"],
    "clutter": ["楼下空地堆放废旧家具", "有人在绿地上私搭棚子", "门口杂物堆放影响通行"],
    "flying-wire": ["有人从楼上拉电线给电动车充电", "楼道里电动车飞线充电"],
    "fire-lane": ["消防通道被私家车占用", "消防通道堆放杂物"],
    "market": ["菜市场地面积水，很滑", "市场门口垃圾没人收拾"],
    "public-facility": ["公园座椅损坏", "广场健身器材坏了"],
    "other": ["有人在公共场所吸烟", "广场舞音响声音太大"],
}
REJECT_REASONS = [
    "经核实，该位置属于小区内部道路，已告知物业处理",
    "经现场核实，未发现所反映的问题",
    "该事项不属于文明城市创建范围，已转相关部门",
]


def _street_of(unit: Unit) -> Unit:
    while unit.kind not in (UnitKind.STREET, UnitKind.DISTRICT) and unit.parent is not None:
        unit = unit.parent
    return unit


def _people(unit: Unit) -> tuple[User, User] | None:
    handler = User.objects.filter(role=Role.HANDLER, unit=unit).order_by("username").first()
    head = User.objects.filter(role=Role.UNIT_HEAD, unit=unit).order_by("username").first()
    return (handler, head) if handler and head else None


def _target(report: CitizenReport) -> tuple[Unit, tuple[User, User]] | None:
    suggestion = triage.suggest_route(report)
    if suggestion is not None and (people := _people(suggestion.unit)) is not None:
        return suggestion.unit, people
    area = report.case.area_unit
    if area is None:
        return None
    street = _street_of(area)
    people = _people(street)
    return (street, people) if people is not None else None


def _shift(report: CitizenReport, days_back: float, *, deadlines: bool = False) -> None:
    """Move the report's whole story ``days_back`` days into the past (demo only: queryset updates)."""
    delta = timedelta(days=days_back)
    # An open report's deadlines stay as set: it is not made overdue behind the escalation sweep's back.
    case_fields = ["opened_at", "updated_at", "closed_at"]
    if deadlines:
        case_fields += ["deadline", "deadline_from", "warn_at"]
    updates: dict[str, Any] = {name: F(name) - delta for name in case_fields}
    Case.objects.filter(pk=report.case_id).update(**updates)
    CaseEvent.objects.filter(case_id=report.case_id).update(at=F("at") - delta)
    photos = Evidence.objects.filter(case_events__case_id=report.case_id)  # the fixes' photos go back too
    Evidence.objects.filter(pk__in=list(photos.values_list("pk", flat=True))).update(
        captured_at=F("captured_at") - delta, received_at=F("received_at") - delta
    )
    report_fields = ["created_at", "rated_at", "reopened_at"]
    CitizenReport.objects.filter(pk=report.pk).update(**{name: F(name) - delta for name in report_fields})


def build_citizen_reports(seed: int) -> dict[str, int]:
    """The demo's citizen reports; returns how many ended in each scenario."""
    rng = random.Random(f"chuangwen-demo:{seed}:citizen")
    seed_categories(ReportCategory)
    coordinator = User.objects.filter(username="demo_coordinator").first()
    verifier = User.objects.filter(username="demo_verifier").first()
    sites = list(Site.objects.filter(active=True).order_by("code"))
    categories = list(ReportCategory.objects.filter(active=True).order_by("sort_order"))
    if coordinator is None or verifier is None or not sites or not categories:
        return {}
    plan = [name for name, n in SCENARIOS.items() for _ in range(n)]
    rng.shuffle(plan)
    done: dict[str, int] = {}
    open_reports: list[CitizenReport] = []
    for index, scenario in enumerate(plan):
        site = rng.choice(sites)
        category = rng.choice(categories)
        lat = site.lat + rng.uniform(-0.0006, 0.0006)
        lng = site.lng + rng.uniform(-0.0006, 0.0006)
        phone = f"13{rng.randint(0, 9)}{rng.randint(0, 99_999_999):08d}" if rng.random() < 0.7 else ""
        photos = [synthetic_photo(rng, category.name)] if index % 12 == 0 else []
        try:
            report = services.submit_report(
                category=category,
                description=rng.choice(WORDS.get(category.code, WORDS["other"])),
                lat=lat,
                lng=lng,
                client_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                photos=photos,
                phone=phone,
                address=f"{site.name}附近",
            )
        except (ValidationError, services.RateLimited):
            continue
        if _play(report, scenario, coordinator, verifier, open_reports, rng):
            done[scenario] = done.get(scenario, 0) + 1
        report.refresh_from_db()
        if report.case.is_open and rng.random() < 0.3:
            for n in range(rng.randint(1, 6)):
                guard.add_supporter(report, services.keyed_hash("demo", f"{index}:{n}"))
        # finished reports spread over the year (the trend shows them month by month), open ones are recent
        days = rng.uniform(0.1, 3) if report.case.is_open else rng.uniform(0.5, 330)
        if scenario != "reopened":
            _shift(report, days, deadlines=not report.case.is_open)
    return done


def _play(
    report: CitizenReport,
    scenario: str,
    coordinator: User,
    verifier: User,
    open_reports: list[CitizenReport],
    rng: random.Random,
) -> bool:
    if scenario == "new":
        open_reports.append(report)
        return True
    if scenario == "rejected":
        triage.reject_report(report, coordinator, rng.choice(REJECT_REASONS))
        return True
    if scenario == "duplicate":
        kept = next((r for r in open_reports if r.category_id == report.category_id), None)
        if kept is None:
            triage.reject_report(report, coordinator, REJECT_REASONS[1])
            return False
        triage.mark_duplicate(report, coordinator, kept.tracking_code)
        return True
    target = _target(report)
    if target is None:
        return False
    unit, (handler, head) = target
    triage.accept_report(report, coordinator, unit)
    open_reports.append(report)
    if scenario == "dispatched":
        return True
    case = report.case
    case.refresh_from_db()
    case_services.apply(case, "accept", rng.choice([handler, head]))
    if scenario == "in_progress":
        return True
    from chuangwen.demo.activity import _rectification_photo

    photo = _rectification_photo(case, handler, rng)
    case_services.apply(case, "rectify", handler, reason="已按市民反映的问题整改完毕", photos=[photo])
    if scenario == "rectified":
        return True
    case_services.apply(case, "verify_pass", verifier)
    report.refresh_from_db()
    if scenario == "closed_rated":
        rating = rng.choices([5, 4, 3, 2, 1], weights=[50, 30, 10, 6, 4])[0]
        comment = {5: "处理很及时，点赞", 4: "处理得不错", 3: "还可以", 2: "处理偏慢", 1: "问题没有彻底解决"}[
            rating
        ]
        services.rate_report(report, rating, comment)
    elif scenario == "reopened":
        services.reopen_report(report, "整改后没几天又恢复原样了")
    return True
