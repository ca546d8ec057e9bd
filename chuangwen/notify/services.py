"""Sending notifications: the inbox, per-person e-mail, a unit's channels, and retries with back-off.

``notify()`` and ``notify_unit()`` are what the rest of the system calls. They write rows only; the messages
leave after the caller's transaction commits, through the task queue (``tasks.send_delivery``), and every
failed one is tried again on the schedule in ``BACKOFF`` by the periodic ``retry_due()``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from chuangwen.notify.models import (
    OPEN_STATUSES,
    WEBHOOK_KINDS,
    Channel,
    ChannelKind,
    Delivery,
    DeliveryStatus,
    Notification,
    split_addresses,
)

if TYPE_CHECKING:
    from chuangwen.accounts.models import User
    from chuangwen.org.models import Unit

logger = logging.getLogger(__name__)

# Wait after the 1st, 2nd … failed attempt; a failure after the last wait gives up (six attempts in all).
BACKOFF: tuple[timedelta, ...] = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=2),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
# A worker holds a delivery this long while sending; one that dies mid-send frees it when this runs out.
LOCK_FOR = timedelta(minutes=5)
# WeCom refuses markdown content above 4096 bytes; DingTalk allows more but long text is unreadable in a chat.
WECOM_MAX_BYTES = 4096
DINGTALK_MAX_CHARS = 5000


class DeliveryError(Exception):
    """One failed attempt; the message is short, Chinese, and never contains a token or password."""


def validate_link(link: str) -> str:
    """A notification links inside the site only (the inbox redirects to it when marked read)."""
    link = (link or "").strip()
    if link and (not link.startswith("/") or link.startswith("//") or "\\" in link):
        raise ValueError(f"link must be a site-relative path, got {link!r}")
    return link


def absolute_url(link: str) -> str:
    """The site-relative ``link`` as an absolute URL on CHUANGWEN_BASE_URL (outgoing messages need one)."""
    if not link:
        return ""
    return settings.CHUANGWEN_BASE_URL.rstrip("/") + link


def redact_url(url: str) -> str:
    """The webhook URL for the record: query values (access tokens, keys) cut to four characters."""
    parts = urllib.parse.urlsplit(url)
    query = "&".join(
        f"{urllib.parse.quote(name)}={urllib.parse.quote(value[:4])}{'…' if len(value) > 4 else ''}"
        for name, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    )
    return urllib.parse.urlunsplit(parts._replace(query=query))


def _truncate_bytes(text: str, limit: int) -> str:
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode(errors="ignore") + "…"


def _link_line(link: str) -> str:
    url = absolute_url(link)
    return f"[{_('查看详情')}]({url})" if url else ""


def dingtalk_payload(subject: str, body: str, link: str) -> dict[str, Any]:
    """DingTalk custom robot, markdown message."""
    parts = [f"#### {subject}", body[:DINGTALK_MAX_CHARS], _link_line(link)]
    text = "\n\n".join(part for part in parts if part)
    return {"msgtype": "markdown", "markdown": {"title": subject, "text": text}}


def wecom_payload(subject: str, body: str, link: str) -> dict[str, Any]:
    """WeCom group robot, markdown message (at most 4096 bytes of content)."""
    tail = _link_line(link)
    head = f"**{subject}**"
    room = WECOM_MAX_BYTES - len(head.encode()) - len(tail.encode()) - 8
    parts = [head, _truncate_bytes(body, max(room, 0)), tail]
    return {"msgtype": "markdown", "markdown": {"content": "\n\n".join(part for part in parts if part)}}


def email_text(body: str, link: str) -> str:
    url = absolute_url(link)
    lines = [body]
    if url:
        lines.append(_("查看详情：%(url)s") % {"url": url})
    lines.append(_("—— 本邮件由创文平台自动发送，请勿直接回复。"))
    return "\n\n".join(line for line in lines if line)


def build_payload(kind: str, subject: str, body: str, link: str) -> dict[str, Any]:
    # Outgoing text is in the site's language, whatever language the request that caused it was in.
    with translation.override(settings.LANGUAGE_CODE):
        if kind == ChannelKind.DINGTALK:
            return dingtalk_payload(subject, body, link)
        if kind == ChannelKind.WECOM:
            return wecom_payload(subject, body, link)
    return {}


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int | None = None) -> str:
    """DingTalk's 加签: HMAC-SHA256 of "timestamp\\nsecret" keyed by the secret, base64, URL-encoded."""
    timestamp = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp}&sign={sign}"


def _queue(delivery_ids: list[int]) -> None:
    """Hand deliveries to the task queue; if the queue is down, the periodic retry picks them up later."""
    from chuangwen.notify.tasks import send_delivery

    for pk in delivery_ids:
        try:
            send_delivery(pk)
        except Exception:
            logger.exception("could not queue delivery %s", pk)


def _queue_on_commit(deliveries: list[Delivery]) -> None:
    if deliveries:
        transaction.on_commit(partial(_queue, [d.pk for d in deliveries]))


def notify(
    users: Iterable[User],
    *,
    subject: str,
    body: str,
    link: str = "",
    kind: str = "",
    key: str = "",
) -> list[Notification]:
    """One inbox notification per active user (a repeated ``key`` for the same user is skipped silently),
    and one e-mail delivery per such user who has an e-mail address, sent after the caller's transaction
    commits."""
    link = validate_link(link)
    subject = subject[:200]
    now = timezone.now()
    created: list[Notification] = []
    deliveries: list[Delivery] = []
    recipients: dict[int, User] = {}
    for user in users:
        if user.is_active:
            recipients.setdefault(user.pk, user)  # a repeated user is notified once
    # Those who already have this key, read in one query rather than one per person.
    notified: set[int] = set()
    if key:
        already = Notification.objects.filter(user__in=list(recipients), key=key)
        notified = set(already.values_list("user_id", flat=True))
    for user in recipients.values():
        if user.pk in notified:
            continue
        try:
            with transaction.atomic():
                notification = Notification.objects.create(
                    user=user, subject=subject, body=body, link=link, kind=kind, key=key, created_at=now
                )
        except IntegrityError:
            continue  # the same key written by a concurrent caller
        created.append(notification)
        if user.email:
            deliveries.append(
                Delivery.objects.create(
                    channel_kind=ChannelKind.EMAIL,
                    target=user.email,
                    notification=notification,
                    subject=subject,
                    body=body,
                    link=link,
                    key=key,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    _queue_on_commit(deliveries)
    return created


def _channel_delivery(
    channel: Channel,
    subject: str,
    body: str,
    link: str,
    key: str,
    attachments: list[dict[str, str]] | None = None,
) -> Delivery | None:
    """A new delivery over ``channel``, or None when ``key`` was already sent over it."""
    if key and Delivery.objects.filter(channel=channel, key=key).exists():
        return None
    now = timezone.now()
    # The record keeps the webhook URL without its token; sending reads the channel's current URL.
    target = redact_url(channel.target) if channel.kind in WEBHOOK_KINDS else channel.target
    try:
        with transaction.atomic():
            return Delivery.objects.create(
                channel_kind=channel.kind,
                target=target[:1000],
                channel=channel,
                subject=subject,
                body=body,
                link=link,
                payload=build_payload(channel.kind, subject, body, link),
                attachments=(attachments or []) if channel.kind == ChannelKind.EMAIL else [],
                key=key,
                next_attempt_at=now,
                created_at=now,
            )
    except IntegrityError:
        return None  # the same key written by a concurrent caller


def notify_unit(
    unit: Unit,
    *,
    subject: str,
    body: str,
    link: str = "",
    kind: str = "",
    key: str = "",
    attachments: list[dict[str, str]] | None = None,
) -> list[Delivery]:
    """One delivery per active channel of ``unit`` (a repeated ``key`` on the same channel is skipped), sent
    after the caller's transaction commits. ``kind`` is accepted for symmetry with ``notify()``;
    ``attachments`` (files in the default storage) go with e-mail channels only, the robots get
    the summary and the link."""
    link = validate_link(link)
    subject = subject[:200]
    created: list[Delivery] = []
    for channel in Channel.objects.filter(unit=unit, active=True).order_by("pk"):
        delivery = _channel_delivery(channel, subject, body, link, key, attachments)
        if delivery is not None:
            created.append(delivery)
    _queue_on_commit(created)
    return created


def send_test(channel: Channel) -> Delivery:
    """The admin's 发送测试消息: one message over ``channel`` to check its address, token and secret."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("创文平台测试消息")
        body = _("收到这条消息，说明推送通道「%(name)s」配置正确。") % {"name": channel.name}
    delivery = _channel_delivery(channel, subject, body, "/inbox/", "")
    assert delivery is not None  # no key, so never a duplicate
    _queue_on_commit([delivery])
    return delivery


# --- Sending ------------------------------------------------------------------------------------------------


def _timed_out(timeout: float) -> str:
    return _("超时（%(seconds)s 秒内无应答）") % {"seconds": f"{timeout:g}"}


def _post_json(url: str, payload: dict[str, Any]) -> None:
    """POST the payload; both robots answer {"errcode": 0, "errmsg": "ok"} when they took it."""
    timeout = float(settings.NOTIFY_HTTP_TIMEOUT)
    data = json.dumps(payload, ensure_ascii=False).encode()
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = response.status
            raw = response.read(65536)
    except urllib.error.HTTPError as exc:
        raise DeliveryError(_("对方返回 HTTP %(status)s") % {"status": exc.code}) from None
    except TimeoutError:
        raise DeliveryError(_timed_out(timeout)) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise DeliveryError(_timed_out(timeout)) from None
        raise DeliveryError(_("连接失败：%(reason)s") % {"reason": str(exc.reason)[:200]}) from None
    except OSError as exc:
        raise DeliveryError(_("连接失败：%(reason)s") % {"reason": str(exc)[:200]}) from None
    if not 200 <= status < 300:
        raise DeliveryError(_("对方返回 HTTP %(status)s") % {"status": status})
    try:
        answer = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise DeliveryError(_("对方的应答不是 JSON")) from None
    errcode = answer.get("errcode") if isinstance(answer, dict) else None
    if errcode != 0:
        errmsg = str(answer.get("errmsg", "")) if isinstance(answer, dict) else ""
        raise DeliveryError(
            _("对方拒收：errcode %(code)s %(message)s") % {"code": errcode, "message": errmsg[:200]}
        )


def _send_email(delivery: Delivery) -> None:
    addresses = split_addresses(delivery.target)
    if not addresses:
        raise DeliveryError(_("没有收件地址"))
    with translation.override(settings.LANGUAGE_CODE):
        text = email_text(delivery.body, delivery.link)
    message = EmailMessage(
        subject=delivery.subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=addresses,
        connection=get_connection(fail_silently=False),
    )
    for item in delivery.attachments or []:
        try:
            with default_storage.open(item["name"], "rb") as handle:
                message.attach(item["filename"], handle.read(), item.get("content_type") or None)
        except (OSError, KeyError) as exc:
            raise DeliveryError(_("附件读取失败：%(error)s") % {"error": type(exc).__name__}) from None
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # smtplib, socket and backend errors alike: one failed attempt
        raise DeliveryError(
            _("邮件发送失败：%(error)s") % {"error": f"{type(exc).__name__} {exc}"[:300]}
        ) from None


def _send(delivery: Delivery) -> None:
    """One attempt over the delivery's channel; raises DeliveryError on any failure."""
    channel = Channel.objects.filter(pk=delivery.channel_id).first() if delivery.channel_id else None
    if delivery.channel_kind == ChannelKind.EMAIL:
        if channel is not None:
            delivery.target = channel.target  # a corrected address list applies to retries
        _send_email(delivery)
        return
    # Webhooks: the record keeps a redacted URL, so the channel's current URL and secret are used.
    if channel is None:
        raise DeliveryError(_("推送通道已删除"))
    if not channel.active:
        raise DeliveryError(_("推送通道已停用"))
    if channel.kind != delivery.channel_kind:
        raise DeliveryError(_("推送通道的类型已改变"))
    url = channel.target
    if channel.kind == ChannelKind.DINGTALK and channel.secret:
        url = dingtalk_signed_url(url, channel.secret)
    payload = delivery.payload or build_payload(channel.kind, delivery.subject, delivery.body, delivery.link)
    _post_json(url, payload)


def _claim(delivery_id: int, now: datetime) -> datetime | None:
    """Take the sending lock with one conditional UPDATE; None if finished or held by another."""
    until = now + LOCK_FOR
    claimed = (
        Delivery.objects.filter(pk=delivery_id, status__in=OPEN_STATUSES)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
        .update(locked_until=until)
    )
    return until if claimed else None


def deliver(delivery: Delivery) -> bool:
    """One attempt to send ``delivery`` now. True when this call sent it. A delivery already sent, given up,
    or being sent by another worker is left alone (False). On failure the attempt is counted, the error kept
    and the next attempt scheduled per ``BACKOFF``, or the delivery is given up after the last one."""
    now = timezone.now()
    until = _claim(delivery.pk, now)
    delivery.refresh_from_db()
    if until is None:
        return False
    error = ""
    try:
        _send(delivery)
    except DeliveryError as exc:
        error = str(exc)
    except Exception as exc:  # a bug must not leave the delivery locked and unrecorded
        logger.exception("delivery %s failed unexpectedly", delivery.pk)
        error = _("内部错误：%(name)s") % {"name": type(exc).__name__}
    done = timezone.now()
    mine = Delivery.objects.filter(pk=delivery.pk, locked_until=until, status__in=OPEN_STATUSES)
    if not error:
        mine.update(
            status=DeliveryStatus.SENT,
            attempts=F("attempts") + 1,
            sent_at=done,
            next_attempt_at=None,
            locked_until=None,
        )
    else:
        attempts = delivery.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            status, next_at = DeliveryStatus.GAVE_UP, None
        else:
            status, next_at = DeliveryStatus.FAILED, done + BACKOFF[attempts - 1]
        mine.update(
            status=status,
            attempts=F("attempts") + 1,
            last_error=error[:500],
            next_attempt_at=next_at,
            locked_until=None,
        )
        logger.warning("delivery %s attempt %s failed: %s", delivery.pk, attempts, error)
    delivery.refresh_from_db()
    return not error


def due() -> Any:
    """Deliveries to attempt now: pending or failed, their time come, not being sent by a worker."""
    now = timezone.now()
    return (
        Delivery.objects.filter(status__in=OPEN_STATUSES, next_attempt_at__lte=now)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
        .order_by("next_attempt_at", "pk")
    )


def retry_due(limit: int = 500) -> int:
    """Attempt every pending or failed delivery whose next attempt is due (at most ``limit``, oldest first);
    returns how many were attempted."""
    attempted = 0
    for delivery in due()[:limit]:
        before = delivery.attempts
        deliver(delivery)
        if delivery.attempts != before:
            attempted += 1
    return attempted


def retry_now(deliveries: Iterable[Delivery]) -> list[int]:
    """The admin's 立即重试: make failed or given-up deliveries due now and queue them."""
    ids = [d.pk for d in deliveries if d.status in (*OPEN_STATUSES, DeliveryStatus.GAVE_UP)]
    if not ids:
        return []
    # A given-up delivery gets one more attempt (its count is past the last, so a failure gives up again).
    Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.GAVE_UP).update(status=DeliveryStatus.FAILED)
    Delivery.objects.filter(pk__in=ids, status__in=OPEN_STATUSES).update(next_attempt_at=timezone.now())
    transaction.on_commit(partial(_queue, ids))
    return ids


def mark_read(notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )


def mark_all_read(user: User) -> int:
    return Notification.objects.visible_to(user).unread().update(read_at=timezone.now())


def unread_count(user: User) -> int:
    return Notification.objects.visible_to(user).unread().count()
