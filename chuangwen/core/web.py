"""Small helpers shared by the web views and the API of the apps."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast
from urllib.parse import urlencode

from django.http import HttpRequest, QueryDict

if TYPE_CHECKING:
    from chuangwen.accounts.models import User


def user_of(request: HttpRequest) -> User:
    """The signed-in user of a request that a login check has already let through."""
    return cast("User", request.user)


def querystring(params: QueryDict, *, drop: tuple[str, ...] = ("page",)) -> str:
    """The non-empty GET parameters without ``drop``, URL-encoded (for links that keep the filters)."""
    pairs = [(key, value) for key, values in params.lists() if key not in drop for value in values if value]
    return urlencode(pairs)


def percent(part: int, whole: int) -> str:
    """``part`` as a share of ``whole`` with one decimal, or an em dash when there is nothing to divide."""
    if whole <= 0:
        return "—"
    return f"{100 * part / whole:.1f}%"
