"""API of changing the unit tree (docs/geography.md, "API: managing units"): create, edit, move and
deactivate units of the caller's subtree, through ``org.services`` like the units import; idempotent by
``client_id`` (``core/api_writes.py``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import ConfigDict
from pydantic import Field as PydanticField

from chuangwen.core.api_errors import ApiError
from chuangwen.core.api_writes import WRITE_ERRORS, ClientId, Duplicate, forbidden, not_found, once, refuse
from chuangwen.core.bounds import ID_MAX, IdPath
from chuangwen.core.web import user_of
from chuangwen.org import services
from chuangwen.org.api import UnitOut, router, unit_out
from chuangwen.org.models import Unit

# The operations join the units router (``org/api.py``): POST /units and PATCH /units/{id} beside the reads.
__all__ = ["router"]

KindIn = Literal["city", "district", "street", "community", "grid", "department"]
STATUS_OF = {"invalid": 400, "forbidden": 403, "conflict": 409}
# A duty tag as the units sheet reads one (a short word such as 城管).
Tags = list[Annotated[str, PydanticField(min_length=1, max_length=20)]]


class UnitCreateIn(Schema):
    model_config = ConfigDict(extra="forbid")
    client_id: ClientId
    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_\-]+$", description="单位编码")
    name: str = Field(min_length=1, max_length=100, description="单位名称")
    kind: KindIn = Field(description="单位类型")
    parent_id: int = Field(ge=1, le=ID_MAX, description="上级单位 ID（须在调用者的管辖范围内）")
    contact: str = Field("", max_length=50, description="联系电话")
    duty_tags: Tags = Field(default_factory=list, max_length=20, description="职责标签（部门）")
    sort_order: int = Field(0, ge=-1_000_000, le=1_000_000, description="排序")


class UnitChangeIn(Schema):
    """Only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid")
    client_id: ClientId
    name: str | None = Field(None, min_length=1, max_length=100, description="单位名称")
    contact: str | None = Field(None, max_length=50, description="联系电话")
    duty_tags: Tags | None = Field(None, max_length=20, description="职责标签（部门）")
    sort_order: int | None = Field(None, ge=-1_000_000, le=1_000_000, description="排序")
    parent_id: int | None = Field(None, ge=1, le=ID_MAX, description="移到该上级单位之下")
    active: bool | None = Field(None, description="false 停用；true 重新启用")


class UnitWriteOut(UnitOut):
    duplicate: Duplicate


def manager(request: HttpRequest) -> Any:
    user = user_of(request)
    if not services.may_manage_units(user):
        raise forbidden(_("只有系统管理员和文明办协调员可以维护单位"))
    return user


def refused(exc: services.Refused) -> ApiError:
    return refuse(STATUS_OF.get(exc.code, 400), exc.code, exc.message, exc.field)


def _written(unit_id: str, user: Any, duplicate: bool) -> dict[str, Any]:
    unit = Unit.objects.visible_to(user).filter(pk=int(unit_id)).first()
    if unit is None:
        raise not_found(_("没有找到该单位"))
    visible = set(Unit.objects.visible_to(user).values_list("pk", flat=True))
    return {**unit_out(unit, visible), "duplicate": duplicate}


def _clean_tags(tags: Tags) -> list[str]:
    return [tag.strip() for tag in tags if tag.strip()]


@router.post(
    "",
    response={201: UnitWriteOut, 200: UnitWriteOut, **WRITE_ERRORS},
    summary="新建单位（上级须在调用者的管辖范围内；按 client_id 幂等）",
)
def create_unit(request: HttpRequest, data: UnitCreateIn) -> Any:
    user = manager(request)
    parent = Unit.objects.visible_to(user).filter(pk=data.parent_id).first()
    if parent is None:
        raise refuse(403, "forbidden", _("上级单位不在您的管辖范围内"), "parent_id")
    fields = {
        "contact": data.contact,
        "duty_tags": _clean_tags(data.duty_tags),
        "sort_order": data.sort_order,
    }

    def apply() -> str:
        try:
            unit = services.create_unit(
                user, code=data.code, name=data.name, kind=data.kind, parent=parent, request=request, **fields
            )
        except services.Refused as exc:
            raise refused(exc) from None
        return str(unit.pk)

    unit_id, duplicate = once(user.pk, data.client_id, "org.unit_create", apply)
    return (200 if duplicate else 201), _written(unit_id, user, duplicate)


@router.patch(
    "/{unit_id}",
    response={200: UnitWriteOut, **WRITE_ERRORS},
    summary="修改、移动、停用或启用单位（仅调用者管辖范围内；按 client_id 幂等）",
)
def change_unit(request: HttpRequest, unit_id: IdPath, data: UnitChangeIn) -> Any:
    user = manager(request)
    unit = Unit.objects.visible_to(user).filter(pk=unit_id).first()
    if unit is None:
        raise not_found(_("没有找到该单位"))
    changes = _changes(user, data)

    def apply() -> str:
        try:
            services.update_unit(user, unit, changes, request=request)
        except services.Refused as exc:
            raise refused(exc) from None
        return str(unit.pk)

    _id, duplicate = once(user.pk, data.client_id, "org.unit_change", apply)
    return 200, _written(str(unit.pk), user, duplicate)


def _changes(user: Any, data: UnitChangeIn) -> dict[str, Any]:
    sent = data.model_fields_set - {"client_id"}
    changes: dict[str, Any] = {}
    for name in ("name", "contact", "sort_order", "active"):
        if name in sent and getattr(data, name) is not None:
            changes[name] = getattr(data, name)
    if "duty_tags" in sent and data.duty_tags is not None:
        changes["duty_tags"] = _clean_tags(data.duty_tags)
    if "parent_id" in sent:
        parent = Unit.objects.visible_to(user).filter(pk=data.parent_id).first() if data.parent_id else None
        if parent is None:
            raise refuse(403, "forbidden", _("上级单位不在您的管辖范围内"), "parent_id")
        changes["parent"] = parent
    return changes
