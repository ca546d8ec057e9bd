"""Managing people (the users API; the admin's user forms and the users sheet apply the same scope): who may
manage whom, which roles one may grant, and the writes themselves. Role, unit and active changes are audited
by the model signals (``accounts/signals.py``) wherever they are made; second-factor resets and unlocking by
``accounts.services``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from chuangwen.accounts import services
from chuangwen.accounts.models import ApiToken, Role, User
from chuangwen.org.models import Unit

# How far each role reaches; nobody grants a role ranked above his or her own, nor edits someone who holds
# one (a superuser stands above every role).
ROLE_RANK: dict[str, int] = {
    Role.CITIZEN: 0,
    Role.VOLUNTEER: 0,
    Role.HANDLER: 1,
    Role.INSPECTOR: 1,
    Role.VERIFIER: 1,
    Role.UNIT_HEAD: 2,
    Role.COORDINATOR: 3,
    Role.LEADER: 3,
    Role.ADMIN: 4,
}
EDITABLE = ("full_name", "phone", "email", "role", "unit", "is_active")


@dataclass
class Refused(Exception):
    """A change the rules do not allow: ``code`` (invalid, forbidden, conflict), ``field``, the message."""

    code: str
    message: str
    field: str = ""


def may_manage_people(user: User) -> bool:
    """The users sheet's import role: a system administrator of a unit (the subtree is his or hers)."""
    return user.is_active and user.unit_id is not None and (user.role == Role.ADMIN or user.is_superuser)


def _rank(user: User) -> int:
    return 99 if user.is_superuser else ROLE_RANK.get(user.role, 0)


def check_grant(actor: User, role: str) -> None:
    if ROLE_RANK.get(role, 99) > _rank(actor):
        raise Refused("forbidden", _("不能授予高于您自己角色的角色"), "role")


def check_target(actor: User, target: User) -> None:
    """The target must be in the actor's subtree and not above the actor (a superuser only by a superuser)."""
    if not User.objects.visible_to(actor).filter(pk=target.pk).exists():
        raise Refused("not_found", _("没有找到该用户"))
    if (target.is_superuser and not actor.is_superuser) or _rank(target) > _rank(actor):
        raise Refused("forbidden", _("不能修改角色高于您的用户"))


def check_unit(actor: User, unit: Unit) -> None:
    if not Unit.objects.visible_to(actor).filter(pk=unit.pk).exists():
        raise Refused("forbidden", _("单位不在您的管辖范围内"), "unit_id")


def _check_password(password: str, username: str, full_name: str, phone: str) -> None:
    probe = User(username=username, full_name=full_name, phone=phone)
    try:
        validate_password(password, user=probe)
    except ValidationError as exc:
        raise Refused("invalid", "；".join(str(m) for m in exc.messages), "password") from None


def create_user(
    actor: User, *, username: str, full_name: str, role: str, unit: Unit, password: str, phone: str = "",
    email: str = "",
) -> User:  # fmt: skip
    """A new active user of ``role`` in ``unit``; the creation is audited by the model signal."""
    check_grant(actor, role)
    check_unit(actor, unit)
    if User.objects.filter(username__iexact=username).exists():
        raise Refused("conflict", _("用户名“%(u)s”已被使用") % {"u": username}, "username")
    _check_password(password, username, full_name, phone)
    user = User(username=username, full_name=full_name, role=role, unit=unit, phone=phone, email=email)
    user.set_password(password)
    user.save()
    return user


def update_user(actor: User, target: User, changes: dict[str, Any]) -> User:
    """Apply ``changes`` (any of ``EDITABLE``); the signals audit role, unit and active changes."""
    check_target(actor, target)
    if "role" in changes and changes["role"] != target.role:
        if target.pk == actor.pk:
            raise Refused("forbidden", _("不能修改自己的角色"), "role")
        check_grant(actor, changes["role"])
    if "unit" in changes and changes["unit"] != target.unit:
        if target.pk == actor.pk:
            raise Refused("forbidden", _("不能修改自己所在的单位"), "unit_id")
        check_unit(actor, changes["unit"])
    if changes.get("is_active") is False and target.pk == actor.pk:
        raise Refused("forbidden", _("不能停用自己的账号"), "is_active")
    fields = [name for name in EDITABLE if name in changes and getattr(target, name) != changes[name]]
    for name in fields:
        setattr(target, name, changes[name])
    if fields:
        target.save(update_fields=[("unit" if name == "unit" else name) for name in fields])
    return target


def reset_second_factor(actor: User, target: User, *, request: HttpRequest | None = None) -> bool:
    """The admin action 重置动态口令: the user enrols again at the next login; False when there was none."""
    check_target(actor, target)
    if not (target.totp_enabled or target.totp_secret):
        return False
    with transaction.atomic():
        services.disable_totp(target, request=request)
    return True


def unlock(actor: User, target: User, *, request: HttpRequest | None = None) -> int:
    """The admin action 解除登录锁定 (audited by the service); the number of failures removed."""
    check_target(actor, target)
    return services.unlock_account(request, target.get_username())


# --- API tokens: whose tokens one sees and revokes (the token page and the tokens API) ----------------------


def may_see_others_tokens(user: User) -> bool:
    return user.role == Role.ADMIN or user.is_superuser


def revocable_tokens(user: User) -> QuerySet[ApiToken]:
    """One's own tokens; an administrator also those of the people of his or her subtree (a superuser:
    everyone's)."""
    tokens = ApiToken.objects.select_related("user")
    if not may_see_others_tokens(user):
        return tokens.filter(user=user)
    if user.is_superuser:
        return tokens
    return tokens.filter(Q(user=user) | Q(user__in=User.objects.visible_to(user)))
