"""API of the inbox: the caller's own notifications, and marking them read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from chuangwen.core.api_errors import ApiError, ErrorOut
from chuangwen.core.bounds import OFFSET_MAX, IdPath
from chuangwen.core.web import user_of
from chuangwen.notify import services
from chuangwen.notify.models import Notification

router = Router(tags=["消息"])

PAGE_SIZE = 50


class NotificationOut(Schema):
    id: int = Field(description="消息 ID")
    subject: str = Field(description="标题")
    body: str = Field(description="内容")
    link: str = Field(description="站内链接（相对地址，可为空）")
    kind: str = Field(description="类别，例如 case.escalation")
    created_at: datetime = Field(description="时间")
    read_at: datetime | None = Field(description="阅读时间（未读为空）")
    unread: bool = Field(description="是否未读")


class NotificationPage(Schema):
    count: int = Field(description="符合条件的消息总数")
    unread: int = Field(description="调用者的未读消息总数")
    limit: int = Field(description="本页最多条数")
    offset: int = Field(description="本页起始位置")
    items: list[NotificationOut] = Field(description="本页消息（未读在前，新的在前）")


class InboxFilters(Schema):
    unread: bool | None = Field(None, description="true 只看未读，false 只看已读")
    limit: int = Field(PAGE_SIZE, ge=1, le=PAGE_SIZE, description="每页条数（1–50）")
    offset: int = Field(0, ge=0, le=OFFSET_MAX, description="跳过的条数（0–10 000 000）")


class ReadAllOut(Schema):
    marked: int = Field(description="本次标为已读的条数")


def notification_out(n: Notification) -> dict[str, Any]:
    return {
        "id": n.pk, "subject": n.subject, "body": n.body, "link": n.link, "kind": n.kind,
        "created_at": n.created_at, "read_at": n.read_at, "unread": n.read_at is None,
    }  # fmt: skip


def _not_found() -> ApiError:
    return ApiError(404, "not_found", _("消息不存在"))


@router.get("", response=NotificationPage, summary="我的消息（未读在前，可只看未读，分页）")
def list_notifications(request: HttpRequest, filters: Query[InboxFilters]) -> dict[str, Any]:
    user = user_of(request)
    notifications = Notification.objects.visible_to(user)
    if filters.unread is True:
        notifications = notifications.unread()
    elif filters.unread is False:
        notifications = notifications.read()
    page = notifications.inbox_order()[filters.offset : filters.offset + filters.limit]
    return {
        "count": notifications.count(),
        "unread": services.unread_count(user),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [notification_out(n) for n in page],
    }


@router.post("/read-all", response=ReadAllOut, summary="全部标为已读")
def read_all(request: HttpRequest) -> dict[str, Any]:
    return {"marked": services.mark_all_read(user_of(request))}


@router.post(
    "/{notification_id}/read",
    response={200: NotificationOut, 404: ErrorOut},
    summary="标为已读（他人的消息返回 404）",
)
def read(request: HttpRequest, notification_id: IdPath) -> Any:
    notification = Notification.objects.visible_to(user_of(request)).filter(pk=notification_id).first()
    if notification is None:
        raise _not_found()
    services.mark_read(notification)
    return notification_out(notification)
