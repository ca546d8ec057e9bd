"""Organisation pages: the viewer's unit tree, a unit page and the boundaries of the subtree as GeoJSON."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from chuangwen.accounts.models import User
from chuangwen.core.bounds import parse_ids
from chuangwen.core.web import user_of
from chuangwen.org.models import Unit, UnitKind, path_ids
from chuangwen.sites.models import Site

# Levels of the tree shown unfolded when the page opens; deeper levels open on a click.
OPEN_DEPTH = 2


@dataclass
class TreeNode:
    unit: Unit
    level: int
    area_sites: int = 0
    responsible_sites: int = 0
    children: list[TreeNode] = field(default_factory=list)

    @property
    def is_department(self) -> bool:
        return self.unit.kind == UnitKind.DEPARTMENT

    @property
    def open(self) -> bool:
        return self.level < OPEN_DEPTH


def site_counts(user: User) -> tuple[Counter[int], Counter[int]]:
    """Sites in the viewer's scope per unit: by area (the unit's whole subtree) and by responsibility."""
    sites = Site.objects.visible_to(user)
    by_area: Counter[int] = Counter()
    for row in sites.values("area_unit__path").annotate(n=Count("id")):
        for unit_id in path_ids(row["area_unit__path"]):
            by_area[unit_id] += row["n"]
    by_responsible: Counter[int] = Counter(
        {
            row["responsible_unit"]: row["n"]
            for row in sites.values("responsible_unit").annotate(n=Count("id"))
        }
    )
    return by_area, by_responsible


def build_tree(user: User) -> list[TreeNode]:
    """The viewer's subtree as nested nodes (one query for the units, two for the site counts)."""
    units = sorted(
        Unit.objects.visible_to(user),
        key=lambda u: (u.depth, u.kind == UnitKind.DEPARTMENT, u.sort_order, u.code),
    )  # territories before departments among siblings
    by_area, by_responsible = site_counts(user)
    nodes = {
        unit.pk: TreeNode(unit, 0, by_area.get(unit.pk, 0), by_responsible.get(unit.pk, 0)) for unit in units
    }
    roots: list[TreeNode] = []
    for unit in units:
        node = nodes[unit.pk]
        parent = nodes.get(unit.parent_id) if unit.parent_id else None
        if parent is None:
            roots.append(node)
        else:
            node.level = parent.level + 1
            parent.children.append(node)
    return roots


@login_required
def unit_tree(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    roots = build_tree(user)
    return render(request, "org/tree.html", {"roots": roots, "kinds": UnitKind.choices})


@login_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One unit of the viewer's subtree; any other unit is simply not found."""
    user = user_of(request)
    visible = Unit.objects.visible_to(user)
    unit = get_object_or_404(visible, pk=pk)
    scope_path = user.unit.path if user.unit else ""
    sites = Site.objects.visible_to(user)
    context: dict[str, Any] = {
        "unit": unit,
        "ancestors": [a for a in unit.ancestors() if a.path.startswith(scope_path)],
        "children": visible.filter(parent=unit).order_by("sort_order", "code"),
        "area_site_count": sites.filter(area_unit__path__startswith=unit.path).count(),
        "responsible_site_count": sites.filter(responsible_unit=unit).count(),
        "people_count": User.objects.visible_to(user).filter(unit=unit, is_active=True).count(),
        "boundaries_url": f"{reverse('org:boundaries')}?unit={unit.pk}",
        "sites_url": f"{reverse('sites:geojson')}?{_unit_site_filter(unit)}={unit.pk}",
        "sites_list_url": f"{reverse('sites:list')}?{_unit_site_filter(unit)}={unit.pk}",
    }
    return render(request, "org/detail.html", context)


def _unit_site_filter(unit: Unit) -> str:
    """Departments own sites by responsibility; territorial units hold them by area."""
    return "responsible" if unit.kind == UnitKind.DEPARTMENT else "area"


def boundary_feature(unit: Unit) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": unit.pk,
        "geometry": unit.boundary,
        "properties": {
            "id": unit.pk,
            "code": unit.code,
            "name": unit.name,
            "kind": unit.kind,
            "kind_label": str(unit.get_kind_display()),
            "url": reverse("org:detail", args=[unit.pk]),
        },
    }


@login_required
def boundaries_geojson(request: HttpRequest) -> JsonResponse:
    """Boundaries of the viewer's subtree (``?unit=<id>`` narrows to that unit's own subtree)."""
    user = user_of(request)
    units = Unit.objects.visible_to(user).filter(boundary__isnull=False)
    unit_id = request.GET.get("unit", "")
    if unit_id:
        ids = parse_ids(unit_id)
        root = get_object_or_404(Unit.objects.visible_to(user), pk=ids[0] if ids else 0)
        units = units.filter(path__startswith=root.path)
    features = [boundary_feature(unit) for unit in units.order_by("depth", "code") if unit.boundary]
    response = JsonResponse({"type": "FeatureCollection", "features": features})
    response["Content-Type"] = "application/geo+json"
    return response
