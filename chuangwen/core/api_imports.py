"""API of the spreadsheet imports (docs/imports.md, "API"): upload a units, users or sites sheet as the
page /transfer/<kind>/import/ does — the same ``imports.can_import`` rule and ``start_import_job`` (the file
checked at once, the rows in the background, all or nothing) — and follow the job; idempotent by
``client_id``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile

from chuangwen.core.api_writes import (
    READ_ERRORS,
    WRITE_ERRORS,
    ClientId,
    Duplicate,
    forbidden,
    not_found,
    once,
    refuse,
)
from chuangwen.core.bounds import IdPath
from chuangwen.core.imports import can_import, start_import_job
from chuangwen.core.models import ImportJob
from chuangwen.core.web import user_of
from chuangwen.core.xlsx import ImportFileError

router = Router(tags=["导入"])

Kind = Literal["units", "users", "sites"]


class ImportForm(Schema):
    client_id: ClientId


class JobOut(Schema):
    id: int = Field(description="导入任务 ID")
    kind: str = Field(description="units、users 或 sites")
    status: str = Field(description="pending 等待、running 处理中、succeeded 成功、failed 失败（全部未写入）")
    stage: str = Field(description="当前阶段")
    total_rows: int = Field(description="总行数")
    processed_rows: int = Field(description="已处理行数")
    error_count: int = Field(description="错误数")
    created_count: int = Field(description="新增数")
    updated_count: int = Field(description="更新数")
    message: str = Field(description="结果说明")
    has_error_report: bool = Field(description="是否有错误报告（在导入页面下载）")
    created_at: datetime = Field(description="创建时间")


class JobWriteOut(JobOut):
    duplicate: Duplicate


FIELDS = ("id", "kind", "status", "stage", "total_rows", "processed_rows", "error_count", "created_count",
          "updated_count", "message", "created_at")  # fmt: skip


def job_out(job: ImportJob) -> dict[str, Any]:
    return {**{name: getattr(job, name) for name in FIELDS}, "has_error_report": bool(job.error_report)}


def _own_job(request: HttpRequest, job_id: int) -> ImportJob:
    """A job is visible only to the person who uploaded it (its error report repeats the file's rows)."""
    job = ImportJob.objects.filter(pk=job_id, created_by=user_of(request)).first()
    if job is None:
        raise not_found(_("没有找到该导入任务"))
    return job


@router.post(
    "/{kind}",
    response={202: JobWriteOut, 200: JobWriteOut, **WRITE_ERRORS},
    summary="上传 .xlsx 导入单位、用户或点位（后台处理，全部成功才写入；按 client_id 幂等）",
)
def start_import(request: HttpRequest, kind: Kind, data: Form[ImportForm], file: File[UploadedFile]) -> Any:
    user = user_of(request)
    if not can_import(kind, user):
        raise forbidden(_("您的角色不能导入该表"))

    def apply() -> str:
        try:
            return str(start_import_job(kind, file, user, request=request).pk)
        except ImportFileError as exc:
            raise refuse(400, "invalid", str(exc), "file") from None

    job_id, duplicate = once(user.pk, data.client_id, "core.import_start", apply)
    return (200 if duplicate else 202), {**job_out(_own_job(request, int(job_id))), "duplicate": duplicate}


@router.get(
    "/jobs/{job_id}", response={200: JobOut, **READ_ERRORS}, summary="导入任务的进度与结果（仅上传者）"
)
def get_job(request: HttpRequest, job_id: IdPath) -> dict[str, Any]:
    return job_out(_own_job(request, job_id))
