"""The units a bulletin went to: read receipts, rectification reports (整改报告) and the office's review."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Schema

from chuangwen.accounts.models import User
from chuangwen.bulletins import services
from chuangwen.bulletins.api.common import (
    ERRORS,
    WRITE_ERRORS,
    UnitRef,
    bulletin_of,
    forbidden,
    member,
    person,
    refused,
    router,
    unit_ref,
)
from chuangwen.bulletins.models import Bulletin, Recipient
from chuangwen.core.api_errors import ApiError
from chuangwen.core.bounds import Id, IdPath


class RecipientOut(Schema):
    unit: UnitRef = Field(description="送达单位")
    reasons: list[str] = Field(
        description="送达原因：listed 排名单位 | black 列入黑榜 | deadline 有限期整改问题 | "
        "talk 被约谈或通报批评 | named 通报涉及"
    )
    reason_labels: list[str] = Field(description="送达原因名称")
    read_at: datetime | None = Field(description="首次阅读时间（未读为空）")
    read_by: str = Field(description="阅读人")
    reply_state: str = Field(
        description="not_required 无需回复 | awaiting 待报整改报告 | replied 已报待审 | "
        "accepted 已认可 | returned 退回重报"
    )
    reply_state_label: str = Field(description="整改报告状态名称")
    reply_due: datetime | None = Field(description="整改报告截止")
    reply_text: str = Field(description="整改报告")
    replied_at: datetime | None = Field(description="报送时间")
    replied_by: str = Field(description="报送人")
    photo_ids: list[int] = Field(description="整改照片（证据 ID）")
    review_note: str = Field(description="审核意见")
    reviewed_at: datetime | None = Field(description="审核时间")


class ReplyIn(Schema):
    text: str = Field(max_length=services.MAX_REPLY_CHARS, description="整改报告")
    photo_ids: list[Id] = Field(
        [],
        max_length=services.MAX_REPLY_PHOTOS,
        description="整改照片：本人经 /api/v1/evidence 上传的证据 ID",
    )


class ReviewIn(Schema):
    accept: bool = Field(description="true 认可 | false 退回重报")
    note: str = Field("", max_length=500, description="审核意见（退回时必填）")


def recipient_out(r: Recipient) -> dict[str, Any]:
    return {
        "unit": unit_ref(r.unit),
        "reasons": list(r.reasons),
        "reason_labels": services.reason_labels(r.reasons),
        "read_at": r.read_at,
        "read_by": person(r.read_by),
        "reply_state": r.reply_state,
        "reply_state_label": r.get_reply_state_display(),
        "reply_due": r.reply_due,
        "reply_text": r.reply_text,
        "replied_at": r.replied_at,
        "replied_by": person(r.replied_by),
        "photo_ids": sorted(p.pk for p in r.reply_photos.all()),
        "review_note": r.review_note,
        "reviewed_at": r.reviewed_at,
    }


def _visible(user: User, bulletin: Bulletin) -> Any:
    return (
        Recipient.objects.visible_to(user)
        .filter(bulletin=bulletin)
        .select_related("unit", "read_by", "replied_by")
        .prefetch_related("reply_photos")
    )


def _own(user: User, bulletin: Bulletin) -> Recipient:
    mine = services.recipient_for(bulletin, user)
    if mine is None:
        raise forbidden(_("您的单位不是该通报的送达单位"))
    return mine


@router.get(
    "/{bulletin_id}/recipients",
    response={200: list[RecipientOut], **ERRORS},
    summary="送达单位：阅读回执与整改报告（发文单位看全部，其他单位只看本单位及下属）",
)
def list_recipients(request: HttpRequest, bulletin_id: IdPath) -> list[dict[str, Any]]:
    user = member(request)
    bulletin = bulletin_of(user, bulletin_id)
    return [recipient_out(r) for r in _visible(user, bulletin)]


@router.post(
    "/{bulletin_id}/read",
    response={200: RecipientOut, **WRITE_ERRORS},
    summary="阅读回执（本单位首次阅读时记录；再次调用不改变）",
)
def mark_read(request: HttpRequest, bulletin_id: IdPath) -> dict[str, Any]:
    user = member(request)
    bulletin = bulletin_of(user, bulletin_id)
    _own(user, bulletin)
    mine = services.mark_read(bulletin, user)
    assert mine is not None
    return recipient_out(_visible(user, bulletin).get(pk=mine.pk))


@router.post(
    "/{bulletin_id}/reply",
    response={200: RecipientOut, **WRITE_ERRORS},
    summary="报送整改报告（被通报单位的经办人或负责人；可附本人上传的整改照片）",
)
def reply(request: HttpRequest, bulletin_id: IdPath, body: ReplyIn) -> dict[str, Any]:
    user = member(request)
    bulletin = bulletin_of(user, bulletin_id)
    mine = _own(user, bulletin)
    try:
        services.reply(mine, user, body.text, list(body.photo_ids))
    except services.Refused as exc:
        raise refused(exc) from None
    return recipient_out(_visible(user, bulletin).get(pk=mine.pk))


@router.post(
    "/{bulletin_id}/recipients/{unit_id}/review",
    response={200: RecipientOut, **WRITE_ERRORS},
    summary="审核整改报告：认可，或写明意见退回重报（发文单位文明办协调员）",
)
def review(request: HttpRequest, bulletin_id: IdPath, unit_id: IdPath, body: ReviewIn) -> dict[str, Any]:
    user = member(request)
    bulletin = bulletin_of(user, bulletin_id)
    recipient = _visible(user, bulletin).filter(unit_id=unit_id).first()
    if recipient is None:
        raise ApiError(404, "not_found", _("该单位不是这份通报的送达单位"))
    try:
        services.review_reply(recipient, user, body.accept, body.note)
    except services.Refused as exc:
        raise refused(exc) from None
    return recipient_out(_visible(user, bulletin).get(pk=recipient.pk))
