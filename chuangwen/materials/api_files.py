"""API of two file pages of 网上申报 (docs/materials.md, "API"): replacing a material's file or text
(更换材料, ``services.replace``) and importing a period's 任务分解表 (``tasksheet.import_task_table``: every
row or nothing), with the pages' checks; idempotent by ``client_id`` (``core/api_writes.py``)."""

from __future__ import annotations

from typing import Any, BinaryIO, cast

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Schema
from ninja.files import UploadedFile

from chuangwen.core.api_writes import (
    WRITE_ERRORS,
    ClientId,
    Duplicate,
    claim,
    forbidden,
    once,
    refuse,
    release,
    settle,
)
from chuangwen.core.bounds import IdPath
from chuangwen.materials import services
from chuangwen.materials.api import MaterialOut, UploadForm, _material, _material_out, _user, router
from chuangwen.materials.api_periods import _period
from chuangwen.materials.machine import Refused
from chuangwen.materials.tasksheet import import_task_table
from chuangwen.materials.views.common import runs_period

__all__ = ["router"]  # the operations join the materials router (``materials/api.py``)


class ReplaceForm(UploadForm):
    """The upload's fields (``client_id`` identifies this replacement); the file is optional."""


class MaterialWriteOut(MaterialOut):
    duplicate: Duplicate


class ImportIn(Schema):
    client_id: ClientId


class RowErrorOut(Schema):
    row: int | None = Field(description="Excel 行号（整个文件的问题为空）")
    column: str = Field(description="列名")
    value: str = Field(description="单元格内容")
    reason: str = Field(description="原因")


class TaskImportOut(Schema):
    ok: bool = Field(description="true：全部行已写入")
    total_rows: int = Field(description="总行数")
    created: int = Field(description="新增任务数")
    updated: int = Field(description="更新任务数")
    message: str = Field(description="结果说明")
    duplicate: bool = Field(description="true：同一 client_id 已导入过，本次未再导入")


class TaskImportRefusedOut(Schema):
    detail: str = Field(description="中文原因")
    code: str = Field(description="invalid")
    field: str = Field(description="file")
    errors: list[RowErrorOut] = Field(description="每个问题的行、列和原因（未写入任何行）")


@router.post(
    "/materials/{material_id}/replace",
    response={200: MaterialWriteOut, **WRITE_ERRORS},
    summary="更换材料的文件或文字（上传单位持有时；旧文件留在历史中；按 client_id 幂等）",
)
def replace_material(
    request: HttpRequest, material_id: IdPath, data: Form[ReplaceForm], file: File[UploadedFile | None] = None
) -> dict[str, Any]:
    user = _user(request)
    material = _material(user, material_id)

    def apply() -> str:
        try:
            fields = services.clean_fields(data.dict(), needs_title=False)
            files = [(file.name or "", cast(BinaryIO, file.file))] if file is not None else []
            services.replace(material, user, fields, files)
        except services.MaterialInvalid as exc:
            field, reason = next(iter(exc.errors.items()))
            raise refuse(400, "invalid", str(reason), field) from None
        except services.FilesRefused as exc:
            raise refuse(400, "file_refused", str(exc), "file") from None
        except Refused as exc:
            raise refuse(403, "refused", str(exc)) from None
        return str(material.pk)

    try:
        _id, duplicate = once(user.pk, data.client_id, "materials.replace", apply)
    finally:
        if file is not None:
            file.close()
    return {**_material_out(_material(user, material_id), user), "duplicate": duplicate}


@router.post(
    "/periods/{period_id}/tasks/import",
    response={
        200: TaskImportOut,
        400: TaskImportRefusedOut,
        **{k: v for k, v in WRITE_ERRORS.items() if k != 400},
    },
    summary="导入任务分解表（.xlsx；全部行正确才写入，否则逐行列出问题；按 client_id 幂等）",
)
def import_tasks(
    request: HttpRequest, period_id: IdPath, data: Form[ImportIn], file: File[UploadedFile]
) -> Any:
    user = _user(request)
    period = _period(user, period_id)
    if not runs_period(user, period):
        raise forbidden(_("只有组织本申报周期的文明办协调员可以执行此操作。"))
    row, duplicate = claim(user.pk, data.client_id, "materials.task_import")
    if duplicate:
        done = {"ok": True, "total_rows": 0, "created": 0, "updated": 0, "message": _("此前已导入")}
        return 200, {**done, "duplicate": True}
    # Outside one transaction of ours: the import is one transaction itself, and a refused file is answered.
    try:
        result = import_task_table(period, file, user, file_name=file.name or "", request=request)
    finally:
        file.close()
    if not result.ok:
        release(row)
        errors = [
            {"row": e.row, "column": e.column, "value": e.value, "reason": e.reason} for e in result.errors
        ]
        return 400, {"detail": result.message, "code": "invalid", "field": "file", "errors": errors}
    settle(row, str(period.pk))
    body = {name: getattr(result, name) for name in ("ok", "total_rows", "created", "updated", "message")}
    return 200, {**body, "duplicate": False}
