"""Changing the unit tree by hand (the API; the spreadsheet import checks its rows by the same rules):
creating a unit under one in the caller's subtree, editing it, moving it, deactivating it. Every change is
audited; the caller's own unit, the root of his or her scope, can be renamed but not moved or deactivated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from chuangwen.audit.services import record
from chuangwen.org.models import ALLOWED_PARENT_KINDS, Unit, UnitKind

if TYPE_CHECKING:
    from chuangwen.accounts.models import User

EDITABLE = ("name", "contact", "duty_tags", "sort_order")


@dataclass
class Refused(Exception):
    """A change the rules do not allow: ``code`` (invalid, forbidden, conflict), ``field``, the message."""

    code: str
    message: str
    field: str = ""


def _kind_label(kind: str) -> str:
    return str(UnitKind(kind).label)


def may_manage_units(user: User) -> bool:
    """The unit sheet's import roles (administrators and coordinators) with a unit to stand in."""
    from chuangwen.accounts.models import Role

    return user.is_active and user.unit_id is not None and user.role in (Role.ADMIN, Role.COORDINATOR)


def _check_parent(user: User, kind: str, parent: Unit | None, unit: Unit | None) -> None:
    if parent is None:
        raise Refused("forbidden", _("只有系统管理员可以设置顶级单位"), "parent_id")
    if not Unit.objects.visible_to(user).filter(pk=parent.pk).exists():
        raise Refused("forbidden", _("上级单位不在您的管辖范围内"), "parent_id")
    if unit is not None and parent.path.startswith(unit.path):
        raise Refused("invalid", _("不能把单位移到它自己的下级单位之下"), "parent_id")
    if parent.kind not in ALLOWED_PARENT_KINDS[kind]:
        allowed = "、".join(_kind_label(k) for k in ALLOWED_PARENT_KINDS[kind]) or _("无（只能是顶级单位）")
        message = _("“%(kind)s”的上级必须是%(allowed)s，而“%(parent)s”是“%(pkind)s”") % {
            "kind": _kind_label(kind),
            "allowed": allowed,
            "parent": parent.name,
            "pkind": _kind_label(parent.kind),
        }
        raise Refused("invalid", message, "parent_id")


def create_unit(
    user: User, *, code: str, name: str, kind: str, parent: Unit | None, request: HttpRequest | None = None,
    **fields: Any,
) -> Unit:  # fmt: skip
    """A new unit under ``parent`` (which must be in the caller's subtree and of a kind that may hold it)."""
    _check_parent(user, kind, parent, None)
    if Unit.objects.filter(code=code).exists():
        raise Refused("conflict", _("单位编码“%(code)s”已被使用") % {"code": code}, "code")
    with transaction.atomic():
        unit = Unit.objects.create(code=code, name=name, kind=kind, parent=parent, **fields)
        detail = {"code": code, "name": name, "kind": kind, "parent": parent.code if parent else None}
        record(request, "org.unit_created", obj=unit, detail=detail)
    return unit


def _check_move(user: User, unit: Unit, parent: Unit | None) -> None:
    if user.unit_id == unit.pk:
        raise Refused("forbidden", _("不能移动您自己所在的单位"), "parent_id")
    _check_parent(user, unit.kind, parent, unit)


def _check_active(user: User, unit: Unit, active: bool) -> None:
    if active or not unit.active:
        return
    if user.unit_id == unit.pk:
        raise Refused("forbidden", _("不能停用您自己所在的单位"), "active")
    if Unit.objects.filter(parent=unit, active=True).exists():
        raise Refused("conflict", _("该单位还有启用的下级单位，请先停用下级单位"), "active")


def update_unit(
    user: User, unit: Unit, changes: dict[str, Any], *, request: HttpRequest | None = None
) -> Unit:
    """Apply ``changes`` (any of name, contact, duty_tags, sort_order, parent, active) to a unit in the
    caller's subtree; one audit entry lists what changed from what."""
    if "parent" in changes and changes["parent"] != unit.parent:
        _check_move(user, unit, changes["parent"])
    if "active" in changes:
        _check_active(user, unit, bool(changes["active"]))
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, value in changes.items():
        old = getattr(unit, name)
        if old != value:
            before[name] = old.code if isinstance(old, Unit) else old
            after[name] = value.code if isinstance(value, Unit) else value
            setattr(unit, name, value)
    if not after:
        return unit
    with transaction.atomic():
        unit.save()
        record(request, "org.unit_changed", obj=unit, detail={"before": before, "after": after})
    return unit
