"""API of managing people (docs/security.md, "API: managing users and tokens"): list, create and edit users
of the caller's subtree, reset their second factor, unlock them — what the admin's user pages and actions do,
through ``accounts.people``; idempotent by ``client_id`` (``core/api_writes.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from chuangwen.accounts import people
from chuangwen.accounts.models import User
from chuangwen.core.api_errors import ApiError
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
from chuangwen.core.bounds import ID_MAX, OFFSET_MAX, IdPath
from chuangwen.core.web import user_of
from chuangwen.org.models import Unit

router = Router(tags=["用户与令牌"])

PAGE_SIZE = 100
RoleIn = Literal[
    "coordinator", "inspector", "verifier", "handler", "unit_head", "leader", "admin", "volunteer", "citizen"
]
STATUS_OF = {"invalid": 400, "forbidden": 403, "not_found": 404, "conflict": 409}


class PersonOut(Schema):
    id: int = Field(description="用户 ID")
    username: str = Field(description="用户名")
    full_name: str = Field(description="姓名")
    role: str = Field(description="角色")
    role_label: str = Field(description="角色（中文）")
    unit_id: int | None = Field(description="所属单位 ID")
    phone: str = Field(description="手机号")
    email: str = Field(description="电子邮箱")
    is_active: bool = Field(description="是否启用")
    totp_enabled: bool = Field(description="是否已启用动态口令")
    last_login: datetime | None = Field(description="最近登录")


class PersonWriteOut(PersonOut):
    duplicate: Duplicate


class PersonPage(Schema):
    count: int = Field(description="符合条件的用户总数")
    items: list[PersonOut] = Field(description="本页用户（按用户名）")


class PersonFilters(Schema):
    q: str | None = Field(None, max_length=100, description="用户名或姓名（模糊匹配）")
    role: RoleIn | None = Field(None, description="只列出该角色")
    unit_id: int | None = Field(None, ge=1, le=ID_MAX, description="只列出该单位（不含下级）的用户")
    active: bool | None = Field(None, description="是否启用")
    limit: int = Field(PAGE_SIZE, ge=1, le=PAGE_SIZE, description="每页条数（1–100）")
    offset: int = Field(0, ge=0, le=OFFSET_MAX, description="跳过的条数")


class PersonCreateIn(Schema):
    model_config = ConfigDict(extra="forbid")
    client_id: ClientId
    username: str = Field(min_length=1, max_length=150, pattern=r"^[\w.@+\-]+$", description="用户名")
    full_name: str = Field(min_length=1, max_length=50, description="姓名")
    role: RoleIn = Field(description="角色（不能高于调用者自己的角色）")
    unit_id: int = Field(ge=1, le=ID_MAX, description="所属单位 ID（须在调用者的管辖范围内）")
    password: str = Field(min_length=1, max_length=128, description="初始密码（须符合密码规则）")
    phone: str = Field("", max_length=20, pattern=r"^(1\d{10})?$", description="手机号（11 位）")
    email: str = Field("", max_length=254, description="电子邮箱")


class PersonChangeIn(Schema):
    """Only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid")
    client_id: ClientId
    full_name: str | None = Field(None, min_length=1, max_length=50, description="姓名")
    role: RoleIn | None = Field(None, description="角色（不能高于调用者自己的角色）")
    unit_id: int | None = Field(None, ge=1, le=ID_MAX, description="所属单位 ID")
    phone: str | None = Field(None, max_length=20, pattern=r"^(1\d{10})?$", description="手机号")
    email: str | None = Field(None, max_length=254, description="电子邮箱")
    is_active: bool | None = Field(None, description="false 停用；true 重新启用")


class ActionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    client_id: ClientId


class ActionOut(Schema):
    user: PersonOut = Field(description="操作后的用户")
    changed: int = Field(description="本次改变的数量（重置：1 或 0；解锁：清除的失败记录数）")
    duplicate: Duplicate


def person_out(user: User) -> dict[str, Any]:
    return {
        "id": user.pk, "username": user.username, "full_name": user.full_name, "role": user.role,
        "role_label": str(user.get_role_display()), "unit_id": user.unit_id, "phone": user.phone,
        "email": user.email, "is_active": user.is_active, "totp_enabled": user.totp_enabled,
        "last_login": user.last_login,
    }  # fmt: skip


def manager(request: HttpRequest) -> User:
    user = user_of(request)
    if not people.may_manage_people(user):
        raise forbidden(_("只有系统管理员可以管理用户"))
    return user


def refused(exc: people.Refused) -> ApiError:
    if exc.code == "not_found":
        return not_found(exc.message)
    return refuse(STATUS_OF.get(exc.code, 400), exc.code, exc.message, exc.field)


def target_of(actor: User, user_id: int) -> User:
    target = User.objects.visible_to(actor).select_related("unit").filter(pk=user_id).first()
    if target is None:
        raise not_found(_("没有找到该用户"))
    return target


def unit_of(actor: User, unit_id: int) -> Unit:
    unit = Unit.objects.visible_to(actor).filter(pk=unit_id).first()
    if unit is None:
        raise refuse(403, "forbidden", _("单位不在您的管辖范围内"), "unit_id")
    return unit


@router.get("/users", response={200: PersonPage, **READ_ERRORS}, summary="用户列表（调用者管辖范围内）")
def list_people(request: HttpRequest, filters: Query[PersonFilters]) -> dict[str, Any]:
    actor = manager(request)
    found = User.objects.visible_to(actor).order_by("username")
    if filters.q:
        found = found.filter(Q(username__icontains=filters.q) | Q(full_name__icontains=filters.q))
    if filters.role:
        found = found.filter(role=filters.role)
    if filters.unit_id:
        found = found.filter(unit_id=filters.unit_id)
    if filters.active is not None:
        found = found.filter(is_active=filters.active)
    page = found[filters.offset : filters.offset + filters.limit]
    return {"count": found.count(), "items": [person_out(user) for user in page]}


@router.get("/users/{user_id}", response={200: PersonOut, **READ_ERRORS}, summary="用户详情")
def get_person(request: HttpRequest, user_id: IdPath) -> dict[str, Any]:
    return person_out(target_of(manager(request), user_id))


@router.post(
    "/users",
    response={201: PersonWriteOut, 200: PersonWriteOut, **WRITE_ERRORS},
    summary="新建用户（角色不高于调用者；单位在管辖范围内；按 client_id 幂等）",
)
def create_person(request: HttpRequest, data: PersonCreateIn) -> Any:
    actor = manager(request)
    unit = unit_of(actor, data.unit_id)

    def apply() -> str:
        try:
            made = people.create_user(
                actor, username=data.username, full_name=data.full_name, role=data.role, unit=unit,
                password=data.password, phone=data.phone, email=data.email,
            )  # fmt: skip
        except people.Refused as exc:
            raise refused(exc) from None
        return str(made.pk)

    user_id, duplicate = once(actor.pk, data.client_id, "accounts.user_create", apply)
    return (200 if duplicate else 201), {
        **person_out(User.objects.get(pk=int(user_id))),
        "duplicate": duplicate,
    }


@router.patch(
    "/users/{user_id}",
    response={200: PersonWriteOut, **WRITE_ERRORS},
    summary="修改用户的姓名、角色、单位或启用状态（按 client_id 幂等）",
)
def change_person(request: HttpRequest, user_id: IdPath, data: PersonChangeIn) -> Any:
    actor = manager(request)
    target = target_of(actor, user_id)
    sent = data.model_fields_set - {"client_id"}
    changes = {
        name: getattr(data, name) for name in sent if name != "unit_id" and getattr(data, name) is not None
    }
    if "unit_id" in sent and data.unit_id is not None:
        changes["unit"] = unit_of(actor, data.unit_id)

    def apply() -> str:
        try:
            people.update_user(actor, target, changes)
        except people.Refused as exc:
            raise refused(exc) from None
        return str(target.pk)

    _id, duplicate = once(actor.pk, data.client_id, "accounts.user_change", apply)
    target.refresh_from_db()
    return 200, {**person_out(target), "duplicate": duplicate}


def _action(request: HttpRequest, user_id: int, client_id: Any, operation: str) -> dict[str, Any]:
    actor = manager(request)
    target = target_of(actor, user_id)
    changed = 0

    def apply() -> str:
        nonlocal changed
        try:
            if operation == "accounts.second_factor_reset":
                changed = int(people.reset_second_factor(actor, target, request=request))
            else:
                changed = people.unlock(actor, target, request=request)
        except people.Refused as exc:
            raise refused(exc) from None
        return str(target.pk)

    _id, duplicate = once(actor.pk, client_id, operation, apply)
    target.refresh_from_db()
    return {"user": person_out(target), "changed": changed, "duplicate": duplicate}


@router.post(
    "/users/{user_id}/second-factor-reset",
    response={200: ActionOut, **WRITE_ERRORS},
    summary="重置用户的动态口令（下次登录重新绑定；按 client_id 幂等）",
)
def reset_second_factor(request: HttpRequest, user_id: IdPath, data: ActionIn) -> dict[str, Any]:
    return _action(request, user_id, data.client_id, "accounts.second_factor_reset")


@router.post(
    "/users/{user_id}/unlock",
    response={200: ActionOut, **WRITE_ERRORS},
    summary="解除用户的登录锁定（按 client_id 幂等）",
)
def unlock(request: HttpRequest, user_id: IdPath, data: ActionIn) -> dict[str, Any]:
    return _action(request, user_id, data.client_id, "accounts.unlock")
