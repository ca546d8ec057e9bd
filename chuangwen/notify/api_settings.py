"""API of the notice settings (docs/notifications.md, "API: settings"): a unit's choice per kind of notice
(the page 通知方式, through ``notify.preferences``) and the units' outgoing channels (the admin's 推送通道,
through ``notify.channels``), scoped like the pages; writes idempotent by ``client_id``."""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

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
from chuangwen.notify import channels, preferences, services
from chuangwen.notify.models import Channel, ChannelKind, NoticeKind

router = Router(tags=["消息"])

Mode = Literal["instant", "digest"]
ChannelKindIn = Literal["email", "dingtalk", "wecom"]


class ModesIn(Schema):
    """One mode per kind of notice (those not sent keep their mode)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    case_dispatch: Mode | None = Field(None, alias="case.dispatch", description="新案卷派到本单位")
    case_rectified: Mode | None = Field(None, alias="case.rectified", description="整改完成待核查")
    round_visits_in: Mode | None = Field(None, alias="round.visits_in", description="测评批次的点位全部提交")


class PreferencesIn(Schema):
    model_config = ConfigDict(extra="forbid")
    client_id: ClientId
    unit_id: int | None = Field(None, ge=1, le=ID_MAX, description="单位 ID（协调员可选管辖范围内的单位）")
    modes: ModesIn = Field(description="通知方式：instant 即时通知；digest 并入每日汇总")


class PreferencesOut(Schema):
    unit_id: int = Field(description="单位 ID")
    modes: dict[str, str] = Field(description="每类通知的方式（instant 或 digest）")
    duplicate: bool = Field(False, description="true：同一 client_id 已执行过，本次未再执行")


class UnitQuery(Schema):
    unit_id: int | None = Field(None, ge=1, le=ID_MAX, description="单位 ID（默认调用者所在单位）")


class ChannelOut(Schema):
    id: int = Field(description="通道 ID")
    unit_id: int = Field(description="单位 ID")
    name: str = Field(description="名称")
    kind: str = Field(description="类型：email、dingtalk、wecom")
    has_secret: bool = Field(description="是否设置了加签密钥（密钥从不返回）")
    target_hint: str = Field(
        description="接收地址：电子邮件地址；群机器人只返回 Webhook 的主机名（地址含令牌）"
    )
    active: bool = Field(description="是否启用")


class ChannelWriteOut(ChannelOut):
    duplicate: Duplicate


class ChannelCreateIn(Schema):
    model_config = ConfigDict(extra="forbid")
    client_id: ClientId
    unit_id: int = Field(ge=1, le=ID_MAX, description="单位 ID（管辖范围内）")
    name: str = Field(min_length=1, max_length=100, description="名称")
    kind: ChannelKindIn = Field(description="类型")
    target: str = Field(min_length=1, max_length=1000, description="电子邮件地址（逗号分隔）或 Webhook 地址")
    secret: str = Field("", max_length=200, description="钉钉加签密钥")
    active: bool = Field(True, description="是否启用")


class ChannelChangeIn(Schema):
    model_config = ConfigDict(extra="forbid")
    client_id: ClientId
    name: str | None = Field(None, min_length=1, max_length=100, description="名称")
    target: str | None = Field(None, min_length=1, max_length=1000, description="接收地址")
    secret: str | None = Field(None, max_length=200, description="钉钉加签密钥（空字符串清除）")
    active: bool | None = Field(None, description="false 停用；true 启用")


def _preference_unit(request: HttpRequest, unit_id: int | None) -> Any:
    user = user_of(request)
    try:
        unit = preferences.preference_unit(user, unit_id)
    except preferences.NotAllowed as exc:
        raise forbidden(str(exc)) from None
    if unit is None or (unit_id is not None and unit.pk != unit_id):
        raise not_found(_("没有找到该单位"))
    return user, unit


@router.get("/preferences", response={200: PreferencesOut, **READ_ERRORS}, summary="单位的通知方式")
def get_preferences(request: HttpRequest, query: Query[UnitQuery]) -> dict[str, Any]:
    _user, unit = _preference_unit(request, query.unit_id)
    return {"unit_id": unit.pk, "modes": preferences.unit_modes(unit)}


@router.put(
    "/preferences",
    response={200: PreferencesOut, **WRITE_ERRORS},
    summary="设置单位的通知方式（单位负责人：本单位；协调员：管辖范围内；按 client_id 幂等）",
)
def set_preferences(request: HttpRequest, data: PreferencesIn) -> dict[str, Any]:
    user, unit = _preference_unit(request, data.unit_id)
    chosen = preferences.unit_modes(unit)
    sent = data.modes.model_dump(by_alias=True, exclude_none=True)
    chosen.update({kind: mode for kind, mode in sent.items() if kind in NoticeKind.values})

    def apply() -> str:
        preferences.save_unit_modes(unit, chosen, user=user, request=request)
        return str(unit.pk)

    _id, duplicate = once(user.pk, data.client_id, "notify.preferences", apply)
    return {"unit_id": unit.pk, "modes": preferences.unit_modes(unit), "duplicate": duplicate}


def channel_out(channel: Channel) -> dict[str, Any]:
    return {
        "id": channel.pk, "unit_id": channel.unit_id, "name": channel.name, "kind": channel.kind,
        "has_secret": bool(channel.secret), "target_hint": _target_hint(channel), "active": channel.active,
    }  # fmt: skip


def _target_hint(channel: Channel) -> str:
    if channel.kind == ChannelKind.EMAIL:
        return channel.target
    return urlsplit(channel.target).hostname or ""


def editor(request: HttpRequest) -> Any:
    user = user_of(request)
    if not channels.may_edit(user) or user.unit_id is None:
        raise forbidden(_("只有文明办协调员和系统管理员可以维护推送通道"))
    return user


def _saved(channel: Channel, changes: dict[str, Any], request: HttpRequest, action: str) -> str:
    try:
        channels.save_channel(channel, changes, request=request, action=action)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise refuse(400, "invalid", "；".join(messages), "unit_id" if field == "unit" else field) from None
    return str(channel.pk)


@router.get("/channels", response={200: list[ChannelOut], **READ_ERRORS}, summary="推送通道（管辖范围内）")
def list_channels(request: HttpRequest) -> list[dict[str, Any]]:
    user = editor(request)
    return [channel_out(c) for c in channels.visible_channels(user).order_by("unit__path", "name")]


@router.post(
    "/channels",
    response={201: ChannelWriteOut, 200: ChannelWriteOut, **WRITE_ERRORS},
    summary="新建推送通道（按 client_id 幂等）",
)
def create_channel(request: HttpRequest, data: ChannelCreateIn) -> Any:
    from chuangwen.org.models import Unit

    user = editor(request)
    unit = Unit.objects.visible_to(user).filter(pk=data.unit_id).first()
    if unit is None:
        raise refuse(403, "forbidden", _("单位不在您的管辖范围内"), "unit_id")
    fields = data.model_dump(exclude={"client_id", "unit_id"})

    def apply() -> str:
        return _saved(Channel(unit=unit), fields, request, "notify.channel.api_add")

    channel_id, duplicate = once(user.pk, data.client_id, "notify.channel_create", apply)
    channel = Channel.objects.get(pk=int(channel_id))
    return (200 if duplicate else 201), {**channel_out(channel), "duplicate": duplicate}


@router.patch(
    "/channels/{channel_id}",
    response={200: ChannelWriteOut, **WRITE_ERRORS},
    summary="修改、停用或启用推送通道（按 client_id 幂等）",
)
def change_channel(request: HttpRequest, channel_id: IdPath, data: ChannelChangeIn) -> dict[str, Any]:
    user = editor(request)
    channel = channels.visible_channels(user).filter(pk=channel_id).first()
    if channel is None:
        raise not_found(_("没有找到该推送通道"))
    changes = {
        name: value for name, value in data.model_dump(exclude={"client_id"}).items() if value is not None
    }

    def apply() -> str:
        return _saved(channel, changes, request, "notify.channel.api_change")

    _id, duplicate = once(user.pk, data.client_id, "notify.channel_change", apply)
    channel.refresh_from_db()
    return {**channel_out(channel), "duplicate": duplicate}


class SendTestIn(Schema):
    model_config = ConfigDict(extra="forbid")
    client_id: ClientId


class SendTestOut(Schema):
    delivery_id: int = Field(description="排队的测试推送 ID（结果见推送记录）")
    duplicate: Duplicate


@router.post(
    "/channels/{channel_id}/test",
    response={200: SendTestOut, **WRITE_ERRORS},
    summary="向推送通道发送测试消息（按 client_id 幂等）",
)
def send_test_message(request: HttpRequest, channel_id: IdPath, data: SendTestIn) -> dict[str, Any]:
    from chuangwen.audit.services import record

    user = editor(request)
    channel = channels.visible_channels(user).filter(pk=channel_id, active=True).first()
    if channel is None:
        raise not_found(_("没有找到该推送通道（或已停用）"))

    def apply() -> str:
        delivery = services.send_test(channel)
        record(request, "notify.channel.api_test", obj=channel, detail={"deliveries": [delivery.pk]})
        return str(delivery.pk)

    delivery_id, duplicate = once(user.pk, data.client_id, "notify.channel_test", apply)
    return {"delivery_id": int(delivery_id), "duplicate": duplicate}
