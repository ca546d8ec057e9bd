"""Spreadsheet import/export definitions for units (单位) and users (用户); see chuangwen.core.imports."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from chuangwen.accounts.models import Role, User
from chuangwen.core.cells import choice, code, join_tags, tags, text, yes_no, yes_no_text
from chuangwen.core.imports import Column, ImportContext, Row, SheetSpec
from chuangwen.org.models import ALLOWED_PARENT_KINDS, Unit, UnitKind

# Parents before children: every allowed parent kind has a smaller rank than its child kind.
KIND_RANK = {
    UnitKind.CITY: 0,
    UnitKind.DISTRICT: 1,
    UnitKind.STREET: 2,
    UnitKind.COMMUNITY: 3,
    UnitKind.GRID: 4,
    UnitKind.DEPARTMENT: 5,
}
PHONE_PATTERN = r"[0-9０-９+()（）\- 转]{3,50}"
MOBILE_PATTERN = r"1[3-9]\d{9}"
USERNAME_PATTERN = r"[\w.@+\-]+"


def _kind_label(kind: str) -> str:
    return str(UnitKind(kind).label)


def _scope_units(actor: User | None) -> models.QuerySet[Unit]:
    if actor is None:
        return Unit.objects.all()
    if actor.unit_id is None:
        return Unit.objects.all() if actor.is_superuser else Unit.objects.none()
    return Unit.objects.visible_to(actor)


class UnitSheet(SheetSpec):
    kind = "units"
    title = "单位"
    key = "code"
    roles = frozenset({Role.ADMIN, Role.COORDINATOR})
    export_roles = frozenset(set(Role) - {Role.VOLUNTEER})
    columns = (
        Column("单位编码", "code", required=True, parse=code()),
        Column("单位名称", "name", required=True, parse=text(100)),
        Column("单位类型", "kind", required=True, parse=choice(UnitKind)),
        Column("上级单位编码", "parent", parse=code()),
        Column("职责标签", "duty_tags", parse=tags(), empty=[]),
        Column("联系电话", "contact", parse=text(50, PHONE_PATTERN, "联系电话格式不正确")),
    )

    def prepare(self, rows: list[Row], ctx: ImportContext) -> None:
        codes = {r.get("code") for r in rows} | {r.get("parent") for r in rows}
        self.existing = {u.code: u for u in Unit.objects.filter(code__in=[c for c in codes if c])}
        self.in_file = {r.get("code"): r for r in rows if r.get("code")}
        with_children = Unit.objects.filter(parent__code__in=list(self.in_file)).values_list("parent__code")
        self.has_children = {c for (c,) in with_children}

    def check_row(self, row: Row, ctx: ImportContext) -> None:
        unit_code, kind = row.get("code"), row.get("kind")
        existing = self.existing.get(unit_code)
        if existing is not None and not ctx.in_scope(existing):
            ctx.error(row, "code", _("该单位不在您的管辖范围内，不能修改"))
            return
        if existing is not None and kind and kind != existing.kind and unit_code in self.has_children:
            ctx.error(row, "kind", _("该单位已有下级单位，不能修改单位类型"))
        if kind:
            self._check_parent(row, ctx, existing, kind)

    def _check_parent(self, row: Row, ctx: ImportContext, existing: Unit | None, kind: str) -> None:
        if "parent" not in ctx.present:
            if existing is None and kind != UnitKind.CITY:
                ctx.error(row, "单位编码", _("新单位必须填写上级单位编码（表中缺少“上级单位编码”列）"))
            return
        parent_code = row.get("parent")
        if not parent_code:
            if kind != UnitKind.CITY:
                ctx.error(row, "parent", _("“%(kind)s”必须填写上级单位编码") % {"kind": _kind_label(kind)})
            elif not ctx.unscoped and (existing is None or existing.parent_id is not None):
                ctx.error(row, "parent", _("只有系统管理员可以设置顶级单位"))
            return
        if parent_code == row.get("code"):
            ctx.error(row, "parent", _("上级单位不能是自己"))
            return
        parent_kind = self._parent_kind(row, ctx, existing, parent_code)
        if parent_kind and parent_kind not in ALLOWED_PARENT_KINDS[kind]:
            allowed = "、".join(_kind_label(k) for k in ALLOWED_PARENT_KINDS[kind]) or _(
                "无（只能是顶级单位）"
            )
            ctx.error(
                row,
                "parent",
                _("“%(kind)s”的上级必须是%(allowed)s，而“%(parent)s”是“%(pkind)s”")
                % {
                    "kind": _kind_label(kind),
                    "allowed": allowed,
                    "parent": parent_code,
                    "pkind": _kind_label(parent_kind),
                },
            )

    def _parent_kind(
        self, row: Row, ctx: ImportContext, existing: Unit | None, parent_code: str
    ) -> str | None:
        in_file = self.in_file.get(parent_code)
        parent = self.existing.get(parent_code)
        if parent is None:
            if in_file is None:
                reason = _("上级单位编码“%(c)s”不存在（系统和本文件中都没有）") % {"c": parent_code}
                ctx.error(row, "parent", reason)
            return in_file.get("kind") if in_file is not None else None
        unchanged = existing is not None and existing.parent_id == parent.pk
        if not unchanged and not ctx.in_scope(parent):
            ctx.error(row, "parent", _("上级单位“%(c)s”不在您的管辖范围内") % {"c": parent_code})
            return None
        if existing is not None and parent.path.startswith(existing.path):
            ctx.error(row, "parent", _("不能把单位移到它自己的下级单位之下"))
            return None
        return in_file.get("kind") if in_file is not None else parent.kind

    def save(self, rows: list[Row], ctx: ImportContext) -> tuple[int, int]:
        ordered = sorted(rows, key=lambda r: (KIND_RANK[UnitKind(r.get("kind"))], r.number))
        codes = [r.get("code") for r in rows] + [r.get("parent") for r in rows if r.get("parent")]
        units = {u.code: u for u in Unit.objects.select_for_update().filter(code__in=codes)}
        created = updated = 0
        for row in ordered:
            unit = units.get(row.get("code"))
            if unit is None:
                unit, created = Unit(code=row.get("code")), created + 1
            else:
                updated += 1
            for name in ("name", "kind", "duty_tags", "contact"):
                if name in ctx.present:
                    setattr(unit, name, row.get(name))
            if "parent" in ctx.present:
                unit.parent = units[row.get("parent")] if row.get("parent") else None
            unit.save()
            units[unit.code] = unit
        return created, updated

    def export_values(self, obj: Unit) -> dict[str, Any]:
        return {
            "code": obj.code,
            "name": obj.name,
            "kind": obj.get_kind_display(),
            "parent": obj.parent.code if obj.parent else "",
            "duty_tags": join_tags(obj.duty_tags or []),
            "contact": obj.contact,
        }

    def queryset_for(self, actor: User | None) -> models.QuerySet[Unit]:
        return _scope_units(actor).select_related("parent").order_by("path")


class UserSheet(SheetSpec):
    kind = "users"
    title = "用户"
    key = "username"
    roles = frozenset({Role.ADMIN})
    export_roles = frozenset({Role.ADMIN, Role.COORDINATOR})  # personal data
    columns = (
        Column(
            "用户名",
            "username",
            required=True,
            parse=text(150, USERNAME_PATTERN, "用户名只能包含字母、数字和 @.+-_"),
        ),
        Column("姓名", "full_name", required=True, parse=text(50)),
        Column("角色", "role", required=True, parse=choice(Role)),
        Column("所属单位编码", "unit", required=True, parse=code()),
        Column("手机号", "phone", parse=text(20, MOBILE_PATTERN, "手机号应为 11 位数字")),
        Column("初始密码", "password", parse=text(128), secret=True),
        Column("启用", "is_active", parse=yes_no, empty=None),
    )

    def prepare(self, rows: list[Row], ctx: ImportContext) -> None:
        names = [r.get("username") for r in rows if r.get("username")]
        folded = {n.lower() for n in names}
        matches = User.objects.annotate(folded=Lower("username")).filter(folded__in=folded)
        self.existing = {u.username.lower(): u for u in matches.select_related("unit")}
        unit_codes = [r.get("unit") for r in rows if r.get("unit")]
        self.units = {u.code: u for u in Unit.objects.filter(code__in=unit_codes)}

    def check_row(self, row: Row, ctx: ImportContext) -> None:
        username = row.get("username") or ""
        existing = self.existing.get(username.lower())
        if existing is not None and existing.username != username:
            ctx.error(row, "username", _("与已有用户“%(u)s”仅大小写不同") % {"u": existing.username})
            return
        if existing is not None and not self._may_edit(existing, ctx):
            ctx.error(row, "username", _("该用户名已被使用，且该用户不在您的管辖范围内"))
            return
        self._check_unit(row, ctx)
        if existing is not None and ctx.actor is not None and existing.pk == ctx.actor.pk:
            if row.get("is_active") is False:
                ctx.error(row, "is_active", _("不能停用自己的账号"))
        if existing is None:
            self._check_password(row, ctx)

    def _may_edit(self, user: User, ctx: ImportContext) -> bool:
        if ctx.unscoped and (ctx.actor is None or ctx.actor.is_superuser):
            return True
        if user.is_superuser and not (ctx.actor and ctx.actor.is_superuser):
            return False
        return ctx.in_scope(user.unit)

    def _check_unit(self, row: Row, ctx: ImportContext) -> None:
        unit_code = row.get("unit")
        if not unit_code:
            return
        unit = self.units.get(unit_code)
        if unit is None:
            ctx.error(row, "unit", _("单位编码“%(c)s”不存在，请先导入单位") % {"c": unit_code})
        elif not ctx.in_scope(unit):
            ctx.error(row, "unit", _("单位“%(c)s”不在您的管辖范围内") % {"c": unit_code})
        else:
            row.extra["unit"] = unit

    def _check_password(self, row: Row, ctx: ImportContext) -> None:
        password = row.get("password")
        if not password:
            ctx.error(row, "password", _("新用户必须填写初始密码"), value="")
            return
        probe = User(username=row.get("username") or "", full_name=row.get("full_name") or "")
        probe.phone = row.get("phone") or ""
        try:
            validate_password(password, user=probe)
        except ValidationError as exc:
            ctx.error(row, "password", "；".join(str(m) for m in exc.messages), value="")
            return
        row.extra["password_hash"] = make_password(password)  # hashed now, outside the write transaction

    def save(self, rows: list[Row], ctx: ImportContext) -> tuple[int, int]:
        names = [r.get("username") for r in rows]
        users = {u.username: u for u in User.objects.select_for_update().filter(username__in=names)}
        created = updated = 0
        for row in rows:
            user = users.get(row.get("username"))
            if user is None:
                user = User(username=row.get("username"), password=row.extra["password_hash"])
                created += 1
            else:
                updated += 1
            for name in ("full_name", "role", "phone"):
                if name in ctx.present:
                    setattr(user, name, row.get(name))
            user.unit = row.extra["unit"]
            if row.get("is_active") is not None:
                user.is_active = row.get("is_active")
            user.save()
        return created, updated

    def export_values(self, obj: User) -> dict[str, Any]:
        return {
            "username": obj.username,
            "full_name": obj.full_name,
            "role": obj.get_role_display(),
            "unit": obj.unit.code if obj.unit else "",
            "phone": obj.phone,
            "is_active": yes_no_text(obj.is_active),
        }

    def queryset_for(self, actor: User | None) -> models.QuerySet[User]:
        qs = User.objects.select_related("unit")
        if actor is None or (actor.is_superuser and actor.unit_id is None):
            return qs.order_by("unit__path", "username")
        return qs.filter(unit__path__startswith=actor.unit.path if actor.unit else "\0").order_by(
            "unit__path", "username"
        )
