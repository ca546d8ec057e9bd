"""The first administrator of a production installation, created with a password the operator chooses.

Production never builds the demo district (its passwords are printed in public), so the first account comes
from ``chuangwen create-admin USERNAME``; ``up``/``serve`` refuse to serve in production until one exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from chuangwen.accounts.models import Role, User
from chuangwen.audit.services import record
from chuangwen.org.models import Unit, UnitKind

DEFAULT_ROOT_CODE = "ROOT"
# The password every demo account is given; it is printed in the README, so it is public (the demo builder
# takes it from here). A production start refuses while any active account still logs in with it.
PUBLIC_DEMO_PASSWORD = "Demo-2026!cw"
UNIT_CODE = re.compile(r"[A-Za-z0-9_.\-]{1,32}")  # the rule of unit codes in imports (core/cells.py)


class AdminRefused(Exception):
    """The administrator was not created; the message names the field at fault."""


@dataclass
class NewAdmin:
    user: User
    unit: Unit
    unit_created: bool


def active_admin_exists() -> bool:
    """A production start needs somebody who can run the system: an active 系统管理员."""
    return User.objects.filter(role=Role.ADMIN, is_active=True).exists()


def missing_admin_message() -> str:
    return _(
        "生产模式下还没有可用的系统管理员账号，系统不会启动。"
        "请先运行 chuangwen create-admin 用户名 创建第一个管理员（密码由您设定），再启动。"
    )


def public_password_accounts() -> list[str]:
    """Active accounts that still log in with the demo password printed in public (a database built in
    development and then switched to production): production refuses to serve while any is left."""
    candidates = User.objects.filter(is_active=True, username__startswith="demo_").order_by("username")
    return [user.username for user in candidates if user.check_password(PUBLIC_DEMO_PASSWORD)]


def public_password_message(usernames: list[str]) -> str:
    return _(
        "生产模式下仍有 %(n)s 个演示账号使用公开的演示密码（%(names)s），系统不会启动。"
        "请停用这些账号或修改其密码后再启动。"
    ) % {"n": len(usernames), "names": "、".join(usernames[:5]) + ("…" if len(usernames) > 5 else "")}


def production_start_refusal() -> str:
    """Registered with ``core.start_checks``: why a production start must not serve, or ""."""
    if not active_admin_exists():
        return missing_admin_message()
    if usernames := public_password_accounts():
        return public_password_message(usernames)
    return ""


def _check_username(username: str) -> str:
    username = username.strip()
    try:
        User.username_validator(username)
    except ValidationError:
        raise AdminRefused(
            _("用户名“%(u)s”无效：只能包含字母、数字和 @ . + - _ 符号。") % {"u": username}
        ) from None
    if not username or len(username) > 150:
        raise AdminRefused(_("用户名须为 1 到 150 个字符。"))
    if User.objects.filter(username__iexact=username).exists():
        raise AdminRefused(_("用户名“%(u)s”已存在（不区分大小写）。") % {"u": username})
    return username


def _unit(unit_code: str | None, root_code: str, root_name: str) -> tuple[Unit, bool]:
    """The unit the admin belongs to: the one named, else the only top-level unit, else a new top-level 市.

    Everything a user sees is his unit's subtree, so the first admin sits at the top of the tree.
    """
    if unit_code:
        unit = Unit.objects.filter(code=unit_code).first()
        if unit is None:
            raise AdminRefused(_("单位编码“%(c)s”不存在（--unit）。") % {"c": unit_code})
        return unit, False
    roots = list(Unit.objects.filter(parent=None).order_by("code")[:2])
    if len(roots) == 1:
        return roots[0], False
    if roots:
        raise AdminRefused(_("有多个顶级单位，请用 --unit 单位编码 指定管理员所属单位。"))
    if not UNIT_CODE.fullmatch(root_code):
        raise AdminRefused(_("单位编码只能包含字母、数字、下划线、点和减号，最长 32 个字符（--root-code）。"))
    if not 1 <= len(root_name.strip()) <= 100:
        raise AdminRefused(_("单位名称须为 1 到 100 个字符（--root-name）。"))
    if Unit.objects.filter(code=root_code).exists():
        raise AdminRefused(_("单位编码“%(c)s”已被使用（--root-code）。") % {"c": root_code})
    # A top-level unit must be a 市 (ALLOWED_PARENT_KINDS); a district imports its units beneath it.
    return Unit.objects.create(code=root_code, name=root_name.strip(), kind=UnitKind.CITY), True


def create_admin(
    username: str,
    password: str,
    *,
    full_name: str = "",
    email: str = "",
    unit_code: str | None = None,
    root_code: str = DEFAULT_ROOT_CODE,
    root_name: str = "",
) -> NewAdmin:
    """Create an active 系统管理员 (superuser, staff) after the password validators pass; audited."""
    username = _check_username(username)
    probe = User(username=username, full_name=full_name, email=email)
    try:
        validate_password(password, user=probe)
    except ValidationError as exc:
        raise AdminRefused(_("密码不符合要求：%(why)s") % {"why": "；".join(exc.messages)}) from None
    with transaction.atomic():
        unit, created = _unit(unit_code, root_code, root_name or _("本市（请改为实际名称）"))
        user = User(
            username=username,
            full_name=full_name,
            email=email,
            role=Role.ADMIN,
            unit=unit,
            is_staff=True,
            is_superuser=True,
        )
        user.set_password(password)
        user.save()
        detail = {"username": username, "unit": unit.code, "unit_created": created, "via": "create-admin"}
        record(None, "admin_created", obj=user, detail=detail)
    return NewAdmin(user, unit, created)
