"""Creating and updating sites: the one place that checks a site and decides its area unit.

The web form, the API and the spreadsheet import all go through :func:`clean_site` (and :func:`save_site`), so
the location rule of docs/geography.md and the scope rule are written once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from chuangwen.audit.services import record
from chuangwen.org.coords import CoordSystem, to_wgs84
from chuangwen.org.geo import AreaIndex, BoundaryError, LocationError, locate_area_unit, validate_boundary
from chuangwen.org.models import Unit
from chuangwen.sites.models import RiskTag, Site
from chuangwen.standards.models import Standard

if TYPE_CHECKING:
    from django.http import HttpRequest

    from chuangwen.accounts.models import User

SITE_TYPE_RE = re.compile(r"[A-Za-z]{1,16}")
# Text fields copied as given (after trimming), with their length limits.
TEXT_FIELDS = {"code": 32, "name": 200, "address": 300}
REQUIRED_ON_CREATE = ("code", "name", "site_type", "lng", "lat", "responsible_unit")


def active_site_types() -> dict[str, str] | None:
    """Code → name of the active standard's site types; None when no standard is active."""
    standard = Standard.objects.filter(is_active=True).order_by("-version").first()
    if standard is None:
        return None
    return dict(standard.site_types.values_list("code", "name"))


@dataclass
class SiteLookups:
    """What checking many sites needs, loaded once (an import shares one; a form save builds its own)."""

    index: AreaIndex | None = None
    site_types: dict[str, str] | None = None
    site_types_loaded: bool = False
    units: dict[str, Unit] = field(default_factory=dict)
    taken_codes: set[str] | None = None  # every site code in use, when the caller loaded them

    def code_taken(self, code: str) -> bool:
        if self.taken_codes is not None:
            return code in self.taken_codes
        return Site.objects.filter(code=code).exists()

    def area_index(self) -> AreaIndex:
        if self.index is None:
            self.index = AreaIndex.for_all_units()
        return self.index

    def types(self) -> dict[str, str] | None:
        if not self.site_types_loaded:
            self.site_types, self.site_types_loaded = active_site_types(), True
        return self.site_types

    def unit(self, code: str) -> Unit | None:
        if code not in self.units:
            found = Unit.objects.filter(code=code).first()
            if found is None:
                return None
            self.units[code] = found
        return self.units[code]


def in_scope(actor: User | None, unit: Unit | None) -> bool:
    """Whether ``actor`` may act on things of ``unit`` (None actor: the system itself)."""
    if actor is None:
        return True
    if unit is None:
        return False
    if actor.unit_id is None or actor.unit is None:
        return bool(actor.is_superuser)
    return unit.path.startswith(actor.unit.path)


def site_visible_to(actor: User | None, site: Site) -> bool:
    return in_scope(actor, site.area_unit) or in_scope(actor, site.responsible_unit)


def clean_site_type(value: str, allowed: dict[str, str] | None) -> str:
    code = value.strip().upper()
    if allowed is None:
        if not SITE_TYPE_RE.fullmatch(code):
            raise ValueError(_("点位类型编码应为 1–16 个英文字母，例如 ZD"))
        return code
    known = {c.upper(): c for c in allowed}
    if code not in known:
        options = "、".join(f"{c}（{n}）" for c, n in allowed.items())
        raise ValueError(
            _("“%(v)s”不是当前测评标准中的点位类型，可选：%(options)s") % {"v": value, "options": options}
        )
    return known[code]


def check_coordinates(lng: float, lat: float) -> None:
    """Refuse impossible coordinates with a reason people can act on."""
    if not (math.isfinite(lng) and math.isfinite(lat)):
        raise LocationError(_("经纬度不是有效数字"))
    if 0.8 <= lng <= 55.9 and 72 <= lat <= 137.9:
        raise LocationError(_("经纬度似乎填反了：经度应在 73～136 之间，纬度应在 3～54 之间"))
    if not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise LocationError(_("经纬度超出范围（经度 ±180，纬度 ±90）"))


@dataclass(frozen=True)
class SiteLocation:
    lng: float  # WGS-84
    lat: float
    area_unit_id: int
    area_note: str


def locate_site(
    lng: float, lat: float, system: str = CoordSystem.WGS84, index: AreaIndex | None = None
) -> SiteLocation:
    """Convert to WGS-84 and find the area unit; raises LocationError with a Chinese reason."""
    check_coordinates(lng, lat)
    wgs_lng, wgs_lat = to_wgs84(lng, lat, system)
    match = locate_area_unit(wgs_lng, wgs_lat, index)
    return SiteLocation(round(wgs_lng, 7), round(wgs_lat, 7), match.unit_id, match.note)


def _add(errors: dict[str, list[str]], name: str, message: str) -> None:
    errors.setdefault(name, []).append(message)


def _clean_texts(data: Mapping[str, Any], cleaned: dict[str, Any], errors: dict[str, list[str]]) -> None:
    for name, limit in TEXT_FIELDS.items():
        if name in data:
            value = str(data[name] or "").strip()
            if len(value) > limit:
                _add(errors, name, _("长度超过上限 %(max)s 个字符") % {"max": limit})
            cleaned[name] = value
    for name in ("declared", "active"):
        if name in data and data[name] is not None:
            cleaned[name] = bool(data[name])


def _clean_refs(
    data: Mapping[str, Any], actor: User | None, lookups: SiteLookups, cleaned: dict[str, Any], errors: dict
) -> None:
    if data.get("site_type"):
        try:
            cleaned["site_type"] = clean_site_type(str(data["site_type"]), lookups.types())
        except ValueError as exc:
            _add(errors, "site_type", str(exc))
    if "risk_tags" in data:
        tags = list(dict.fromkeys(data["risk_tags"] or []))
        unknown = [t for t in tags if t not in RiskTag.values]
        if unknown:
            allowed = "、".join(RiskTag.values)
            _add(
                errors,
                "risk_tags",
                _("未知的风险标签：%(t)s；可选：%(a)s") % {"t": "、".join(unknown), "a": allowed},
            )
        cleaned["risk_tags"] = tags
    responsible = data.get("responsible_unit")
    if responsible:
        unit = responsible if isinstance(responsible, Unit) else lookups.unit(str(responsible))
        if unit is None:
            _add(errors, "responsible_unit", _("责任单位编码“%(c)s”不存在") % {"c": responsible})
        elif not in_scope(actor, unit):
            _add(errors, "responsible_unit", _("责任单位“%(c)s”不在您的管辖范围内") % {"c": unit.code})
        else:
            cleaned["responsible_unit"] = unit


def _clean_place(
    data: Mapping[str, Any], lookups: SiteLookups, cleaned: dict[str, Any], errors: dict
) -> None:
    if data.get("polygon"):
        try:
            validate_boundary(data["polygon"], _("点位范围"))
            cleaned["polygon"] = data["polygon"]
        except BoundaryError as exc:
            _add(errors, "polygon", str(exc))
    elif "polygon" in data:
        cleaned["polygon"] = None
    if data.get("lng") is None or data.get("lat") is None:
        return
    try:
        place = locate_site(
            float(data["lng"]),
            float(data["lat"]),
            data.get("coord_system") or CoordSystem.WGS84,
            lookups.area_index(),
        )
    except (LocationError, ValueError) as exc:
        _add(errors, "location", str(exc))
        return
    cleaned.update(lng=place.lng, lat=place.lat, area_unit_id=place.area_unit_id, area_note=place.area_note)


def clean_site(
    data: Mapping[str, Any],
    actor: User | None,
    *,
    site: Site | None = None,
    lookups: SiteLookups | None = None,
) -> dict[str, Any]:
    """Check a site's data and return the model field values to write, or raise ValidationError(dict).

    ``data`` keys: code, name, site_type, address, lng, lat, coord_system ("WGS-84" | "GCJ-02"), polygon
    (GeoJSON or None), responsible_unit (a Unit or its code), declared, risk_tags (list), active. Keys left
    out keep their current value when updating. ``site`` is the site being updated (None: create). Error keys
    are those names, plus "location" for coordinate and area problems.
    """
    lookups = lookups or SiteLookups()
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    if site is not None and not site_visible_to(actor, site):
        raise ValidationError({"code": [_("该点位不在您的管辖范围内，不能修改")]})
    if site is None:
        for name in REQUIRED_ON_CREATE:
            if data.get(name) in (None, ""):
                _add(errors, "location" if name in ("lng", "lat") else name, _("不能为空"))
    _clean_texts(data, cleaned, errors)
    code = cleaned.get("code")
    if code and (site is None or code != site.code):
        if lookups.code_taken(code):
            _add(errors, "code", _("点位编码“%(c)s”已存在") % {"c": code})
    _clean_refs(data, actor, lookups, cleaned, errors)
    _clean_place(data, lookups, cleaned, errors)
    if errors:
        raise ValidationError(errors)
    return cleaned


def write_site(site: Site | None, cleaned: Mapping[str, Any]) -> tuple[Site, bool]:
    """Apply cleaned values (from :func:`clean_site`); returns the site and whether it was created."""
    created = site is None
    target = site if site is not None else Site()
    for name, value in cleaned.items():
        setattr(target, name, value)
    target.save()
    return target, created


def save_site(
    data: Mapping[str, Any],
    actor: User | None,
    *,
    site: Site | None = None,
    request: HttpRequest | None = None,
) -> Site:
    """Create (``site`` None) or update a site after :func:`clean_site`; audited. Raises ValidationError."""
    cleaned = clean_site(data, actor, site=site)
    with transaction.atomic():
        saved, created = write_site(site, cleaned)
        action = "site_created" if created else "site_updated"
        fields = sorted(k for k in cleaned if k != "polygon")
        record(
            request, action, obj=saved, actor=actor, detail={"fields": fields, "area_note": saved.area_note}
        )
    return saved


def relocate_after_boundaries_changed(sender: Any, index: AreaIndex, **kwargs: Any) -> dict[str, int]:
    """Receiver of ``org.signals.boundaries_changed``: relocate every site, return the counts."""
    return relocate_sites(index)


def relocate_sites(index: AreaIndex | None = None) -> dict[str, int]:
    """Recompute every site's area unit after boundaries changed (called inside the boundary import).

    A site that now lies outside every territory keeps its area unit and says so in its note.
    """
    index = index or AreaIndex.for_all_units()
    counts = {"moved": 0, "outside": 0, "unchanged": 0}
    for site in Site.objects.only("id", "lng", "lat", "area_unit_id", "area_note").iterator(chunk_size=500):
        try:
            match = locate_area_unit(site.lng, site.lat, index)
        except LocationError as exc:
            counts["outside"] += 1
            note = _("边界更新后：%(reason)s，保留原归属") % {"reason": exc}
            Site.objects.filter(pk=site.pk).update(area_note=note[:200])
            continue
        if (match.unit_id, match.note) == (site.area_unit_id, site.area_note):
            counts["unchanged"] += 1
            continue
        counts["moved" if match.unit_id != site.area_unit_id else "unchanged"] += 1
        Site.objects.filter(pk=site.pk).update(area_unit_id=match.unit_id, area_note=match.note)
    return counts
