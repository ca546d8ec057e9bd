"""Permission changes are audited wherever they happen (admin, services, shell, commands).

Model signals rather than calls in each view: a role, unit, active/staff/superuser flag, group or permission
change cannot bypass the audit log by taking another code path. The actor comes from the request being served
(see chuangwen.audit.middleware).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from chuangwen.accounts.models import User
from chuangwen.audit.services import record

TRACKED_FIELDS = ("role", "unit_id", "is_active", "is_staff", "is_superuser")
# A save that writes only these (login time, password rehash, second factor) changes no permission.
_WATCHED = {"role", "unit", "unit_id", "is_active", "is_staff", "is_superuser", "password"}
_BEFORE = "_audit_before"
_M2M_BEFORE = "_audit_m2m_before"


def _unit_label(unit_id: int | None) -> dict[str, Any] | None:
    from chuangwen.org.models import Unit

    if unit_id is None:
        return None
    unit = Unit.objects.filter(pk=unit_id).values("code", "name").first()
    return {"id": unit_id, **(unit or {})}


def _snapshot(values: dict[str, Any]) -> dict[str, Any]:
    snap = {name: values[name] for name in TRACKED_FIELDS if name != "unit_id"}
    snap["unit"] = _unit_label(values["unit_id"])
    return snap


@receiver(pre_save, sender=User, dispatch_uid="audit_user_pre_save")
def remember_user_before(sender: type[User], instance: User, raw: bool, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if raw or instance.pk is None or (update_fields is not None and not set(update_fields) & _WATCHED):
        return
    before = User.objects.filter(pk=instance.pk).values(*TRACKED_FIELDS, "password").first()
    setattr(instance, _BEFORE, before)


@receiver(post_save, sender=User, dispatch_uid="audit_user_post_save")
def record_user_change(sender: type[User], instance: User, created: bool, raw: bool, **kwargs: Any) -> None:
    if raw:
        return
    if created:
        after = _snapshot({name: getattr(instance, name) for name in TRACKED_FIELDS})
        record(None, "user_created", obj=instance, detail={"after": after})
        return
    before = instance.__dict__.pop(_BEFORE, None)
    if before is None:
        return
    current = {name: getattr(instance, name) for name in TRACKED_FIELDS}
    changed = [name for name in TRACKED_FIELDS if before[name] != current[name]]
    if changed:
        old, new = _snapshot(before), _snapshot(current)
        keys = ["unit" if name == "unit_id" else name for name in changed]
        changes = {key: {"before": old[key], "after": new[key]} for key in keys}
        record(None, "permission_changed", obj=instance, detail={"changes": changes})
    # Django's own rehash on login saves only the password field; that is not a change of password.
    if before["password"] != instance.password and kwargs.get("update_fields") != frozenset({"password"}):
        record(None, "password_changed", obj=instance)


@receiver(post_delete, sender=User, dispatch_uid="audit_user_post_delete")
def record_user_delete(sender: type[User], instance: User, **kwargs: Any) -> None:
    record(None, "user_deleted", obj=instance, detail={"username": instance.get_username()})


def _label(obj: models.Model) -> str:
    if isinstance(obj, Permission):
        return f"{obj.content_type.app_label}.{obj.codename}"
    if isinstance(obj, Group):
        return obj.name
    if isinstance(obj, User):
        return obj.get_username()
    return str(obj)


# (through model, reverse) → the attribute on the changed instance.
def _relation(sender: Any, reverse: bool) -> str | None:
    forward = {
        User.groups.through: ("groups", "user_set"),
        User.user_permissions.through: ("user_permissions", "user_set"),
        Group.permissions.through: ("permissions", "group_set"),
    }.get(sender)
    if forward is None:
        return None
    return forward[1] if reverse else forward[0]


def _current(instance: models.Model, attr: str) -> list[str]:
    related = getattr(instance, attr).all()
    if attr in ("permissions", "user_permissions"):
        related = related.select_related("content_type")
    return sorted(_label(obj) for obj in related)


@receiver(m2m_changed, dispatch_uid="audit_permission_m2m")
def record_m2m_change(sender: Any, instance: models.Model, action: str, reverse: bool, **kwargs: Any) -> None:
    attr = _relation(sender, reverse)
    if attr is None or not action.startswith(("pre_", "post_")):
        return
    stash: dict[str, list[str]] = instance.__dict__.setdefault(_M2M_BEFORE, {})
    if action.startswith("pre_"):
        stash[attr] = _current(instance, attr)
        return
    before = stash.pop(attr, [])
    after = _current(instance, attr)
    if before != after:
        changes = {attr: {"before": before, "after": after}}
        record(None, "permission_changed", obj=instance, detail={"changes": changes})
