"""API of the Open311 integrations and their keys (docs/open311.md, "Keys"): what the admin's Open311 接入方
does — list, add an integration (its key is answered once), issue a new key, revoke — through
``open311.services``, which audit every issue and revocation; idempotent by ``client_id``. System
administrators only, as the admin."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from pydantic import ConfigDict

from chuangwen.accounts.models import Role
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
from chuangwen.core.web import user_of
from chuangwen.open311 import services
from chuangwen.open311.models import Integration

router = Router(tags=["Open311 接入方"])


class IntegrationOut(Schema):
    id: int = Field(description="接入方 ID")
    name: str = Field(description="名称")
    organisation: str = Field(description="所属单位")
    key_prefix: str = Field(description="密钥前缀（用于辨认，不是密钥）")
    active: bool = Field(description="密钥是否可用")
    created_at: datetime = Field(description="签发时间")
    last_used_at: datetime | None = Field(description="最近使用")
    revoked_at: datetime | None = Field(description="吊销时间")


class KeyOut(IntegrationOut):
    api_key: str | None = Field(description="接入密钥，只在签发时返回一次；重发同一 client_id 时为空")
    duplicate: Duplicate


class RevokedOut(IntegrationOut):
    changed: bool = Field(description="true 本次吊销；false 此前已吊销")
    duplicate: Duplicate


class IntegrationIn(Schema):
    model_config = ConfigDict(extra="forbid")
    client_id: ClientId
    name: str = Field(min_length=1, max_length=100, description="名称（唯一），如 区12345平台")
    organisation: str = Field(min_length=1, max_length=200, description="所属单位")


class ActionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    client_id: ClientId


def integration_out(integration: Integration) -> dict[str, Any]:
    return {
        "id": integration.pk, "name": integration.name, "organisation": integration.organisation,
        "key_prefix": integration.key_prefix, "active": integration.usable,
        "created_at": integration.created_at, "last_used_at": integration.last_used_at,
        "revoked_at": integration.revoked_at,
    }  # fmt: skip


def administrator(request: HttpRequest) -> Any:
    user = user_of(request)
    if not (user.is_active and (user.role == Role.ADMIN or user.is_superuser)):
        raise forbidden(_("只有系统管理员可以管理 Open311 接入方"))
    return user


def integration_of(integration_id: int) -> Integration:
    integration = Integration.objects.filter(pk=integration_id).first()
    if integration is None:
        raise not_found(_("没有找到该接入方"))
    return integration


@router.get(
    "/integrations", response={200: list[IntegrationOut], **READ_ERRORS}, summary="Open311 接入方列表"
)
def list_integrations(request: HttpRequest) -> list[dict[str, Any]]:
    administrator(request)
    return [integration_out(i) for i in Integration.objects.order_by("name")]


@router.post(
    "/integrations",
    response={201: KeyOut, 200: KeyOut, **WRITE_ERRORS},
    summary="新增接入方并签发密钥（密钥只返回一次；按 client_id 幂等）",
)
def create_integration(request: HttpRequest, data: IntegrationIn) -> Any:
    user = administrator(request)
    issued: dict[str, str] = {}

    def apply() -> str:
        if Integration.objects.filter(name=data.name).exists():
            raise refuse(409, "conflict", _("名称“%(name)s”已被使用") % {"name": data.name}, "name")
        integration = Integration(name=data.name, organisation=data.organisation, created_by=user)
        issued["key"] = services.issue_key(integration, request=request)
        return str(integration.pk)

    integration_id, duplicate = once(user.pk, data.client_id, "open311.integration_create", apply)
    body = {**integration_out(integration_of(int(integration_id))), "api_key": issued.get("key")}
    return (200 if duplicate else 201), {**body, "duplicate": duplicate}


@router.post(
    "/integrations/{integration_id}/keys",
    response={200: KeyOut, **WRITE_ERRORS},
    summary="签发新密钥（旧密钥立即失效，吊销解除；按 client_id 幂等）",
)
def issue_key(request: HttpRequest, integration_id: IdPath, data: ActionIn) -> dict[str, Any]:
    user = administrator(request)
    integration = integration_of(integration_id)
    issued: dict[str, str] = {}

    def apply() -> str:
        issued["key"] = services.issue_key(integration, request=request)
        return str(integration.pk)

    _id, duplicate = once(user.pk, data.client_id, "open311.key_issue", apply)
    integration.refresh_from_db()
    return {**integration_out(integration), "api_key": issued.get("key"), "duplicate": duplicate}


@router.post(
    "/integrations/{integration_id}/revoke",
    response={200: RevokedOut, **WRITE_ERRORS},
    summary="吊销接入方的密钥（按 client_id 幂等）",
)
def revoke_key(request: HttpRequest, integration_id: IdPath, data: ActionIn) -> dict[str, Any]:
    user = administrator(request)
    integration = integration_of(integration_id)
    changed: list[bool] = []

    def apply() -> str:
        changed.append(services.revoke_key(integration, request=request))
        return str(integration.pk)

    _id, duplicate = once(user.pk, data.client_id, "open311.key_revoke", apply)
    integration.refresh_from_db()
    return {**integration_out(integration), "changed": bool(changed and changed[0]), "duplicate": duplicate}
