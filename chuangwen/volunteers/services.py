"""The rules of volunteer service that touch the database, called alike by pages, API, commands and the demo:
registration and leaving, teams, activities, sign-up with a waiting list, check-in and check-out, and the
organiser's confirmation of hours. Every refusal is a ``Refused`` naming the field; nothing is written then.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.accounts.models import Role, User
from chuangwen.audit.services import record
from chuangwen.org.models import Unit, UnitKind
from chuangwen.reports.limits import keyed_hash
from chuangwen.volunteers import rules
from chuangwen.volunteers.models import (
    Activity,
    ActivityState,
    HoursState,
    MemberRole,
    Membership,
    SignUp,
    SignUpState,
    Team,
    Volunteer,
)

if TYPE_CHECKING:
    from django.db.models import QuerySet

# Who runs volunteer work in a unit's subtree: the office, the unit's heads and handlers.
STAFF_ROLES = frozenset({Role.COORDINATOR, Role.UNIT_HEAD, Role.HANDLER})
PHONE_RE = re.compile(r"^1\d{10}$")
NAME_MAX, TEXT_MAX, PLACE_MAX = 50, 2000, 200
SKILLS_MAX, SKILL_LEN = 20, 20
PLACES_MAX, RADIUS_RANGE = 5000, (30, 2000)
ACTIVITY_MAX_HOURS = 24
CORRECTION_REASON_MAX = 200
CASES_MAX = 50


class Refused(Exception):
    """Well-formed but not allowed: ``code`` for machines, ``field`` it concerns, ``message`` in Chinese."""

    def __init__(self, code: str, message: str, field: str = "") -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


# --- who ----------------------------------------------------------------------------------------------------


def in_scope(user: User, unit: Unit) -> bool:
    return bool(user.is_authenticated and user.unit is not None and unit.path.startswith(user.unit.path))


def is_staff_for(user: User, unit: Unit) -> bool:
    """Office, heads and handlers of the unit or a unit above it run its volunteer work."""
    return user.role in STAFF_ROLES and in_scope(user, unit)


def manages_team(user: User, team: Team) -> bool:
    """A team's own managers, and the staff of its unit or above."""
    if not user.is_authenticated:
        return False
    return is_staff_for(user, team.unit) or team.managers.filter(pk=user.pk).exists()


def managed_teams(user: User) -> QuerySet[Team]:
    if not user.is_authenticated:
        return Team.objects.none()
    if user.role in STAFF_ROLES:
        return Team.objects.visible_to(user)
    return Team.objects.filter(managers=user)


# --- volunteers ---------------------------------------------------------------------------------------------


@dataclass
class Registration:
    name: str
    phone: str
    id_number: str
    unit_id: int
    password: str
    skills: list[str] = field(default_factory=list)
    availability: list[str] = field(default_factory=list)


def _clean_list(values: list[str], name: str) -> list[str]:
    cleaned = [v.strip() for v in values if v and v.strip()]
    if len(cleaned) > SKILLS_MAX or any(len(v) > SKILL_LEN for v in cleaned):
        raise Refused(
            "invalid", _("最多 %(n)d 项，每项不超过 %(len)d 字") % {"n": SKILLS_MAX, "len": SKILL_LEN}, name
        )
    return list(dict.fromkeys(cleaned))


def id_hash(normalised: str) -> str:
    return keyed_hash("volunteer-id", normalised)


def _next_number(year: int) -> str:
    prefix = f"{settings.VOLUNTEER_NUMBER_PREFIX}{year}"
    last = Volunteer.objects.filter(number__startswith=prefix).aggregate(m=Max("number"))["m"]
    seq = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{seq:07d}"


def register(
    reg: Registration, *, now: datetime | None = None, account: User | None = None, password_hash: str = ""
) -> Volunteer:
    """Self-registration: checks every field first, then creates the account (username = phone) and the
    volunteer with the next uniform number. One person, one volunteer: the ID number's keyed hash is
    unique. ``account`` enrols an existing volunteer account instead of creating one; ``password_hash`` (an
    already hashed password, for bulk enrolment such as the demo's) replaces hashing ``reg.password``."""
    now = now or timezone.now()
    name = reg.name.strip()
    if not name or len(name) > NAME_MAX:
        raise Refused("invalid", _("请填写姓名（不超过 %(n)d 字）") % {"n": NAME_MAX}, "name")
    phone = reg.phone.strip()
    if not PHONE_RE.match(phone):
        raise Refused("invalid", _("请填写 11 位手机号码"), "phone")
    try:
        identity = rules.parse_id_number(reg.id_number, timezone.localdate(now))
    except ValueError as exc:
        raise Refused("invalid", _(str(exc)), "id_number") from None  # rules marks them gettext_noop
    age = rules.age_in(timezone.localdate(now).year, identity.birth_year)
    if age < settings.VOLUNTEER_MIN_AGE:
        raise Refused(
            "too_young",
            _("未满 %(n)d 周岁需由监护人陪同参加，不能自行注册") % {"n": settings.VOLUNTEER_MIN_AGE},
            "id_number",
        )
    unit = Unit.objects.filter(pk=reg.unit_id, kind=UnitKind.COMMUNITY, active=True).first()
    if unit is None:
        raise Refused("invalid", _("请选择所在社区"), "unit")
    skills = _clean_list(reg.skills, "skills")
    availability = _clean_list(reg.availability, "availability")
    if account is None and not password_hash:
        try:
            validate_password(reg.password)
        except ValidationError as exc:
            raise Refused("invalid", "；".join(exc.messages), "password") from None
    if account is not None and (account.role != Role.VOLUNTEER or hasattr(account, "volunteer")):
        raise Refused("invalid", _("该账号不是志愿者账号或已有志愿者记录"), "account")
    digest = id_hash(identity.normalised)
    if Volunteer.objects.filter(id_hash=digest).exists():
        raise Refused("duplicate", _("该身份证号已注册为志愿者"), "id_number")
    if account is None and User.objects.filter(username=phone).exists():
        raise Refused("duplicate", _("该手机号已注册，请直接登录"), "phone")
    for _attempt in range(5):
        try:
            with transaction.atomic():
                user = account or User(
                    username=phone, role=Role.VOLUNTEER, unit=unit, full_name=name, phone=phone
                )
                if account is None:
                    if password_hash:
                        user.password = password_hash
                    else:
                        user.set_password(reg.password)
                    user.save()
                volunteer = Volunteer.objects.create(
                    number=_next_number(timezone.localdate(now).year),
                    user=user,
                    name=name,
                    phone=phone,
                    id_hash=digest,
                    id_last4=identity.last4,
                    birth_year=identity.birth_year,
                    sex=identity.sex,
                    unit=unit,
                    skills=skills,
                    availability=availability,
                    registered_at=now,
                )
                record(
                    None, "volunteer.register", obj=volunteer, actor=user, detail={"number": volunteer.number}
                )
                return volunteer
        except IntegrityError:
            if Volunteer.objects.filter(id_hash=digest).exists():
                raise Refused("duplicate", _("该身份证号已注册为志愿者"), "id_number") from None
            if User.objects.filter(username=phone).exists():
                raise Refused("duplicate", _("该手机号已注册，请直接登录"), "phone") from None
            continue  # two registrations took the same number at once: take the next
    raise Refused("busy", _("注册人数较多，请稍后重试"))


def leave(volunteer: Volunteer, actor: User | None, *, now: datetime | None = None) -> None:
    """A volunteer asks to leave: hours and certificates stay under the number; name, phone, the ID hash and
    the account go. The number is kept so that issued certificates still verify (without the name)."""
    now = now or timezone.now()
    with transaction.atomic():
        user = volunteer.user
        volunteer.name = _("已注销志愿者")
        volunteer.phone = ""
        volunteer.id_hash = None
        volunteer.id_last4 = ""
        volunteer.skills, volunteer.availability = [], []
        volunteer.left_at = now
        volunteer.user = None
        # Only the identity: the totals are kept up to date elsewhere and this instance may be stale.
        volunteer.save(
            update_fields=[
                "name",
                "phone",
                "id_hash",
                "id_last4",
                "skills",
                "availability",
                "left_at",
                "user",
            ],
        )
        Membership.objects.filter(volunteer=volunteer).delete()
        SignUp.objects.filter(
            volunteer=volunteer,
            state__in=[SignUpState.SIGNED, SignUpState.WAITING],
            activity__starts_at__gt=now,
        ).update(state=SignUpState.CANCELLED, cancelled_at=now)
        if user is not None:
            user.is_active = False
            user.username = f"left-{volunteer.number}"
            user.full_name, user.phone, user.email = "", "", ""
            user.set_unusable_password()
            user.save()
        record(None, "volunteer.leave", obj=volunteer, actor=actor, detail={"number": volunteer.number})


def join_team(
    volunteer: Volunteer, team: Team, *, role: str = MemberRole.MEMBER, now: datetime | None = None
) -> Membership:
    if volunteer.left_at is not None:
        raise Refused("left", _("该志愿者已注销"), "volunteer")
    if not team.active:
        raise Refused("inactive", _("该队伍已停用"), "team")
    membership, _created = Membership.objects.get_or_create(
        team=team, volunteer=volunteer, defaults={"role": role, "joined_at": now or timezone.now()}
    )
    return membership


# --- activities ---------------------------------------------------------------------------------------------


@dataclass
class ActivityDraft:
    title: str
    place: str
    lat: float
    lng: float
    starts_at: datetime
    ends_at: datetime
    places: int
    description: str = ""
    category: str = ""
    radius_m: int = 200
    skills: list[str] = field(default_factory=list)
    cancel_until: datetime | None = None
    site_id: int | None = None
    case_ids: list[int] = field(default_factory=list)


def _check_draft(draft: ActivityDraft, now: datetime) -> None:
    if not draft.title.strip() or len(draft.title) > 100:
        raise Refused("invalid", _("请填写活动名称（不超过 100 字）"), "title")
    if not draft.place.strip() or len(draft.place) > PLACE_MAX:
        raise Refused("invalid", _("请填写活动地点（不超过 %(n)d 字）") % {"n": PLACE_MAX}, "place")
    if not (-90 <= draft.lat <= 90 and -180 <= draft.lng <= 180):
        raise Refused("invalid", _("坐标不在地球上"), "lat")
    if len(draft.description) > TEXT_MAX:
        raise Refused("invalid", _("不超过 %(n)d 字") % {"n": TEXT_MAX}, "description")
    if draft.starts_at.tzinfo is None or draft.ends_at.tzinfo is None:
        raise Refused("invalid", _("时间须带时区"), "starts_at")
    if draft.starts_at < now - timedelta(days=1) or draft.starts_at > now + timedelta(days=366):
        raise Refused("invalid", _("开始时间应在今后一年内"), "starts_at")
    if not draft.starts_at < draft.ends_at <= draft.starts_at + timedelta(hours=ACTIVITY_MAX_HOURS):
        raise Refused(
            "invalid",
            _("结束时间应晚于开始时间，且活动不超过 %(n)d 小时") % {"n": ACTIVITY_MAX_HOURS},
            "ends_at",
        )
    if not 1 <= draft.places <= PLACES_MAX:
        raise Refused("invalid", _("招募人数应在 1–%(n)d 之间") % {"n": PLACES_MAX}, "places")
    low, high = RADIUS_RANGE
    if not low <= draft.radius_m <= high:
        raise Refused(
            "invalid", _("签到范围应在 %(low)d–%(high)d 米之间") % {"low": low, "high": high}, "radius_m"
        )
    if draft.cancel_until is not None and not (
        now - timedelta(days=1) <= draft.cancel_until <= draft.starts_at
    ):
        raise Refused("invalid", _("取消报名截止时间不能晚于活动开始"), "cancel_until")


def post_activity(team: Team, user: User, draft: ActivityDraft, *, now: datetime | None = None) -> Activity:
    """A team (or the station it belongs to) posts an activity; a site or cases it serves must be in scope."""
    now = now or timezone.now()
    if not manages_team(user, team):
        raise Refused("forbidden", _("只有队伍管理员或所在单位可以发布活动"), "team")
    _check_draft(draft, now)
    skills = _clean_list(draft.skills, "skills")
    from chuangwen.cases.models import Case
    from chuangwen.sites.models import Site

    site = None
    if draft.site_id is not None:
        site = Site.objects.visible_to(user).filter(pk=draft.site_id).first()
        if site is None:
            raise Refused("invalid", _("点位不存在或不在本单位范围内"), "site_id")
    if len(set(draft.case_ids)) > CASES_MAX:
        raise Refused("invalid", _("一项活动最多关联 %(n)d 个案卷") % {"n": CASES_MAX}, "case_ids")
    cases = list(Case.objects.visible_to(user).filter(pk__in=set(draft.case_ids)))
    if len(cases) != len(set(draft.case_ids)):
        raise Refused("invalid", _("案卷不存在或不在本单位范围内"), "case_ids")
    with transaction.atomic():
        activity = Activity.objects.create(
            team=team,
            body=team.body,
            title=draft.title.strip(),
            description=draft.description.strip(),
            category=draft.category.strip()[:32],
            place=draft.place.strip(),
            lat=draft.lat,
            lng=draft.lng,
            radius_m=draft.radius_m,
            starts_at=draft.starts_at,
            ends_at=draft.ends_at,
            places=draft.places,
            skills=skills,
            cancel_until=draft.cancel_until or draft.starts_at - timedelta(hours=2),
            site=site,
            created_by=user,
        )
        if cases:
            activity.cases.set(cases)
        record(None, "volunteer.activity_post", obj=activity, actor=user, detail={"team": team.pk})
    return activity


def cancel_activity(activity: Activity, user: User, reason: str) -> None:
    if not manages_team(user, activity.team):
        raise Refused("forbidden", _("只有队伍管理员或所在单位可以取消活动"), "activity")
    if activity.state != ActivityState.PUBLISHED:
        raise Refused("state", _("活动已取消或已结项"), "activity")
    if not reason.strip():
        raise Refused("invalid", _("请说明取消理由"), "reason")
    with transaction.atomic():
        activity.state = ActivityState.CANCELLED
        activity.save(update_fields=["state"])
        record(None, "volunteer.activity_cancel", obj=activity, actor=user, detail={"reason": reason[:200]})


# --- sign-up ------------------------------------------------------------------------------------------------


def _open_places(activity: Activity) -> int:
    taken = SignUp.objects.filter(activity=activity, state=SignUpState.SIGNED).count()
    return activity.places - taken


def sign_up(activity: Activity, volunteer: Volunteer, *, now: datetime | None = None) -> SignUp:
    """A place if one is open, else the waiting list. Signing up again after cancelling is a new place."""
    now = now or timezone.now()
    if volunteer.left_at is not None:
        raise Refused("left", _("该志愿者已注销"), "volunteer")
    if activity.state != ActivityState.PUBLISHED or now >= activity.starts_at:
        raise Refused("closed", _("活动已开始、已取消或已结项，不能报名"), "activity")
    with transaction.atomic():
        signup = SignUp.objects.select_for_update().filter(activity=activity, volunteer=volunteer).first()
        if signup is not None and signup.state != SignUpState.CANCELLED:
            return signup
        state = SignUpState.SIGNED if _open_places(activity) > 0 else SignUpState.WAITING
        if signup is None:
            signup = SignUp.objects.create(
                activity=activity, volunteer=volunteer, state=state, created_at=now
            )
        else:
            signup.state, signup.created_at, signup.cancelled_at = state, now, None
            signup.save(update_fields=["state", "created_at", "cancelled_at"])
        record(None, "volunteer.sign_up", obj=signup, actor=volunteer.user, detail={"state": state})
    return signup


def cancel_signup(signup: SignUp, *, now: datetime | None = None) -> SignUp | None:
    """Cancel before the activity's deadline; the first on the waiting list takes the place (returned)."""
    now = now or timezone.now()
    if signup.state == SignUpState.CANCELLED:
        return None
    if now > signup.activity.cancel_until and signup.state == SignUpState.SIGNED:
        raise Refused("too_late", _("已过取消报名截止时间"), "signup")
    with transaction.atomic():
        was = signup.state
        signup.state, signup.cancelled_at = SignUpState.CANCELLED, now
        signup.save(update_fields=["state", "cancelled_at"])
        promoted = None
        if was == SignUpState.SIGNED:
            promoted = (
                SignUp.objects.select_for_update()
                .filter(activity=signup.activity, state=SignUpState.WAITING)
                .order_by("created_at", "pk")
                .first()
            )
            if promoted is not None:
                promoted.state = SignUpState.SIGNED
                promoted.save(update_fields=["state"])
        record(
            None,
            "volunteer.cancel",
            obj=signup,
            actor=signup.volunteer.user,
            detail={"promoted": bool(promoted)},
        )
    return promoted


def refresh_total(volunteer: Volunteer) -> int:
    total = (
        SignUp.objects.filter(volunteer=volunteer, hours_state=HoursState.CONFIRMED).aggregate(
            s=Sum("confirmed_minutes")
        )["s"]
        or 0
    )
    Volunteer.objects.filter(pk=volunteer.pk).update(confirmed_minutes=total)
    volunteer.confirmed_minutes = total
    return total


def summary(volunteer: Volunteer) -> dict[str, Any]:
    """A volunteer's own figures: hours, stars, the next star, activities served."""
    minutes = volunteer.confirmed_minutes
    upcoming = rules.next_star(minutes)
    return {
        "minutes": minutes,
        "hours": round(minutes / 60, 1),
        "stars": rules.stars(minutes),
        "next_star": upcoming[0] if upcoming else None,
        "hours_to_next": round(upcoming[1] / 60, 1) if upcoming else None,
        "activities": SignUp.objects.filter(volunteer=volunteer, hours_state=HoursState.CONFIRMED).count(),
    }
