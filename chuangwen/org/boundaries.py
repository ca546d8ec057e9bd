"""Importing unit boundaries from a GeoJSON FeatureCollection, all or nothing.

Each feature names an existing unit in ``properties.code`` (or ``properties.name`` with ``match="name"``)
and carries a Polygon or MultiPolygon in WGS-84. Every feature is checked (geometry, unit, scope, duplicates)
and the new boundaries are checked against each other and against those already stored: sibling territories
may touch but not overlap, a territory lies within its nearest mapped ancestor and holds its mapped
descendants. Any problem → nothing is written and every problem is reported with the feature's position, the
unit and the reason. On success the boundaries are written in one transaction, sites are re-located against
the new boundaries, and one audit entry records the import.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from chuangwen.audit.services import record
from chuangwen.org.geo import AreaIndex, BoundaryError, area_m2, find_overlaps, validate_boundary
from chuangwen.org.models import Unit, UnitKind
from chuangwen.org.signals import boundaries_changed

if TYPE_CHECKING:
    from django.http import HttpRequest

    from chuangwen.accounts.models import User


@dataclass
class BoundaryProblem:
    index: int | None  # 1-based position of the feature; None for the file as a whole
    unit: str  # "S01 西湖街道", or the code/name the feature gave
    reason: str

    def __str__(self) -> str:
        where = _("第 %(n)s 个要素") % {"n": self.index} if self.index else _("文件")
        unit = f"（{self.unit}）" if self.unit else ""
        return f"{where}{unit}：{self.reason}"


class BoundaryImportError(ValueError):
    def __init__(self, problems: list[BoundaryProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class BoundaryImportResult:
    updated: int
    sites: dict[str, int] = field(default_factory=dict)


@dataclass
class _Item:
    index: int
    unit: Unit
    geojson: dict[str, Any]
    geometry: BaseGeometry


def _label(unit: Unit) -> str:
    return f"{unit.code} {unit.name}"


def _features(data: Any) -> list[Any]:
    if isinstance(data, bytes | str):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BoundaryImportError(
                [BoundaryProblem(None, "", _("不是有效的 JSON：%(e)s") % {"e": exc})]
            ) from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        reason = _("文件必须是 GeoJSON FeatureCollection（type 为 FeatureCollection）")
        raise BoundaryImportError([BoundaryProblem(None, "", reason)])
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise BoundaryImportError([BoundaryProblem(None, "", _("FeatureCollection 中没有要素（features）"))])
    return features


def _scope_path(actor: User | None) -> str | None:
    if actor is None or (actor.is_superuser and actor.unit_id is None):
        return None
    return actor.unit.path if actor.unit is not None else "\0nothing"


def _find_units(features: list[Any], match: str) -> dict[str, list[Unit]]:
    keys = {
        str(f.get("properties", {}).get(match, "")).strip()
        for f in features
        if isinstance(f, dict) and isinstance(f.get("properties"), dict)
    }
    found: dict[str, list[Unit]] = {}
    for unit in Unit.objects.filter(**{f"{match}__in": [k for k in keys if k]}):
        found.setdefault(getattr(unit, match), []).append(unit)
    return found


def _check_feature(
    number: int, feature: Any, match: str, units: dict[str, list[Unit]], scope: str | None
) -> _Item | BoundaryProblem:
    properties = feature.get("properties") if isinstance(feature, dict) else None
    if not isinstance(feature, dict) or feature.get("type") != "Feature" or not isinstance(properties, dict):
        return BoundaryProblem(number, "", _("不是有效的 GeoJSON 要素（Feature，且带 properties）"))
    key = str(properties.get(match, "") or "").strip()
    field_name = _("单位编码") if match == "code" else _("单位名称")
    if not key:
        return BoundaryProblem(number, "", _("properties.%(m)s 为空，无法对应到单位") % {"m": match})
    candidates = units.get(key, [])
    if not candidates:
        return BoundaryProblem(number, key, _("%(f)s“%(k)s”不存在") % {"f": field_name, "k": key})
    if len(candidates) > 1:
        codes = "、".join(u.code for u in candidates)
        return BoundaryProblem(number, key, _("名称对应多个单位（%(c)s），请改用编码匹配") % {"c": codes})
    unit = candidates[0]
    if unit.kind == UnitKind.DEPARTMENT:
        return BoundaryProblem(number, _label(unit), _("部门没有辖区，不能设置边界"))
    if scope is not None and not unit.path.startswith(scope):
        return BoundaryProblem(number, _label(unit), _("该单位不在您的管辖范围内"))
    try:
        geometry = validate_boundary(feature.get("geometry"), _("边界"))
    except BoundaryError as exc:
        return BoundaryProblem(number, _label(unit), str(exc))
    return _Item(number, unit, feature["geometry"], geometry)


def _overlap_problems(items: list[_Item]) -> list[BoundaryProblem]:
    """New boundaries against each other and against the stored boundaries of their other siblings."""
    by_parent: dict[int | None, list[_Item]] = {}
    for item in items:
        by_parent.setdefault(item.unit.parent_id, []).append(item)
    problems = []
    for parent_id, group in by_parent.items():
        entries: list[tuple[str, BaseGeometry]] = [(f"new:{i.index}", i.geometry) for i in group]
        names = {f"new:{i.index}": _label(i.unit) for i in group}
        new_items = {f"new:{i.index}": i for i in group}
        stored = Unit.objects.filter(parent_id=parent_id, boundary__isnull=False).exclude(
            pk__in=[i.unit.pk for i in group]
        )
        for sibling in stored.exclude(kind=UnitKind.DEPARTMENT):
            geometry = shape(sibling.boundary)
            if geometry.is_valid:
                entries.append((f"db:{sibling.code}", geometry))
                names[f"db:{sibling.code}"] = _label(sibling)
        for a, b, area in find_overlaps(entries):
            if a not in new_items:
                a, b = b, a
            if a not in new_items:
                continue  # two stored boundaries: not this import's doing
            reason = _("与“%(o)s”的边界重叠约 %(a).0f 平方米（相邻单位的边界只能相接，不能重叠）") % {
                "o": names[b],
                "a": area,
            }
            problems.append(BoundaryProblem(new_items[a].index, names[a], reason))
    return problems


def _ancestor_ids(unit: Unit) -> list[int]:
    return unit.lineage_ids[:-1]


def _outside_m2(inner: BaseGeometry, outer: BaseGeometry) -> float:
    return area_m2(inner.difference(outer))


def _containment_problems(items: list[_Item]) -> list[BoundaryProblem]:
    """A territory lies within its nearest mapped ancestor, and holds its mapped descendants."""
    tolerance = float(settings.BOUNDARY_OVERLAP_TOLERANCE_M2)
    new = {item.unit.pk: item for item in items}
    ids = {pk for item in items for pk in _ancestor_ids(item.unit)}
    stored = {u.pk: u for u in Unit.objects.filter(pk__in=ids, boundary__isnull=False)}
    problems = []
    for item in items:
        for pk in reversed(_ancestor_ids(item.unit)):  # the nearest ancestor with a boundary
            if pk not in new and pk not in stored:
                continue
            outer = new[pk].geometry if pk in new else shape(stored[pk].boundary)
            name = _label(new[pk].unit if pk in new else stored[pk])
            outside = _outside_m2(item.geometry, outer)
            if outside > tolerance:
                reason = _("超出上级单位“%(o)s”的边界约 %(a).0f 平方米") % {"o": name, "a": outside}
                problems.append(BoundaryProblem(item.index, _label(item.unit), reason))
            break
        below = Unit.objects.filter(path__startswith=item.unit.path, boundary__isnull=False)
        for child in below.exclude(pk__in=list(new)):
            outside = _outside_m2(shape(child.boundary), item.geometry)
            if outside > tolerance:
                reason = _("下级单位“%(c)s”的现有边界超出新边界约 %(a).0f 平方米") % {
                    "c": _label(child),
                    "a": outside,
                }
                problems.append(BoundaryProblem(item.index, _label(item.unit), reason))
    return problems


def import_boundaries(
    data: Any,
    *,
    match: str = "code",
    actor: User | None = None,
    request: HttpRequest | None = None,
    relocate: bool = True,
) -> BoundaryImportResult:
    """Import a FeatureCollection (dict, JSON text or bytes); BoundaryImportError lists every problem.

    ``actor`` None means the system (management commands); a user may only set boundaries inside his subtree.
    """
    if match not in ("code", "name"):
        raise ValueError("match must be 'code' or 'name'")
    features = _features(data)
    units = _find_units(features, match)
    scope = _scope_path(actor)
    items: list[_Item] = []
    problems: list[BoundaryProblem] = []
    seen: dict[int, int] = {}
    for number, feature in enumerate(features, start=1):
        checked = _check_feature(number, feature, match, units, scope)
        if isinstance(checked, BoundaryProblem):
            problems.append(checked)
        elif checked.unit.pk in seen:
            reason = _("与第 %(n)s 个要素是同一个单位") % {"n": seen[checked.unit.pk]}
            problems.append(BoundaryProblem(number, _label(checked.unit), reason))
        else:
            seen[checked.unit.pk] = number
            items.append(checked)
    problems += _overlap_problems(items) + _containment_problems(items)
    if problems:
        problems.sort(key=lambda p: p.index or 0)
        raise BoundaryImportError(problems)
    return _save(items, actor, request, relocate)


def _save(
    items: list[_Item], actor: User | None, request: HttpRequest | None, relocate: bool
) -> BoundaryImportResult:
    with transaction.atomic():
        for item in items:
            Unit.objects.filter(pk=item.unit.pk).update(boundary=item.geojson)
        sites: dict[str, int] = {}
        if relocate:  # the sites app relocates its sites (org/signals.py)
            for _receiver, counts in boundaries_changed.send(sender=Unit, index=AreaIndex.for_all_units()):
                if isinstance(counts, dict):
                    sites.update(counts)
        detail = {"units": [i.unit.code for i in items], "count": len(items), "sites": sites}
        record(request, "boundaries_imported", actor=actor, detail=detail)
    return BoundaryImportResult(len(items), sites)
