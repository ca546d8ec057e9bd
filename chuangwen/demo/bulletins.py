"""通报 in the demo district: a year of monthly ranking bulletins, a 红黑榜, commendations and accountability
talks, the units' read receipts and rectification reports.

Each month's street ranking (``history._month_rankings``, published on the 1st) is drafted half an hour
after its publication, as the scheduled drafting would (the monthly template drafts on schedule from then
on), and taken through the real workflow by the real people: typical problems with photos picked by
``demo_coordinator``, submitted, approved by a second coordinator (``demo_coordinator_2``, never the
drafter), signed by ``demo_leader`` and issued, numbered in sequence per year. The units read them, report
their rectification and have it accepted (in the newest bulletin: one accepted, one returned, one waiting
for review, the rest still owed). Black-listed streets are talked to (约谈) or criticised (通报批评)
through ``records.schedule_talk`` and followed up (two closed, one overdue, the newest planned); the
month's best streets are commended through ``records.commend``. The latest month's 红黑榜 is published
on the 曝光台. The clock is moved by ``history.at`` so every step carries the moment it would have had; a
step due after "now" is left undone (the newest bulletin may still be in the workflow).

Built after the year (``build.build_demo``), drafts read case states as they stand at the end of the year: a
month's 限期整改 list shows the cases still open today rather than those open at the time.

Documents: each issue queues its render on the task queue, run after the build commits (the worker renders,
then delivers to the units); nothing is rendered inside the build (one bulletin's documents take ≈ 9 s).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from chuangwen.accounts.models import Role, User
from chuangwen.bulletins import distribution, records, services
from chuangwen.bulletins.models import (
    Bulletin,
    BulletinKind,
    BulletinState,
    BulletinTemplate,
    Recipient,
    ReplyState,
    Schedule,
    TalkKind,
)
from chuangwen.demo.history import at, on
from chuangwen.org.models import Unit, UnitKind
from chuangwen.rankings.models import PeriodKind, Ranking
from chuangwen.workdays.services import nth_workday

COORDINATOR, REVIEWER, LEADER = "demo_coordinator", "demo_coordinator_2", "demo_leader"
# The demo's street composites run from about 50 to 98: most months have a street or three on each list.
RED_LINE, BLACK_LINE = Decimal("80"), Decimal("60")
TYPICAL = (2, 3)  # typical problems per bulletin, drawn from the candidates with photos
RETURNED_AT = 4  # the bulletin (counted from the first) the reviewer sends back once before approving
# Talks after these bulletins, counted back from the newest: closed, closed, overdue, planned.
TALKS_BACK = (8, 5, 3, 0)
COMMENDED_BACK = (9, 6, 3)  # commendations after these bulletins counted back from the newest
FOLLOW_UP_DAYS = 30
REPORTS = (
    "已对通报问题逐项整改，完成整改 %(n)d 处，建立包保责任和每日巡查机制，附整改前后对比照片。",
    "已召开专题会部署整改，对照清单落实责任人，问题已全部整改到位，长效管理机制同步建立。",
)
PEOPLE = ("陈立新", "周海燕", "吴建华")  # commended persons (made up, like every demo name)
RETURN_NOTE = "整改报告未附整改后照片，部分问题未说明整改时限，请补充后重新报送"


@dataclass
class Office:
    """The district's 文明办 as the demo plays it: its people, the generator, the clock's end."""

    district: Unit
    coordinator: User
    reviewer: User
    leader: User
    rng: random.Random
    now: datetime
    issued: list[Bulletin] = field(default_factory=list)


def build_bulletins(seed: int, now: datetime | None = None) -> list[Bulletin]:
    """The district's bulletins of the year up to ``now``; returns the issued ones, oldest first."""
    now = now or timezone.now()
    district = Unit.objects.filter(kind=UnitKind.DISTRICT).order_by("path").first()
    people = {u.username: u for u in User.objects.filter(username__in=(COORDINATOR, REVIEWER, LEADER))}
    if district is None or len(people) < 3:
        return []
    office = Office(
        district,
        people[COORDINATOR],
        people[REVIEWER],
        people[LEADER],
        random.Random(f"chuangwen-demo:{seed}:bulletins"),
        now,
    )
    rankings = list(
        Ranking.objects.filter(period_kind=PeriodKind.MONTH, level=UnitKind.STREET, published_at__lt=now)
        .filter(rows__unit__path__startswith=district.path)
        .distinct()
        .order_by("month")
    )
    if not rankings:
        return []
    _templates(office, rankings[0].published_at - timedelta(days=1))
    for index, ranking in enumerate(rankings):
        bulletin = _monthly(office, ranking)
        if bulletin is not None and bulletin.state == BulletinState.ISSUED:
            office.issued.append(bulletin)
            _records_after(office, bulletin, len(rankings) - 1 - index)
    _receipts(office)
    _redblack(office, rankings[-1])
    with at(now):
        records.remind_talks()
        distribution.sweep()
    return office.issued


def _templates(office: Office, moment: datetime) -> None:
    """The office's templates, the lines set for the demo's scores; the monthly one drafts on schedule."""
    with at(on(timezone.localdate(moment), 10)):
        services.ensure_templates(office.district)
        mine = BulletinTemplate.objects.filter(owner_unit=office.district)
        # The office's settings page would do this; there is no rule to go through.
        mine.update(red_threshold=RED_LINE, black_threshold=BLACK_LINE, typical_count=TYPICAL[1])
        mine.filter(kind=BulletinKind.MONTHLY).update(schedule=Schedule.MONTHLY)


def _workday(day: date, n: int, hour: int, minute: int = 0) -> datetime:
    """The nth working day on or after ``day`` at the given time."""
    return on(nth_workday(day, n), hour, minute)


def _monthly(office: Office, ranking: Ranking) -> Bulletin | None:
    """One month's bulletin, drafted half an hour after the ranking's publication and taken as far through
    the workflow as "now" allows."""
    published = timezone.localdate(ranking.published_at)
    template = BulletinTemplate.objects.get(owner_unit=office.district, kind=BulletinKind.MONTHLY)
    # What the hourly scheduled drafting (schedule.draft_due) does after a publication; called directly here
    # because the whole year's rankings already exist and the schedule drafts the newest uncited one.
    drafted_at = ranking.published_at + timedelta(minutes=30)
    if drafted_at >= office.now:
        return None
    with at(drafted_at):
        bulletin = services.draft(template, office.coordinator, ranking=ranking)
    steps = [
        (_workday(published, 1, 9, 30), lambda b: _pick_typical(office, b)),
        (_workday(published, 1, 10), lambda b: services.transition(b, "submit", office.coordinator)),
    ]
    if len(office.issued) + 1 == RETURNED_AT:
        steps += [
            (_workday(published, 1, 14), lambda b: _return(office, b)),
            (_workday(published, 1, 16), lambda b: services.transition(b, "submit", office.coordinator)),
        ]
    steps += [
        (_workday(published, 2, 9, 30), lambda b: services.transition(b, "approve", office.reviewer)),
        (_workday(published, 2, 15), lambda b: services.transition(b, "sign", office.leader)),
        (_workday(published, 3, 9), lambda b: services.issue_safely(b, office.coordinator)),
    ]
    for moment, step in steps:
        if moment >= office.now:
            break
        with at(moment):
            bulletin = step(bulletin)
    return bulletin


def _pick_typical(office: Office, bulletin: Bulletin) -> Bulletin:
    """Two or three problems with photos, from different sites, among the heaviest deductions."""
    chosen, sites = [], set()
    for finding in services.candidate_findings(bulletin)[:12]:
        if finding.site_id not in sites:
            sites.add(finding.site_id)
            chosen.append(finding)
    count = min(len(chosen), office.rng.randint(*TYPICAL))
    picks = [
        (f.pk, f"{f.site.name}：{f.check_item.text[:60]}，责任单位须立行立改")
        for f in sorted(office.rng.sample(chosen, count), key=chosen.index)
    ]
    return services.set_typical(bulletin, office.coordinator, picks) if picks else bulletin


def _return(office: Office, bulletin: Bulletin) -> Bulletin:
    """The reviewer sends the draft back; the drafter sharpens the requirements and submits it again."""
    services.transition(bulletin, "return", office.reviewer, reason="工作要求过于笼统，请明确整改时限")
    wording = dict(bulletin.wording)
    wording["requirements"] = (
        wording.get("requirements", "") + "被列入黑榜的单位须在 10 个工作日内报送整改报告，逾期将予以约谈。"
    )
    return services.edit(bulletin, office.coordinator, wording=wording)


# --- the units: read receipts and rectification reports -------------------------------------------------


def _reader(unit_id: int, roles: tuple[str, ...] = (Role.HANDLER, Role.UNIT_HEAD)) -> User | None:
    people = User.objects.filter(unit_id=unit_id, role__in=roles, is_active=True)
    return people.order_by("role", "username").first()


def _receipts(office: Office) -> None:
    """Older bulletins: read by every unit, their reports accepted. The newest: some units have read it, one
    report accepted, one returned, one waiting for review, the rest still owed."""
    for bulletin in office.issued[:-1]:
        _answer(office, bulletin, "all")
    if office.issued:
        _answer(office, office.issued[-1], "newest")


def _answer(office: Office, bulletin: Bulletin, mode: str) -> None:
    """``mode``: "all" (read, reports accepted), "newest" (the mixed picture), "read" (read receipts only)."""
    rng = office.rng
    assert bulletin.issued_at is not None
    recipients = list(
        Recipient.objects.filter(bulletin=bulletin).select_related("unit").order_by("unit__code")
    )
    owed = [r.pk for r in recipients if r.reply_state == ReplyState.AWAITING and _reader(r.unit_id)]
    outcomes = dict(zip(owed, ("accept", "return", "wait"), strict=False)) if mode == "newest" else {}
    for recipient in recipients:
        reader = _reader(recipient.unit_id)
        if reader is None or (mode != "all" and recipient.pk not in outcomes and rng.random() < 0.35):
            continue  # nobody there to read it, or not yet
        read = bulletin.issued_at + timedelta(hours=rng.uniform(0.5, 50))
        if read >= office.now:
            continue
        with at(read):
            services.mark_read(bulletin, reader)
        if recipient.reply_state == ReplyState.AWAITING and (mode == "all" or recipient.pk in outcomes):
            _report(office, recipient, read, outcomes.get(recipient.pk, "accept"))


def _report(office: Office, recipient: Recipient, read: datetime, outcome: str) -> None:
    """The unit's handler reports; the office accepts, or returns it and (for an older bulletin) the unit
    reports again and is accepted."""
    rng = office.rng
    handler = _reader(recipient.unit_id, (Role.HANDLER,)) or _reader(recipient.unit_id)
    assert handler is not None
    replied = read + timedelta(days=rng.uniform(2, 7))
    reviewed = replied + timedelta(hours=rng.uniform(3, 30))
    if reviewed >= office.now:
        return
    text = REPORTS[rng.randrange(len(REPORTS))] % {"n": rng.randint(3, 12)}
    with at(replied):
        # one photo, on the newest bulletin's accepted report (photos are slow to make)
        newest = recipient.bulletin_id == office.issued[-1].pk
        photo = _photo(office, handler) if outcome == "accept" and newest else None
        recipient = services.reply(recipient, handler, text, [photo] if photo else [])
    if outcome == "wait":
        return
    with at(reviewed):
        recipient = services.review_reply(
            recipient, office.coordinator, outcome == "accept", "" if outcome == "accept" else RETURN_NOTE
        )


def _photo(office: Office, handler: User) -> int:
    """A rectification photo the handler uploads with the report."""
    from chuangwen.demo.activity import synthetic_photo
    from chuangwen.demo.spec import CENTER_LAT, CENTER_LNG
    from chuangwen.evidence.models import EvidenceKind
    from chuangwen.evidence.services import PhotoMeta, ingest_photo

    rng = office.rng
    meta = PhotoMeta(
        client_id=uuid.UUID(int=rng.getrandbits(128)),
        kind=EvidenceKind.RECTIFICATION,
        captured_at=timezone.now() - timedelta(hours=2),
        lat=CENTER_LAT + rng.uniform(-0.01, 0.01),
        lng=CENTER_LNG + rng.uniform(-0.01, 0.01),
        accuracy=8.0,
    )
    evidence, _created = ingest_photo(synthetic_photo(rng, "整改"), meta, handler)
    return evidence.pk


# --- accountability and commendation records ------------------------------------------------------------


def _records_after(office: Office, bulletin: Bulletin, back: int) -> None:
    """After some bulletins, a talk with the worst black-listed street and a commendation of the best
    red-listed one; both are in the next month's bulletin (its period holds their dates)."""
    assert bulletin.issued_at is not None
    issued = timezone.localdate(bulletin.issued_at)
    if back in TALKS_BACK and bulletin.content.get("black"):
        _talk(office, bulletin, issued, TALKS_BACK.index(back))
    if back in COMMENDED_BACK and bulletin.content.get("red"):
        row = bulletin.content["red"][0]
        moment = _workday(issued + timedelta(days=1), 2, 10)
        if moment < office.now:
            with at(moment):
                records.commend(
                    office.district,
                    office.coordinator,
                    unit=Unit.objects.get(pk=row["unit_id"]),
                    title="月度创建工作先进单位",
                    reason=f"在{bulletin.title}中综合指数 {row['composite']}，位列第 {row['rank']} 名",
                    date=timezone.localdate(),
                    person_name=PEOPLE[COMMENDED_BACK.index(back) % len(PEOPLE)],
                    bulletin=bulletin,
                    ranking=bulletin.ranking,
                )


def _talk(office: Office, bulletin: Bulletin, issued: date, which: int) -> None:
    """``which``: 0 and 1 closed after a follow-up, 2 followed up once and now overdue, 3 just planned."""
    row = bulletin.content["black"][0]
    earlier = [
        b
        for b in office.issued[:-1]
        if any(r["unit_id"] == row["unit_id"] for r in b.content.get("black", []))
    ]
    kind = TalkKind.TALK if earlier else TalkKind.CRITICISM
    registered = _workday(issued + timedelta(days=1), 1, 11)
    meeting = nth_workday(issued + timedelta(days=7), 1)
    if registered >= office.now:
        return
    with at(registered):
        talk = records.schedule_talk(
            office.district,
            office.coordinator,
            unit=Unit.objects.get(pk=row["unit_id"]),
            kind=kind,
            reason=f"{bulletin.title}中综合指数 {row['composite']}，列入黑榜"
            + ("（连续上榜）" if earlier else ""),
            meeting_date=meeting,
            follow_up_due=meeting + timedelta(days=FOLLOW_UP_DAYS),
            bulletin=bulletin,
            ranking=bulletin.ranking,
        )
    steps = [(12, "已约谈街道主要负责人，整改方案已报送，正在逐项整改。", False)] if which < 3 else []
    if which < 2:
        steps.append((25, "通报问题已全部整改到位，经复查合格，予以办结。", True))
    for days, outcome, close in steps:
        moment = on(meeting + timedelta(days=days), 16)
        if moment >= office.now:
            return
        with at(moment):
            talk = records.follow_up(talk, office.coordinator, outcome=outcome, close=close)


# --- the 红黑榜, published on the 曝光台 ------------------------------------------------------------------


def _redblack(office: Office, ranking: Ranking) -> Bulletin | None:
    """The latest month's 红黑榜: drafted, reviewed, signed and issued beside the monthly bulletin, read by
    most units, and published on the 曝光台 with a short summary."""
    template = BulletinTemplate.objects.get(owner_unit=office.district, kind=BulletinKind.REDBLACK)
    published = timezone.localdate(ranking.published_at)
    steps = [
        (
            _workday(published, 3, 10),
            lambda _b: services.draft(template, office.coordinator, ranking=ranking),
        ),
        (_workday(published, 3, 10, 30), lambda b: services.transition(b, "submit", office.coordinator)),
        (_workday(published, 3, 14), lambda b: services.transition(b, "approve", office.reviewer)),
        (_workday(published, 3, 16), lambda b: services.transition(b, "sign", office.leader)),
        (_workday(published, 4, 9), lambda b: services.issue_safely(b, office.coordinator)),
        (_workday(published, 4, 10), lambda b: _expose(office, b)),
    ]
    bulletin: Bulletin | None = None
    for moment, step in steps:
        if moment >= office.now:
            break
        with at(moment):
            bulletin = step(bulletin)
    if bulletin is not None and bulletin.state == BulletinState.ISSUED:
        _answer(office, bulletin, "read")
    return bulletin


def _expose(office: Office, bulletin: Bulletin) -> Bulletin:
    from chuangwen.bulletins import exposure

    red = "、".join(r["unit_name"] for r in bulletin.content.get("red", [])) or "无"
    black = "、".join(r["unit_name"] for r in bulletin.content.get("black", [])) or "无"
    summary = f"{bulletin.title}：红榜 {red}；黑榜 {black}。黑榜单位须限期整改并报送整改报告。"
    return exposure.publish(bulletin, office.coordinator, summary)
