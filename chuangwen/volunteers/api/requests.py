"""/api/v1/volunteers: service requests (点单 → 评单) and 志愿服务证明 (docs/volunteers.md, "API").

Staff and team managers only (the requester uses the public pages); a request or certificate outside the
caller's scope is a 404. Refusals are ``{detail, code, field, message}``: 400 for what was sent, 403 for who
asks, 409 for the state or a stale ``version``. Phone numbers are masked.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import field_validator

from chuangwen.accounts.models import User
from chuangwen.core.api_errors import ApiError, ErrorOut
from chuangwen.core.bounds import ID_MAX, OFFSET_MAX, Id, IdPath, date_error
from chuangwen.core.web import user_of
from chuangwen.reports.masking import mask_phone
from chuangwen.volunteers import certificates, requests, services
from chuangwen.volunteers.models import Certificate, ServiceRequest, Volunteer
from chuangwen.volunteers.services import Refused

router = Router(tags=["志愿服务"])

PAGE_SIZE = 50
STATUS_OF = {
    "invalid": 400,
    "empty": 400,
    "left": 400,
    "conflict": 409,
    "state": 409,
    "busy": 409,
    "forbidden": 403,
}
BODY_FIELD = {"team": "team_id", "activity": "activity_id", "volunteer": "volunteer_id"}
STATES = Literal["submitted", "rejected", "approved", "dispatched", "taken", "done", "rated", "cancelled"]
STAFF_ACTIONS = Literal["approve", "reject", "dispatch", "take", "decline", "complete", "cancel"]


class RefusedOut(ErrorOut):
    field: str = Field(description="相关字段（无则为空）")
    message: str = Field(description="中文原因（同 detail）")


ERRORS: dict[int, Any] = {403: RefusedOut, 404: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {400: RefusedOut, 403: RefusedOut, 404: ErrorOut, 409: RefusedOut}


def refused(exc: Refused) -> ApiError:
    field = BODY_FIELD.get(exc.field, exc.field)
    return ApiError(STATUS_OF.get(exc.code, 400), exc.code, exc.message, field=field, message=exc.message)


def _caller(request: HttpRequest) -> User:
    user = user_of(request)
    if not requests.may_use(user):
        message = _("只有志愿服务工作人员和队伍管理员可以使用")
        raise ApiError(403, "forbidden", message, field="", message=message)
    return user


def _not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", what)


class PageIn(Schema):
    limit: int = Field(PAGE_SIZE, ge=1, le=PAGE_SIZE, description="每页条数（1–50）")
    offset: int = Field(0, ge=0, le=OFFSET_MAX, description="跳过的条数（0–10 000 000）")


# --- requests -----------------------------------------------------------------------------------------------


class Ref(Schema):
    id: int = Field(description="ID")
    name: str = Field(description="名称")


class RequestOut(Schema):
    id: int = Field(description="服务需求 ID")
    code: str = Field(description="需求编号，例如 XQ202603160001")
    unit: Ref = Field(description="所在社区")
    category: str = Field(description="服务类别代码")
    category_label: str = Field(description="服务类别")
    description: str = Field(description="需求内容")
    requester_name: str = Field(description="联系人")
    requester_phone: str = Field(description="联系电话（隐去中间四位）")
    wanted_on: date | None = Field(description="希望服务日期")
    state: STATES = Field(
        description="submitted 待审核 | rejected 不予受理 | approved 待派单 | dispatched 待接单 | "
        "taken 服务中 | done 待评价 | rated 已评价 | cancelled 已撤销"
    )
    state_label: str = Field(description="状态名称")
    team: Ref | None = Field(description="服务队伍")
    activity_id: int | None = Field(description="关联的服务活动 ID")
    rating: int | None = Field(description="评价（1–5 星）")
    rating_comment: str = Field(description="评价意见")
    created_at: datetime = Field(description="提交时间")
    updated_at: datetime = Field(description="更新时间")
    version: int = Field(description="版本号（办理时回传以防覆盖他人的办理）")


class ActionOut(Schema):
    action: str = Field(description="操作")
    label: str = Field(description="操作名称")
    needs_reason: bool = Field(description="是否须填写理由")
    needs_team: bool = Field(description="是否须选择服务队伍")


class EventOut(Schema):
    action: str = Field(description="操作（submit 提交需求，其余见 transitions）")
    label: str = Field(description="操作名称")
    from_state: str = Field(description="原状态")
    to_state: str = Field(description="新状态")
    actor: str = Field(description="操作人（点单人为空）")
    note: str = Field(description="理由或说明")
    at: datetime = Field(description="时间")


class RequestDetailOut(RequestOut):
    events: list[EventOut] = Field(description="办理记录（先后顺序）")
    allowed_actions: list[ActionOut] = Field(description="调用者现在可以进行的操作")
    teams: list[Ref] = Field(description="派单时可选的服务队伍（仅待派单时）")


class RequestPage(Schema):
    count: int = Field(description="符合条件的总数")
    limit: int = Field(description="本页最多条数")
    offset: int = Field(description="本页起始位置")
    items: list[RequestOut] = Field(description="本页服务需求（新的在前）")


class RequestFilters(PageIn):
    state: STATES | None = Field(None, description="状态")
    unit_id: Id | None = Field(None, description="所在社区 ID（含下级）")


class TransitionIn(Schema):
    action: STAFF_ACTIONS = Field(
        description="approve 审核通过 | reject 不予受理 | dispatch 派单 | take 接单 | decline 退回 | "
        "complete 服务完成 | cancel 撤销（评单由点单人在查询页面进行）"
    )
    reason: str = Field("", max_length=500, description="理由（不予受理、退回时必填）或说明")
    team_id: Id | None = Field(None, description="服务队伍 ID（派单时必填）")
    activity_id: Id | None = Field(None, description="关联的本队伍活动 ID（服务完成时选填）")
    version: int | None = Field(None, ge=1, le=ID_MAX, description="当前版本号（给出时防止重复办理）")


def _ref(obj: Any) -> dict[str, Any] | None:
    return {"id": obj.pk, "name": obj.name} if obj is not None else None


def request_out(r: ServiceRequest) -> dict[str, Any]:
    return {
        "id": r.pk,
        "code": r.code,
        "unit": _ref(r.unit),
        "category": r.category,
        "category_label": requests.category_label(r.category),
        "description": r.description,
        "requester_name": r.requester_name,
        "requester_phone": mask_phone(r.requester_phone),
        "wanted_on": r.wanted_on,
        "state": r.state,
        "state_label": r.get_state_display(),
        "team": _ref(r.team),
        "activity_id": r.activity_id,
        "rating": r.rating,
        "rating_comment": r.rating_comment,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
        "version": r.version,
    }


def _detail(user: User, request_id: int) -> dict[str, Any]:
    found = requests.visible(user).filter(pk=request_id).first()
    if found is None:
        raise _not_found(_("没有找到该服务需求"))
    actions = requests.allowed_actions(found, user)
    events = [
        {
            "action": e.action,
            "label": requests.event_label(e.action),
            "from_state": e.from_state,
            "to_state": e.to_state,
            "actor": e.actor.display_name if e.actor is not None else "",
            "note": e.note,
            "at": e.at,
        }
        for e in found.events.select_related("actor")
    ]
    teams = requests.dispatch_teams(found) if any(t.needs_team for t in actions) else []
    return {
        **request_out(found),
        "events": events,
        "allowed_actions": [
            {
                "action": t.action,
                "label": str(t.label),
                "needs_reason": t.needs_reason,
                "needs_team": t.needs_team,
            }
            for t in actions
        ],
        "teams": [_ref(t) for t in teams],
    }


@router.get(
    "/requests", response={200: RequestPage, **ERRORS}, summary="可见的服务需求（可按状态、社区筛选，分页）"
)
def list_requests(request: HttpRequest, filters: Query[RequestFilters]) -> dict[str, Any]:
    user = _caller(request)
    found = requests.visible(user)
    if filters.state:
        found = found.filter(state=filters.state)
    if filters.unit_id:
        found = found.filter(unit__path__contains=f"/{filters.unit_id}/")
    found = found.order_by("-created_at", "-pk")
    page = found[filters.offset : filters.offset + min(filters.limit, PAGE_SIZE)]
    return {
        "count": found.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [request_out(r) for r in page],
    }


@router.get(
    "/requests/{request_id}", response={200: RequestDetailOut, **ERRORS}, summary="一个服务需求及其办理记录"
)
def get_request(request: HttpRequest, request_id: IdPath) -> dict[str, Any]:
    return _detail(_caller(request), request_id)


@router.post(
    "/requests/{request_id}/transitions",
    response={200: RequestDetailOut, **WRITE_ERRORS},
    summary="办理：审核通过、不予受理、派单、接单、退回、服务完成、撤销",
)
def take_transition(request: HttpRequest, request_id: IdPath, body: TransitionIn) -> dict[str, Any]:
    user = _caller(request)
    found = requests.visible(user).filter(pk=request_id).first()
    if found is None:
        raise _not_found(_("没有找到该服务需求"))
    try:
        requests.transition(
            found,
            body.action,
            user,
            version=body.version,
            reason=body.reason,
            team_id=body.team_id,
            activity_id=body.activity_id,
        )
    except Refused as exc:
        raise refused(exc) from None
    return _detail(user, request_id)


# --- certificates -------------------------------------------------------------------------------------------


class CertificateOut(Schema):
    id: int = Field(description="证明 ID")
    number: str = Field(description="证明编号（队伍编号-年度-序号）")
    volunteer: Ref = Field(description="志愿者（名称为姓名）")
    volunteer_number: str = Field(description="志愿者编号")
    team: Ref = Field(description="出具队伍")
    period_start: date = Field(description="服务期间起")
    period_end: date = Field(description="服务期间止")
    minutes: int = Field(description="服务时长（分钟）")
    hours: str = Field(description="服务时长（小时，一位小数）")
    activities: int = Field(description="活动次数")
    issued_at: datetime = Field(description="出具时间")
    verify_url: str = Field(description="公开核验地址")
    pdf: str | None = Field(description="PDF 下载地址")
    docx: str | None = Field(description="Word 下载地址")


class CertificatePage(Schema):
    count: int = Field(description="符合条件的总数")
    limit: int = Field(description="本页最多条数")
    offset: int = Field(description="本页起始位置")
    items: list[CertificateOut] = Field(description="本页证明（新的在前）")


class CertificateFilters(PageIn):
    team_id: Id | None = Field(None, description="出具队伍 ID")
    volunteer_id: Id | None = Field(None, description="志愿者 ID")


def _bounded(value: date, label: str) -> date:
    reason = date_error(value, label)
    if reason is not None:
        raise ValueError(reason)
    return value


class IssueIn(Schema):
    volunteer_id: Id = Field(description="志愿者 ID")
    team_id: Id = Field(description="出具队伍 ID（调用者管理的队伍）")
    period_start: date = Field(description="服务期间起")
    period_end: date = Field(description="服务期间止")

    @field_validator("period_start", "period_end")
    @classmethod
    def _in_bounds(cls, value: date) -> date:
        return _bounded(value, _("服务期间"))


def certificate_out(c: Certificate) -> dict[str, Any]:
    def link(fmt: str) -> str | None:
        if not getattr(c, fmt):
            return None
        return reverse("volunteers:certificate_download", args=[c.pk, fmt])

    return {
        "id": c.pk,
        "number": c.number,
        "volunteer": {"id": c.volunteer.pk, "name": c.volunteer.name},
        "volunteer_number": c.volunteer.number,
        "team": _ref(c.team),
        "period_start": c.period_start,
        "period_end": c.period_end,
        "minutes": c.minutes,
        "hours": certificates.hours_text(c.minutes),
        "activities": len(c.content.get("activities", [])),
        "issued_at": c.issued_at,
        "verify_url": certificates.verify_url(c.verify_token),
        "pdf": link("pdf"),
        "docx": link("docx"),
    }


@router.get("/certificates", response={200: CertificatePage, **ERRORS}, summary="可见的志愿服务证明（分页）")
def list_certificates(request: HttpRequest, filters: Query[CertificateFilters]) -> dict[str, Any]:
    user = user_of(request)
    found = certificates.visible(user)
    if filters.team_id:
        found = found.filter(team_id=filters.team_id)
    if filters.volunteer_id:
        found = found.filter(volunteer_id=filters.volunteer_id)
    found = found.order_by("-issued_at", "-pk")
    page = found[filters.offset : filters.offset + min(filters.limit, PAGE_SIZE)]
    return {
        "count": found.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [certificate_out(c) for c in page],
    }


@router.post(
    "/certificates",
    response={201: CertificateOut, **WRITE_ERRORS},
    summary="出具志愿服务证明（该志愿者在期间内参加本队伍活动、已确认的时长）",
)
def issue_certificate(request: HttpRequest, body: IssueIn) -> Status[dict[str, Any]]:
    user = user_of(request)
    team = services.managed_teams(user).filter(pk=body.team_id).first()
    if team is None:
        raise _not_found(_("没有找到您管理的该队伍"))
    volunteer = Volunteer.objects.filter(pk=body.volunteer_id).first()
    if volunteer is None:
        raise _not_found(_("没有找到该志愿者"))
    try:
        made = certificates.issue(volunteer, team, body.period_start, body.period_end, user)
    except Refused as exc:
        raise refused(exc) from None
    return Status(201, certificate_out(made))
