"""The unread count beside 消息 in the navigation of every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from chuangwen.notify.services import unread_count


def inbox(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: pages that do not show the navigation (JSON, partials) cost no query.
    return {"inbox_unread": SimpleLazyObject(lambda: unread_count(user))}
