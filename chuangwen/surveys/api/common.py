"""What the survey API's modules share: the router, reading and bounding request bodies, who may call, and
small shapes (docs/surveys.md, "API")."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, TypeVar

import pydantic
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import ValidationError
from ninja.security import SessionAuth
from pydantic import ValidationInfo

from chuangwen.accounts.capabilities import may_run_surveys, may_see_surveys
from chuangwen.accounts.token_auth import TokenAuth
from chuangwen.core.api_errors import ApiError, ErrorOut
from chuangwen.core.bounds import chinese_error, date_error
from chuangwen.core.web import user_of
from chuangwen.org.models import Unit
from chuangwen.rounds.visit_payload import inline_schema
from chuangwen.surveys import services, spec
from chuangwen.surveys.models import (
    Wave,
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
