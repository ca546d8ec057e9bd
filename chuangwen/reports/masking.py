"""Phone numbers: stored in full, shown in full only to coordinators; ``mask_phone`` everywhere else."""

from __future__ import annotations

from typing import Any

from chuangwen.accounts.models import Role


def mask_phone(phone: str) -> str:
    """138****5678: the first three and last four digits; shorter numbers keep at most their last two."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    if len(phone) >= 11:
        return f"{phone[:3]}****{phone[-4:]}"
    if len(phone) <= 4:
        return "*" * len(phone)
    return "*" * (len(phone) - 2) + phone[-2:]


def may_see_phone(user: Any) -> bool:
    """Only coordinators (文明办协调员) see citizens' numbers in full."""
    return bool(getattr(user, "is_authenticated", False)) and getattr(user, "role", "") == Role.COORDINATOR


def phone_for(user: Any, phone: str) -> str:
    """The number as ``user`` may see it."""
    return phone if may_see_phone(user) else mask_phone(phone)
