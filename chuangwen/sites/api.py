"""API of the site registry: the same filters as the list page, scoped to the caller's subtree."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.errors import ValidationError

from chuangwen.core.bounds import ID_MAX, OFFSET_MAX, IdPath
from chuangwen.core.web import user_of
from chuangwen.sites.forms import SiteFilterForm, site_type_names
from chuangwen.sites.models import Site

router = Router(tags=["点位"])

MAX_LIMIT = 500


class UnitRef(Schema):
    id: int = Field(description="单位 ID")
    code: str = Field(description="单位编码")
    name: str = Field(description="单位名称")


class SiteOut(Schema):
    id: int = Field(description="点位 ID")
    code: str = Field(description="点位编码")
    name: str = Field(description="点位名称")
    site_type: str = Field(description="点位类型编码，如 ZD")
    site_type_name: str = Field(description="点位类型名称（来自测评标准）")
    address: str = Field(description="地址")
    lng: float = Field(description="经度（WGS-84）")
    lat: float = Field(description="纬度（WGS-84）")
    area_unit: UnitRef = Field(description="所在区域（按位置判定的单位）")
    area_note: str = Field(description="区域判定说明")
    responsible_unit: UnitRef = Field(description="责任单位")
    declared: bool = Field(description="是否申报点位")
    risk_tags: list[str] = Field(description="风险标签")
    active: bool = Field(description="是否启用")
    updated_at: datetime = Field(description="更新时间")


class SiteDetailOut(SiteOut):
    polygon: dict[str, Any] | None = Field(description="点位范围（GeoJSON，WGS-84）")
    created_at: datetime = Field(description="创建时间")


class SitePage(Schema):
    count: int = Field(description="符合条件的点位总数")
    limit: int = Field(description="本页最多条数")
    offset: int = Field(description="本页起始位置")
    items: list[SiteOut] = Field(description="本页点位")


class SiteFilters(Schema):
    q: str | None = Field(None, description="名称、编码或地址（模糊匹配）")
    site_type: str | None = Field(None, description="点位类型编码")
    area: int | None = Field(None, ge=1, le=ID_MAX, description="所在区域单位 ID（含其下级）")
    responsible: int | None = Field(None, ge=1, le=ID_MAX, description="责任单位 ID（含其下级）")
    declared: bool | None = Field(None, description="是否申报点位")
    risk: str | None = Field(None, description="风险标签，如 老旧小区")
    active: bool | None = Field(None, description="是否启用")
    limit: int = Field(50, ge=1, le=MAX_LIMIT, description="每页条数（1–500）")
    offset: int = Field(0, ge=0, le=OFFSET_MAX, description="跳过的条数（0–10 000 000）")


def form_data(filters: SiteFilters) -> dict[str, str]:
    """The API's typed filters as the registry form's GET values (one filter implementation for both)."""
    data: dict[str, str] = {}
    for name in ("q", "site_type", "area", "responsible", "risk"):
        value = getattr(filters, name)
        if value is not None and value != "":
            data[name] = str(value)
    for name in ("declared", "active"):
        value = getattr(filters, name)
        if value is not None:
            data[name] = "1" if value else "0"
    return data


def site_out(site: Site, names: dict[str, str]) -> dict[str, Any]:
    def ref(unit: Any) -> dict[str, Any]:
        return {"id": unit.pk, "code": unit.code, "name": unit.name}

    return {
        "id": site.pk,
        "code": site.code,
        "name": site.name,
        "site_type": site.site_type,
        "site_type_name": names.get(site.site_type, site.site_type),
        "address": site.address,
        "lng": site.lng,
        "lat": site.lat,
        "area_unit": ref(site.area_unit),
        "area_note": site.area_note,
        "responsible_unit": ref(site.responsible_unit),
        "declared": site.declared,
        "risk_tags": [str(tag) for tag in site.risk_tags or []],
        "active": site.active,
        "updated_at": site.updated_at,
        "polygon": site.polygon,
        "created_at": site.created_at,
    }


@router.get("", response=SitePage, summary="点位列表（调用者范围内，可筛选、分页）")
def list_sites(request: HttpRequest, filters: Query[SiteFilters]) -> dict[str, Any]:
    user = user_of(request)
    form = SiteFilterForm(form_data(filters), user=user)
    sites = form.filter(Site.objects.visible_to(user))
    if form.errors:
        raise ValidationError(
            [
                {"loc": ["query", name], "msg": " ".join(str(m) for m in messages), "type": "value_error"}
                for name, messages in form.errors.items()
            ]
        )
    sites = sites.select_related("area_unit", "responsible_unit")
    page = sites[filters.offset : filters.offset + filters.limit]
    return {
        "count": sites.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [site_out(site, form.type_names) for site in page],
    }


@router.get("/{site_id}", response=SiteDetailOut, summary="点位详情（范围外的点位返回 404）")
def get_site(request: HttpRequest, site_id: IdPath) -> dict[str, Any]:
    sites = Site.objects.visible_to(user_of(request)).select_related("area_unit", "responsible_unit")
    site = get_object_or_404(sites, pk=site_id)
    return site_out(site, site_type_names())
