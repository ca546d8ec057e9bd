"""志愿服务 in the demo district: a year of volunteer work through the real services.

The district's 新时代文明实践中心, an institute in every street and a station in every community; a volunteer
team per street (a unit team run by the street's handler) and three public teams of the district; a few
hundred volunteers registered over the year in their communities (the demo's volunteer accounts among them);
every month each street team holds a 文明劝导 shift at one of its main-road sites and a clean-up of a back
lane with open cases, and the public teams hold their own services. Volunteers sign up (some cancel, a few
wait), sign in and out with the code of the moment near the place, and the organiser confirms the hours
(now and then correcting them with a reason). A core of regulars in each street serves at almost every
activity, so that the busiest reach their first star. The clock is moved by ``history.at``; activities after
"now" stay open for sign-up. Service requests and certificates follow (``build_requests``).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone

from chuangwen.accounts.models import Role, User
from chuangwen.demo.history import at, month_firsts, on
from chuangwen.demo.names import NameBook
from chuangwen.org.models import Unit, UnitKind
from chuangwen.sites.models import Site
from chuangwen.volunteers import attendance, organisation, rules, services
from chuangwen.volunteers.models import Activity, SignUp, SignUpState, Team, TeamKind, Volunteer

MONTHS = 12
PER_COMMUNITY = (4, 8)  # volunteers registered per community over the year
REGULARS_PER_STREET = 3  # serve at nearly every activity of their street's team
SHIFT_HOURS = {"劝导": 8, "清洁": 4, "助老": 3}
PUBLIC_TEAMS = (("蓝天环保志愿服务队", "清洁"), ("银发助老志愿服务队", "助老"), ("青春文明劝导队", "劝导"))
NO_SHOW, LEFT_EARLY, CORRECTED = 0.06, 0.1, 0.05
# Skills volunteers state on registration (the same words the registration page offers).
SKILLS = ("文明劝导", "环境清洁", "助老助残", "医疗急救", "法律咨询", "垃圾分类宣传", "心理疏导", "摄影宣传")


@dataclass
class VolunteerSummary:
    volunteers: int = 0
    activities: int = 0
    confirmed: int = 0
    stars: int = 0
    requests: int = 0
    certificates: int = 0
    teams: list[str] = field(default_factory=list)


def _id_number(rng: random.Random, serial: int) -> str:
    born = date(rng.randint(1956, 2006), rng.randint(1, 12), rng.randint(1, 28))
    body = f"3301{rng.randint(2, 9):02d}{born:%Y%m%d}{serial % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(body, rules._ID_WEIGHTS, strict=True))
    return body + rules._ID_CHECK[total % 11]


def _staff(unit: Unit) -> User:
    """The street's handler (or, failing that, its unit head or coordinator) runs its volunteer work."""
    for role in (Role.HANDLER, Role.UNIT_HEAD, Role.COORDINATOR):
        user = User.objects.filter(unit=unit, role=role, is_active=True).order_by("username").first()
        if user is not None:
            return user
    raise LookupError(unit.code)


def _organise(district: Unit, coordinator: User) -> tuple[list[Team], list[Team]]:
    """Bodies for the district, its streets and communities; a team per street and the public teams."""
    organisation.save_body(
        coordinator, district, f"{district.name}新时代文明实践中心", "区文化中心", None, None
    )
    street_teams = []
    for street in Unit.objects.filter(parent=district, kind=UnitKind.STREET).order_by("code"):
        handler = _staff(street)
        organisation.save_body(coordinator, street, f"{street.name}新时代文明实践所", "", None, None)
        for community in Unit.objects.filter(parent=street, kind=UnitKind.COMMUNITY).order_by("code"):
            organisation.save_body(
                coordinator, community, f"{community.name}新时代文明实践站", "", None, None
            )
        draft = organisation.TeamDraft(
            name=f"{street.name}志愿服务队", unit_id=street.pk, kind=TeamKind.UNIT,
            description="街道文明劝导、背街小巷清洁等志愿服务", managers=[handler.username],
        )  # fmt: skip
        street_teams.append(organisation.create_team(coordinator, draft))
    public_teams = [
        organisation.create_team(
            coordinator,
            organisation.TeamDraft(name=name, unit_id=district.pk, kind=TeamKind.PUBLIC, services=[kind]),
        )
        for name, kind in PUBLIC_TEAMS
    ]
    return street_teams, public_teams


def _enrol(rng: random.Random, names: NameBook, start: datetime, now: datetime) -> list[Volunteer]:
    """Volunteers registered through the year in every community; the demo's volunteer accounts first."""
    # The demo accounts' one password hash (the demo hashes the password once; so does this step).
    hashed = User.objects.get(username="demo_coordinator").password
    people: list[Volunteer] = []
    serial = 0
    for account in User.objects.filter(role=Role.VOLUNTEER, unit__isnull=False).order_by("username"):
        serial += 1
        reg = services.Registration(
            name=account.full_name or names.person(), phone=f"1390000{serial:04d}",
            id_number=_id_number(rng, serial), unit_id=account.unit_id or 0, password="",
            skills=rng.sample(SKILLS, 2),
        )  # fmt: skip
        with at(start):
            people.append(services.register(reg, now=start, account=account))
    span = (now - start).total_seconds()
    for community in Unit.objects.filter(kind=UnitKind.COMMUNITY, active=True).order_by("code"):
        for _n in range(rng.randint(*PER_COMMUNITY)):
            serial += 1
            moment = start + timedelta(seconds=rng.uniform(0, span * 0.8))
            reg = services.Registration(
                name=names.person(), phone=f"13{rng.randint(5, 9)}{serial:08d}",
                id_number=_id_number(rng, serial), unit_id=community.pk, password="",
                skills=rng.sample(SKILLS, rng.randint(1, 3)),
            )  # fmt: skip
            with at(moment):
                people.append(services.register(reg, now=moment, password_hash=hashed))
    return people


def _join(
    rng: random.Random, people: list[Volunteer], street_teams: list[Team], public_teams: list[Team]
) -> None:
    by_street = {t.unit_id: t for t in street_teams}
    for v in people:
        street_id = v.unit.parent_id
        if street_id in by_street:
            services.join_team(v, by_street[street_id], now=v.registered_at)
        if rng.random() < 0.25:
            services.join_team(v, rng.choice(public_teams), now=v.registered_at)


def _place(rng: random.Random, team: Team, kind: str) -> tuple[str, float, float, Site | None]:
    """A main road of the street for 劝导, a back lane for 清洁, a community for 助老."""
    site_type = {"劝导": "ZD", "清洁": "BJ"}.get(kind)
    sites = Site.objects.filter(area_unit__path__startswith=team.unit.path, active=True)
    if site_type:
        sites = sites.filter(site_type=site_type)
    site = rng.choice(list(sites.order_by("code")[:40])) if sites.exists() else None
    if site is not None and site.lat is not None and site.lng is not None:
        return site.name, site.lat, site.lng, site if site_type else None
    return f"{team.unit.name}新时代文明实践站", 30.27, 120.15, None


def _activity(rng: random.Random, team: Team, kind: str, day: date) -> Activity:
    hours = SHIFT_HOURS[kind]
    starts = on(day, 8 if hours >= 8 else rng.choice((9, 14)))
    place, lat, lng, site = _place(rng, team, kind)
    title = {"劝导": f"{place}路口文明劝导", "清洁": f"{place}环境清洁", "助老": "关爱空巢老人上门服务"}[kind]
    from chuangwen.cases.models import OPEN_STATES, Case

    cases = []
    if kind == "清洁" and site is not None:
        cases = list(
            Case.objects.filter(site=site, state__in=OPEN_STATES)
            .order_by("code")
            .values_list("pk", flat=True)[:5]
        )
    draft = services.ActivityDraft(
        title=title[:100], place=place, lat=lat, lng=lng, starts_at=starts,
        ends_at=starts + timedelta(hours=hours), places=rng.randint(5, 9), category=kind,
        skills=[{"劝导": "文明劝导", "清洁": "环境清洁", "助老": "助老助残"}[kind]],
        site_id=site.pk if site else None, case_ids=cases, radius_m=200,
    )  # fmt: skip
    posted = starts - timedelta(days=7)
    manager = team.managers.order_by("username").first() or _staff(team.unit)
    with at(posted):
        return services.post_activity(team, manager, draft, now=posted)


def _serve(
    rng: random.Random, a: Activity, crowd: list[Volunteer], regulars: list[Volunteer], now: datetime
) -> int:
    """Sign-ups a few days before; if the activity is over, check-ins, check-outs and confirmation."""
    confirmed = 0
    joiners = [v for v in crowd if v.registered_at < a.starts_at - timedelta(days=3)]
    picked = regulars + rng.sample(joiners, min(len(joiners), a.places + 2))
    for v in dict.fromkeys(picked):
        moment = a.starts_at - timedelta(days=rng.randint(2, 6), minutes=rng.randint(0, 600))
        if moment > now:
            continue  # still to come: the activity stays open for sign-up
        with at(moment):
            services.sign_up(a, v, now=moment)
    if a.ends_at > now:
        return 0
    manager = a.created_by
    for signup in SignUp.objects.filter(activity=a, state=SignUpState.SIGNED).select_related("volunteer"):
        v = signup.volunteer
        if v not in regulars and rng.random() < NO_SHOW:
            continue
        arrived = a.starts_at - timedelta(minutes=rng.randint(-10, 25))
        left = a.ends_at + timedelta(minutes=rng.randint(-5, 30))
        if rng.random() < LEFT_EARLY:
            left = a.ends_at - timedelta(minutes=rng.randint(30, 90))
        for moment, leaving in ((arrived, False), (left, True)):
            code, _left = rules.current_code(a.code_key, moment)
            position = attendance.Position(a.lat + rng.uniform(-0.0008, 0.0008), a.lng, rng.uniform(5, 40))
            with at(moment):
                act = attendance.check_out if leaving else attendance.check_in
                act(a, v, code, position, uuid.UUID(int=rng.getrandbits(128)), now=moment)
        signup.refresh_from_db()
        confirm_at = a.ends_at + timedelta(hours=rng.randint(1, 20))
        with at(confirm_at):
            if rng.random() < CORRECTED and signup.measured_minutes and signup.measured_minutes > 30:
                minutes, reason = signup.measured_minutes - 30, "中途离开约半小时，按实际服务时间核减"
                attendance.confirm_hours(signup, manager, minutes=minutes, reason=reason, now=confirm_at)
            else:
                attendance.confirm_hours(signup, manager, now=confirm_at)
        confirmed += 1
    return confirmed


def build_volunteers(seed: int, now: datetime) -> VolunteerSummary:
    rng = random.Random(f"chuangwen-demo:{seed}:volunteers")
    names = NameBook(random.Random(f"chuangwen-demo:{seed}:volunteer-names"))
    district = Unit.objects.filter(kind=UnitKind.DISTRICT).order_by("code").first()
    coordinator = User.objects.get(username="demo_coordinator")
    assert district is not None
    firsts = month_firsts(timezone.localdate(now), MONTHS + 1)
    start = on(firsts[0], 9)
    summary = VolunteerSummary()
    with at(start):
        street_teams, public_teams = _organise(district, coordinator)
    people = _enrol(rng, names, start, now)
    _join(rng, people, street_teams, public_teams)
    summary.volunteers, summary.teams = len(people), [t.name for t in street_teams + public_teams]
    regulars = {
        t.pk: [m.volunteer for m in t.memberships.order_by("volunteer__number")[:REGULARS_PER_STREET]]
        for t in street_teams
    }
    for first in firsts[1:]:
        for team in street_teams:
            crowd = [
                m.volunteer
                for m in team.memberships.select_related("volunteer").order_by("volunteer__number")
            ]
            for kind, day in (("劝导", first + timedelta(days=rng.randint(4, 12))),
                              ("清洁", first + timedelta(days=rng.randint(14, 24)))):  # fmt: skip
                a = _activity(rng, team, kind, day)
                summary.activities += 1
                summary.confirmed += _serve(rng, a, crowd, regulars[team.pk], now)
        team = public_teams[first.month % len(public_teams)]
        crowd = [
            m.volunteer for m in team.memberships.select_related("volunteer").order_by("volunteer__number")
        ]
        a = _activity(rng, team, PUBLIC_TEAMS[first.month % len(public_teams)][1], first + timedelta(days=9))
        summary.activities += 1
        summary.confirmed += _serve(rng, a, crowd, [], now)
    summary.stars = sum(
        1 for m in Volunteer.objects.values_list("confirmed_minutes", flat=True) if rules.stars(m) > 0
    )
    summary.requests = build_requests(seed, now)
    summary.certificates = issue_certificates(now)
    return summary


# --- 点单 → 评单 and certificates -------------------------------------------------------------------------

# What residents ask for, with the path each request takes: the last step reached (every state appears).
REQUESTS = (
    ("elderly", "小区 3 栋独居老人需要每周上门陪伴、代购生活用品", "rated"),
    ("sorting", "希望志愿者来小区讲解垃圾分类，居民投放错误较多", "rated"),
    ("environment", "小区北门外绿化带垃圾堆积，希望组织清理", "rated"),
    ("civility", "菜场门口早高峰电动车乱停，希望安排文明劝导", "done"),
    ("children", "暑期希望有志愿者辅导社区留守儿童作业", "taken"),
    ("policy", "希望为老年居民讲解医保政策和防诈骗知识", "dispatched"),
    ("elderly", "行动不便的老人需要陪同就医", "approved"),
    ("environment", "楼道小广告较多，希望组织清理", "submitted"),
    ("other", "希望志愿者帮忙搬家", "rejected"),
    ("sorting", "想了解厨余垃圾怎么分，已经自己弄明白了", "cancelled"),
)
PATHS = {
    "submitted": [],
    "rejected": [("reject", "不属于志愿服务范围，已告知居民联系家政服务")],
    "cancelled": [("cancel", "居民已自行解决")],
    "approved": [("approve", "")],
    "dispatched": [("approve", ""), ("dispatch", "")],
    "taken": [("approve", ""), ("dispatch", ""), ("take", "")],
    "done": [("approve", ""), ("dispatch", ""), ("take", ""), ("complete", "已安排志愿者按时完成服务")],
    "rated": [("approve", ""), ("dispatch", ""), ("take", ""), ("complete", "已完成服务"), ("rate", "")],
}
CERTIFICATES = 4  # the street teams' most active regulars receive a certificate of the past year


def build_requests(seed: int, now: datetime) -> int:
    """Residents' requests in every state, taken through the real table by the community's street staff, the
    street team and the resident's own follow link."""
    from chuangwen.volunteers import requests as service_requests

    rng = random.Random(f"chuangwen-demo:{seed}:requests")
    names = NameBook(random.Random(f"chuangwen-demo:{seed}:request-names"))
    communities = list(Unit.objects.filter(kind=UnitKind.COMMUNITY, active=True).order_by("code"))
    made = 0
    for n, (category, text, last) in enumerate(REQUESTS):
        community = rng.choice(communities)
        street = community.parent
        team = Team.objects.filter(unit=street, kind=TeamKind.UNIT).first()
        if street is None or team is None:
            continue
        moment = now - timedelta(days=rng.randint(5, 60), hours=rng.randint(0, 8))
        sub = service_requests.Submission(
            unit_id=community.pk, category=category, description=text, requester_name=names.person(),
            requester_phone=f"158{n:08d}", client_id=uuid.UUID(int=rng.getrandbits(128)),
        )  # fmt: skip
        with at(moment):
            request = service_requests.submit(sub, now=moment)
        staff = _staff(street)
        for action, note in PATHS[last]:
            moment += timedelta(hours=rng.randint(2, 30))
            actor: User | str = request.access_token if action in ("rate", "cancel") else staff
            extra: dict[str, object] = {}
            if action == "dispatch":
                extra["team_id"] = team.pk
            if action == "rate":
                extra["rating"] = rng.choice((4, 5, 5))
                note = "志愿者很热心，服务周到"
            with at(moment):
                request = service_requests.transition(
                    request,
                    action,
                    actor,
                    reason=note,
                    now=moment,
                    **extra,  # type: ignore[arg-type]
                )
        made += 1
    return made


def issue_certificates(now: datetime) -> int:
    """Certificates for the busiest volunteers of the street teams, for the past year."""
    from chuangwen.volunteers import certificates

    issued = 0
    best = Volunteer.objects.filter(left_at=None, confirmed_minutes__gt=0).order_by(
        "-confirmed_minutes", "number"
    )[:CERTIFICATES]
    for volunteer in best:
        membership = volunteer.memberships.filter(team__kind=TeamKind.UNIT).select_related("team").first()
        if membership is None:
            continue
        team = membership.team
        manager = team.managers.order_by("username").first() or _staff(team.unit)
        day = timezone.localdate(now)
        with at(now):
            certificates.issue(volunteer, team, day - timedelta(days=365), day, manager, now=now)
        issued += 1
    return issued
