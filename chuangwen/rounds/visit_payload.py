"""The visit a phone sends (docs/inspection-api.md §3): its shape, and shape errors in Chinese.

Parsing only checks types and ranges; the inspection rules (complete checklist, photos, distance …) are in
:mod:`chuangwen.rounds.visits`. Both report errors the way ninja does for 422:
``{"loc": ["body", "judgements", 2, "count"], "msg": "中文原因", "type": "…"}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal
from uuid import UUID

import pydantic
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import Field, Schema
from pydantic import AwareDatetime, field_validator

from chuangwen.core.bounds import ID_MAX, date_error

MAX_PHOTOS = 50
MAX_JUDGEMENTS = 300
MAX_COUNT = 9999

Outcome = Literal["done", "refused", "not_possible"]
Result = Literal["conforming", "not_conforming", "not_applicable"]
CoordSystemName = Literal["WGS-84", "GCJ-02"]


class JudgementIn(Schema):
    item_code: str = Field(max_length=16, description="测评指标编码，如 ZD-02")
    result: Result = Field(description="判定：conforming 符合、not_conforming 不符合、not_applicable 不适用")
    count: int = Field(0, ge=0, le=MAX_COUNT, description="问题数量（按处扣分的指标判为不符合时 ≥ 1）")
    note: str = Field("", max_length=500, description="说明")
    photo_ids: list[UUID] = Field(
        default_factory=list, max_length=MAX_PHOTOS, description="问题照片的 client_id（不符合时至少一张）"
    )


class VisitIn(Schema):
    client_id: UUID = Field(description="手机生成的 UUID；重复发送返回已保存的结果")
    round_id: int = Field(ge=1, le=ID_MAX, description="测评批次 ID")
    site_id: int = Field(ge=1, le=ID_MAX, description="点位 ID")
    outcome: Outcome = Field("done", description="done 已测评、refused 拒访、not_possible 无法调查")
    exception_reason: str = Field("", max_length=500, description="拒访或无法调查的原因")
    exception_photo_ids: list[UUID] = Field(
        default_factory=list, max_length=MAX_PHOTOS, description="异常情况照片的 client_id"
    )
    lat: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False, description="纬度")
    lng: float | None = Field(None, ge=-180, le=180, allow_inf_nan=False, description="经度")
    accuracy: float | None = Field(None, ge=0, le=100000, allow_inf_nan=False, description="定位精度（米）")
    coord_system: CoordSystemName = Field("WGS-84", description="坐标系：WGS-84（默认）或 GCJ-02")
    far_reason: str = Field("", max_length=500, description="距点位过远（或没有定位）的说明")
    note: str = Field("", max_length=2000, description="备注")
    started_at: AwareDatetime | None = Field(None, description="开始时间（ISO 8601，带时区）")
    finished_at: AwareDatetime | None = Field(None, description="完成时间（ISO 8601，带时区）")
    judgements: list[JudgementIn] = Field(
        default_factory=list, max_length=MAX_JUDGEMENTS, description="每个测评指标的判定"
    )

    @field_validator("started_at", "finished_at")
    @classmethod
    def _within_bounds(cls, value: AwareDatetime | None) -> AwareDatetime | None:
        """A phone clock in the year 9956 is refused like any other out-of-range date."""
        reason = date_error(value, _("时间")) if value is not None else None
        if reason is not None:
            raise ValueError(reason)
        return value


class VisitInvalid(Exception):
    """The visit breaks a rule; ``errors`` are ninja-style 422 items with Chinese messages."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors)
        self.errors = errors


def error(loc: list[str | int], msg: str, kind: str = "value_error") -> dict[str, Any]:
    return {"loc": ["body", *loc], "msg": msg, "type": kind}


_TYPE_WORDS = {
    "int": gettext_noop("整数"),
    "float": gettext_noop("数字"),
    "uuid": gettext_noop("UUID"),
    "datetime": gettext_noop("ISO 8601 时间"),
    "string": gettext_noop("文本"),
    "list": gettext_noop("列表"),
    "model": gettext_noop("对象"),
    "dict": gettext_noop("对象"),
    "bool": gettext_noop("布尔值"),
}


def _type_message(kind: str) -> str | None:
    for prefix, word in _TYPE_WORDS.items():
        if kind.startswith(f"{prefix}_") or kind == f"{prefix}_type":
            return _("格式不正确，应为%(what)s") % {"what": _(word)}
    return None


def _message(err: Mapping[str, Any]) -> str:
    kind, ctx = err.get("type", ""), err.get("ctx") or {}
    messages = {
        "missing": lambda: _("缺少此项"),
        "literal_error": lambda: _("取值无效，可选：%(expected)s") % {"expected": ctx.get("expected", "")},
        "string_too_long": lambda: _("过长，最多 %(n)s 个字符") % {"n": ctx.get("max_length")},
        "too_long": lambda: _("过多，最多 %(n)s 项") % {"n": ctx.get("max_length")},
        "greater_than_equal": lambda: _("不能小于 %(n)s") % {"n": ctx.get("ge")},
        "less_than_equal": lambda: _("不能大于 %(n)s") % {"n": ctx.get("le")},
        "finite_number": lambda: _("应为有限的数字"),
        "timezone_aware": lambda: _("时间须带时区，例如 2026-12-01T09:10:00+08:00"),
        "value_error": lambda: str(ctx.get("error") or _("格式不正确")),
    }
    if kind in messages:
        return messages[kind]()
    return _type_message(kind) or _("格式不正确")


def translate_errors(exc: pydantic.ValidationError) -> list[dict[str, Any]]:
    return [error(list(err["loc"]), _message(err), err["type"]) for err in exc.errors(include_url=False)]


def parse_visit(payload: VisitIn | Mapping[str, Any]) -> VisitIn:
    """The payload as a :class:`VisitIn`; shape errors raise :class:`VisitInvalid` (422)."""
    if isinstance(payload, VisitIn):
        return payload
    if not isinstance(payload, Mapping):
        raise VisitInvalid([error([], _("请求体应为 JSON 对象"), "model_type")])
    try:
        return VisitIn.model_validate(dict(payload))
    except pydantic.ValidationError as exc:
        raise VisitInvalid(translate_errors(exc)) from None


def inline_schema(model: type[pydantic.BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with nested definitions inlined (for the OpenAPI request body)."""
    schema = model.model_json_schema(ref_template="#/$defs/{model}")
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(value) for value in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved
