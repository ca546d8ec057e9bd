"""API of the other case sources: the 12345 hotline import and instructions (督办).

A router of its own, mounted at /api/v1/cases beside ``cases.py`` (``cases/api/__init__.py``); the case
paths there take an integer id, so "/hotline" and "/instructions" never reach them.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile
from pydantic import AwareDatetime

from chuangwen.cases import hotline
from chuangwen.cases.api.cases import (
    CaseDetailOut,
    InstructionOut,
    _field_errors,
    _visible,
    case_detail_out,
    instruction_out,
)
from chuangwen.cases.exceptions import CaseNotFound, TransitionRefused
from chuangwen.cases.instructions import TEXT_MAX, instruct, open_instruction_case
from chuangwen.core.api_errors import ApiError, ErrorOut
from chuangwen.core.bounds import ID_MAX, IdPath
from chuangwen.core.imports import ImportRowError
from chuangwen.core.web import user_of
from chuangwen.org.models import Unit
from chuangwen.sites.models import Site

router = Router(tags=["案卷"])


class SkippedOut(Schema):
    row: int = Field(description="文件中的行号")
    external_ref: str = Field(description="已导入过的工单编号")


class HotlineIn(Schema):
    mapping: str = Field(
        min_length=1,
        max_length=10_000,
        description='字段到表头的 JSON，如 {"external_ref": "工单号", "opened_at": "来电时间"}',
    )
    gcj02: bool = Field(False, description="坐标为 GCJ-02 时转换为 WGS-84")
    dry_run: bool = Field(False, description="只校验，不写入")


class HotlineOut(Schema):
    total_rows: int = Field(description="文件中的数据行数")
    created: int = Field(description="新建案卷数")
    skipped: int = Field(description="已导入而跳过的工单数")
    codes: list[str] = Field(description="新建案卷的编号")
    skipped_rows: list[SkippedOut] = Field(description="跳过的工单")
    message: str = Field(description="中文摘要")


class RowErrorOut(Schema):
    row: int | None = Field(description="文件中的行号；整个文件或列对应的问题为空")
    column: str = Field(description="列名（文件表头）或字段名")
    value: str = Field(description="单元格内容")
    message: str = Field(description="中文原因")


class HotlineErrorOut(ErrorOut):
    errors: list[RowErrorOut] = Field(description="每一处问题")


def _row_errors(detail: str, errors: list[ImportRowError]) -> ApiError:
    rows = [{"row": e.row, "column": e.column, "value": e.value, "message": e.reason} for e in errors]
    return ApiError(400, "invalid", detail, errors=rows)


def _mapping(text: str) -> dict[str, str] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        return None
    return {str(k): v for k, v in value.items()}


@router.post(
    "/hotline",
    response={200: HotlineOut, 400: HotlineErrorOut, 403: ErrorOut},
    summary="导入 12345 热线工单（.xlsx 或 .csv，全部校验通过才写入；已导入的工单编号跳过）",
)
def import_hotline(request: HttpRequest, form: Form[HotlineIn], file: File[UploadedFile]) -> Any:
    user = user_of(request)
    if not hotline.can_import_hotline(user):
        raise ApiError(403, "refused", _("只有文明办协调员可以导入 12345 热线工单"))
    parsed = _mapping(form.mapping)
    if parsed is None:
        reason = _("列对应关系须为 JSON 对象，键为字段名，值为表头")
        raise _row_errors(reason, [ImportRowError(None, "mapping", form.mapping[:200], reason)])
    result = hotline.import_hotline(
        file, parsed, user, gcj02=form.gcj02, dry_run=form.dry_run, file_name=file.name or "", request=request
    )
    if not result.ok:
        raise _row_errors(result.message, result.errors)
    created = len(result.created) if not form.dry_run else result.total_rows - len(result.skipped)
    return {
        "total_rows": result.total_rows, "created": created, "skipped": len(result.skipped),
        "codes": result.created, "message": result.message,
        "skipped_rows": [{"row": row, "external_ref": ref} for row, ref in result.skipped],
    }  # fmt: skip


class InstructionIn(Schema):
    text: str = Field(pattern=r"\S", max_length=TEXT_MAX, description="督办要求（不能只有空白）")
    deadline: AwareDatetime = Field(description="督办期限（须晚于现在，带时区）")


class InstructionCaseIn(Schema):
    title: str = Field(pattern=r"\S", max_length=200, description="问题（案卷标题，不能只有空白）")
    description: str = Field("", description="问题描述")
    unit_id: int = Field(ge=1, le=ID_MAX, description="责任单位 ID（须在调用者管辖范围内）")
    site_id: int | None = Field(None, ge=1, le=ID_MAX, description="点位 ID（可选）")
    text: str = Field("", pattern=r"^$|\S", max_length=TEXT_MAX, description="督办要求（默认同标题）")
    deadline: AwareDatetime = Field(description="督办期限，即整改期限（须晚于现在，带时区）")


_NAMES = {"unit": "unit_id", "site": "site_id"}


def _invalid(exc: DjangoValidationError) -> Exception:
    return _field_errors({_NAMES.get(name, name): messages for name, messages in exc.message_dict.items()})


@router.post(
    "/{int:case_id}/instructions",
    response={200: list[InstructionOut], 403: ErrorOut, 404: ErrorOut},
    summary="督办案卷（区领导、文明办协调员）；返回该案卷的全部督办",
)
def instruct_case(request: HttpRequest, case_id: IdPath, payload: InstructionIn) -> Any:
    case = _visible(request).filter(pk=case_id).first()
    if case is None:
        raise ApiError(404, "not_found", CaseNotFound().message)
    try:
        instruct(case, user_of(request), payload.text, payload.deadline, request)
    except CaseNotFound as exc:
        raise ApiError(404, "not_found", exc.message) from None
    except TransitionRefused as exc:
        raise ApiError(403, "refused", exc.message) from None
    except DjangoValidationError as exc:
        raise _invalid(exc) from exc
    return instruction_out(case)


@router.post(
    "/instructions",
    response={201: CaseDetailOut, 403: ErrorOut},
    summary="为尚未立案的问题立案督办：直接派给责任单位，整改期限即督办期限",
)
def new_instruction_case(request: HttpRequest, payload: InstructionCaseIn) -> Any:
    user = user_of(request)
    unit = Unit.objects.filter(pk=payload.unit_id).first()
    site = Site.objects.filter(pk=payload.site_id).first() if payload.site_id is not None else None
    if payload.site_id is not None and site is None:
        raise _field_errors({"site_id": [_("点位不存在或不在您的管辖范围内")]})
    try:
        case = open_instruction_case(
            user, unit, payload.title, payload.description, payload.deadline, site,
            text=payload.text, request=request,
        )  # fmt: skip
    except TransitionRefused as exc:
        raise ApiError(403, "refused", exc.message) from None
    except DjangoValidationError as exc:
        raise _invalid(exc) from exc
    return 201, case_detail_out(_visible(request).get(pk=case.pk), request)
