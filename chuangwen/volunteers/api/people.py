"""/api/v1/volunteers: practice bodies, teams, the register of volunteers (staff, phones masked, never an ID
number) and a volunteer's own record (docs/volunteers.md, "API"). Reads go through the models'
``visible_to``: a team outside the caller's subtree is a 404."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.security import SessionAuth

from chuangwen.accounts import capabilities
from chuangwen.accounts.models import User
from chuangwen.accounts.token_auth import TokenAuth
from chuangwen.core.api_errors import ApiError, ErrorOut
from chuangwen.core.bounds import OFFSET_MAX, IdPath
from chuangwen.core.web import user_of
from chuangwen.reports.masking import mask_phone
from chuangwen.volunteers import rules, services
from chuangwen.volunteers.models import PracticeBody, Team, Volunteer

router = Router(tags=["志愿服务"], auth=[TokenAuth(), SessionAuth()])
PAGE_SIZE = 50


def _staff(request: HttpRequest) -> User:
    user = user_of(request)
    if not capabilities.may_see_volunteer_work(user):
        raise ApiError(403, "forbidden", _("您的角色不使用志愿服务管理"))
    return user


class BodyOut(Schema):
    id: int = Field(description="ID")
    kind: str = Field(description="centre 中心 | institute 所 | station 站")
    name: str = Field(description="名称")
    unit_id: int = Field(description="所在单位 ID")
    address: str = Field(description="地址")
    lat: float | None = Field(description="纬度（WGS-84）")
    lng: float | None = Field(description="经度（WGS-84）")


class TeamOut(Schema):
    id: int = Field(description="ID")
    code: str = Field(description="队伍编号")
    name: str = Field(description="队伍名称")
    kind: str = Field(description="unit 单位志愿服务队 | public 社会志愿服务队 | group 未登记志愿者群体")
    unit_id: int = Field(description="所属单位 ID")
    body_id: int | None = Field(description="所属文明实践阵地 ID")
    members: int = Field(description="队员数")
    active: bool = Field(description="启用")


class VolunteerOut(Schema):
    number: str = Field(description="志愿者编号")
    name: str = Field(description="姓名")
    phone: str = Field(description="手机号码（脱敏）")
    id_last4: str = Field(description="身份证号后四位（不提供完整号码）")
    unit_id: int = Field(description="所在社区 ID")
    registered_at: datetime = Field(description="注册时间")
    hours: float = Field(description="累计已确认服务时长（小时）")
    stars: int = Field(description="星级（0–5）")


class MeOut(VolunteerOut):
    next_star: int | None = Field(description="下一星级（已满五星为空）")
    hours_to_next: float | None = Field(description="距下一星级还需（小时）")
    activities: int = Field(description="已确认时长的活动数")
    teams: list[str] = Field(description="所在队伍")


def _volunteer(v: Volunteer) -> dict[str, Any]:
    return {
        "number": v.number,
        "name": v.name,
        "phone": mask_phone(v.phone),
        "id_last4": v.id_last4,
        "unit_id": v.unit_id,
        "registered_at": v.registered_at,
        "hours": round(v.confirmed_minutes / 60, 1),
        "stars": rules.stars(v.confirmed_minutes),
    }


class PageQuery(Schema):
    q: str = Field("", max_length=50, description="编号或姓名（包含）")
    limit: int = Field(PAGE_SIZE, ge=1, le=200, description="条数")
    offset: int = Field(0, ge=0, le=OFFSET_MAX, description="跳过条数")


@router.get("/bodies", response={200: list[BodyOut], 403: ErrorOut}, summary="文明实践中心、所、站")
def list_bodies(request: HttpRequest) -> list[PracticeBody]:
    return list(PracticeBody.objects.visible_to(_staff(request)).order_by("unit__path"))


@router.get("/teams", response={200: list[TeamOut], 403: ErrorOut}, summary="志愿服务队")
def list_teams(request: HttpRequest, query: Query[PageQuery]) -> list[Any]:
    teams = Team.objects.visible_to(_staff(request)).annotate(members=Count("memberships")).order_by("code")
    if query.q:
        teams = teams.filter(Q(name__contains=query.q) | Q(code__contains=query.q))
    return list(teams[query.offset : query.offset + query.limit])


@router.get("/teams/{team_id}", response={200: TeamOut, 403: ErrorOut, 404: ErrorOut}, summary="一支队伍")
def get_team(request: HttpRequest, team_id: IdPath) -> Any:
    team = (
        Team.objects.visible_to(_staff(request))
        .annotate(members=Count("memberships"))
        .filter(pk=team_id)
        .first()
    )
    if team is None:
        raise ApiError(404, "not_found", _("没有找到该队伍"))
    return team


@router.get("/volunteers", response={200: list[VolunteerOut], 403: ErrorOut}, summary="志愿者名册")
def list_volunteers(request: HttpRequest, query: Query[PageQuery]) -> list[dict[str, Any]]:
    rows = Volunteer.objects.visible_to(_staff(request)).filter(left_at=None).order_by("number")
    if query.q:
        rows = rows.filter(Q(number__contains=query.q) | Q(name__contains=query.q))
    return [_volunteer(v) for v in rows[query.offset : query.offset + query.limit]]


@router.get("/me", response={200: MeOut, 403: ErrorOut}, summary="我的志愿服务记录")
def me(request: HttpRequest) -> dict[str, Any]:
    user = user_of(request)
    volunteer = Volunteer.objects.filter(user=user, left_at=None).first() if user.is_authenticated else None
    if volunteer is None:
        raise ApiError(403, "forbidden", _("您还没有注册为志愿者"))
    figures = services.summary(volunteer)
    teams = list(volunteer.memberships.order_by("team__code").values_list("team__name", flat=True))
    return {
        **_volunteer(volunteer),
        "next_star": figures["next_star"],
        "hours_to_next": figures["hours_to_next"],
        "activities": figures["activities"],
        "teams": teams,
    }
