"""Geometry rules: valid unit boundaries, no overlapping siblings, and which unit a point lies in.

The rules are written down for people in ``docs/geography.md``; keep the two in step.

Distances and areas use a local equirectangular approximation: around a reference latitude φ₀ one degree of
latitude is ``M = R·π/180`` metres (R = 6 371 008.8 m, the mean Earth radius) and one degree of longitude is
``M·cos φ₀``. Each unit's boundary is projected once with φ₀ = the latitude of its centroid; inside a district
(tens of kilometres) the error is well under 1 %, far below what matters for a tolerance of tens of metres.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import shapely
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from chuangwen.org.distance import EARTH_RADIUS_M
from chuangwen.org.models import Unit, UnitKind

if TYPE_CHECKING:
    from collections.abc import Callable

METRES_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180.0
# A point this close to a boundary line counts as lying on it (typed coordinates carry ~7 decimals ≈ 1 cm).
BORDER_EPSILON_M = 0.01
# Distances closer than this are a tie (the nearest-unit rule then prefers the deeper unit, then the code).
DISTANCE_TIE_M = 0.01
# Every kind except departments has a territory.
AREA_KINDS = (UnitKind.CITY, UnitKind.DISTRICT, UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.GRID)


class BoundaryError(ValueError):
    """A boundary that cannot be used; the message (Chinese) names the feature and the reason."""


class LocationError(ValueError):
    """A point that lies in no unit's territory; ``distance_m`` is the distance to the nearest boundary."""

    def __init__(self, message: str, distance_m: float | None = None) -> None:
        super().__init__(message)
        self.distance_m = distance_m


# --- validating boundaries ------------------------------------------------------------------------

_VALIDITY_REASONS = {
    "Self-intersection": gettext_noop("边界自相交"),
    "Ring Self-intersection": gettext_noop("边界环自相交"),
    "Hole lies outside shell": gettext_noop("内环（洞）位于外环之外"),
    "Holes are nested": gettext_noop("内环（洞）相互嵌套"),
    "Interior is disconnected": gettext_noop("内部被分割成不连通的部分"),
    "Nested shells": gettext_noop("多个面相互嵌套"),
    "Duplicate Rings": gettext_noop("存在重复的环"),
    "Too few points": gettext_noop("点数过少"),
    "Invalid Coordinate": gettext_noop("坐标无效"),
    "Ring is not closed": gettext_noop("环未闭合"),
}
_VALIDITY_RE = re.compile(r"^(?P<reason>[^\[]+?)\s*\[(?P<x>[-\d.eE+]+)\s+(?P<y>[-\d.eE+]+)")


def _translate_validity(explanation: str) -> str:
    match = _VALIDITY_RE.match(explanation)
    if not match:
        return _("几何无效（%(detail)s）") % {"detail": explanation}
    reason = _VALIDITY_REASONS.get(match["reason"].strip(), match["reason"].strip())
    return _("%(reason)s，位置：经度 %(x).6f，纬度 %(y).6f") % {
        "reason": _(reason),
        "x": float(match["x"]),
        "y": float(match["y"]),
    }


def _check_position(label: str, position: Any) -> None:
    if not isinstance(position, list | tuple) or len(position) < 2:
        raise BoundaryError(_("%(label)s：坐标点格式错误（应为 [经度, 纬度]）") % {"label": label})
    lng, lat = position[0], position[1]
    if not all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in (lng, lat)
    ):
        raise BoundaryError(_("%(label)s：坐标不是有效数字：%(pos)s") % {"label": label, "pos": position[:2]})
    if not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise BoundaryError(
            _("%(label)s：坐标超出范围（经度 %(lng)s，纬度 %(lat)s；经度应在 ±180 内，纬度应在 ±90 内）")
            % {"label": label, "lng": lng, "lat": lat}
        )


def _check_ring(label: str, ring: Any, index: int) -> None:
    name = _("外环") if index == 0 else _("第 %(n)s 个内环") % {"n": index}
    if not isinstance(ring, list) or not ring:
        raise BoundaryError(_("%(label)s：%(ring)s为空或格式错误") % {"label": label, "ring": name})
    for position in ring:
        _check_position(label, position)
    if len(ring) < 4:
        raise BoundaryError(
            _("%(label)s：%(ring)s只有 %(n)s 个点，至少需要 4 个（首尾相同）")
            % {"label": label, "ring": name, "n": len(ring)}
        )
    if list(ring[0][:2]) != list(ring[-1][:2]):
        raise BoundaryError(
            _("%(label)s：%(ring)s未闭合（首点 %(first)s 与末点 %(last)s 不同）")
            % {"label": label, "ring": name, "first": list(ring[0][:2]), "last": list(ring[-1][:2])}
        )


def _polygons_of(label: str, geojson: Any) -> list[Any]:
    if not isinstance(geojson, dict) or "type" not in geojson:
        raise BoundaryError(_("%(label)s：缺少几何对象（geometry）") % {"label": label})
    kind, coords = geojson.get("type"), geojson.get("coordinates")
    if kind not in ("Polygon", "MultiPolygon"):
        raise BoundaryError(
            _("%(label)s：几何类型是 %(kind)s，边界必须是面（Polygon 或 MultiPolygon）")
            % {"label": label, "kind": kind}
        )
    if not isinstance(coords, list) or not coords:
        raise BoundaryError(_("%(label)s：坐标（coordinates）为空或格式错误") % {"label": label})
    return [coords] if kind == "Polygon" else coords


def validate_boundary(geojson: Any, label: str = "") -> BaseGeometry:
    """Check a GeoJSON Polygon/MultiPolygon and return it as a shapely geometry, or raise BoundaryError.

    ``label`` names the feature in messages, e.g. "第 3 个要素（S01 西湖街道）".
    """
    label = label or _("边界")
    for polygon in _polygons_of(label, geojson):
        if not isinstance(polygon, list) or not polygon:
            raise BoundaryError(_("%(label)s：面的坐标为空或格式错误") % {"label": label})
        for index, ring in enumerate(polygon):
            _check_ring(label, ring, index)
    geometry = shape(geojson)
    if not geometry.is_valid:
        raise BoundaryError(
            _("%(label)s：%(reason)s")
            % {"label": label, "reason": _translate_validity(explain_validity(geometry))}
        )
    if geometry.is_empty or geometry.area <= 0:
        raise BoundaryError(_("%(label)s：面积为零") % {"label": label})
    return geometry


def area_m2(geometry: BaseGeometry) -> float:
    """Approximate area in square metres (equirectangular at the geometry's centroid latitude)."""
    if geometry.is_empty:
        return 0.0
    cos_lat = math.cos(math.radians(geometry.centroid.y))
    return float(geometry.area) * METRES_PER_DEGREE * METRES_PER_DEGREE * cos_lat


def find_overlaps(items: Sequence[tuple[str, BaseGeometry]]) -> list[tuple[str, str, float]]:
    """Pairs of sibling boundaries whose interiors overlap by more than the tolerance: (label, label, m²).

    Touching borders (shared edges or corners) are fine.
    """
    tolerance = float(settings.BOUNDARY_OVERLAP_TOLERANCE_M2)
    geometries = [geometry for _label, geometry in items]
    tree = shapely.STRtree(geometries)
    pairs = tree.query(geometries, predicate="intersects")
    overlaps = []
    for i, j in zip(*pairs, strict=True):
        if i >= j:
            continue
        overlap = area_m2(geometries[i].intersection(geometries[j]))
        if overlap > tolerance:
            overlaps.append((items[i][0], items[j][0], overlap))
    return overlaps


# --- locating points ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    """One boundary, prepared for fast point tests, plus its metric projection for distances."""

    geometry: BaseGeometry  # degrees, prepared
    metric: BaseGeometry  # metres in the local equirectangular frame, prepared
    metric_boundary: BaseGeometry  # the metric outline, prepared (for "on the border" tests)
    cos_lat: float


@dataclass(frozen=True)
class AreaCandidate:
    unit_id: int
    code: str
    path: str
    depth: int
    shape: _Shape


@dataclass(frozen=True)
class AreaMatch:
    unit_id: int
    code: str
    note: str = ""
    distance_m: float = 0.0


_SHAPE_CACHE: dict[tuple[int, str], _Shape] = {}
_SHAPE_CACHE_LIMIT = 5000


def boundary_hash(boundary: Any) -> str:
    canonical = json.dumps(boundary, sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(canonical.encode(), usedforsecurity=False).hexdigest()


def _build_shape(boundary: Any) -> _Shape:
    geometry = shape(boundary)
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
    cos_lat = math.cos(math.radians(geometry.centroid.y))
    scale = (METRES_PER_DEGREE * cos_lat, METRES_PER_DEGREE)
    metric = shapely.transform(geometry, lambda xy: xy * scale)
    metric_boundary = metric.boundary
    for g in (geometry, metric, metric_boundary):
        shapely.prepare(g)
    return _Shape(geometry, metric, metric_boundary, cos_lat)


def _shape_for(unit: Unit) -> _Shape:
    key = (unit.pk, boundary_hash(unit.boundary))
    cached = _SHAPE_CACHE.get(key)
    if cached is None:
        if len(_SHAPE_CACHE) >= _SHAPE_CACHE_LIMIT:
            _SHAPE_CACHE.clear()
        cached = _SHAPE_CACHE[key] = _build_shape(unit.boundary)
    return cached


class AreaIndex:
    """The units with boundaries that take part in locating points, with a spatial index over them."""

    def __init__(self, units: Iterable[Unit]) -> None:
        self.candidates = [
            AreaCandidate(u.pk, u.code, u.path, u.depth, _shape_for(u))
            for u in units
            if u.boundary and u.kind != UnitKind.DEPARTMENT
        ]
        self._tree = shapely.STRtree([c.shape.geometry for c in self.candidates])

    @classmethod
    def for_all_units(cls) -> AreaIndex:
        units = Unit.objects.filter(active=True, kind__in=AREA_KINDS, boundary__isnull=False).only(
            "id", "code", "path", "depth", "kind", "boundary"
        )
        return cls(units)

    def covering(self, lng: float, lat: float) -> list[tuple[AreaCandidate, bool]]:
        """Candidates whose closed area holds the point, each with whether the point is on its border."""
        point = Point(lng, lat)
        found = []
        for i in self._tree.query(point, predicate="intersects"):
            candidate = self.candidates[int(i)]
            on_border = (
                _distance_m(candidate.shape.metric_boundary, candidate.shape, lng, lat) <= BORDER_EPSILON_M
            )
            found.append((candidate, on_border))
        return found

    def distances(self, lng: float, lat: float) -> list[tuple[AreaCandidate, float]]:
        return [(c, _distance_m(c.shape.metric, c.shape, lng, lat)) for c in self.candidates]


def _distance_m(metric: BaseGeometry, frame: _Shape, lng: float, lat: float) -> float:
    point = Point(lng * METRES_PER_DEGREE * frame.cos_lat, lat * METRES_PER_DEGREE)
    return float(shapely.distance(metric, point))


def _finest(candidates: list[AreaCandidate]) -> list[AreaCandidate]:
    """Drop every candidate that has a descendant in the list: keep the finest units only."""
    return [c for c in candidates if not any(o is not c and o.path.startswith(c.path) for o in candidates)]


def _by_depth_then_code(c: AreaCandidate) -> tuple[int, str]:
    return (-c.depth, c.code)


def _pick(candidates: list[AreaCandidate], key: Callable[[AreaCandidate], Any]) -> AreaCandidate:
    return min(_finest(candidates), key=key)


def locate_area_unit(
    lng: float, lat: float, candidates: AreaIndex | Iterable[Unit] | None = None
) -> AreaMatch:
    """The unit whose territory holds a WGS-84 point (see docs/geography.md for the rule).

    ``candidates``: an :class:`AreaIndex` (build one per import and reuse it), units, or None for all active
    units with a boundary. Raises :class:`LocationError` when the point lies in nobody's territory.
    """
    if isinstance(candidates, AreaIndex):
        index = candidates
    elif candidates is None:
        index = AreaIndex.for_all_units()
    else:
        index = AreaIndex(candidates)
    if not index.candidates:
        raise LocationError(_("尚未导入任何辖区边界，无法判定点位所在区域；请先导入边界"))
    covering = index.covering(lng, lat)
    if covering:
        return _inside_match(covering)
    return _outside_match(index.distances(lng, lat))


def _inside_match(covering: list[tuple[AreaCandidate, bool]]) -> AreaMatch:
    finest = _finest([c for c, _on in covering])
    border = {c.unit_id for c, on in covering if on}
    interior = [c for c in finest if c.unit_id not in border]
    if interior:  # the ordinary case: strictly inside, the deepest unit wins
        chosen = min(interior, key=_by_depth_then_code)
        return AreaMatch(chosen.unit_id, chosen.code)
    chosen = min(finest, key=lambda c: c.code)
    note = _("位于边界，按编码规则归属") if len(finest) > 1 else ""
    return AreaMatch(chosen.unit_id, chosen.code, note)


def _outside_match(distances: list[tuple[AreaCandidate, float]]) -> AreaMatch:
    nearest = min(d for _c, d in distances)
    if nearest <= BORDER_EPSILON_M:  # on the outer border, up to rounding: treat as on the border
        on_border = [c for c, d in distances if d <= BORDER_EPSILON_M]
        return _inside_match([(c, True) for c in on_border])
    tolerance = float(settings.SITE_OUTSIDE_TOLERANCE_M)
    metres = max(1, round(nearest))
    if nearest > tolerance:
        raise LocationError(
            _("点位不在辖区范围内（距最近边界 %(m)s 米）") % {"m": metres}, distance_m=nearest
        )
    tied = [c for c, d in distances if d <= nearest + DISTANCE_TIE_M]
    chosen = _pick(tied, _by_depth_then_code)
    return AreaMatch(chosen.unit_id, chosen.code, _("辖区外 %(m)s 米，就近归属") % {"m": metres}, nearest)
