"""Demo activity: a year of published rounds (``history``) and one in progress, with visits and photos.

Everything goes through the same services the pages and the phone use (draw, teams, visit submission,
photo ingest, review, publication), so the demo shows the real rules at work.
"""

from __future__ import annotations

import io
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F
from django.test import override_settings
from django.utils import timezone
from PIL import Image, ImageDraw

from chuangwen.accounts.models import Role, User
from chuangwen.cases import services as case_services
from chuangwen.cases import sweeps
from chuangwen.cases.deadlines import deadline_fields, overdue_q
from chuangwen.cases.hotline import import_hotline
from chuangwen.cases.instructions import instruct, open_instruction_case
from chuangwen.cases.models import Case, CaseEvent, CaseState, RoutingRule
from chuangwen.evidence.models import EvidenceKind
from chuangwen.evidence.services import PhotoMeta, ingest_photo
from chuangwen.org.models import Unit, UnitKind
from chuangwen.rounds.models import Round, RoundKind, RoundSite
from chuangwen.rounds.services import build_teams, create_round, draw_round, start_round
from chuangwen.rounds.visits import accept_visit, submit_visit
from chuangwen.sites.models import Site
from chuangwen.standards.models import CheckItem, Standard
from chuangwen.workdays.services import deadline_for, end_of_day

SHANGHAI = ZoneInfo(settings.TIME_ZONE)  # the district's local time (settings)

# Sites per type in an unannounced round of the demo district (≈ 40 sites).
UNANNOUNCED_QUOTAS = {
    "ZD": 6,
    "BJ": 6,
    "NM": 3,
    "LJ": 6,
    "JK": 4,
    "GJ": 4,
    "GC": 3,
    "GD": 2,
    "XX": 3,
    "GW": 2,
}


@dataclass
class ActivitySummary:
    rounds: list[str] = field(default_factory=list)
    visits: int = 0
    photos: int = 0
    findings: int = 0
    cases: dict[str, int] = field(default_factory=dict)


def build_activity(seed: int) -> ActivitySummary:
    """A year of rounds, self-checks, cases and rankings (``history``), then the current month: a 暗访 in
    progress, some cases moved on today, hotline orders, instructions and citizen reports. The same seed
    gives the same data; everything is placed relative to the clock's "now"."""
    from chuangwen.demo import history
    from chuangwen.demo.materials import build_materials
    from chuangwen.demo.surveys import build_surveys

    rng = random.Random(f"{seed}:activity")
    coordinator = User.objects.get(username="demo_coordinator")
    district = Unit.objects.filter(kind=UnitKind.DISTRICT).order_by("path").first()
    standard = Standard.objects.filter(is_active=True).first()
    if district is None or standard is None:
        return ActivitySummary()
    inspectors = list(User.objects.filter(role=Role.INSPECTOR, unit=district).order_by("username"))
    summary = ActivitySummary()
    _routing_rules(district)
    story = history.Story(
        random.Random(f"chuangwen-demo:{seed}:history"), timezone.now(), district, standard, coordinator,
        inspectors, lambda *args: _play_visit(*args, rng=rng, summary=summary),
    )  # fmt: skip
    # 网上申报 first: its history is timestamped, so the year's rankings count it as it stood at their date
    build_materials(seed, story.now)
    build_surveys(seed, story.now)  # 问卷调查 likewise: waves published before the rankings of their month
    history.build_year(story)
    summary.rounds = story.rounds
    today = timezone.localdate()
    start = max(today.replace(day=1), today - timedelta(days=2))
    name = f"{today.year}年{today.month}月暗访"
    round_ = create_round(
        {
            "name": name,
            "kind": RoundKind.UNANNOUNCED,
            "standard": standard,
            "period_start": start,
            "period_end": start + timedelta(days=4),
            "target_unit": district,
            "params": _unannounced(),
        },
        coordinator,
    )
    draw_round(round_, coordinator, seed=f"{rng.getrandbits(256):064x}")
    build_teams(round_, inspectors, actor=coordinator)
    start_round(round_, coordinator)
    _visit_round(round_, start, 0.4, rng, summary)
    summary.rounds.append(name)
    _move_cases(rng, summary)
    from chuangwen.demo.citizen import build_citizen_reports

    build_citizen_reports(seed)  # 随手拍 in every state (summary.cases counts the other sources)
    return summary


def _play_visit(
    round_: Round,
    entry: RoundSite,
    when: datetime,
    reviewer: User,
    strictness: float,
    *,
    rng: random.Random,
    summary: ActivitySummary,
) -> None:
    """One visit of a past round, submitted by its team's first member and accepted by the reviewer."""
    assert entry.team is not None
    inspector = sorted(entry.team.members.all(), key=lambda u: u.username)[0]
    items = _items_by_type(round_.standard).get(entry.site.site_type, [])
    payload = _visit_payload(round_, entry, items, when, inspector, rng, summary, strictness)
    visit, _created = submit_visit(payload, inspector)
    summary.visits += 1
    accept_visit(visit, reviewer)


def _unannounced() -> dict[str, Any]:
    return {"type_quotas": dict(UNANNOUNCED_QUOTAS), "declared_cap": "0.3", "street_max": 8}


def _visit_round(
    round_: Round, start: date, share: float, rng: random.Random, summary: ActivitySummary
) -> None:
    from chuangwen.demo.history import at

    coordinator = User.objects.get(username="demo_coordinator")
    entries = list(
        RoundSite.objects.filter(round=round_)
        .select_related("site", "team")
        .prefetch_related("team__members")
        .order_by("team_id", "route_order")
    )
    items = _items_by_type(round_.standard)
    for index, entry in enumerate(entries):
        if share < 1.0 and rng.random() > share:
            continue
        assert entry.team is not None
        inspector = sorted(entry.team.members.all(), key=lambda u: u.username)[0]
        when = datetime.combine(start + timedelta(days=index % 4), datetime.min.time(), SHANGHAI)
        when += timedelta(hours=9, minutes=10 * (index % 30))
        if when + timedelta(hours=1) > timezone.now():
            continue  # the rest of the round is still ahead
        with at(when + timedelta(minutes=40)):  # photos and visit received on the visit's day
            payload = _visit_payload(
                round_, entry, items.get(entry.site.site_type, []), when, inspector, rng, summary
            )
            visit, _created = submit_visit(payload, inspector)
        summary.visits += 1
        if share >= 1.0:
            accept_visit(visit, coordinator)


def _items_by_type(standard: Standard) -> dict[str, list[CheckItem]]:
    grouped: dict[str, list[CheckItem]] = {}
    for item in CheckItem.objects.filter(site_type__standard=standard).select_related("site_type"):
        grouped.setdefault(item.site_type.code, []).append(item)
    return grouped


def _visit_payload(
    round_: Round,
    entry: RoundSite,
    items: list[CheckItem],
    when: datetime,
    inspector: User,
    rng: random.Random,
    summary: ActivitySummary,
    strictness: float = 1.0,
) -> dict[str, Any]:
    site = entry.site
    lat, lng = site.lat + rng.uniform(-0.0004, 0.0004), site.lng + rng.uniform(-0.0004, 0.0004)
    judgements = []
    for item in items:
        judgement: dict[str, Any] = {
            "item_code": item.code,
            "result": _result(item, rng, strictness),
            "count": 0,
        }
        if judgement["result"] == "not_conforming":
            judgement["count"] = rng.randint(1, 4) if item.mode == "per_occurrence" else 1
            judgement["note"] = f"{item.category}问题"
            photo = _photo(round_, site.pk, lat, lng, when, inspector, rng, item.category)
            judgement["photo_ids"] = [str(photo)]
            summary.photos += 1
            summary.findings += 1
        judgements.append(judgement)
    return {
        "client_id": str(uuid.UUID(int=rng.getrandbits(128))),
        "round_id": round_.pk,
        "site_id": site.pk,
        "outcome": "done",
        "lat": lat,
        "lng": lng,
        "accuracy": round(rng.uniform(5, 25), 1),
        "started_at": when.isoformat(),
        "finished_at": (when + timedelta(minutes=25)).isoformat(),
        "judgements": judgements,
    }


def _result(item: CheckItem, rng: random.Random, strictness: float = 1.0) -> str:
    """``strictness`` scales the chance of a failure (a kinder eye, or a district that has improved)."""
    draw = rng.random()
    failure = {"veto": 0.02, "binary": 0.12}.get(item.mode, 0.2) * strictness
    if draw < failure:
        return "not_conforming"
    return "not_applicable" if draw > 0.96 else "conforming"


def _photo(
    round_: Round,
    site_id: int,
    lat: float,
    lng: float,
    when: datetime,
    inspector: User,
    rng: random.Random,
    label: str,
) -> uuid.UUID:
    client_id = uuid.UUID(int=rng.getrandbits(128))
    meta = PhotoMeta(
        client_id=client_id,
        round_id=round_.pk,
        site_id=site_id,
        captured_at=when + timedelta(minutes=5),
        lat=lat,
        lng=lng,
        accuracy=10.0,
    )
    ingest_photo(synthetic_photo(rng, label), meta, inspector)
    return client_id


def synthetic_photo(rng: random.Random, label: str = "") -> bytes:
    """A street-like scene (sky, buildings, road, clutter) as a phone-sized JPEG; no two are alike."""
    width, height = 1600, 1200
    image = Image.new("RGB", (width, height), (rng.randint(150, 200), rng.randint(190, 220), 235))
    draw = ImageDraw.Draw(image)
    x = 0
    while x < width:
        w, h = rng.randint(120, 320), rng.randint(250, 650)
        shade = rng.randint(110, 200)
        draw.rectangle([x, 700 - h, x + w, 700], fill=(shade, shade - 10, shade - 25))
        for wy in range(700 - h + 20, 680, 60):
            for wx in range(x + 15, x + w - 30, 45):
                draw.rectangle([wx, wy, wx + 25, wy + 30], fill=(90, 110, 140))
        x += w + rng.randint(5, 40)
    draw.rectangle([0, 700, width, height], fill=(95, 95, 100))
    for _ in range(rng.randint(3, 9)):  # the problem: litter, stalls, parked bikes
        cx, cy, r = rng.randint(50, width - 50), rng.randint(760, height - 60), rng.randint(15, 70)
        colour = (rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255))
        draw.ellipse([cx - r, cy - r // 2, cx + r, cy + r // 2], fill=colour)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=82)
    return out.getvalue()


# --- cases: routing rules, and some cases moved on through the state machine ------------------------------

# Duties the demo routes to the district department that carries them, whatever the site's responsible unit.
DEMO_ROUTED_DUTIES = ("交警", "市场监管")

# What happens to the demo cases, one scenario per case (the others stay dispatched).
CASE_SCENARIOS = (
    "accepted", "accepted", "rectified", "rectified", "closed", "closed", "closed", "rework", "suspended",
    "returned", "extension", "reverify", "cancelled", "overdue", "overdue", "overdue_rework",
)  # fmt: skip
# How far back the overdue scenarios were opened (calendar days), so their deadlines have passed.
OVERDUE_DAYS_AGO = (35, 40, 45)  # longer than the longest item (20 working days)


def _routing_rules(district: Unit) -> None:
    departments = Unit.objects.filter(parent=district, kind=UnitKind.DEPARTMENT).order_by("code")
    for duty in DEMO_ROUTED_DUTIES:
        department = next((d for d in departments if duty in d.duty_tags), None)
        if department is not None:
            note = f"演示：{duty}问题派{department.name}"
            RoutingRule.objects.create(duty=duty, area_unit=district, target_unit=department, note=note)


def _unit_people(case: Case) -> tuple[User, User] | None:
    """A handler and a unit head of the case's unit (every demo street and department has both)."""
    handler = User.objects.filter(role=Role.HANDLER, unit=case.unit).order_by("username").first()
    head = User.objects.filter(role=Role.UNIT_HEAD, unit=case.unit).order_by("username").first()
    return (handler, head) if handler and head else None


def _move_cases(rng: random.Random, summary: ActivitySummary) -> None:
    """Move some dispatched cases on as their people would (accept, rectify, verify, rework, …)."""
    cases = list(
        Case.objects.filter(state=CaseState.DISPATCHED).select_related("unit", "site").order_by("code")
    )
    rng.shuffle(cases)
    scenarios = list(CASE_SCENARIOS)
    for case in cases:
        if not scenarios:
            break
        people = _unit_people(case)
        if people is not None:
            _play(case, scenarios.pop(0), people, rng)
    _hotline_and_instructions(rng)
    sweeps.sweep()  # the escalations the overdue cases have earned, with their notifications
    for state in Case.objects.order_by("state").values_list("state", flat=True).distinct():
        summary.cases[state] = Case.objects.filter(state=state).count()


def _play(case: Case, scenario: str, people: tuple[User, User], rng: random.Random) -> None:
    handler, head = people
    coordinator = User.objects.get(username="demo_coordinator")
    verifier = User.objects.get(username="demo_verifier")
    if scenario == "returned":
        case_services.apply(case, "request_return", handler, reason="该问题不属于本单位职责")
        case_services.apply(case, "approve_return", head)
        return
    if scenario == "cancelled":
        case_services.apply(case, "cancel", coordinator, reason="该问题已纳入道路改造工程统一处理")
        return
    if scenario.startswith("overdue"):
        _backdate(case, OVERDUE_DAYS_AGO[len(case.code) % len(OVERDUE_DAYS_AGO)])
    case_services.apply(case, "accept", handler)
    if scenario == "extension":
        wanted = end_of_day(timezone.localdate() + timedelta(days=30))
        case_services.apply(
            case, "request_extension", handler, reason="需采购设施，供货周期较长", deadline=wanted
        )
    elif scenario == "suspended":
        planned = timezone.localdate() + timedelta(days=60)
        case_services.apply(
            case, "suspend", coordinator, reason="需立项改造，纳入挂账管理", planned_date=planned
        )
    elif scenario not in ("accepted", "overdue"):
        photo = _rectification_photo(case, handler, rng)
        case_services.apply(case, "rectify", handler, reason="已按要求整改完毕", photos=[photo])
        if scenario == "closed":
            case_services.apply(case, "verify_pass", verifier)
        elif scenario == "reverify":
            # the random pick made certain for the demo (in use: CASES_REVERIFY_SHARE of closed cases)
            with override_settings(CASES_REVERIFY_SHARE=1.0):
                case_services.apply(case, "verify_pass", verifier)
        elif scenario in ("rework", "overdue_rework"):
            case_services.apply(case, "verify_fail", verifier, reason="现场仍有问题，请返工")
            if scenario == "overdue_rework":
                _backdate(case, 35)


# A 12345 export as the hotline sends it (its own headers), imported through the real mapping step.
HOTLINE_HEADERS = ["工单号", "来电时间", "诉求内容", "事发地址", "承办单位", "办理时限"]
HOTLINE_COMPLAINTS = (
    ("小区门口共享单车乱停放，堵塞人行道", 3),
    ("夜间施工噪音扰民", 2),
    ("公厕无人保洁，气味很大", 1),
    ("公交站台广告牌破损", 5),
)


def _hotline_and_instructions(rng: random.Random) -> None:
    """Some hotline orders (imported from a CSV export) and a leader's instructions (督办)."""
    coordinator = User.objects.get(username="demo_coordinator")
    leader = User.objects.get(username="demo_leader")
    streets = list(Unit.objects.filter(kind=UnitKind.STREET).order_by("code")[:4])
    if not streets:
        return
    now = timezone.localtime()
    lines = [",".join(HOTLINE_HEADERS)]
    for n, (text, days) in enumerate(HOTLINE_COMPLAINTS, start=1):
        street = streets[n % len(streets)]
        taken = (now - timedelta(days=n, hours=rng.randint(0, 6))).strftime("%Y/%m/%d %H:%M")
        lines.append(f"12345{now:%Y%m%d}{n:04d},{taken},{text},{street.name}辖区,{street.code},{days}")
    mapping = {"external_ref": "工单号", "opened_at": "来电时间", "content": "诉求内容"}
    mapping |= {"address": "事发地址", "unit": "承办单位", "deadline": "办理时限"}
    result = import_hotline(("\n".join(lines) + "\n").encode("utf-8-sig"), mapping, coordinator)
    if not result.ok:  # the demo's own file: a failure here is a bug, shown by the demo test
        raise RuntimeError(f"demo hotline import failed: {[str(e) for e in result.errors]}")
    open_instruction_case(
        leader,
        streets[0],
        "主干道沿线占道经营集中整治",
        "创建测评前，沿街店铺出店经营、占道摆摊问题须集中整治到位。",
        end_of_day(timezone.localdate() + timedelta(days=7)),
        text="请街道牵头，城管配合，一周内完成整治并报送整改照片。",
    )
    overdue = Case.objects.filter(overdue_q(timezone.now())).order_by("code").first()
    if overdue is not None:
        instruct(
            overdue, leader, "该问题已超期，请责任单位三日内整改到位并说明原因。",
            end_of_day(timezone.localdate() + timedelta(days=3)),
        )  # fmt: skip


def _backdate(case: Case, days: int) -> None:
    """Move a demo case's clock back by ``days`` (opening, deadline window and history alike) so that the
    demo shows overdue work; the deadline is recomputed on the calendar from the earlier start."""
    shift = timedelta(days=days)
    case.refresh_from_db()
    start = (case.deadline_from or case.opened_at) - shift
    item = case.check_item
    deadline = deadline_for(start, item.deadline_days if item else 3, item.severity if item else "general")
    Case.objects.filter(pk=case.pk).update(
        opened_at=case.opened_at - shift, **deadline_fields(start, deadline)
    )
    CaseEvent.objects.filter(case=case).update(at=F("at") - shift)  # demo history only
    case.refresh_from_db()


def _rectification_photo(case: Case, handler: User, rng: random.Random) -> int:
    site_id = case.site_id if Site.objects.visible_to(handler).filter(cases=case).exists() else None
    meta = PhotoMeta(
        client_id=uuid.UUID(int=rng.getrandbits(128)),
        kind=EvidenceKind.RECTIFICATION,
        site_id=site_id,
        captured_at=datetime.now(SHANGHAI),
        lat=case.lat,
        lng=case.lng,
        accuracy=8.0,
    )
    evidence, _created = ingest_photo(synthetic_photo(rng, "整改"), meta, handler)
    return evidence.pk
