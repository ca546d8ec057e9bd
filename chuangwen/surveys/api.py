"""API of 问卷调查 (docs/surveys.md, "API"): the interviewer's fieldwork download and response intake
(idempotent by client_id), questionnaires, waves and their plans, population figures, responses and their
review, coaching visits and results, each scoped like the pages.

Every request body is read here (``_body``): bounded in size, parsed as JSON without NaN or Infinity,
checked against its schema, and a field error is a 422 whose ``loc`` is ``["body", <field>]``
(``answers.<code>`` for an answer), exactly as the service's own field errors are reported."""

from __future__ import annotations

import json
import math
import uuid
from datetime import date, datetime
from typing import Any, Literal, TypeVar

import pydantic
from django.db.models import CharField, QuerySet
from django.db.models.functions import Cast
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import ValidationError
from ninja.security import SessionAuth
from pydantic import AwareDatetime, ValidationInfo, field_validator

from chuangwen.accounts.capabilities import may_run_surveys, may_see_surveys
from chuangwen.accounts.token_auth import TokenAuth
from chuangwen.core.api_errors import ApiError, ErrorOut
from chuangwen.core.bounds import ID_MAX, IDS_MAX, OFFSET_MAX, Id, IdPath, chinese_error, date_error
from chuangwen.core.web import user_of
from chuangwen.org.models import Unit
from chuangwen.rounds.visit_payload import inline_schema
from chuangwen.surveys import plan, population, quality, results, services, spec
from chuangwen.surveys.definition import definition, public_definition
from chuangwen.surveys.models import (
    AgeBand,
    CoachingVisit,
    PopulationFigure,
    Questionnaire,
    QuotaCell,
    Response,
    ResponseStatus,
    Sex,
    Wave,
    WaveState,
)

# Token first, as for the other phone APIs: a token-only POST must not fail the session's CSRF check.
router = Router(tags=["问卷调查"], auth=[TokenAuth(), SessionAuth()])

ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut}
PAGE_SIZE = 50
# Request bodies: a response (answers to at most 300 questions) and a questionnaire spec alike.
BODY_MAX = spec.MAX_YAML_BYTES
SMALL_BODY_MAX = 64 * 1024
# Answers as the phone sends them, bounded before the questionnaire's own check (definition.clean_answers).
ANSWERS_MAX = spec.MAX_QUESTIONS
ANSWER_CODE_MAX = 40
ANSWER_TEXT_MAX = 2000
ANSWER_ITEMS_MAX = spec.MAX_CHOICES
ANSWER_ITEM_MAX = 200
PARADATA_BYTES_MAX = 64 * 1024
PHONE_MAX = 32
# Residents of one unit in one age band and sex: more than any district has.
POPULATION_MAX = 50_000_000

T = TypeVar("T", bound=pydantic.BaseModel)


# --- reading bodies -----------------------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _invalid(loc: list[str | int], msg: str, kind: str = "invalid") -> dict[str, Any]:
    return {"loc": ["body", *loc], "msg": msg, "type": kind}


def _json(request: HttpRequest, limit: int) -> Any:
    """The request's JSON, refused (400 too_large) from Content-Length alone when over ``limit`` bytes."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit or len(request.body) > limit:
        raise ApiError(400, "too_large", _("请求体过大（上限 %(kb)d KB）") % {"kb": limit // 1024})
    try:
        return json.loads(request.body or b"null", parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ValidationError([_invalid([], _("请求体不是有效的 JSON"), "json_invalid")]) from None


def _body(request: HttpRequest, model: type[T], limit: int = SMALL_BODY_MAX) -> T:
    """The body checked against ``model``; shape errors are a 422 naming each field in Chinese."""
    data = _json(request, limit)
    if not isinstance(data, dict):
        raise ValidationError([_invalid([], _("请求体应为 JSON 对象"), "model_type")])
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        items = []
        for err in exc.errors(include_url=False):
            item = chinese_error(
                {"loc": ["body", *err["loc"]], "msg": err["msg"], "type": err["type"], "ctx": err.get("ctx")}
            )
            items.append({"loc": item["loc"], "msg": item["msg"], "type": item["type"]})
        raise ValidationError(items) from None


def _openapi(model: type[pydantic.BaseModel]) -> dict[str, Any]:
    return {
        "requestBody": {"required": True, "content": {"application/json": {"schema": inline_schema(model)}}}
    }


def _field_errors(errors: dict[str, list[str]], names: dict[str, str] | None = None) -> ValidationError:
    """A service's ``Invalid`` as a 422: one item per field (``answers.q3`` stays one field name)."""
    names = names or {}
    return ValidationError(
        [_invalid([names.get(field, field)], "；".join(messages)) for field, messages in errors.items()]
    )


def _within_bounds(value: date | datetime | None, info: ValidationInfo) -> Any:
    """A date or time outside core/bounds' window is refused like any other date in the API."""
    labels = {
        "started_at": _("开始时间"),
        "submitted_at": _("完成时间"),
        "starts_on": _("开始日期"),
        "ends_on": _("结束日期"),
        "visited_on": _("宣传日期"),
    }
    if value is not None:
        reason = date_error(value, labels.get(str(info.field_name), _("日期")))
        if reason is not None:
            raise ValueError(reason)
    return value


# --- who ----------------------------------------------------------------------------------------------------


def _viewer(request: HttpRequest) -> Any:
    user = user_of(request)
    if not may_see_surveys(user):
        raise ApiError(403, "refused", _("您的角色不使用问卷调查"))
    return user


def _runner(request: HttpRequest) -> Any:
    user = user_of(request)
    if not may_run_surveys(user):
        raise ApiError(403, "refused", _("只有文明办协调员可以管理问卷调查"))
    return user


def _wave(user: Any, wave_id: int) -> Wave:
    """A wave of the user's lineage (404 otherwise)."""
    waves = Wave.objects.visible_to(user).select_related("questionnaire", "owner_unit")
    return get_object_or_404(waves, pk=wave_id)


def _staff_wave(user: Any, wave_id: int) -> Wave:
    """A wave of the user's lineage, or one the user is on the staff of (404 otherwise)."""
    waves = Wave.objects.select_related("questionnaire", "owner_unit")
    found = waves.filter(pk__in=Wave.objects.visible_to(user).values("pk")).filter(pk=wave_id).first()
    if found is None and user.is_authenticated:
        found = waves.filter(pk=wave_id, staff__user=user).first()
    if found is None:
        raise ApiError(404, "not_found", _("没有找到该调查轮次"))
    return found


def _run_wave(user: Any, wave_id: int) -> Wave:
    wave = _wave(user, wave_id)
    if not services.may_run(wave, user):
        raise ApiError(403, "refused", _("只有组织本轮调查的文明办协调员可以进行此操作"))
    return wave


def _refused(exc: services.Refused) -> ApiError:
    return ApiError(409, exc.code, exc.message)


# --- shapes -------------------------------------------------------------------------------------------------


class UnitRef(Schema):
    id: int = Field(description="单位 ID")
    name: str = Field(description="单位名称")


def _unit(unit: Unit) -> dict[str, Any]:
    return {"id": unit.pk, "name": unit.name}


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


# --- questionnaires -----------------------------------------------------------------------------------------


class QuestionnaireOut(Schema):
    id: int = Field(description="问卷 ID")
    code: str = Field(description="问卷编号")
    version: int = Field(description="版本")
    title: str = Field(description="问卷名称")
    state: str = Field(description="draft 草稿 | frozen 已定稿")
    owner: UnitRef = Field(description="组织单位")
    questions: int = Field(description="题目数")
    frozen_at: datetime | None = Field(description="定稿时间")
    created_at: datetime = Field(description="创建时间")


class QuestionnaireDetailOut(QuestionnaireOut):
    intro: str = Field(description="开场说明")
    standard_id: int | None = Field(description="对应测评体系版本 ID")
    with_scores: bool = Field(description="是否含选项得分（只给组织单位的协调员）")
    spec: dict[str, Any] = Field(description="问卷文件内容（与 YAML 导出相同的结构）")
    definition: dict[str, Any] = Field(description="问卷定义（客户端显示用；含得分时有 scores）")


class ImportQuery(Schema):
    standard_id: int | None = Field(
        None, ge=1, le=ID_MAX, description="测评体系版本 ID（可选；给出时核对各题的测评标准编号）"
    )


def _questionnaire_out(q: Questionnaire, count: int | None = None) -> dict[str, Any]:
    return {
        "id": q.pk,
        "code": q.code,
        "version": q.version,
        "title": q.title,
        "state": q.state,
        "owner": _unit(q.owner_unit),
        "questions": q.questions.count() if count is None else count,
        "frozen_at": q.frozen_at,
        "created_at": q.created_at,
    }


def _without_scores(document: dict[str, Any]) -> dict[str, Any]:
    for section in document.get("sections", []):
        for question in section.get("questions", []):
            for choice in question.get("choices", []) or []:
                choice.pop("score", None)
    return document


def _questionnaire_detail(q: Questionnaire, user: Any) -> dict[str, Any]:
    office = may_run_surveys(user) and user.unit_id == q.owner_unit_id
    document = spec.to_spec(q)
    full = definition(q)
    return {
        **_questionnaire_out(q),
        "intro": q.intro,
        "standard_id": q.standard_id,
        "with_scores": office,
        "spec": document if office else _without_scores(document),
        "definition": dict(full) if office else public_definition(full),
    }


def _questionnaire(user: Any, questionnaire_id: int) -> Questionnaire:
    found = Questionnaire.objects.visible_to(user).select_related("owner_unit")
    return get_object_or_404(found, pk=questionnaire_id)


@router.get(
    "/questionnaires", response={200: list[QuestionnaireOut], **ERRORS}, summary="可见的问卷（各版本）"
)
def list_questionnaires(request: HttpRequest) -> list[dict[str, Any]]:
    from django.db.models import Count

    user = _viewer(request)
    found = Questionnaire.objects.visible_to(user).select_related("owner_unit").annotate(n=Count("questions"))
    return [_questionnaire_out(q, q.n) for q in found]  # type: ignore[attr-defined]


@router.get(
    "/questionnaires/{questionnaire_id}",
    response={200: QuestionnaireDetailOut, **ERRORS},
    summary="一份问卷：问卷文件内容与定义（得分只给组织单位的协调员）",
)
def get_questionnaire(request: HttpRequest, questionnaire_id: IdPath) -> dict[str, Any]:
    user = _viewer(request)
    return _questionnaire_detail(_questionnaire(user, questionnaire_id), user)


@router.post(
    "/questionnaires",
    response={201: QuestionnaireDetailOut, 400: ErrorOut, **ERRORS},
    summary="导入问卷：请求体为问卷文件（YAML 的 JSON 形式）；同编号已有时保存为新版本；全部正确才保存",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "description": "问卷文件：code、title、intro、sections[{code, title, relevant, "
                        "questions[{code, kind, text, hint, required, choices[{value, label, score}], min, "
                        "max, relevant, measure, indicator}]}]（docs/surveys.md）",
                    }
                }
            },
        }
    },
)
def import_questionnaire(request: HttpRequest, params: Query[ImportQuery]) -> Status[dict[str, Any]]:
    from chuangwen.standards.models import Standard

    user = _runner(request)
    standard = None
    if params.standard_id is not None:
        standard = Standard.objects.filter(pk=params.standard_id).first()
        if standard is None:
            raise ValidationError(
                [{"loc": ["query", "standard_id"], "msg": _("没有该测评体系版本"), "type": "invalid"}]
            )
    document = _json(request, BODY_MAX)
    try:
        made = spec.load(document, user.unit, user, standard)
    except spec.SpecInvalid as exc:
        raise ValidationError(
            [
                {
                    "loc": ["body", e.where, *([e.field] if e.field else [])],
                    "msg": str(e),
                    "type": "invalid",
                    **({"row": e.row} if isinstance(e.row, int) else {}),
                }
                for e in exc.errors
            ]
        ) from None
    return Status(201, _questionnaire_detail(_questionnaire(user, made.pk), user))


@router.post(
    "/questionnaires/{questionnaire_id}/freeze",
    response={200: QuestionnaireDetailOut, **ERRORS, 409: ErrorOut},
    summary="问卷定稿（此后只能以新版本修改；已定稿时 409 already_frozen）",
)
def freeze_questionnaire(request: HttpRequest, questionnaire_id: IdPath) -> dict[str, Any]:
    user = _viewer(request)
    questionnaire = _questionnaire(user, questionnaire_id)
    if not (may_run_surveys(user) and user.unit_id == questionnaire.owner_unit_id):
        raise ApiError(403, "refused", _("只有问卷所属单位的文明办协调员可以定稿"))
    if questionnaire.is_frozen:
        raise ApiError(409, "already_frozen", _("问卷已定稿"))
    try:
        plan.freeze(questionnaire, user)
    except services.Refused as exc:
        raise _refused(exc) from None
    return _questionnaire_detail(_questionnaire(user, questionnaire_id), user)


# --- waves and plans ----------------------------------------------------------------------------------------


class QuestionnaireRef(Schema):
    id: int = Field(description="问卷 ID")
    code: str = Field(description="问卷编号")
    version: int = Field(description="版本")
    title: str = Field(description="问卷名称")


class WaveOut(Schema):
    id: int = Field(description="调查轮次 ID")
    name: str = Field(description="调查轮次名称")
    questionnaire: QuestionnaireRef = Field(description="问卷")
    owner: UnitRef = Field(description="组织单位")
    state: str = Field(description="draft 筹备中 | fielding 调查中 | closed 已结束 | published 已发布")
    modes: list[str] = Field(description="调查方式：interviewer、self、phone")
    starts_on: date = Field(description="开始日期")
    ends_on: date = Field(description="结束日期")
    opened_at: datetime | None = Field(description="开始调查时间")
    closed_at: datetime | None = Field(description="结束调查时间")
    published_at: datetime | None = Field(description="发布时间")


class QualityOut(Schema):
    min_seconds: int = Field(description="最短用时（秒）")
    max_distance_m: int = Field(description="位置容差（米）")
    straightline_min: int = Field(description="连续同答判定题数")
    callback_percent: int = Field(description="回访抽取比例（%）")
    coaching_days: int = Field(description="应知应会排除期（天）")


class CellOut(Schema):
    id: int = Field(description="配额格 ID")
    age_band: str = Field(description="年龄段")
    sex: str = Field(description="性别：m、f")
    population: int = Field(description="人口数")
    target: int = Field(description="配额")
    filled: int = Field(description="已完成")
    full: bool = Field(description="已满")


class StratumOut(Schema):
    id: int = Field(description="样本层 ID")
    unit: UnitRef = Field(description="街道或社区")
    population: int = Field(description="人口数（18–65 岁常住）")
    target: int = Field(description="目标样本量")
    filled: int = Field(description="已完成")
    margin: float | None = Field(description="本层 95% 误差限（比例，0.05 即 ±5 个百分点）")
    full: bool = Field(description="已满")
    cells: list[CellOut] = Field(description="年龄段 × 性别配额格")


class PlanOut(Schema):
    target: int = Field(description="样本总量")
    filled: int = Field(description="已完成")
    population: int = Field(description="样本层人口合计")
    margin: float | None = Field(description="总体 95% 误差限（分层抽样，比例）")


class WaveDetailOut(WaveOut):
    quality: QualityOut = Field(description="质控设置")
    plan: PlanOut = Field(description="样本计划合计")
    strata: list[StratumOut] = Field(description="样本层")
    may_run: bool = Field(description="调用者可以管理本轮调查（计划、开始、结束、发布）")
    may_interview: bool = Field(description="调用者可以提交访问答卷")
    may_review: bool = Field(description="调用者可以审核答卷")


class WaveIn(Schema):
    questionnaire_id: int = Field(ge=1, le=ID_MAX, description="问卷 ID")
    name: str = Field(max_length=100, description="调查轮次名称")
    starts_on: date = Field(description="开始日期")
    ends_on: date = Field(description="结束日期（最长一年）")
    modes: list[Literal["interviewer", "self", "phone"]] = Field(
        max_length=3, description="调查方式：interviewer 入户/街访、self 自填（扫码）、phone 电话访问"
    )
    min_seconds: int = Field(120, ge=0, le=86_400, description="最短用时（秒）")
    max_distance_m: int = Field(300, ge=0, le=100_000, description="位置容差（米）")
    straightline_min: int = Field(8, ge=0, le=spec.MAX_QUESTIONS, description="连续同答判定题数（0 不判定）")
    callback_percent: int = Field(10, ge=0, le=100, description="回访抽取比例（%）")
    coaching_days: int = Field(30, ge=0, le=366, description="应知应会排除期（天）")

    _bounded = field_validator("starts_on", "ends_on")(_within_bounds)


class PlanIn(Schema):
    unit_ids: list[Id] = Field(max_length=IDS_MAX, description="样本街道或社区的单位 ID")
    total: int = Field(ge=0, le=plan.MAX_SAMPLE, description="样本总量")
    minimum: int = Field(0, ge=0, le=plan.MAX_SAMPLE, description="每层最少样本")


class CellIn(Schema):
    target: int = Field(ge=0, le=plan.MAX_SAMPLE, description="新的配额（不低于已完成数）")


def _wave_out(wave: Wave) -> dict[str, Any]:
    q = wave.questionnaire
    return {
        "id": wave.pk,
        "name": wave.name,
        "questionnaire": {"id": q.pk, "code": q.code, "version": q.version, "title": q.title},
        "owner": _unit(wave.owner_unit),
        "state": wave.state,
        "modes": list(wave.modes),
        "starts_on": wave.starts_on,
        "ends_on": wave.ends_on,
        "opened_at": wave.opened_at,
        "closed_at": wave.closed_at,
        "published_at": wave.published_at,
    }


def _cell_out(c: QuotaCell) -> dict[str, Any]:
    return {
        "id": c.pk,
        "age_band": c.age_band,
        "sex": c.sex,
        "population": c.population,
        "target": c.target,
        "filled": c.filled,
        "full": c.is_full,
    }


def _wave_detail(wave: Wave, user: Any) -> dict[str, Any]:
    figures = plan.plan_figures(wave)
    cells: dict[int, list[QuotaCell]] = {}
    for cell in QuotaCell.objects.filter(stratum__wave=wave):
        cells.setdefault(cell.stratum_id, []).append(cell)
    return {
        **_wave_out(wave),
        "quality": {
            "min_seconds": wave.min_seconds,
            "max_distance_m": wave.max_distance_m,
            "straightline_min": wave.straightline_min,
            "callback_percent": wave.callback_percent,
            "coaching_days": wave.coaching_days,
        },
        "plan": {
            "target": figures.target,
            "filled": figures.filled,
            "population": figures.population,
            "margin": figures.margin,
        },
        "strata": [
            {
                "id": s.pk,
                "unit": _unit(s.unit),
                "population": s.population,
                "target": s.target,
                "filled": s.filled,
                "margin": margin,
                "full": s.is_full,
                "cells": [_cell_out(c) for c in cells.get(s.pk, [])],
            }
            for s, margin in figures.strata
        ],
        "may_run": services.may_run(wave, user),
        "may_interview": services.may_interview(wave, user),
        "may_review": services.may_review(wave, user),
    }


class WaveFilters(Schema):
    state: Literal["draft", "fielding", "closed", "published"] | None = Field(None, description="状态")


@router.get("/waves", response={200: list[WaveOut], **ERRORS}, summary="可见的调查轮次（本单位及上级组织的）")
def list_waves(request: HttpRequest, filters: Query[WaveFilters]) -> list[dict[str, Any]]:
    user = _viewer(request)
    waves = Wave.objects.visible_to(user).select_related("questionnaire", "owner_unit")
    if filters.state:
        waves = waves.filter(state=filters.state)
    return [_wave_out(w) for w in waves]


@router.get(
    "/waves/{wave_id}",
    response={200: WaveDetailOut, **ERRORS},
    summary="一个调查轮次：质控设置、样本计划（目标、完成、人口、误差限）、各层配额",
)
def get_wave(request: HttpRequest, wave_id: IdPath) -> dict[str, Any]:
    user = _viewer(request)
    return _wave_detail(_wave(user, wave_id), user)


@router.post(
    "/waves",
    response={201: WaveDetailOut, 400: ErrorOut, **ERRORS},
    summary="新建调查轮次（本单位组织；问卷在开始调查时定稿）",
    openapi_extra=_openapi(WaveIn),
)
def create_wave(request: HttpRequest) -> Status[dict[str, Any]]:
    user = _runner(request)
    data = _body(request, WaveIn)
    questionnaire = Questionnaire.objects.visible_to(user).filter(pk=data.questionnaire_id).first()
    if questionnaire is None:
        raise ValidationError([_invalid(["questionnaire_id"], _("没有找到该问卷，或您无权使用"))])
    try:
        wave = plan.create_wave(
            questionnaire, user.unit, data.name, data.starts_on, data.ends_on, list(data.modes), user,
            min_seconds=data.min_seconds, max_distance_m=data.max_distance_m,
            straightline_min=data.straightline_min, callback_percent=data.callback_percent,
            coaching_days=data.coaching_days,
        )  # fmt: skip
    except services.Invalid as exc:
        raise _field_errors(exc.errors) from None
    return Status(201, _wave_detail(_wave(user, wave.pk), user))


@router.post(
    "/waves/{wave_id}/plan",
    response={200: WaveDetailOut, 400: ErrorOut, **ERRORS, 409: ErrorOut},
    summary="生成样本计划（筹备中）：按人口分配样本总量到各层、各配额格",
    openapi_extra=_openapi(PlanIn),
)
def build_plan(request: HttpRequest, wave_id: IdPath) -> dict[str, Any]:
    user = user_of(request)
    wave = _run_wave(user, wave_id)
    data = _body(request, PlanIn)
    wanted = list(dict.fromkeys(data.unit_ids))
    units = {u.pk: u for u in Unit.objects.filter(pk__in=wanted, path__startswith=wave.owner_unit.path)}
    missing = [str(pk) for pk in wanted if pk not in units]
    if missing:
        raise ValidationError(
            [
                _invalid(
                    ["unit_ids"],
                    _("以下单位不存在或不属于本单位：%(ids)s") % {"ids": "、".join(missing[:20])},
                )
            ]
        )
    try:
        plan.build_plan(wave, [units[pk] for pk in wanted], data.total, data.minimum, user)
    except services.Invalid as exc:
        raise _field_errors(exc.errors, {"units": "unit_ids"}) from None
    except services.Refused as exc:
        raise _refused(exc) from None
    return _wave_detail(_wave(user, wave_id), user)


@router.put(
    "/waves/{wave_id}/cells/{cell_id}",
    response={200: CellOut, 400: ErrorOut, **ERRORS, 409: ErrorOut},
    summary="调整一个配额格的配额（不低于已完成数；样本层目标随之调整）",
    openapi_extra=_openapi(CellIn),
)
def set_cell(request: HttpRequest, wave_id: IdPath, cell_id: IdPath) -> dict[str, Any]:
    user = user_of(request)
    wave = _run_wave(user, wave_id)
    cell = get_object_or_404(
        QuotaCell.objects.select_related("stratum__wave"), pk=cell_id, stratum__wave=wave
    )
    data = _body(request, CellIn)
    try:
        cell = plan.set_cell_target(cell, data.target, user)
    except services.Invalid as exc:
        raise _field_errors(exc.errors) from None
    except services.Refused as exc:
        raise _refused(exc) from None
    return _cell_out(cell)


@router.post(
    "/waves/{wave_id}/open",
    response={200: WaveDetailOut, **ERRORS, 409: ErrorOut},
    summary="开始调查（问卷随之定稿；已开始时 409 already_open）",
)
def open_wave(request: HttpRequest, wave_id: IdPath) -> dict[str, Any]:
    user = user_of(request)
    wave = _run_wave(user, wave_id)
    if wave.state == WaveState.FIELDING:
        raise ApiError(409, "already_open", _("本轮调查已经开始"))
    try:
        plan.open_wave(wave, user)
    except services.Refused as exc:
        raise _refused(exc) from None
    return _wave_detail(_wave(user, wave_id), user)


@router.post(
    "/waves/{wave_id}/close",
    response={200: WaveDetailOut, **ERRORS, 409: ErrorOut},
    summary="结束调查（不再接收答卷；已结束时 409 already_closed）",
)
def close_wave(request: HttpRequest, wave_id: IdPath) -> dict[str, Any]:
    user = user_of(request)
    wave = _run_wave(user, wave_id)
    if wave.state in (WaveState.CLOSED, WaveState.PUBLISHED):
        raise ApiError(409, "already_closed", _("本轮调查已经结束"))
    try:
        plan.close_wave(wave, user)
    except services.Refused as exc:
        raise _refused(exc) from None
    return _wave_detail(_wave(user, wave_id), user)


@router.post(
    "/waves/{wave_id}/publish",
    response={200: WaveDetailOut, **ERRORS, 409: ErrorOut},
    summary="发布结果（已结束且无待审核答卷；发布后不再改变；已发布时 409 already_published）",
)
def publish_wave(request: HttpRequest, wave_id: IdPath) -> dict[str, Any]:
    user = user_of(request)
    wave = _run_wave(user, wave_id)
    if wave.state == WaveState.PUBLISHED:
        raise ApiError(409, "already_published", _("本轮调查结果已经发布"))
    try:
        results.publish(wave, user)
    except services.Refused as exc:
        raise _refused(exc) from None
    return _wave_detail(_wave(user, wave_id), user)


# --- population figures -------------------------------------------------------------------------------------


class PopulationCellOut(Schema):
    age_band: str = Field(description="年龄段")
    sex: str = Field(description="性别：m、f")
    count: int | None = Field(description="人数；未录入为空")


class PopulationOut(Schema):
    unit: UnitRef = Field(description="单位")
    cells: list[PopulationCellOut] = Field(
        description="本单位录入的 10 个数：年龄段 × 性别的常住人口（18–65 岁）"
    )
    total: int = Field(description="本单位录入的合计")
    summed_cells: list[PopulationCellOut] = Field(
        description="本单位及下级的合计（街道按下属社区汇总；样本计划按此分配）"
    )
    summed_total: int = Field(description="本单位及下级的合计人数")
    updated_at: datetime | None = Field(description="最近更新时间")


class PopulationCellIn(Schema):
    age_band: Literal["18-29", "30-39", "40-49", "50-59", "60-65"] = Field(description="年龄段")
    sex: Literal["m", "f"] = Field(description="性别")
    count: int = Field(ge=0, le=POPULATION_MAX, description="人数")


class PopulationIn(Schema):
    cells: list[PopulationCellIn] = Field(
        min_length=10, max_length=10, description="10 个数：每个年龄段 × 性别各一个"
    )


def _population_unit(user: Any, unit_id: int) -> Unit:
    unit = user.unit if user.is_authenticated else None
    if unit is None:
        raise ApiError(404, "not_found", _("没有找到该单位"))
    return get_object_or_404(Unit.objects.filter(path__startswith=unit.path), pk=unit_id)


def _population_out(unit: Unit) -> dict[str, Any]:
    rows = {(f.age_band, f.sex): f for f in PopulationFigure.objects.filter(unit=unit)}
    cells = []
    for age in AgeBand.values:
        for sex in Sex.values:
            found = rows.get((age, sex))
            cells.append({"age_band": age, "sex": sex, "count": found.count if found else None})
    summed = plan.populations([unit], unit)[unit.pk]
    return {
        "unit": _unit(unit),
        "cells": cells,
        "total": sum(f.count for f in rows.values()),
        "summed_cells": [
            {"age_band": age, "sex": sex, "count": summed.get((age, sex), 0)}
            for age in AgeBand.values
            for sex in Sex.values
        ],
        "summed_total": sum(summed.values()),
        "updated_at": max((f.updated_at for f in rows.values()), default=None),
    }


@router.get(
    "/population/{unit_id}",
    response={200: PopulationOut, **ERRORS},
    summary="一个单位的常住人口（18–65 岁，年龄段 × 性别；本单位及下级）",
)
def get_population(request: HttpRequest, unit_id: IdPath) -> dict[str, Any]:
    user = _viewer(request)
    return _population_out(_population_unit(user, unit_id))


@router.put(
    "/population/{unit_id}",
    response={200: PopulationOut, 400: ErrorOut, **ERRORS},
    summary="录入一个单位的常住人口：10 个数（年龄段 × 性别），全部替换",
    openapi_extra=_openapi(PopulationIn),
)
def put_population(request: HttpRequest, unit_id: IdPath) -> dict[str, Any]:
    user = _runner(request)
    unit = _population_unit(user, unit_id)
    data = _body(request, PopulationIn)
    counts: dict[tuple[str, str], int] = {(c.age_band, c.sex): c.count for c in data.cells}
    if len(counts) != len(data.cells):
        raise ValidationError([_invalid(["cells"], _("每个年龄段 × 性别须各填一个数，不能重复"))])
    try:
        # The pages' rule too: streets and communities only, never the same residents at two levels.
        population.save_unit(unit, counts, user, request)
    except services.Invalid as exc:
        raise ValidationError(
            [
                {
                    "loc": ["path", "unit_id"] if field == "unit" else ["body", field],
                    "msg": "；".join(messages),
                    "type": "invalid",
                }
                for field, messages in exc.errors.items()
            ]
        ) from None
    return _population_out(unit)


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


# --- results ------------------------------------------------------------------------------------------------


class ResultsWaveOut(Schema):
    id: int = Field(description="调查轮次 ID")
    name: str = Field(description="调查轮次名称")
    state: str = Field(description="状态")
    published_at: datetime | None = Field(description="发布时间")


class ResultsOut(Schema):
    wave: ResultsWaveOut = Field(description="调查轮次")
    published: bool = Field(description="true 已发布的结果（不再改变）；false 当前数据的实时结果")
    questionnaire: dict[str, Any] = Field(description="问卷：code、version、title")
    computed_at: str = Field(description="计算时间")
    method: str = Field(
        description="加权方法：poststratification 事后分层 | raking 迭代比例 | unweighted 未加权"
    )
    measures: list[str] = Field(description="有结果的指标率：awareness、support、participation、satisfaction")
    indicators: list[str] = Field(description="有结果的测评标准编号")
    counts: dict[str, int] = Field(
        description="答卷数：accepted 计入、flagged 待审核、rejected 已作废、excluded_coaching 应知应会排除"
    )
    units: dict[str, Any] = Field(
        description="单位 ID → {name, code, depth, parent, stratum, target, measures{指标: {rate, low, "
        "high, n, n_effective}}, indicators{…}}；只含组织单位总体与调用者本单位及下级"
    )
    questions: list[dict[str, Any]] = Field(description="各题：总体得分率与各选项的加权占比")


class TrendUnitOut(Schema):
    id: int = Field(description="单位 ID")
    name: str = Field(description="单位名称")
    depth: int = Field(description="层级")
    measures: dict[str, Any] = Field(description="指标率 → {rate, low, high, n, n_effective}（无结果为空）")


class TrendWaveOut(Schema):
    id: int = Field(description="调查轮次 ID")
    name: str = Field(description="调查轮次名称")
    starts_on: date = Field(description="开始日期")
    ends_on: date = Field(description="结束日期")
    published_at: datetime | None = Field(description="发布时间")
    units: list[TrendUnitOut] = Field(description="调用者可见的单位")


class TrendOut(Schema):
    measures: list[str] = Field(description="出现过的指标率")
    waves: list[TrendWaveOut] = Field(description="已发布的调查轮次（按发布时间先后）")


class TrendFilters(Schema):
    unit_id: int | None = Field(None, ge=1, le=ID_MAX, description="只看一个单位（默认全部可见单位）")


@router.get(
    "/waves/{wave_id}/results",
    response={200: ResultsOut, **ERRORS, 409: ErrorOut},
    summary="调查结果：已发布的快照，或（组织单位和督导）进行中的实时结果；只含可见单位",
)
def wave_results(request: HttpRequest, wave_id: IdPath) -> dict[str, Any]:
    user = _viewer(request)
    wave = _wave(user, wave_id)
    published = wave.state == WaveState.PUBLISHED and wave.results is not None
    if not published and not services.may_review(wave, user):
        raise ApiError(409, "not_published", _("本轮调查结果尚未发布"))
    snapshot = results.results_of(wave)
    return {
        "wave": {"id": wave.pk, "name": wave.name, "state": wave.state, "published_at": wave.published_at},
        "published": published,
        "questionnaire": snapshot["questionnaire"],
        "computed_at": snapshot["computed_at"],
        "method": snapshot["method"],
        "measures": snapshot["measures"],
        "indicators": snapshot["indicators"],
        "counts": snapshot["counts"],
        "units": results.visible_units(snapshot, user),
        "questions": snapshot["questions"],
    }


@router.get(
    "/results/trend",
    response={200: TrendOut, **ERRORS},
    summary="趋势：各已发布调查轮次中可见单位的知晓率、支持率、参与率、满意度",
)
def results_trend(request: HttpRequest, filters: Query[TrendFilters]) -> dict[str, Any]:
    user = _viewer(request)
    waves = Wave.objects.visible_to(user).filter(state=WaveState.PUBLISHED).order_by("published_at", "pk")
    measures: list[str] = []
    out = []
    for wave in waves:
        snapshot = wave.results or {}
        if not snapshot:
            continue
        for m in snapshot.get("measures", []):
            if m not in measures:
                measures.append(m)
        rows = results.visible_units(snapshot, user)
        units = [
            {"id": int(pk), "name": row["name"], "depth": row["depth"], "measures": row["measures"]}
            for pk, row in rows.items()
            if filters.unit_id is None or int(pk) == filters.unit_id
        ]
        out.append(
            {
                "id": wave.pk,
                "name": wave.name,
                "starts_on": wave.starts_on,
                "ends_on": wave.ends_on,
                "published_at": wave.published_at,
                "units": units,
            }
        )
    return {"measures": measures, "waves": out}
