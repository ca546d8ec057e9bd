"""API of the volunteer staff's setup pages and of a volunteer's leaving (docs/volunteers.md, "API"): a
unit's practice body (设置文明实践阵地), a new team (新建志愿服务队), adding a member by volunteer number, and
注销 by the volunteer — beside the people router's reads, through the same ``volunteers.organisation`` and
``services.leave`` with their checks; idempotent by ``client_id``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.db.models import Count
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import ConfigDict
from pydantic import Field as PydanticField

from chuangwen.core.api_errors import ApiError
from chuangwen.core.api_writes import WRITE_ERRORS, ClientId, Duplicate, not_found, once, refuse
from chuangwen.core.bounds import ID_MAX, IdPath
from chuangwen.core.web import user_of
from chuangwen.org.models import Unit
from chuangwen.volunteers import organisation, services
from chuangwen.volunteers.api.people import BodyOut, TeamOut, VolunteerOut, _staff, _volunteer, router
from chuangwen.volunteers.models import PracticeBody, Team, Volunteer

__all__ = ["router"]  # the operations join the volunteers' people router (``volunteers/api/people.py``)

STATUS_OF = {"invalid": 400, "forbidden": 403, "duplicate": 409, "conflict": 409, "state": 409}
BODY_FIELD = {"unit": "unit_id"}
Username = Annotated[str, PydanticField(min_length=1, max_length=150)]


class PositionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    lat: float = Field(ge=-90, le=90, description="纬度（WGS-84）")
    lng: float = Field(ge=-180, le=180, description="经度（WGS-84）")


class BodyIn(Schema):
    model_config = ConfigDict(extra="forbid")
    client_id: ClientId
    name: str = Field(min_length=1, max_length=100, description="名称，如 西湖街道新时代文明实践所")
    address: str = Field("", max_length=200, description="地址")
    position: PositionIn | None = Field(None, description="位置（WGS-84）；不给出则不记位置")
    managers: list[Username] = Field(default_factory=list, max_length=20, description="管理员用户名")


class TeamIn(Schema):
    model_config = ConfigDict(extra="forbid")
    client_id: ClientId
    name: str = Field(min_length=1, max_length=100, description="队伍名称")
    unit_id: int = Field(ge=1, le=ID_MAX, description="所属单位 ID（本单位或下级单位）")
    kind: Literal["unit", "public", "group"] = Field("unit", description="队伍类型")
    description: str = Field("", max_length=2000, description="简介")
    managers: list[Username] = Field(default_factory=list, max_length=20, description="管理员用户名")


class MemberIn(Schema):
    model_config = ConfigDict(extra="forbid")
    client_id: ClientId
    number: str = Field(min_length=1, max_length=32, description="志愿者编号")


class BodyWriteOut(BodyOut):
    duplicate: Duplicate


class TeamWriteOut(TeamOut):
    duplicate: Duplicate


class MemberOut(Schema):
    team: TeamOut = Field(description="队伍")
    volunteer: VolunteerOut = Field(description="加入的志愿者")
    duplicate: Duplicate


def refused(exc: services.Refused) -> ApiError:
    # A unit outside the caller's reach is a matter of who asks (403), as everywhere in the API; a manager
    # who is no account of the unit is not found (404).
    status = {"unit": 403, "managers": 404}.get(exc.field) or STATUS_OF.get(exc.code, 400)
    return refuse(status, exc.code, exc.message, BODY_FIELD.get(exc.field, exc.field))


def _team(user: Any, team_id: int) -> Team:
    team = Team.objects.visible_to(user).annotate(members=Count("memberships")).filter(pk=team_id).first()
    if team is None:
        raise not_found(_("没有找到该队伍"))
    return team


@router.put(
    "/bodies/units/{unit_id}",
    response={200: BodyWriteOut, **WRITE_ERRORS},
    summary="设置单位的文明实践中心、所、站（区、街道、社区；按 client_id 幂等）",
)
def save_body(request: HttpRequest, unit_id: IdPath, data: BodyIn) -> dict[str, Any]:
    user = _staff(request)
    unit = Unit.objects.visible_to(user).filter(pk=unit_id).first()
    if unit is None:
        raise not_found(_("没有找到该单位"))

    def apply() -> str:
        try:
            lat, lng = (data.position.lat, data.position.lng) if data.position else (None, None)
            body = organisation.save_body(user, unit, data.name, data.address, lat, lng, list(data.managers))
        except services.Refused as exc:
            raise refused(exc) from None
        return str(body.pk)

    body_id, duplicate = once(user.pk, data.client_id, "volunteers.body_save", apply)
    body = PracticeBody.objects.get(pk=int(body_id))
    out = {name: getattr(body, name) for name in ("id", "kind", "name", "unit_id", "address", "lat", "lng")}
    return {**out, "duplicate": duplicate}


@router.post(
    "/teams",
    response={201: TeamWriteOut, 200: TeamWriteOut, **WRITE_ERRORS},
    summary="新建志愿服务队（本单位或下级单位；按 client_id 幂等）",
)
def create_team(request: HttpRequest, data: TeamIn) -> Any:
    user = _staff(request)
    draft = organisation.TeamDraft(
        name=data.name, unit_id=data.unit_id, kind=data.kind, description=data.description,
        managers=list(data.managers),
    )  # fmt: skip

    def apply() -> str:
        try:
            return str(organisation.create_team(user, draft).pk)
        except services.Refused as exc:
            raise refused(exc) from None

    team_id, duplicate = once(user.pk, data.client_id, "volunteers.team_create", apply)
    team = _team(user, int(team_id))
    return (200 if duplicate else 201), {**TeamOut.model_validate(team).model_dump(), "duplicate": duplicate}


@router.post(
    "/teams/{team_id}/members",
    response={200: MemberOut, **WRITE_ERRORS},
    summary="按志愿者编号添加队员（队伍管理员或所在单位；按 client_id 幂等）",
)
def add_member(request: HttpRequest, team_id: IdPath, data: MemberIn) -> dict[str, Any]:
    user = _staff(request)
    team = _team(user, team_id)
    added: list[Any] = []

    def apply() -> str:
        try:
            added.append(organisation.add_member(user, team, data.number))
        except services.Refused as exc:
            raise refused(exc) from None
        return data.number

    _id, duplicate = once(user.pk, data.client_id, "volunteers.team_member_add", apply)
    volunteer = added[0] if added else Volunteer.objects.get(number=data.number.strip())
    team = _team(user, team_id)
    return {
        "team": TeamOut.model_validate(team).model_dump(),
        "volunteer": _volunteer(volunteer),
        "duplicate": duplicate,
    }


class LeaveIn(Schema):
    model_config = ConfigDict(extra="forbid")
    client_id: ClientId
    confirm: Literal[True] = Field(description="须为 true：确认注销（姓名、电话、身份证摘要和账号随即删除）")


class LeaveOut(Schema):
    number: str = Field(description="保留的志愿者编号（已发证书仍可查验）")
    duplicate: Duplicate


@router.post(
    "/me/leave",
    response={200: LeaveOut, **WRITE_ERRORS},
    summary="志愿者本人申请注销（时长和证书保留在编号下；账号停用，令牌随即失效）",
)
def leave(request: HttpRequest, data: LeaveIn) -> dict[str, Any]:
    user = user_of(request)
    volunteer = Volunteer.objects.filter(user=user, left_at=None).first() if user.is_authenticated else None
    if volunteer is None:
        raise refuse(403, "forbidden", _("您的账号不是志愿者账号。"))

    def apply() -> str:
        services.leave(volunteer, user)
        return volunteer.number

    number, duplicate = once(user.pk, data.client_id, "volunteers.leave", apply)
    return {"number": number, "duplicate": duplicate}
