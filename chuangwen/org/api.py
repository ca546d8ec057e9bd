"""API of the organisation tree: the caller's unit and everything below it, nothing else."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from chuangwen.core.bounds import IdPath
from chuangwen.core.web import user_of
from chuangwen.org.models import Unit

router = Router(tags=["组织机构"])


class UnitOut(Schema):
    id: int = Field(description="单位 ID")
    code: str = Field(description="单位编码")
    name: str = Field(description="单位名称")
    kind: str = Field(
        description="单位类型：city 市、district 区、street 街道、community 社区、grid 网格、department 部门"
    )
    kind_label: str = Field(description="单位类型（中文）")
    parent_id: int | None = Field(description="上级单位 ID；上级不在调用者可见范围内时为空")
    depth: int = Field(description="层级（市为 0）")
    duty_tags: list[str] = Field(description="职责标签（部门承担的问题类别）")
    contact: str = Field(description="联系电话")
    active: bool = Field(description="是否启用")
    has_boundary: bool = Field(description="是否已导入边界")


class UnitDetailOut(UnitOut):
    boundary: dict[str, Any] | None = Field(description="边界（GeoJSON 几何，WGS-84）")
    children: list[int] = Field(description="可见的下级单位 ID")


class UnitFilters(Schema):
    kind: str | None = Field(None, description="只列出该类型的单位，如 street")
    q: str | None = Field(None, description="名称或编码（模糊匹配）")
    active: bool | None = Field(None, description="是否启用")


def unit_out(unit: Unit, visible_ids: set[int]) -> dict[str, Any]:
    return {
        "id": unit.pk,
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "kind_label": str(unit.get_kind_display()),
        "parent_id": unit.parent_id if unit.parent_id in visible_ids else None,
        "depth": unit.depth,
        "duty_tags": [str(tag) for tag in unit.duty_tags or []],
        "contact": unit.contact,
        "active": unit.active,
        "has_boundary": unit.boundary is not None,
    }


@router.get("", response=list[UnitOut], summary="单位列表（调用者所在单位及其下级）")
def list_units(request: HttpRequest, filters: Query[UnitFilters]) -> list[dict[str, Any]]:
    user = user_of(request)
    visible = Unit.objects.visible_to(user)
    visible_ids = set(visible.values_list("pk", flat=True))
    units = visible.order_by("path")
    if filters.kind:
        units = units.filter(kind=filters.kind)
    if filters.q:
        units = units.filter(Q(name__icontains=filters.q) | Q(code__icontains=filters.q))
    if filters.active is not None:
        units = units.filter(active=filters.active)
    return [unit_out(unit, visible_ids) for unit in units]


@router.get("/{unit_id}", response=UnitDetailOut, summary="单位详情（范围外的单位返回 404）")
def get_unit(request: HttpRequest, unit_id: IdPath) -> dict[str, Any]:
    visible = Unit.objects.visible_to(user_of(request))
    unit = get_object_or_404(visible, pk=unit_id)
    children = list(visible.filter(parent=unit).order_by("sort_order", "code").values_list("pk", flat=True))
    parent_visible = unit.parent_id is not None and visible.filter(pk=unit.parent_id).exists()
    visible_ids = {unit.parent_id} if parent_visible and unit.parent_id else set()
    return {**unit_out(unit, visible_ids), "boundary": unit.boundary, "children": children}
