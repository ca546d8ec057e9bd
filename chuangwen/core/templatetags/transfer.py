"""Template filters that ask the import/export permission rules (one place: core.imports / core.transfer)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import template

from chuangwen.core import imports, transfer

if TYPE_CHECKING:
    from chuangwen.accounts.models import User

register = template.Library()


@register.filter
def may_import(user: User, kind: str) -> bool:
    return imports.can_import(kind, user)


@register.filter
def may_export(user: User, kind: str) -> bool:
    return transfer.can_export(kind, user)
