"""Token requests without the ORM's cost: one plain query per request checks the token, and the owner is kept
per process while what decides access has not changed.

A big screen refreshing on its own or a phone uploading photos sends the same token many times a second; the
ORM lookup with its two joins cost more than the cached dashboard it guarded. Every request still reads the
token row (so a revoked or expired token and a deactivated user stop at once) together with the owner's
role, unit, superuser flag and the unit's path and state; the cached ``User`` is reused only while all of
those are the same and for at most ``API_TOKEN_CACHE_SECONDS`` (0 turns the cache off). Each request gets
its own copy, so nothing a view sets on ``request.user`` reaches another request.
"""

from __future__ import annotations

import copy
import functools
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from chuangwen.accounts.models import ApiToken, User
from chuangwen.org.models import Unit

MAX_ENTRIES = 2048


@dataclass(frozen=True)
class TokenRow:
    digest: str
    token_id: int
    user_id: int
    expires_at: datetime
    last_used_at: datetime | None
    user_active: bool
    stamp: tuple[Any, ...]  # the owner and what decides access: role, unit, superuser, unit path and state


# Keyed by the token's digest (never reused, unlike a row id): an entry only serves the token it was for.
_owners: dict[str, tuple[tuple[Any, ...], float, User]] = {}
_lock = threading.Lock()


@functools.cache
def _sql() -> str:
    """The token check, built once per process (it runs on every token request)."""
    token, user, unit = (model._meta.db_table for model in (ApiToken, User, Unit))
    return (
        f"SELECT t.id, t.user_id, t.expires_at, t.last_used_at, u.is_active, u.role, u.unit_id, "
        f"u.is_superuser, u.is_staff, n.path, n.kind, n.active "
        f"FROM {token} t JOIN {user} u ON u.id = t.user_id LEFT JOIN {unit} n ON n.id = u.unit_id "
        f"WHERE t.key_hash = %s AND t.revoked_at IS NULL"
    )


def _aware(value: Any) -> datetime | None:
    """A datetime as the database driver gave it (SQLite: a naive UTC string) made aware."""
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    if timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value  # type: ignore[no-any-return]


def check(digest: str) -> TokenRow | None:
    """The unrevoked token with this SHA-256 and its owner's access stamp, or None."""
    with connection.cursor() as cursor:
        cursor.execute(_sql(), [digest])
        row = cursor.fetchone()
    if row is None:
        return None
    token_id, user_id, expires_at, last_used_at, active, *access = row
    expires = _aware(expires_at)
    assert expires is not None
    return TokenRow(
        digest=digest,
        token_id=token_id,
        user_id=user_id,
        expires_at=expires,
        last_used_at=_aware(last_used_at),
        user_active=bool(active),
        stamp=(user_id, *access),
    )


def owner(row: TokenRow) -> User | None:
    """The token's owner, from this process's cache while the access stamp is unchanged and fresh."""
    seconds = int(settings.API_TOKEN_CACHE_SECONDS)
    now = time.monotonic()
    with _lock:
        cached = _owners.get(row.digest)
    if seconds > 0 and cached is not None and cached[0] == row.stamp and now - cached[1] < seconds:
        return _copy(cached[2])
    user = User.objects.select_related("unit").filter(pk=row.user_id, is_active=True).first()
    if user is None:
        return None
    if seconds > 0:
        with _lock:
            if len(_owners) >= MAX_ENTRIES:
                _owners.clear()
            _owners[row.digest] = (row.stamp, now, _copy(user))
    return user


def _copy(user: User) -> User:
    clone = copy.copy(user)  # Model.__getstate__ copies _state and its fields cache
    if user.unit is not None:
        clone._state.fields_cache["unit"] = copy.copy(user.unit)
    return clone


def clear() -> None:
    with _lock:
        _owners.clear()
