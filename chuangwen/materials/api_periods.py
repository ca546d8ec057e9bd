"""API of opening and archiving a 申报周期 and of starting its 台账 (the pages /materials/periods/new/,
…/close/ and …/ledger/start/), beside the materials router's reads, through the same
``services.create_period`` / ``close_period`` and ``ledger_requests.start_export`` and the pages' checks
(``may_run_materials``, ``runs_period``, ``may_export_ledger``); idempotent by ``client_id``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import ConfigDict

from chuangwen.accounts import capabilities
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
from chuangwen.core.bounds import ID_MAX, IdPath
from chuangwen.core.web import user_of
from chuangwen.materials import services
from chuangwen.materials.api import PeriodOut, _period_out, router
from chuangwen.materials.forms import standards_with_tree
from chuangwen.materials.ledger_requests import LedgerBusy, may_export_ledger, start_export
from chuangwen.materials.machine import Refused
from chuangwen.materials.models import ExportState, LedgerExport, Period
from chuangwen.materials.views.common import runs_period

__all__ = ["router"]  # the operations join the materials router (``materials/api.py``)


class PeriodIn(Schema):
    model_config = ConfigDict(extra="forbid")
    client_id: ClientId
    name: str = Field(min_length=1, max_length=100, description="申报周期名称")
    standard_id: int = Field(ge=1, le=ID_MAX, description="测评体系版本 ID（须含指标体系）")
    reference_date: dt.date = Field(description="测评基准日（YYYY-MM-DD）")


class CloseIn(Schema):
    model_config = ConfigDict(extra="forbid")
    client_id: ClientId


class PeriodWriteOut(PeriodOut):
    duplicate: Duplicate


def _period(user: Any, period_id: int) -> Period:
    found = Period.objects.visible_to(user).select_related("owner_unit").filter(pk=period_id).first()
    if found is None:
        raise not_found(_("没有找到该申报周期"))
    return found


@router.post(
    "/periods",
    response={201: PeriodWriteOut, 200: PeriodWriteOut, **WRITE_ERRORS},
    summary="新建申报周期（文明办协调员；所用测评体系版本随即冻结；按 client_id 幂等）",
)
def create_period(request: HttpRequest, data: PeriodIn) -> Any:
    user = user_of(request)
    if not capabilities.may_run_materials(user) or user.unit is None:
        raise forbidden(_("只有文明办协调员可以新建申报周期。"))
    standard = standards_with_tree().filter(pk=data.standard_id).first()
    if standard is None:
        raise refuse(404, "not_found", _("没有找到含指标体系的该测评体系版本"), "standard_id")
    unit = user.unit

    def apply() -> str:
        try:
            period = services.create_period(
                name=data.name, standard=standard, owner_unit=unit, reference_date=data.reference_date,
                actor=user,
            )  # fmt: skip
        except services.MaterialInvalid as exc:
            field, message = next(iter(exc.errors.items()))
            raise refuse(400, "invalid", str(message), field) from None
        return str(period.pk)

    period_id, duplicate = once(user.pk, data.client_id, "materials.period_create", apply)
    body = {**_period_out(_period(user, int(period_id))), "duplicate": duplicate}
    return (200 if duplicate else 201), body


@router.post(
    "/periods/{period_id}/close",
    response={200: PeriodWriteOut, **WRITE_ERRORS},
    summary="归档申报周期（此后其材料、审核和任务不再变化；按 client_id 幂等）",
)
def close_period(request: HttpRequest, period_id: IdPath, data: CloseIn) -> dict[str, Any]:
    user = user_of(request)
    if not capabilities.may_see_materials(user):
        raise forbidden(_("您的角色不使用网上申报。"))
    period = _period(user, period_id)
    if not runs_period(user, period):
        raise forbidden(_("只有组织本申报周期的文明办协调员可以执行此操作。"))

    def apply() -> str:
        try:
            services.close_period(period, actor=user)
        except Refused as exc:
            raise refuse(409, "state", str(exc)) from None
        return str(period.pk)

    _id, duplicate = once(user.pk, data.client_id, "materials.period_close", apply)
    return {**_period_out(_period(user, period_id)), "duplicate": duplicate}


class LedgerOut(Schema):
    id: int = Field(description="台账导出 ID")
    period_id: int = Field(description="申报周期 ID")
    state: str = Field(description="queued 排队中、running 生成中、done 已完成、failed 失败")
    done: int = Field(description="已处理文件数")
    total: int = Field(description="文件总数")
    size: int = Field(description="归档大小（字节）")
    error: str = Field(description="失败原因")
    download_url: str | None = Field(description="完成后的下载页面地址（网页登录下载）")


class LedgerWriteOut(LedgerOut):
    duplicate: Duplicate


def _ledger_out(export: LedgerExport) -> dict[str, Any]:
    done = export.state == ExportState.DONE
    url = reverse("materials:ledger_download", args=[export.pk]) if done else None
    fields = ("id", "period_id", "state", "done", "total", "size", "error")
    return {**{name: getattr(export, name) for name in fields}, "download_url": url}


def _ledger_period(request: HttpRequest, period_id: int) -> tuple[Any, Period]:
    user = user_of(request)
    period = _period(user, period_id)
    if not may_export_ledger(user, period):
        raise forbidden(_("只有组织本申报周期的文明办可以导出台账。"))
    return user, period


@router.post(
    "/periods/{period_id}/ledger",
    response={202: LedgerWriteOut, 200: LedgerWriteOut, **WRITE_ERRORS},
    summary="开始生成台账（同一周期一次一份；按 client_id 幂等）",
)
def start_ledger(request: HttpRequest, period_id: IdPath, data: CloseIn) -> Any:
    user, period = _ledger_period(request, period_id)

    def apply() -> str:
        try:
            return str(start_export(period, user).pk)
        except LedgerBusy as exc:
            raise refuse(409, "busy", str(exc)) from None

    export_id, duplicate = once(user.pk, data.client_id, "materials.ledger_start", apply)
    export = LedgerExport.objects.get(pk=int(export_id))
    return (200 if duplicate else 202), {**_ledger_out(export), "duplicate": duplicate}


@router.get(
    "/ledger/{export_id}",
    response={200: LedgerOut, **READ_ERRORS},
    summary="台账生成进度",
)
def ledger_status(request: HttpRequest, export_id: IdPath) -> dict[str, Any]:
    export = LedgerExport.objects.filter(pk=export_id).first()
    if export is None:
        raise not_found(_("没有找到该台账导出"))
    _ledger_period(request, export.period_id)  # the period's rule: 404 before 403
    return _ledger_out(export)
