"""Spreadsheet import/export definition for sites (点位); the checks themselves live in sites.services."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.accounts.models import Role, User
from chuangwen.core.cells import CellError, code, join_tags, number, tags, text, yes_no, yes_no_text
from chuangwen.core.imports import Column, ImportContext, Row, SheetSpec
from chuangwen.core.xlsx import cell_text
from chuangwen.org.coords import CoordSystem
from chuangwen.org.geo import AreaIndex
from chuangwen.org.models import Unit
from chuangwen.sites.models import RiskTag, Site
from chuangwen.sites.services import SiteLookups, clean_site

LOCATION_COLUMNS = "经度/纬度"
_COORD_ALIASES = {
    "wgs-84": CoordSystem.WGS84,
    "wgs84": CoordSystem.WGS84,
    "gps": CoordSystem.WGS84,
    "gcj-02": CoordSystem.GCJ02,
    "gcj02": CoordSystem.GCJ02,
    "火星坐标": CoordSystem.GCJ02,
    "国测局坐标": CoordSystem.GCJ02,
    "高德": CoordSystem.GCJ02,
    "腾讯": CoordSystem.GCJ02,
}


def coord_system(value: Any) -> str:
    typed = cell_text(value).strip().lower()
    if typed in _COORD_ALIASES:
        return str(_COORD_ALIASES[typed])
    raise CellError(_("坐标系应为 WGS-84 或 GCJ-02（高德、腾讯等国内地图），而不是“%(v)s”") % {"v": typed})


class SiteSheet(SheetSpec):
    kind = "sites"
    title = "点位"
    key = "code"
    roles = frozenset({Role.COORDINATOR})
    export_roles = frozenset(set(Role) - {Role.VOLUNTEER})
    columns = (
        Column("点位编码", "code", required=True, parse=code()),
        Column("点位名称", "name", required=True, parse=text(200)),
        Column("点位类型", "site_type", required=True, parse=text(16)),
        Column("地址", "address", parse=text(300)),
        # Both ±180 here: a latitude typed in the longitude column is caught later with a clearer message.
        Column("经度", "lng", required=True, parse=number(-180, 180)),
        Column("纬度", "lat", required=True, parse=number(-180, 180)),
        Column("坐标系", "coord_system", parse=coord_system, empty=CoordSystem.WGS84.value),
        Column("责任单位编码", "responsible_unit", required=True, parse=code()),
        Column("申报点位", "declared", parse=yes_no, empty=None),
        Column("风险标签", "risk_tags", parse=tags(RiskTag.values), empty=[]),
        Column("启用", "active", parse=yes_no, empty=None),
        Column("所在区域编码（自动判定）", "area_code", export_only=True),
        Column("所在区域（自动判定）", "area_name", export_only=True),
        Column("区域判定说明", "area_note", export_only=True),
    )

    def prepare(self, rows: list[Row], ctx: ImportContext) -> None:
        codes = [r.get("code") for r in rows if r.get("code")]
        existing = Site.objects.filter(code__in=codes).select_related("area_unit", "responsible_unit")
        self.existing = {s.code: s for s in existing}
        unit_codes = {r.get("responsible_unit") for r in rows if r.get("responsible_unit")}
        units = {u.code: u for u in Unit.objects.filter(code__in=unit_codes)}
        taken = set(self.existing)  # codes of the file that exist; other codes are free
        self.lookups = SiteLookups(index=AreaIndex.for_all_units(), units=units, taken_codes=taken)

    def check_row(self, row: Row, ctx: ImportContext) -> None:
        failed = set(row.cells) - set(row.values)  # cells that already have an error
        data = {k: v for k, v in row.values.items() if k not in failed}
        if {"lng", "lat"} & failed:
            data.pop("lng", None)
            data.pop("lat", None)
        if "coord_system" in failed:
            data.pop("lng", None)
        try:
            row.extra["cleaned"] = clean_site(
                data, ctx.actor, site=self.existing.get(row.get("code")), lookups=self.lookups
            )
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                if name in failed or (name == "location" and {"lng", "lat", "coord_system"} & failed):
                    continue
                column = LOCATION_COLUMNS if name == "location" else name
                value = (
                    f"{row.cells.get('lng', '')}, {row.cells.get('lat', '')}" if name == "location" else None
                )
                for message in messages:
                    ctx.error(row, column, message, value=value)

    def save(self, rows: list[Row], ctx: ImportContext) -> tuple[int, int]:
        codes = [r.get("code") for r in rows]
        sites = {s.code: s for s in Site.objects.select_for_update().filter(code__in=codes)}
        new_sites, changed, fields = [], [], {"updated_at"}
        now = timezone.now()
        for row in rows:
            cleaned = row.extra["cleaned"]
            site = sites.get(row.get("code"))
            if site is None:
                new_sites.append(Site(**cleaned))
                continue
            for name, value in cleaned.items():
                setattr(site, name, value)
                fields.add(name.removesuffix("_id"))
            site.updated_at = now
            changed.append(site)
        Site.objects.bulk_create(new_sites, batch_size=500)
        Site.objects.bulk_update(changed, sorted(fields), batch_size=500)
        return len(new_sites), len(changed)

    def export_values(self, obj: Site) -> dict[str, Any]:
        return {
            "code": obj.code,
            "name": obj.name,
            "site_type": obj.site_type,
            "address": obj.address,
            "lng": obj.lng,
            "lat": obj.lat,
            "coord_system": CoordSystem.WGS84.value,
            "responsible_unit": obj.responsible_unit.code,
            "declared": yes_no_text(obj.declared),
            "risk_tags": join_tags(obj.risk_tags or []),
            "active": yes_no_text(obj.active),
            "area_code": obj.area_unit.code,
            "area_name": obj.area_unit.name,
            "area_note": obj.area_note,
        }

    def export_queryset(self, request: HttpRequest, actor: User) -> models.QuerySet[Site]:
        from chuangwen.sites.views import filtered_sites

        _form, sites = filtered_sites(request)  # exactly the sites the list shows
        return sites

    def queryset_for(self, actor: User | None) -> models.QuerySet[Site]:
        sites = Site.objects.select_related("area_unit", "responsible_unit").order_by("code")
        if actor is None or (actor.is_superuser and actor.unit_id is None):
            return sites
        return sites.visible_to(actor)
