"""API of a wave's staff (docs/surveys.md, "API"): list, add (or change the role of) and remove the
interviewers and supervisors, as the wave page's staff form does, through ``surveys.staffing``; the office's
coordinators who run the wave; writes idempotent by ``client_id`` (``core/api_writes.py``)."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.security import SessionAuth
from pydantic import ConfigDict

from chuangwen.accounts.token_auth import TokenAuth
from chuangwen.core.api_writes import READ_ERRORS, WRITE_ERRORS, ClientId, once, refuse
from chuangwen.core.bounds import ID_MAX, IdPath
from chuangwen.surveys import staffing
from chuangwen.surveys.api.common import _run_wave, _runner
from chuangwen.surveys.models import Wave, WaveStaff
from chuangwen.surveys.services import Refused

router = Router(tags=["问卷调查"], auth=[TokenAuth(), SessionAuth()])


class StaffOut(Schema):
    user_id: int = Field(description="用户 ID")
    name: str = Field(description="姓名")
    unit_id: int | None = Field(description="所属单位 ID")
    role: str = Field(description="interviewer 调查员；supervisor 督导")


class StaffListOut(Schema):
    items: list[StaffOut] = Field(description="本轮调查人员")
    duplicate: bool = Field(False, description="true：同一 client_id 已执行过，本次未再执行")


class StaffIn(Schema):
    model_config = ConfigDict(extra="forbid")
    client_id: ClientId
    user_id: int = Field(ge=1, le=ID_MAX, description="人员的用户 ID（组织单位及其下级的工作人员）")
    role: Literal["interviewer", "supervisor"] = Field(description="职责")


class RemoveQuery(Schema):
    client_id: ClientId


def _staff(wave: Wave) -> list[dict[str, Any]]:
    rows = WaveStaff.objects.filter(wave=wave).select_related("user").order_by("user__username")
    return [
        {"user_id": row.user_id, "name": row.user.full_name or row.user.username, "unit_id": row.user.unit_id,
         "role": row.role}
        for row in rows
    ]  # fmt: skip


def _run(request: HttpRequest, wave_id: int) -> tuple[Any, Wave]:
    user = _runner(request)
    return user, _run_wave(user, wave_id)


@router.get("/waves/{wave_id}/staff", response={200: StaffListOut, **READ_ERRORS}, summary="本轮调查人员")
def list_staff(request: HttpRequest, wave_id: IdPath) -> dict[str, Any]:
    _user, wave = _run(request, wave_id)
    return {"items": _staff(wave)}


@router.post(
    "/waves/{wave_id}/staff",
    response={200: StaffListOut, **WRITE_ERRORS},
    summary="添加调查员或督导（已在则改职责；结果发布后不可添加；按 client_id 幂等）",
)
def add_staff(request: HttpRequest, wave_id: IdPath, data: StaffIn) -> dict[str, Any]:
    user, wave = _run(request, wave_id)
    person = staffing.candidates(wave).filter(pk=data.user_id).first()
    if person is None:
        raise refuse(400, "invalid", _("该人员不在本轮调查组织单位的工作人员中"), "user_id")

    def apply() -> str:
        try:
            staffing.add(wave, person, data.role, request=request)
        except Refused as exc:
            raise refuse(409, exc.code, exc.message) from None
        return str(person.pk)

    _id, duplicate = once(user.pk, data.client_id, "surveys.staff_add", apply)
    return {"items": _staff(wave), "duplicate": duplicate}


@router.delete(
    "/waves/{wave_id}/staff/{user_id}",
    response={200: StaffListOut, **WRITE_ERRORS},
    summary="移出调查员或督导（按 client_id 幂等）",
)
def remove_staff(request: HttpRequest, wave_id: IdPath, user_id: IdPath, query: Query[RemoveQuery]) -> Any:
    user, wave = _run(request, wave_id)
    person = staffing.on_staff(wave).filter(pk=user_id).first()
    if person is None:
        raise refuse(404, "not_found", _("该人员不是本轮调查的人员"))

    def apply() -> str:
        try:
            staffing.remove(wave, person, request=request)
        except Refused as exc:
            raise refuse(409, exc.code, exc.message) from None
        return str(person.pk)

    _id, duplicate = once(user.pk, query.client_id, "surveys.staff_remove", apply)
    return {"items": _staff(wave), "duplicate": duplicate}
