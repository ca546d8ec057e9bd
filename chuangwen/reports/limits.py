"""Limits on citizen reports and “我也遇到” per sender address, device and phone number, checked and counted
in one step.

Each limit is a ``LimitBucket`` row holding the times of the attempts inside its window. :func:`take` locks
the rows of every limit a request falls under (in key order, so two requests never wait on each other
crosswise), refuses when one of them is used up, and otherwise counts the attempt in all of them before the
work starts.
Concurrent requests are thus counted one at a time, across threads and processes, on SQLite (one writer at a
time) and PostgreSQL (row locks) alike; a refused report (a broken photo, say) has been counted already.

The device is the /s/ pages' signed ``cw_device`` cookie, or Open311's ``device_id``: a client that drops it
is still limited by its address (and phone number).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.reports.models import LimitBucket

DEVICE_COOKIE = "cw_device"
DEVICE_SALT = "chuangwen.reports.device"
DEVICE_COOKIE_AGE = 365 * 86400
DEVICE_RE = re.compile(r"^[0-9a-f]{32}$")


class RateLimited(Exception):
    """Too many attempts from one address, device or phone number; ``message`` says which and when to try
    again."""

    def __init__(self, message: str, field: str, retry_at: datetime) -> None:
        super().__init__(message)
        self.message = message
        self.field = field  # "address" (the sender's network address), "device" or "phone"
        self.retry_at = retry_at

    @property
    def retry_after_seconds(self) -> int:
        return max(1, math.ceil((self.retry_at - timezone.now()).total_seconds()))


def keyed_hash(kind: str, value: str) -> str:
    """A keyed SHA-256 of an address or phone number: comparable, but not reversible without the key."""
    key = str(settings.SECRET_KEY).encode()
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def window_words(seconds: int) -> str:
    if seconds % 86400 == 0:
        days = seconds // 86400
        return _("24 小时") if days == 1 else _("%(n)d 天") % {"n": days}
    if seconds % 3600 == 0:
        return _("%(n)d 小时") % {"n": seconds // 3600}
    return _("%(n)d 分钟") % {"n": max(1, seconds // 60)}


@dataclass(frozen=True)
class Limit:
    field: str  # address | device | phone
    key: str
    limit: int
    window: int  # seconds
    message: str  # translated, with %(window)s, %(n)d and %(when)s

    def refusal(self, retry_at: datetime) -> RateLimited:
        when = timezone.localtime(retry_at).strftime("%H:%M" if self.window <= 86400 else "%m-%d %H:%M")
        text = self.message % {"window": window_words(self.window), "n": self.limit, "when": when}
        return RateLimited(text, self.field, retry_at)


def _limit(action: str, field: str, value: str, limit: Any, window: Any, message: str) -> Limit:
    key = f"{action}:{field}:{keyed_hash(field, value)}"
    return Limit(field, key, max(1, int(limit)), max(1, int(window)), message)


def report_limits(ip: str | None, device: str | None, phone: str) -> list[Limit]:
    """The limits a report falls under: its sender address (web only), its device and its phone number."""
    found = []
    if ip:
        message = _("提交过于频繁：同一网络 %(window)s内最多提交 %(n)d 件随手拍，请于 %(when)s 后再试")
        found.append(
            _limit("report", "address", ip, settings.REPORTS_ADDRESS_LIMIT,
                   settings.REPORTS_ADDRESS_WINDOW_SECONDS, message)
        )  # fmt: skip
    if device:
        message = _("提交过于频繁：同一设备 %(window)s内最多提交 %(n)d 件随手拍，请于 %(when)s 后再试")
        found.append(
            _limit("report", "device", device, settings.REPORTS_DEVICE_LIMIT,
                   settings.REPORTS_DEVICE_WINDOW_SECONDS, message)
        )  # fmt: skip
    if phone:
        message = _("提交过于频繁：同一手机号 %(window)s内最多提交 %(n)d 件随手拍，请于 %(when)s 后再试")
        found.append(
            _limit("report", "phone", phone, settings.REPORTS_PHONE_LIMIT,
                   settings.REPORTS_PHONE_WINDOW_SECONDS, message)
        )  # fmt: skip
    return found


def support_limits(ip: str | None, device: str | None) -> list[Limit]:
    """The limits a “我也遇到” falls under: its sender address and its device (a phone number proves nothing:
    anyone can type a new one)."""
    window = settings.REPORTS_SUPPORT_WINDOW_SECONDS
    found = []
    if ip:
        message = _("操作过于频繁：同一网络 %(window)s内最多附议 %(n)d 次，请于 %(when)s 后再试")
        limit = settings.REPORTS_SUPPORT_ADDRESS_LIMIT
        found.append(_limit("support", "address", ip, limit, window, message))
    if device:
        message = _("操作过于频繁：同一设备 %(window)s内最多附议 %(n)d 次，请于 %(when)s 后再试")
        limit = settings.REPORTS_SUPPORT_DEVICE_LIMIT
        found.append(_limit("support", "device", device, limit, window, message))
    return found


def _moment(stamp: float) -> datetime:
    return datetime.fromtimestamp(stamp, tz=UTC)


def take(limits: Sequence[Limit], now: datetime | None = None) -> dict[str, int]:
    """Check and count one attempt against every limit, atomically: RateLimited when one is used up (then
    nothing is counted), else the attempt is counted in all of them. Returns, by field, how many attempts
    its window now holds, this one included."""
    if not limits:
        return {}
    moment = now or timezone.now()
    at = moment.timestamp()
    keys = sorted(limit.key for limit in limits)
    with transaction.atomic():
        LimitBucket.objects.bulk_create([LimitBucket(key=key) for key in keys], ignore_conflicts=True)
        locked = LimitBucket.objects.select_for_update().filter(key__in=keys).order_by("key")
        buckets = {bucket.key: bucket for bucket in locked}
        recent: dict[str, list[float]] = {}
        for limit in limits:
            stamps = sorted(float(s) for s in buckets[limit.key].stamps if float(s) > at - limit.window)
            if len(stamps) >= limit.limit:
                raise limit.refusal(_moment(stamps[len(stamps) - limit.limit] + limit.window))
            recent[limit.key] = stamps
        for limit in limits:
            bucket = buckets[limit.key]
            bucket.stamps = [*recent[limit.key], at][-limit.limit :]
            bucket.updated_at = moment
        LimitBucket.objects.bulk_update(list(buckets.values()), ["stamps", "updated_at"])
    return {limit.field: len(recent[limit.key]) + 1 for limit in limits}


def used(limit: Limit, now: datetime | None = None) -> int:
    """How many attempts the limit's window holds now (a read, for the captcha threshold: not a check)."""
    at = (now or timezone.now()).timestamp()
    bucket = LimitBucket.objects.filter(key=limit.key).first()
    if bucket is None:
        return 0
    return sum(1 for s in bucket.stamps if float(s) > at - limit.window)


def purge(now: datetime | None = None) -> int:
    """Delete buckets untouched for longer than the longest window; returns how many."""
    longest = max(
        int(settings.REPORTS_ADDRESS_WINDOW_SECONDS),
        int(settings.REPORTS_DEVICE_WINDOW_SECONDS),
        int(settings.REPORTS_PHONE_WINDOW_SECONDS),
        int(settings.REPORTS_SUPPORT_WINDOW_SECONDS),
    )
    since = (now or timezone.now()) - timedelta(seconds=longest)
    return LimitBucket.objects.filter(updated_at__lt=since).delete()[0]


# --- the device cookie --------------------------------------------------------------------------------------


def device_id(request: HttpRequest) -> str | None:
    """The device id the browser carries in its signed cookie, or None (a first visit, or cookies off)."""
    value = request.get_signed_cookie(DEVICE_COOKIE, default="", salt=DEVICE_SALT, max_age=DEVICE_COOKIE_AGE)
    return value if isinstance(value, str) and DEVICE_RE.match(value) else None


def remember_device(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Give a browser without a device cookie a new one with the response."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if device_id(request) is None:
            response.set_signed_cookie(
                DEVICE_COOKIE,
                secrets.token_hex(16),
                salt=DEVICE_SALT,
                max_age=DEVICE_COOKIE_AGE,
                httponly=True,
                samesite="Lax",
                secure=bool(settings.SESSION_COOKIE_SECURE),
            )
        return response

    return wrapper
