"""The interviewer's download of a wave (questionnaire without scores, strata and cells) and the response
intake, idempotent by client_id."""

from __future__ import annotations

import json
import math
import uuid
from datetime import date
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Schema, Status
from ninja.errors import ValidationError
from pydantic import AwareDatetime, field_validator

from chuangwen.core.api_errors import ApiError, ErrorOut
from chuangwen.core.bounds import ID_MAX, IdPath
from chuangwen.core.web import user_of
from chuangwen.surveys import services
from chuangwen.surveys.api.common import (
    ANSWER_CODE_MAX,
    ANSWER_ITEM_MAX,
    ANSWER_ITEMS_MAX,
    ANSWER_TEXT_MAX,
    ANSWERS_MAX,
    BODY_MAX,
    ERRORS,
    PARADATA_BYTES_MAX,
    PHONE_MAX,
    UnitRef,
    _body,
    _field_errors,
    _invalid,
    _openapi,
    _refused,
    _staff_wave,
    _unit,
    _within_bounds,
    router,
)
from chuangwen.surveys.definition import definition, public_definition
from chuangwen.surveys.models import (
    Response,
)


class FieldworkWaveOut(Schema):
    id: int = Field(description="调查轮次 ID")
    name: str = Field(description="调查轮次名称")
    modes: list[str] = Field(description="接受的调查方式：interviewer 入户/街访、self 自填、phone 电话访问")
    starts_on: date = Field(description="开始日期")
    ends_on: date = Field(description="结束日期")
    state: str = Field(description="draft 筹备中 | fielding 调查中 | closed 已结束 | published 已发布")


class FieldCellOut(Schema):
    age_band: str = Field(description="年龄段：18-29、30-39、40-49、50-59、60-65")
    sex: str = Field(description="性别：m 男、f 女")
    target: int = Field(description="配额")
    filled: int = Field(description="已完成（达到配额即已满）")


class FieldStratumOut(Schema):
    id: int = Field(description="样本层 ID（提交答卷时的 stratum_id）")
    unit: UnitRef = Field(description="样本街道或社区")
    target: int = Field(description="目标样本量")
    filled: int = Field(description="已完成")
    cells: list[FieldCellOut] = Field(description="年龄段 × 性别配额格")


class FieldworkOut(Schema):
    wave: FieldworkWaveOut = Field(description="调查轮次")
    definition: dict[str, Any] = Field(description="问卷定义（不含选项得分），runner.js 按此显示问卷")
    strata: list[FieldStratumOut] = Field(description="样本层及配额")


class ResponseIn(Schema):
    client_id: uuid.UUID = Field(description="手机生成的 UUID；重发同一编号返回已保存的结果")
    mode: Literal["interviewer", "phone"] = Field(
        description="interviewer 入户/街访 | phone 电话访问（自填问卷走公开页面，不从这里提交）"
    )
    stratum_id: int = Field(ge=1, le=ID_MAX, description="样本层 ID")
    age_band: str = Field(max_length=16, description="受访者年龄段：18-29、30-39、40-49、50-59、60-65")
    sex: str = Field(max_length=8, description="受访者性别：m 男、f 女")
    resident: bool = Field(description="受访者在本地居住满半年（否则不能作为样本）")
    answers: dict[str, Any] = Field(description="答案：{题号: 答案}；多选为选项取值的列表")
    started_at: AwareDatetime = Field(description="开始时间（ISO 8601，带时区）")
    submitted_at: AwareDatetime = Field(description="完成时间（ISO 8601，带时区）")
    paradata: dict[str, Any] | None = Field(
        None, description='过程数据：{"seconds": {题号: 秒}, "clock_offset_s": 手机时钟偏差}'
    )
    lat: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False, description="纬度（WGS-84）")
    lng: float | None = Field(None, ge=-180, le=180, allow_inf_nan=False, description="经度（WGS-84）")
    accuracy_m: float | None = Field(
        None, ge=0, le=100_000, allow_inf_nan=False, description="定位精度（米）"
    )
    phone: str = Field(
        "", max_length=PHONE_MAX, description="受访者手机号（可选；电话访问必填；只保存不可逆的哈希）"
    )

    _bounded = field_validator("started_at", "submitted_at")(_within_bounds)


class ResponseAck(Schema):
    id: int = Field(description="答卷 ID")
    client_id: str = Field(description="客户端编号")
    status: str = Field(
        description="accepted 有效 | flagged 待审核 | rejected 已作废 | excluded 应知应会排除"
    )
    flags: list[str] = Field(
        description="质控疑点：too_fast 用时过短、outside_area 位置不在样本社区内、no_position 无定位、"
        "straight_lined 连续同一答案、duplicate 疑似重复访问"
    )
    callback: str = Field(
        description="回访：空 未抽中 | picked 待回访 | confirmed 回访属实 | failed 回访不符"
    )
    created: bool = Field(description="true 本次新保存；false 同一 client_id 已保存过（重发）")


def _answer_value_error(value: Any) -> str | None:
    if value is None or isinstance(value, (bool, int)):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else _("答案应为有限的数字")
    if isinstance(value, str):
        return (
            None
            if len(value) <= ANSWER_TEXT_MAX
            else _("答案过长（最多 %(n)s 个字）") % {"n": ANSWER_TEXT_MAX}
        )
    if isinstance(value, list):
        if len(value) > ANSWER_ITEMS_MAX:
            return _("选项过多（最多 %(n)s 个）") % {"n": ANSWER_ITEMS_MAX}
        for item in value:
            if isinstance(item, (list, dict)) or (isinstance(item, str) and len(item) > ANSWER_ITEM_MAX):
                return _("多选题的答案应为选项取值的列表")
        return None
    return _("答案应为文本、数字或选项取值的列表")


def _envelope_errors(data: ResponseIn) -> list[dict[str, Any]]:
    """Bounds on the answers and paradata objects, before anything reaches the service."""
    errors = []
    if len(data.answers) > ANSWERS_MAX:
        errors.append(_invalid(["answers"], _("答案最多 %(n)s 题") % {"n": ANSWERS_MAX}))
        return errors
    for code, value in data.answers.items():
        if len(code) > ANSWER_CODE_MAX:
            errors.append(_invalid(["answers"], _("题号 %(code)s… 过长") % {"code": code[:ANSWER_CODE_MAX]}))
            continue
        reason = _answer_value_error(value)
        if reason is not None:
            errors.append(_invalid([f"answers.{code}"], reason))
    if data.paradata is not None:
        size = len(json.dumps(data.paradata, ensure_ascii=False))
        if size > PARADATA_BYTES_MAX:
            errors.append(
                _invalid(
                    ["paradata"], _("过程数据过大（最多 %(kb)d KB）") % {"kb": PARADATA_BYTES_MAX // 1024}
                )
            )
    return errors


def _ack(response: Response, created: bool) -> dict[str, Any]:
    return {
        "id": response.pk,
        "client_id": str(response.client_id),
        "status": response.status,
        "flags": list(response.flags),
        "callback": response.callback,
        "created": created,
    }


# --- fieldwork and intake -----------------------------------------------------------------------------------


@router.get(
    "/waves/{wave_id}/fieldwork",
    response={200: FieldworkOut, **ERRORS},
    summary="调查员下载：调查轮次、问卷定义（不含得分）与各样本层配额",
)
def fieldwork(request: HttpRequest, wave_id: IdPath) -> dict[str, Any]:
    user = user_of(request)
    wave = _staff_wave(user, wave_id)
    if not services.may_interview(wave, user):
        raise ApiError(403, "refused", _("您不是本轮调查的调查员或督导"))
    strata = wave.strata.select_related("unit").prefetch_related("cells")
    return {
        "wave": {
            "id": wave.pk,
            "name": wave.name,
            "modes": list(wave.modes),
            "starts_on": wave.starts_on,
            "ends_on": wave.ends_on,
            "state": wave.state,
        },
        "definition": public_definition(definition(wave.questionnaire)),
        "strata": [
            {
                "id": s.pk,
                "unit": _unit(s.unit),
                "target": s.target,
                "filled": s.filled,
                "cells": [
                    {"age_band": c.age_band, "sex": c.sex, "target": c.target, "filled": c.filled}
                    for c in s.cells.all()
                ],
            }
            for s in strata
        ],
    }


@router.post(
    "/waves/{wave_id}/responses",
    response={200: ResponseAck, 201: ResponseAck, 400: ErrorOut, **ERRORS, 409: ErrorOut},
    summary="提交一份访问答卷（入户/街访或电话访问；按 client_id 幂等）",
    openapi_extra=_openapi(ResponseIn),
)
def submit_response(request: HttpRequest, wave_id: IdPath) -> Status[dict[str, Any]]:
    user = user_of(request)
    wave = _staff_wave(user, wave_id)
    if not services.may_interview(wave, user):
        raise ApiError(403, "refused", _("您不是本轮调查的调查员或督导"))
    data = _body(request, ResponseIn, BODY_MAX)
    bad = _envelope_errors(data)
    if bad:
        raise ValidationError(bad)
    sub = services.Submission(
        client_id=str(data.client_id), stratum_id=data.stratum_id, age_band=data.age_band, sex=data.sex,
        resident=data.resident, answers=data.answers, started_at=data.started_at,
        submitted_at=data.submitted_at, paradata=data.paradata or {}, lat=data.lat, lng=data.lng,
        accuracy_m=data.accuracy_m, phone=data.phone.strip(),
    )  # fmt: skip
    try:
        response, created = services.submit(wave, sub, data.mode, interviewer=user)
    except services.Invalid as exc:
        raise _field_errors(exc.errors, {"stratum": "stratum_id"}) from None
    except services.Refused as exc:
        raise _refused(exc) from None
    return Status(201 if created else 200, _ack(response, created))
