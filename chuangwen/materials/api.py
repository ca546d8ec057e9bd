"""API of 网上申报 (docs/materials.md, "API"): periods, tasks, materials (multipart upload, idempotent by
client_id), review steps and the board, each scoped like the pages."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, BinaryIO, Literal, cast

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status
from ninja.decorators import decorate_view
from ninja.errors import ValidationError
from ninja.files import UploadedFile
from ninja.security import SessionAuth

from chuangwen.accounts.capabilities import may_see_materials
from chuangwen.accounts.token_auth import TokenAuth
from chuangwen.core.api_errors import ApiError, ErrorOut
from chuangwen.core.bounds import IdPath
from chuangwen.core.web import user_of
from chuangwen.materials import machine, services
from chuangwen.materials.board import board_rows
from chuangwen.materials.models import Material, MaterialState, Period, Standing, Submission, Task
from chuangwen.materials.storage import download

# Token first, as for photos: a token-only multipart POST must not fail the session's CSRF check.
router = Router(tags=["网上申报"], auth=[TokenAuth(), SessionAuth()])

FORM_OVERHEAD_BYTES = 256 * 1024
ERRORS = {403: ErrorOut, 404: ErrorOut}


class UnitRef(Schema):
    id: int = Field(description="单位 ID")
    name: str = Field(description="单位名称")


class PeriodOut(Schema):
    id: int = Field(description="申报周期 ID")
    name: str = Field(description="名称")
    standard_id: int = Field(description="测评体系版本 ID（指标树见 /standards/{id}/indicators）")
    reference_date: date = Field(description="测评基准日（材料时限以此为终点）")
    state: Literal["open", "closed"] = Field(description="open 申报中 | closed 已归档")


class CellOut(Schema):
    unit: UnitRef = Field(description="报送单位")
    is_lead: bool = Field(description="是否牵头单位")
    standing: Literal["empty", "in_progress", "awaiting", "returned", "passed"] = Field(
        description="empty 未报送 | in_progress 报送中 | awaiting 待审核 | returned 已退回 | passed 已通过"
    )
    due_date: date = Field(description="完成时限（退回时可能延后）")
    overdue: bool = Field(description="是否超期")
    materials: int = Field(description="有效材料数")


class TaskOut(Schema):
    id: int = Field(description="任务 ID")
    period_id: int = Field(description="申报周期 ID")
    indicator_code: str = Field(description="标准编号")
    indicator_text: str = Field(description="测评标准")
    lead_unit: UnitRef = Field(description="牵头单位")
    supporting_units: list[UnitRef] = Field(description="配合单位")
    due_date: date = Field(description="完成时限")
    window_start: date = Field(description="材料时限起")
    window_end: date = Field(description="材料时限止")
    cells: list[CellOut] = Field(description="各单位报送进度（仅本人可见的单位）")


class EventOut(Schema):
    action: str = Field(description="操作编码")
    action_name: str = Field(description="操作名称")
    from_state: str = Field(description="原状态")
    to_state: str = Field(description="新状态")
    actor: str = Field(description="操作人")
    at: datetime = Field(description="时间")
    comment: str = Field(description="意见")


class MaterialOut(Schema):
    id: int = Field(description="材料 ID")
    client_id: uuid.UUID = Field(description="客户端编号")
    task_id: int = Field(description="任务 ID")
    unit: UnitRef = Field(description="报送单位")
    kind: Literal["document", "account", "photo", "table"] = Field(
        description="document 规范文件 | account 情况说明 | photo 实景图片 | table 统计表格"
    )
    title: str = Field(description="材料名称")
    activity_date: date = Field(description="活动日期")
    outside_window: bool = Field(description="活动日期是否超出材料时限")
    description: str = Field(description="简要说明")
    body: str = Field(description="说明正文（情况说明）")
    file_kind: Literal["pdf", "docx", "xlsx", "jpeg", "png"] | None = Field(
        description="文件类型；无文件为空"
    )
    file_sha256: str | None = Field(description="文件 SHA-256")
    file_size: int | None = Field(description="文件大小（字节）")
    state: Literal["draft", "submitted", "unit_approved", "returned", "passed", "withdrawn"] = Field(
        description="draft 待提交 | submitted 待单位审核 | unit_approved 待网申组审核 | returned 已退回 | "
        "passed 审核通过 | withdrawn 已撤回"
    )
    due_date: date | None = Field(description="退回后完成时限")
    last_comment: str = Field(description="最近审核意见")
    allowed_actions: list[str] = Field(description="本人现在可以进行的操作")
    history: list[EventOut] = Field(description="历史记录")


class BoardRowOut(Schema):
    unit: UnitRef = Field(description="单位")
    cells: int = Field(description="分解到本单位的任务数（牵头与配合）")
    empty: int = Field(description="未报送")
    in_progress: int = Field(description="报送中")
    awaiting: int = Field(description="待审核")
    returned: int = Field(description="已退回")
    passed: int = Field(description="已通过")
    overdue: int = Field(description="超期（未通过且已过完成时限）")
    completion_rate: float | None = Field(description="完成率 = 已通过 ÷ 任务数")
    return_rate: float | None = Field(description="退回率 = 退回次数 ÷ 提交次数；未提交过为空")


class UploadForm(Schema):
    client_id: uuid.UUID = Field(description="客户端生成的 UUID；重发同一编号返回已保存的材料")
    kind: Literal["document", "account", "photo", "table"] = Field(description="材料类型")
    title: str = Field("", max_length=services.TITLE_MAX, description="材料名称（有文件时可空，取文件名）")
    activity_date: date = Field(description="材料所记录活动的日期（不晚于今天）")
    description: str = Field("", max_length=services.DESCRIPTION_MAX, description="简要说明")
    body: str = Field("", max_length=services.BODY_MAX, description="说明正文（仅情况说明可不附文件）")


class ActionIn(Schema):
    action: Literal["submit", "withdraw", "approve", "return", "pass", "resubmit"] = Field(description="操作")
    comment: str = Field("", max_length=services.COMMENT_MAX, description="审核意见（退回时必填）")
    due_date: date | None = Field(None, description="新的完成时限（网申组退回时；默认 5 个工作日后）")


def _user(request: HttpRequest) -> Any:
    user = user_of(request)
    if not may_see_materials(user):
        raise ApiError(403, "refused", _("您的角色不使用网上申报"))
    return user


def _unit(unit: Any) -> dict[str, Any]:
    return {"id": unit.pk, "name": unit.name}


def _period_out(period: Period) -> dict[str, Any]:
    return {
        "id": period.pk,
        "name": period.name,
        "standard_id": period.standard_id,
        "reference_date": period.reference_date,
        "state": period.state,
    }


def _cell_out(cell: Submission, today: date) -> dict[str, Any]:
    overdue = cell.standing != Standing.PASSED and cell.due_date < today
    return {
        "unit": _unit(cell.unit),
        "is_lead": cell.is_lead,
        "standing": cell.standing,
        "due_date": cell.due_date,
        "overdue": overdue,
        "materials": cell.materials,
    }


def _task_out(task: Task, user: Any) -> dict[str, Any]:
    from django.utils import timezone

    first, last = services.window(task)
    cells = (
        Submission.objects.visible_to(user)
        .filter(task=task)
        .select_related("unit")
        .order_by("-is_lead", "unit")
    )
    today = timezone.localdate()
    return {
        "id": task.pk,
        "period_id": task.period_id,
        "indicator_code": task.indicator.code,
        "indicator_text": task.indicator.text,
        "lead_unit": _unit(task.lead_unit),
        "supporting_units": [_unit(u) for u in task.supporting_units.order_by("path")],
        "due_date": task.due_date,
        "window_start": first,
        "window_end": last,
        "cells": [_cell_out(c, today) for c in cells],
    }


def _material_out(material: Material, user: Any) -> dict[str, Any]:
    stored = material.file
    events = material.events.select_related("actor").order_by("at", "pk")
    return {
        "id": material.pk,
        "client_id": material.client_id,
        "task_id": material.task_id,
        "unit": _unit(material.unit),
        "kind": material.kind,
        "title": material.title,
        "activity_date": material.activity_date,
        "outside_window": services.outside_window(material),
        "description": material.description,
        "body": material.body,
        "file_kind": stored.kind if stored else None,
        "file_sha256": stored.sha256 if stored else None,
        "file_size": stored.size if stored else None,
        "state": material.state,
        "due_date": material.due_date,
        "last_comment": material.last_comment,
        "allowed_actions": machine.allowed_actions(material, user),
        "history": [
            {
                "action": e.action,
                "action_name": machine.action_label(e.action),
                "from_state": e.from_state,
                "to_state": e.to_state,
                "actor": e.actor.display_name if e.actor else "",
                "at": e.at,
                "comment": e.comment,
            }
            for e in events
        ],
    }


def _task(user: Any, task_id: int) -> Task:
    tasks = Task.objects.visible_to(user).select_related("period", "indicator", "lead_unit")
    return get_object_or_404(tasks, pk=task_id)


def _material(user: Any, material_id: int) -> Material:
    materials = Material.objects.visible_to(user).select_related(
        "task__period__owner_unit", "task__indicator", "unit", "file"
    )
    return get_object_or_404(materials, pk=material_id)


@router.get("/periods", response={200: list[PeriodOut], **ERRORS}, summary="可见的申报周期")
def list_periods(request: HttpRequest) -> list[dict[str, Any]]:
    user = _user(request)
    return [_period_out(p) for p in Period.objects.visible_to(user)]


@router.get(
    "/periods/{period_id}/tasks", response={200: list[TaskOut], **ERRORS}, summary="申报周期内本人可见的任务"
)
def list_tasks(request: HttpRequest, period_id: IdPath) -> list[dict[str, Any]]:
    user = _user(request)
    period = get_object_or_404(Period.objects.visible_to(user), pk=period_id)
    tasks = (
        Task.objects.visible_to(user)
        .filter(period=period)
        .select_related("period", "indicator", "lead_unit")
        .order_by("indicator__code")
    )
    return [_task_out(t, user) for t in tasks]


@router.get(
    "/periods/{period_id}/board",
    response={200: list[BoardRowOut], **ERRORS},
    summary="进度看板：各单位的报送进度、超期、完成率与退回率（完成率高者在前）",
)
def period_board(request: HttpRequest, period_id: IdPath) -> list[dict[str, Any]]:
    user = _user(request)
    period = get_object_or_404(Period.objects.visible_to(user), pk=period_id)
    out = []
    for row in board_rows(period, user):
        tally = row.tally
        out.append(
            {
                "unit": {"id": row.unit_id, "name": row.name},
                "cells": tally.cells,
                **{s.value: tally.count(s) for s in Standing},
                "overdue": tally.overdue,
                "completion_rate": tally.completion,
                "return_rate": tally.return_rate,
            }
        )
    return out


@router.get("/tasks/{task_id}", response={200: TaskOut, **ERRORS}, summary="一个申报任务及各单位进度")
def get_task(request: HttpRequest, task_id: IdPath) -> dict[str, Any]:
    user = _user(request)
    return _task_out(_task(user, task_id), user)


@router.get("/tasks/{task_id}/materials", response={200: list[MaterialOut], **ERRORS}, summary="任务的材料")
def list_materials(request: HttpRequest, task_id: IdPath) -> list[dict[str, Any]]:
    user = _user(request)
    task = _task(user, task_id)
    materials = (
        Material.objects.visible_to(user)
        .filter(task=task)
        .exclude(state=MaterialState.WITHDRAWN)
        .select_related("task__period__owner_unit", "task__indicator", "unit", "file")
    )
    return [_material_out(m, user) for m in materials]


def refuse_oversized_body(run: Any) -> Any:
    """Answer too_large from Content-Length alone, before a huge body is read or spooled to disk."""

    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MATERIALS_MAX_BYTES + FORM_OVERHEAD_BYTES:
            limit = settings.MATERIALS_MAX_BYTES // (1024 * 1024)
            return ApiError(400, "too_large", _("文件过大（上限 %(mb)d MB）") % {"mb": limit}).response()
        return run(request, *args, **kwargs)  # type: ignore[no-any-return]

    return wrapper


@router.post(
    "/tasks/{task_id}/materials",
    response={200: MaterialOut, 201: MaterialOut, 400: ErrorOut, **ERRORS, 409: ErrorOut},
    summary="上传一份材料（multipart；按 client_id 幂等；情况说明可只填正文）",
)
@decorate_view(refuse_oversized_body)
def upload_material(
    request: HttpRequest, task_id: IdPath, data: Form[UploadForm], file: File[UploadedFile | None] = None
) -> Status[dict[str, Any]]:
    user = _user(request)
    task = _task(user, task_id)
    earlier = Material.objects.filter(client_id=data.client_id).exists()
    try:
        fields = services.clean_fields(data.dict(), needs_title=file is None)
        files = [(file.name or "", cast(BinaryIO, file.file))] if file is not None else []
        made = services.upload(task, user, fields, client_ids=[data.client_id], files=files)
    except services.MaterialInvalid as exc:
        raise ValidationError(
            [
                {"loc": ["form", field], "msg": reason, "type": "invalid"}
                for field, reason in exc.errors.items()
            ]
        ) from None
    except services.FilesRefused as exc:
        raise ApiError(
            400, "file_refused", str(exc), files=[{"name": n, "reason": r} for n, r in exc.outcomes]
        ) from None
    except services.Refused as exc:
        raise ApiError(403, "refused", str(exc)) from None
    finally:
        if file is not None:
            file.close()
    material = _material(user, made[0].pk)
    return Status(200 if earlier else 201, _material_out(material, user))


@router.get("/materials/{material_id}", response={200: MaterialOut, **ERRORS}, summary="一份材料及其审核记录")
def get_material(request: HttpRequest, material_id: IdPath) -> dict[str, Any]:
    user = _user(request)
    return _material_out(_material(user, material_id), user)


@router.post(
    "/materials/{material_id}/actions",
    response={200: MaterialOut, **ERRORS, 409: ErrorOut},
    summary="提交、撤回、单位审核、网申组审核或退回（退回须写意见）",
)
def act_on_material(request: HttpRequest, material_id: IdPath, body: ActionIn) -> dict[str, Any]:
    user = _user(request)
    material = _material(user, material_id)
    try:
        services.act(material, body.action, user, comment=body.comment, due_date=body.due_date)
    except services.MaterialInvalid as exc:
        raise ValidationError(
            [{"loc": ["body", "body", f], "msg": r, "type": "invalid"} for f, r in exc.errors.items()]
        ) from None
    except services.Refused as exc:
        raise ApiError(409, "refused", str(exc)) from None
    return _material_out(_material(user, material_id), user)


@router.get(
    "/materials/{material_id}/file",
    response={200: None, **ERRORS},
    summary="下载材料文件（附件方式，不在浏览器中打开）",
)
def download_file(request: HttpRequest, material_id: IdPath) -> FileResponse:
    user = _user(request)
    material = _material(user, material_id)
    if material.file is None:
        raise ApiError(404, "not_found", _("这份材料没有文件（情况说明正文见 body）"))
    return download(material)
