"""Helpers shared by the org management commands."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from chuangwen.accounts.models import User


def acting_user(username: str | None) -> User | None:
    """``--as USERNAME``: act within that user's scope; without it the command acts as the system."""
    if not username:
        return None
    user = User.objects.select_related("unit").filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(_("用户“%(u)s”不存在或已停用") % {"u": username})
    return user
