"""Token requests without the ORM's cost: one plain query per request checks the token, and the owner is kept
per process while what decides access has not changed.

A big screen refreshing on its own or a phone uploading photos sends the same token many times a second; the
ORM lookup with its two joins cost more than the cached dashboard it guarded. Every request still reads the
token row (so a revoked or expired token and a deactivated user stop at once) together with the owner's
role, unit, superuser flag and the unit's path and state; the cached ``User`` is reused only while all of
those are the same and for at most ``API_TOKEN_CACHE_SECONDS`` (0 turns the cache off). Each request gets
its own copy, so nothing a view sets on ``request.user`` reaches another request. The same query counts the
client address's recent failed logins first and looks at the token only while they are under the lockout
limit (docs/security.md, "One lockout for every way in").
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

from chuangwen.accounts.models import ApiToken, LoginFailure, User
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


def _aware(value: Any) -> datetime | None:
    """A datetime as the database driver gave it (SQLite: a naive UTC string) made aware."""
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    if timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value  # type: ignore[no-any-return]


@functools.cache
def _gated_sql() -> str:
    """The token check behind the address's lockout count, in the same single query: the token is joined only
    while the address has fewer failures than the limit, so a locked address learns nothing about any key."""
    token, user, unit, failure = (model._meta.db_table for model in (ApiToken, User, Unit, LoginFailure))
    return (
        f"SELECT f.n, t.id, t.user_id, t.expires_at, t.last_used_at, u.is_active, u.role, u.unit_id, "
        f"u.is_superuser, u.is_staff, n.path, n.kind, n.active "
        f"FROM (SELECT COUNT(*) AS n FROM {failure} WHERE address = %s AND at >= %s) f "
        f"LEFT JOIN {token} t ON f.n < %s AND t.key_hash = %s AND t.revoked_at IS NULL "
        f"LEFT JOIN {user} u ON u.id = t.user_id LEFT JOIN {unit} n ON n.id = u.unit_id"
    )


def _token_row(digest: str, row: Any) -> TokenRow | None:
    token_id, user_id, expires_at, last_used_at, active, *access = row
    if token_id is None:
        return None
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


def check_from(digest: str, address: str | None, since: datetime, limit: int) -> tuple[int, TokenRow | None]:
    """The address's failures since ``since`` and, while they are fewer than ``limit``, the unrevoked token
    with this SHA-256 and its owner's access stamp (else None) — one query, so a valid token pays nothing
    for the lockout."""
    ops = connection.ops
    # The address as the ORM stores it (IPv6 normalised), so it matches the failures' rows.
    stored = LoginFailure._meta.get_field("address").get_prep_value(address)
    params = [ops.adapt_ipaddressfield_value(stored), ops.adapt_datetimefield_value(since), limit, digest]
    with connection.cursor() as cursor:
        cursor.execute(_gated_sql(), params)
        failures, *row = cursor.fetchone()
    return int(failures), _token_row(digest, row)


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
