"""API of two page actions of a bulletin the bulletin API lacked (docs/bulletins.md, "API"): refreshing a
draft's numbers (``services.refresh``) and the 曝光台's publish and withdraw (``exposure.publish`` /
``withdraw``), with the pages' checks; idempotent by ``client_id`` (``core/api_writes.py``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.security import SessionAuth
from pydantic import ConfigDict

from chuangwen.accounts.token_auth import TokenAuth
from chuangwen.bulletins import exposure, services
from chuangwen.bulletins.api.bulletins import BulletinDetailOut, detail_out
from chuangwen.bulletins.api.common import bulletin_of, member, not_found, refused, require_office_of
from chuangwen.bulletins.exposure import MAX_REASON_CHARS, MAX_SUMMARY_CHARS
from chuangwen.core.api_writes import WRITE_ERRORS, ClientId, Duplicate, once
from chuangwen.core.bounds import ID_MAX, IdPath

router = Router(tags=["通报"], auth=[TokenAuth(), SessionAuth()])


class BulletinWriteOut(BulletinDetailOut):
    duplicate: Duplicate


class RefreshIn(Schema):
    model_config = ConfigDict(extra="forbid")
    client_id: ClientId
    version: int = Field(ge=1, le=ID_MAX, description="当前版本号（防止覆盖他人修改）")


class PublishIn(Schema):
    model_config = ConfigDict(extra="forbid")
    client_id: ClientId
    summary: str = Field(min_length=1, max_length=MAX_SUMMARY_CHARS, description="曝光台摘要")


class WithdrawIn(Schema):
    model_config = ConfigDict(extra="forbid")
    client_id: ClientId
    reason: str = Field(min_length=1, max_length=MAX_REASON_CHARS, description="撤下原因")


def _written(
    request: HttpRequest, bulletin_id: int, client_id: Any, operation: str, act: Any
) -> dict[str, Any]:
    user = member(request)
    bulletin = bulletin_of(user, bulletin_id)

    def apply() -> str:
        try:
            act(bulletin, user)
        except services.Refused as exc:
            raise refused(exc) from None
        return str(bulletin.pk)

    _id, duplicate = once(user.pk, client_id, operation, apply)
    return {**detail_out(bulletin_of(user, bulletin_id), user), "duplicate": duplicate}


@router.post(
    "/{bulletin_id}/refresh",
    response={200: BulletinWriteOut, **WRITE_ERRORS},
    summary="按最新数据刷新草稿（发文单位文明办；须回传版本号；按 client_id 幂等）",
)
def refresh(request: HttpRequest, bulletin_id: IdPath, body: RefreshIn) -> dict[str, Any]:
    def act(bulletin: Any, user: Any) -> None:
        require_office_of(user, bulletin)
        services.refresh(bulletin, user, version=body.version)

    return _written(request, bulletin_id, body.client_id, "bulletins.refresh", act)


def _manager(bulletin: Any, user: Any) -> None:
    if not exposure.may_manage(user, bulletin):
        raise not_found()  # as the page: a bulletin one does not manage on the 曝光台 is not found


@router.post(
    "/{bulletin_id}/exposure",
    response={200: BulletinWriteOut, **WRITE_ERRORS},
    summary="在曝光台发布已印发的通报（再次发布替换摘要；按 client_id 幂等）",
)
def publish(request: HttpRequest, bulletin_id: IdPath, body: PublishIn) -> dict[str, Any]:
    def act(bulletin: Any, user: Any) -> None:
        _manager(bulletin, user)
        exposure.publish(bulletin, user, body.summary)

    return _written(request, bulletin_id, body.client_id, "bulletins.exposure_publish", act)


@router.post(
    "/{bulletin_id}/exposure/withdraw",
    response={200: BulletinWriteOut, **WRITE_ERRORS},
    summary="从曝光台撤下通报（按 client_id 幂等）",
)
def withdraw(request: HttpRequest, bulletin_id: IdPath, body: WithdrawIn) -> dict[str, Any]:
    def act(bulletin: Any, user: Any) -> None:
        _manager(bulletin, user)
        exposure.withdraw(bulletin, user, body.reason)

    return _written(request, bulletin_id, body.client_id, "bulletins.exposure_withdraw", act)
