"""Responses (the survey's own staff only), review and call-backs; coaching visits."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.db.models import CharField, QuerySet
from django.db.models.functions import Cast
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Schema, Status
from ninja.errors import ValidationError
from pydantic import field_validator

from chuangwen.core.api_errors import ApiError, ErrorOut
from chuangwen.core.bounds import ID_MAX, OFFSET_MAX, IdPath
from chuangwen.core.web import user_of
from chuangwen.org.models import Unit
from chuangwen.surveys import quality, services
from chuangwen.surveys.api.common import (
    ERRORS,
    PAGE_SIZE,
    PHONE_MAX,
    UnitRef,
    _body,
    _field_errors,
    _invalid,
    _openapi,
    _refused,
    _runner,
    _staff_wave,
    _unit,
    _viewer,
    _within_bounds,
    router,
)
from chuangwen.surveys.models import (
    CoachingVisit,
    Response,
    ResponseStatus,
)

# --- responses ----------------------------------------------------------------------------------------------


class StratumRef(Schema):
    id: int = Field(description="样本层 ID")
    unit: UnitRef = Field(description="街道或社区")


class ResponseOut(Schema):
    id: int = Field(description="答卷 ID")
    client_id: str = Field(description="客户端编号")
    wave_id: int = Field(description="调查轮次 ID")
    stratum: StratumRef = Field(description="样本层")
    age_band: str = Field(description="年龄段")
    sex: str = Field(description="性别：m、f")
    mode: str = Field(description="interviewer 入户/街访 | self 自填 | phone 电话访问")
    interviewer: str | None = Field(description="调查员；自填为空")
    status: str = Field(
        description="accepted 有效 | flagged 待审核 | rejected 已作废 | excluded 应知应会排除"
    )
    status_name: str = Field(description="状态名称")
    flags: list[str] = Field(description="质控疑点代码")
    flag_names: list[str] = Field(description="质控疑点名称")
    callback: str = Field(
        description="回访：空 未抽中 | picked 待回访 | confirmed 回访属实 | failed 回访不符"
    )
    submitted_at: datetime = Field(description="完成时间")
    received_at: datetime = Field(description="接收时间")
    duration_seconds: int = Field(description="用时（秒）")


class ResponseDetailOut(ResponseOut):
    answers: dict[str, Any] = Field(description="答案（隐藏题不保存）")
    paradata: dict[str, Any] = Field(description="过程数据（每题用时等）")
    started_at: datetime = Field(description="开始时间")
    lat: float | None = Field(description="纬度")
    lng: float | None = Field(description="经度")
    accuracy_m: float | None = Field(description="定位精度（米）")
    review_note: str = Field(description="审核意见")
    reviewed_by: str | None = Field(description="审核人")
    reviewed_at: datetime | None = Field(description="审核时间")
    callback_note: str = Field(description="回访记录")
    may_review: bool = Field(description="调用者可以审核、记录回访")


class ResponsePage(Schema):
    count: int = Field(description="符合条件的答卷总数")
    limit: int = Field(description="本页最多条数")
    offset: int = Field(description="本页起始位置")
    items: list[ResponseOut] = Field(description="本页答卷（最新在前）")


class ResponseFilters(Schema):
    status: Literal["accepted", "flagged", "rejected", "excluded"] | None = Field(None, description="状态")
    flag: Literal["too_fast", "outside_area", "no_position", "straight_lined", "duplicate"] | None = Field(
        None, description="质控疑点"
    )
    callback: Literal["picked", "confirmed", "failed"] | None = Field(None, description="回访")
    stratum_id: int | None = Field(None, ge=1, le=ID_MAX, description="样本层 ID")
    limit: int = Field(PAGE_SIZE, ge=1, le=PAGE_SIZE, description="每页条数（1–50）")
    offset: int = Field(0, ge=0, le=OFFSET_MAX, description="跳过的条数（0–10 000 000）")


class ReviewIn(Schema):
    action: Literal["accept", "reject"] = Field(description="accept 确认有效 | reject 作废（须写理由）")
    note: str = Field("", max_length=500, description="审核意见")


class CallbackIn(Schema):
    outcome: Literal["confirmed", "failed"] = Field(
        description="confirmed 回访属实 | failed 回访不符（答卷作废）"
    )
    note: str = Field("", max_length=500, description="回访记录")
    phone: str = Field(
        "",
        max_length=PHONE_MAX,
        description="回访时受访者告知的手机号（可选；只与访问记录的哈希比对，不保存）",
    )


def _response_out(r: Response) -> dict[str, Any]:
    return {
        "id": r.pk,
        "client_id": str(r.client_id),
        "wave_id": r.wave_id,
        "stratum": {"id": r.stratum_id, "unit": _unit(r.stratum.unit)},
        "age_band": r.cell.age_band,
        "sex": r.cell.sex,
        "mode": r.mode,
        "interviewer": r.interviewer.display_name if r.interviewer else None,
        "status": r.status,
        "status_name": str(ResponseStatus(r.status).label),
        "flags": list(r.flags),
        "flag_names": [quality.flag_label(f) for f in r.flags],
        "callback": r.callback,
        "submitted_at": r.submitted_at,
        "received_at": r.received_at,
        "duration_seconds": r.duration_seconds,
    }


def _response_detail(r: Response, user: Any) -> dict[str, Any]:
    return {
        **_response_out(r),
        "answers": r.answers,
        "paradata": r.paradata,
        "started_at": r.started_at,
        "lat": r.lat,
        "lng": r.lng,
        "accuracy_m": r.accuracy_m,
        "review_note": r.review_note,
        "reviewed_by": r.reviewed_by.display_name if r.reviewed_by else None,
        "reviewed_at": r.reviewed_at,
        "callback_note": r.callback_note,
        "may_review": services.may_review(r.wave, user),
    }


def _responses(user: Any) -> QuerySet[Response]:
    return Response.objects.visible_to(user).select_related(
        "wave", "stratum__unit", "cell", "interviewer", "reviewed_by"
    )


def _response(user: Any, response_id: int) -> Response:
    return get_object_or_404(_responses(user), pk=response_id)


@router.get(
    "/waves/{wave_id}/responses",
    response={200: ResponsePage, **ERRORS},
    summary="本轮答卷（只给调查人员和组织单位的协调员；可按状态、疑点、回访、样本层筛选，分页）",
)
def list_responses(request: HttpRequest, wave_id: IdPath, filters: Query[ResponseFilters]) -> dict[str, Any]:
    user = user_of(request)
    wave = _staff_wave(user, wave_id)
    if not services.may_interview(wave, user):
        raise ApiError(403, "refused", _("只有本轮调查的调查人员和组织单位的协调员可以查看答卷"))
    found = _responses(user).filter(wave=wave)
    if filters.status:
        found = found.filter(status=filters.status)
    if filters.callback:
        found = found.filter(callback=filters.callback)
    if filters.stratum_id:
        found = found.filter(stratum_id=filters.stratum_id)
    if filters.flag:
        # The flags are a JSON list of fixed codes: its text holds "<code>" in quotes (SQLite and PostgreSQL).
        found = found.annotate(flags_text=Cast("flags", CharField())).filter(
            flags_text__contains=f'"{filters.flag}"'
        )
    page = found[filters.offset : filters.offset + filters.limit]
    return {
        "count": found.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [_response_out(r) for r in page],
    }


@router.get(
    "/responses/{response_id}",
    response={200: ResponseDetailOut, **ERRORS},
    summary="一份答卷及其答案、质控疑点、审核与回访记录（只给调查人员和组织单位的协调员）",
)
def get_response(request: HttpRequest, response_id: IdPath) -> dict[str, Any]:
    user = user_of(request)
    return _response_detail(_response(user, response_id), user)


def _reviewable(user: Any, response_id: int) -> Response:
    response = _response(user, response_id)
    if not services.may_review(response.wave, user):
        raise ApiError(403, "refused", _("只有本轮调查的督导和组织单位的协调员可以审核答卷"))
    return response


@router.post(
    "/responses/{response_id}/review",
    response={200: ResponseDetailOut, **ERRORS, 409: ErrorOut},
    summary="审核答卷：确认有效或作废（作废须写理由，配额随之空出）",
    openapi_extra=_openapi(ReviewIn),
)
def review_response(request: HttpRequest, response_id: IdPath) -> dict[str, Any]:
    user = user_of(request)
    response = _reviewable(user, response_id)
    data = _body(request, ReviewIn)
    try:
        services.review(response, user, data.action, data.note)
    except services.Invalid as exc:
        raise _field_errors(exc.errors) from None
    except services.Refused as exc:
        raise _refused(exc) from None
    return _response_detail(_response(user, response_id), user)


@router.post(
    "/responses/{response_id}/callback",
    response={200: ResponseDetailOut, **ERRORS, 409: ErrorOut},
    summary="记录回访结果（回访不符时答卷作废）",
    openapi_extra=_openapi(CallbackIn),
)
def callback_response(request: HttpRequest, response_id: IdPath) -> dict[str, Any]:
    user = user_of(request)
    response = _reviewable(user, response_id)
    data = _body(request, CallbackIn)
    try:
        services.record_callback(response, user, data.outcome, data.note, data.phone.strip())
    except services.Invalid as exc:
        raise _field_errors(exc.errors) from None
    except services.Refused as exc:
        raise _refused(exc) from None
    return _response_detail(_response(user, response_id), user)


# --- coaching visits ----------------------------------------------------------------------------------------


class CoachingIn(Schema):
    unit_id: int = Field(ge=1, le=ID_MAX, description="社区（单位 ID，本单位或下级）")
    phone: str = Field(max_length=PHONE_MAX, description="居民手机号（只保存不可逆的哈希，从不返回）")
    visited_on: date = Field(description="宣传日期（过去一年内）")
    note: str = Field("", max_length=300, description="备注")

    _bounded = field_validator("visited_on")(_within_bounds)


class CoachingOut(Schema):
    id: int = Field(description="记录 ID")
    unit: UnitRef = Field(description="社区")
    visited_on: date = Field(description="宣传日期")
    note: str = Field(description="备注")
    recorded_by: str | None = Field(description="记录人")
    created_at: datetime = Field(description="记录时间")


class CoachingPage(Schema):
    count: int = Field(description="记录总数")
    limit: int = Field(description="本页最多条数")
    offset: int = Field(description="本页起始位置")
    items: list[CoachingOut] = Field(description="本页记录（宣传日期最新在前）")


class CoachingFilters(Schema):
    unit_id: int | None = Field(None, ge=1, le=ID_MAX, description="单位 ID（含下级）")
    limit: int = Field(PAGE_SIZE, ge=1, le=PAGE_SIZE, description="每页条数（1–50）")
    offset: int = Field(0, ge=0, le=OFFSET_MAX, description="跳过的条数（0–10 000 000）")


def _coaching_out(v: CoachingVisit) -> dict[str, Any]:
    return {
        "id": v.pk,
        "unit": _unit(v.unit),
        "visited_on": v.visited_on,
        "note": v.note,
        "recorded_by": v.recorded_by.display_name if v.recorded_by else None,
        "created_at": v.created_at,
    }


@router.post(
    "/coaching",
    response={201: CoachingOut, 400: ErrorOut, **ERRORS},
    summary="记录一次应知应会入户宣传（该户在排除期内不作为调查样本；手机号只存哈希）",
    openapi_extra=_openapi(CoachingIn),
)
def record_coaching(request: HttpRequest) -> Status[dict[str, Any]]:
    user = _runner(request)
    data = _body(request, CoachingIn)
    unit = Unit.objects.filter(pk=data.unit_id, path__startswith=user.unit.path).first()
    if unit is None:
        raise ValidationError([_invalid(["unit_id"], _("没有找到该单位，或不属于本单位"))])
    try:
        visit = services.record_coaching(unit, data.phone, data.visited_on, user, data.note)
    except services.Invalid as exc:
        raise _field_errors(exc.errors) from None
    return Status(201, _coaching_out(visit))


@router.get(
    "/coaching",
    response={200: CoachingPage, **ERRORS},
    summary="应知应会入户宣传记录（本单位及下级；从不含手机号或其哈希）",
)
def list_coaching(request: HttpRequest, filters: Query[CoachingFilters]) -> dict[str, Any]:
    user = _viewer(request)
    found = CoachingVisit.objects.visible_to(user).select_related("unit", "recorded_by")
    if filters.unit_id:
        unit = Unit.objects.filter(pk=filters.unit_id).first()
        found = found.filter(unit__path__startswith=unit.path) if unit else found.none()
    page = found[filters.offset : filters.offset + filters.limit]
    return {
        "count": found.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [_coaching_out(v) for v in page],
    }
