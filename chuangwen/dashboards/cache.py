"""The dashboards' read cache: versioned by a global generation, keyed by the viewer's scope.

A key holds the generation, the figure's name, the viewer's role and unit (``visible_to`` depends on nothing
else), the unit shown, the day and the language; so one unit's data is never served to another, a change
(case, round, ranking, site or unit saved) makes every older entry unreachable at once, and the short lifetime
bounds what the clock alone changes (a case becoming overdue) and what a bulk ``update()`` does not announce.
``DASHBOARD_CACHE_SECONDS`` = 0 turns the cache off.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import F
from django.utils import timezone
from django.utils.translation import get_language

from chuangwen.dashboards.models import CacheGeneration

if TYPE_CHECKING:
    from chuangwen.accounts.models import User
    from chuangwen.org.models import Unit

T = TypeVar("T")
_MISSING = object()


def seconds() -> int:
    return int(settings.DASHBOARD_CACHE_SECONDS)


def generation() -> int:
    # Read on every cached request: plain SQL, as the ORM's query building would cost more than the read.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {CacheGeneration._meta.db_table} WHERE id = 1")
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def bump(*_args: Any, **_kwargs: Any) -> None:
    """Make every cached dashboard figure stale (signal receiver; also called directly)."""
    if not CacheGeneration.objects.filter(pk=1).update(value=F("value") + 1):
        CacheGeneration.objects.get_or_create(pk=1, defaults={"value": 1})


def key(name: str, user: User, unit: Unit, now: datetime) -> str:
    day = timezone.localtime(now).date().isoformat()
    scope = f"{user.role}:{user.unit_id}"
    return f"dash:{generation()}:{name}:{scope}:{unit.pk}:{day}:{get_language()}"


def cached(name: str, user: User, unit: Unit, now: datetime, compute: Callable[[], T]) -> T:
    """``compute()`` once per generation, scope, unit, day and language; then from the cache."""
    ttl = seconds()
    if ttl <= 0:
        return compute()
    cache_key = key(name, user, unit, now)
    hit = cache.get(cache_key, _MISSING)
    if hit is not _MISSING:
        return hit  # type: ignore[return-value]
    value = compute()
    cache.set(cache_key, value, ttl)
    return value


def cached_json(name: str, user: User, unit: Unit, now: datetime, compute: Callable[[], Any]) -> bytes:
    """Like ``cached``, but keeps the encoded JSON: a hit costs no encoding nor the API's validation."""
    return cached(
        f"{name}.json",
        user,
        unit,
        now,
        lambda: json.dumps(compute(), cls=DjangoJSONEncoder, ensure_ascii=False).encode(),
    )
