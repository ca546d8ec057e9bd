"""/api/v1/volunteers: activities, sign-up, check-in and check-out by the rotating code, the organiser's code
and roster, and the confirmation of hours (docs/volunteers.md, "API").

Every rule is ``services``'; a refusal is ``{detail, code, field, message}`` with 400 (what was sent), 403
(who asks), 404 (not visible to the caller) or 409 (the state of the activity or the sign-up)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.security import SessionAuth

from chuangwen.accounts.models import User
from chuangwen.accounts.token_auth import TokenAuth
from chuangwen.core.api_errors import ApiError, ErrorOut
from chuangwen.core.bounds import ID_MAX, OFFSET_MAX, IdPath
from chuangwen.core.web import user_of
from chuangwen.org.models import Unit
from chuangwen.volunteers import attendance, rules, services
from chuangwen.volunteers.models import Activity, ActivityState, SignUp, SignUpState, Volunteer
from chuangwen.volunteers.views.activities import checkin_url

# Token first, as for the other APIs: a token-only POST must not fail the session's CSRF check.
router = Router(tags=["志愿服务"], auth=[TokenAuth(), SessionAuth()])

PAGE_SIZE = 50
# What was sent (400), who asks (403), the state of the activity or the sign-up (409).
STATUS_OF = {
    "invalid": 400,
    "stale_code": 400,
    "outside_fence": 400,
    "forbidden": 403,
    "closed": 409,
    "state": 409,
    "too_late": 409,
    "left": 409,
    "not_signed_up": 409,
    "not_signed_in": 409,
    "running": 409,
    "outside_time": 409,
    "busy": 409,
}


class RefusedOut(ErrorOut):
    """A refusal of the volunteer rules: ``field`` names what it concerns (empty when nothing)."""

    field: str = Field(description="相关字段（无则为空）")
    message: str = Field(description="中文原因（同 detail）")


ERRORS: dict[int, Any] = {403: RefusedOut, 404: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {400: RefusedOut, 403: RefusedOut, 404: ErrorOut, 409: RefusedOut}


def refused(exc: services.Refused) -> ApiError:
    status = STATUS_OF.get(exc.code, 400)
    return ApiError(status, exc.code, exc.message, field=exc.field, message=exc.message)


def not_found() -> ApiError:
    return ApiError(404, "not_found", _("没有找到该活动"))


def own_volunteer(user: User) -> Volunteer:
    """The caller's volunteer record (403 for an account that is not a registered volunteer)."""
    volunteer = Volunteer.objects.filter(user=user, left_at__isnull=True).first()
    if volunteer is None:
        message = _("只有注册志愿者可以报名和签到")
        raise ApiError(403, "forbidden", message, field="", message=message)
    return volunteer


def activity_of(activity_id: int) -> Activity:
    """Any activity by id: activities are public (the pages under /v/ list them)."""
    found = Activity.objects.select_related("team", "team__unit").filter(pk=activity_id).first()
    if found is None:
        raise not_found()
    return found


def managed_activity(user: User, activity_id: int) -> Activity:
    """An activity of a team the caller manages; 404 for everybody else (they cannot tell it exists)."""
    found = activity_of(activity_id)
    if not services.manages_team(user, found.team):
        raise not_found()
    return found


def upcoming(now: datetime) -> Any:
    """Published activities not yet over, soonest first, with their counts."""
    return counted(Activity.objects.filter(state=ActivityState.PUBLISHED, ends_at__gt=now)).order_by(
        "starts_at", "pk"
    )


def counted(queryset: Any) -> Any:
    return queryset.select_related("team", "team__unit").annotate(
        signed_count=Count("signups", filter=Q(signups__state=SignUpState.SIGNED)),
        waiting_count=Count("signups", filter=Q(signups__state=SignUpState.WAITING)),
    )


def counts(activity: Activity) -> tuple[int, int]:
    """(signed, waiting) of an activity, annotated or counted now."""
    signed = getattr(activity, "signed_count", None)
    waiting = getattr(activity, "waiting_count", None)
    if signed is None or waiting is None:
        signed = activity.signups.filter(state=SignUpState.SIGNED).count()
        waiting = activity.signups.filter(state=SignUpState.WAITING).count()
    return signed, waiting


# --- shapes -------------------------------------------------------------------------------------------------


class TeamRef(Schema):
    id: int = Field(description="队伍 ID")
    name: str = Field(description="队伍名称")


class SignUpOut(Schema):
    id: int = Field(description="报名 ID")
    activity_id: int = Field(description="活动 ID")
    volunteer_number: str = Field(description="志愿者编号")
    state: Literal["signed", "waiting", "cancelled"] = Field(
        description="signed 已报名 | waiting 候补 | cancelled 已取消"
    )
    state_label: str = Field(description="报名状态名称")
    signed_in_at: datetime | None = Field(description="签到时间")
    signed_out_at: datetime | None = Field(description="签退时间")
    sign_in_distance_m: int | None = Field(description="签到时距活动地点（米）")
    sign_out_distance_m: int | None = Field(description="签退时距活动地点（米）")
    hours_state: Literal["none", "pending", "confirmed"] = Field(
        description="none 未签到 | pending 待确认 | confirmed 已确认"
    )
    hours_state_label: str = Field(description="时长状态名称")
    measured_minutes: int | None = Field(description="实测时长（分钟）")
    confirmed_minutes: int | None = Field(description="确认时长（分钟）")
    correction_reason: str = Field(description="更正理由")


class ActivityOut(Schema):
    id: int = Field(description="活动 ID")
    title: str = Field(description="活动名称")
    description: str = Field(description="活动内容")
    team: TeamRef = Field(description="组织队伍")
    place: str = Field(description="活动地点")
    lat: float = Field(description="纬度（WGS-84）")
    lng: float = Field(description="经度（WGS-84）")
    radius_m: int = Field(description="签到范围（米）")
    starts_at: datetime = Field(description="开始时间")
    ends_at: datetime = Field(description="结束时间")
    cancel_until: datetime = Field(description="可取消报名截止时间")
    places: int = Field(description="招募人数")
    places_left: int = Field(description="剩余名额")
    waiting: int = Field(description="候补人数")
    skills: list[str] = Field(description="所需技能")
    state: Literal["published", "cancelled", "finished"] = Field(
        description="published 报名中 | cancelled 已取消 | finished 已结项"
    )
    state_label: str = Field(description="状态名称")
    managed: bool = Field(description="调用者是否为组织方（可查看签到码与名单、确认时长）")
    my_signup: SignUpOut | None = Field(description="调用者本人的报名（非志愿者或未报名为 null）")


class ActivityPage(Schema):
    count: int = Field(description="总数")
    limit: int = Field(description="本页最多条数")
    offset: int = Field(description="本页起始位置")
    items: list[ActivityOut] = Field(description="本页活动")


class ListIn(Schema):
    managed: bool = Field(
        False, description="true：调用者管理的队伍的全部活动；false：即将开始或进行中的活动"
    )
    street: int | None = Field(
        None, ge=1, le=ID_MAX, description="街道（单位）ID：只列该街道及其下级队伍的活动"
    )
    limit: int = Field(PAGE_SIZE, ge=1, le=PAGE_SIZE, description="每页条数（1–50）")
    offset: int = Field(0, ge=0, le=OFFSET_MAX, description="跳过的条数（0–10 000 000）")


class PositionIn(Schema):
    code: str = Field(min_length=1, max_length=16, description="二维码中的签到码（8 位数字）")
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False, description="纬度（WGS-84）")
    lng: float = Field(ge=-180, le=180, allow_inf_nan=False, description="经度（WGS-84）")
    accuracy_m: float | None = Field(
        None, ge=0, le=100_000, allow_inf_nan=False, description="定位精度（米）；计入签到范围，至多 100 米"
    )
    client_id: uuid.UUID = Field(description="本次请求编号（UUID）：同一编号重发只记一次")


class CodeOut(Schema):
    code: str = Field(description="当前签到码")
    seconds_left: int = Field(description="距签到码更换的秒数")
    period_seconds: int = Field(description="签到码更换周期（秒）")
    url: str = Field(description="二维码内容：志愿者手机打开的签到地址")


class ConfirmIn(Schema):
    minutes: int | None = Field(
        None,
        ge=0,
        le=services.ACTIVITY_MAX_HOURS * 60,
        description="核实的时长（分钟）；不填则按实测时长确认",
    )
    reason: str = Field("", max_length=services.CORRECTION_REASON_MAX, description="更正理由（更正时必填）")


class CancelIn(Schema):
    reason: str = Field("", max_length=200, description="取消理由（组织方取消活动时必填）")


def signup_out(s: SignUp) -> dict[str, Any]:
    return {
        "id": s.pk,
        "activity_id": s.activity_id,
        "volunteer_number": s.volunteer.number,
        "state": s.state,
        "state_label": s.get_state_display(),
        "signed_in_at": s.signed_in_at,
        "signed_out_at": s.signed_out_at,
        "sign_in_distance_m": s.sign_in_distance_m,
        "sign_out_distance_m": s.sign_out_distance_m,
        "hours_state": s.hours_state,
        "hours_state_label": s.get_hours_state_display(),
        "measured_minutes": s.measured_minutes,
        "confirmed_minutes": s.confirmed_minutes,
        "correction_reason": s.correction_reason,
    }


def activity_out(a: Activity, user: User) -> dict[str, Any]:
    signed, waiting = counts(a)
    mine = None
    volunteer = Volunteer.objects.filter(user=user).first() if user.is_authenticated else None
    if volunteer is not None:
        found = SignUp.objects.select_related("volunteer").filter(activity=a, volunteer=volunteer).first()
        mine = signup_out(found) if found is not None else None
    return {
        "id": a.pk,
        "title": a.title,
        "description": a.description,
        "team": {"id": a.team.pk, "name": a.team.name},
        "place": a.place,
        "lat": a.lat,
        "lng": a.lng,
        "radius_m": a.radius_m,
        "starts_at": a.starts_at,
        "ends_at": a.ends_at,
        "cancel_until": a.cancel_until,
        "places": a.places,
        "places_left": max(0, a.places - signed),
        "waiting": waiting,
        "skills": list(a.skills),
        "state": a.state,
        "state_label": a.get_state_display(),
        "managed": services.manages_team(user, a.team),
        "my_signup": mine,
    }


# --- operations ---------------------------------------------------------------------------------------------


@router.get("/activities", response={200: ActivityPage, **ERRORS}, summary="志愿服务活动（分页）")
def list_activities(request: HttpRequest, params: Query[ListIn]) -> dict[str, Any]:
    user = user_of(request)
    if params.managed:
        rows = counted(Activity.objects.filter(team__in=services.managed_teams(user))).order_by(
            "-starts_at", "pk"
        )
    else:
        rows = upcoming(timezone.now())
    if params.street is not None:
        street = Unit.objects.filter(pk=params.street).first()
        rows = rows.filter(team__unit__path__startswith=street.path) if street is not None else rows.none()
    page = list(rows[params.offset : params.offset + params.limit])
    return {
        "count": rows.count(),
        "limit": params.limit,
        "offset": params.offset,
        "items": [activity_out(a, user) for a in page],
    }


@router.get("/activities/{activity_id}", response={200: ActivityOut, **ERRORS}, summary="一项活动")
def get_activity(request: HttpRequest, activity_id: IdPath) -> dict[str, Any]:
    activity = counted(Activity.objects.filter(pk=activity_id)).first()
    if activity is None:
        raise not_found()
    return activity_out(activity, user_of(request))


@router.post(
    "/activities/{activity_id}/signup",
    response={200: SignUpOut, **WRITE_ERRORS},
    summary="报名（名额满则候补）",
)
def sign_up(request: HttpRequest, activity_id: IdPath) -> dict[str, Any]:
    volunteer = own_volunteer(user_of(request))
    activity = activity_of(activity_id)
    try:
        signup = services.sign_up(activity, volunteer)
    except services.Refused as exc:
        raise refused(exc) from None
    return signup_out(signup)


@router.post(
    "/activities/{activity_id}/cancel", response={200: SignUpOut, **WRITE_ERRORS}, summary="取消报名"
)
def cancel_signup(request: HttpRequest, activity_id: IdPath) -> dict[str, Any]:
    volunteer = own_volunteer(user_of(request))
    activity = activity_of(activity_id)
    signup = (
        SignUp.objects.select_related("activity", "volunteer")
        .filter(activity=activity, volunteer=volunteer)
        .first()
    )
    if signup is None:
        message = _("您没有报名该活动")
        raise ApiError(409, "not_signed_up", message, field="activity", message=message)
    try:
        services.cancel_signup(signup)
    except services.Refused as exc:
        raise refused(exc) from None
    signup.refresh_from_db()
    return signup_out(signup)


def _pass(request: HttpRequest, activity_id: int, body: PositionIn, leaving: bool) -> dict[str, Any]:
    """Check-in and check-out alike: the caller's own sign-up, the code, the position, the client id."""
    volunteer = own_volunteer(user_of(request))
    activity = activity_of(activity_id)
    position = attendance.Position(body.lat, body.lng, body.accuracy_m)
    act = attendance.check_out if leaving else attendance.check_in
    try:
        signup = act(activity, volunteer, body.code, position, body.client_id)
    except services.Refused as exc:
        raise refused(exc) from None
    return signup_out(signup)


@router.post(
    "/activities/{activity_id}/check-in",
    response={200: SignUpOut, **WRITE_ERRORS},
    summary="签到（扫码、定位）",
    url_name="volunteer_check_in",
)
def check_in(request: HttpRequest, activity_id: IdPath, body: PositionIn) -> dict[str, Any]:
    return _pass(request, activity_id, body, leaving=False)


@router.post(
    "/activities/{activity_id}/check-out",
    response={200: SignUpOut, **WRITE_ERRORS},
    summary="签退（扫码、定位）",
    url_name="volunteer_check_out",
)
def check_out(request: HttpRequest, activity_id: IdPath, body: PositionIn) -> dict[str, Any]:
    return _pass(request, activity_id, body, leaving=True)


@router.get(
    "/activities/{activity_id}/code",
    response={200: CodeOut, **ERRORS},
    summary="当前签到码（组织方）",
    url_name="volunteer_activity_code",
)
def current_code(request: HttpRequest, activity_id: IdPath) -> dict[str, Any]:
    activity = managed_activity(user_of(request), activity_id)
    code, seconds_left = rules.current_code(activity.code_key, timezone.now())
    return {
        "code": code,
        "seconds_left": seconds_left,
        "period_seconds": rules.CODE_SECONDS,
        "url": checkin_url(request, activity, code),
    }


@router.get(
    "/activities/{activity_id}/signups",
    response={200: list[SignUpOut], **ERRORS},
    summary="报名名单（组织方）",
)
def roster(request: HttpRequest, activity_id: IdPath) -> list[dict[str, Any]]:
    activity = managed_activity(user_of(request), activity_id)
    return [signup_out(s) for s in activity.signups.select_related("volunteer").order_by("created_at", "pk")]


@router.post(
    "/activities/{activity_id}/cancel-activity",
    response={200: ActivityOut, **WRITE_ERRORS},
    summary="取消活动（组织方，须说明理由）",
)
def cancel_activity(request: HttpRequest, activity_id: IdPath, body: CancelIn) -> dict[str, Any]:
    user = user_of(request)
    activity = managed_activity(user, activity_id)
    try:
        services.cancel_activity(activity, user, body.reason)
    except services.Refused as exc:
        raise refused(exc) from None
    return activity_out(counted(Activity.objects.filter(pk=activity.pk)).get(), user)


@router.post(
    "/signups/{signup_id}/confirm",
    response={200: SignUpOut, **WRITE_ERRORS},
    summary="确认或更正服务时长（组织方）",
)
def confirm(request: HttpRequest, signup_id: IdPath, body: ConfirmIn) -> dict[str, Any]:
    user = user_of(request)
    signup = (
        SignUp.objects.select_related("activity", "activity__team", "activity__team__unit", "volunteer")
        .filter(pk=signup_id)
        .first()
    )
    if signup is None or not services.manages_team(user, signup.activity.team):
        raise ApiError(404, "not_found", _("没有找到该报名记录"))
    try:
        attendance.confirm_hours(signup, user, minutes=body.minutes, reason=body.reason)
    except services.Refused as exc:
        raise refused(exc) from None
    return signup_out(signup)
