"""The site registry: filtered list with a map, the sites as GeoJSON, and a page per site."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _

from chuangwen.accounts import capabilities
from chuangwen.accounts.models import User
from chuangwen.core.web import querystring, user_of, wants_fragment
from chuangwen.org.models import Unit, path_ids
from chuangwen.org.views import boundary_feature
from chuangwen.sites import services
from chuangwen.sites.forms import SiteFilterForm, SiteForm
from chuangwen.sites.models import Site, SiteQuerySet

PAGE_SIZE = 50


def can_edit_sites(user: User) -> bool:
    return capabilities.is_coordinator(user)


def filtered_sites(request: HttpRequest) -> tuple[SiteFilterForm, SiteQuerySet]:
    """The viewer's sites narrowed by the GET filters (the same rules for the list, the map and exports)."""
    user = user_of(request)
    if not capabilities.may_see_registry(user):
        raise PermissionDenied(_("您的角色不使用点位台账。"))
    form = SiteFilterForm(request.GET, user=user)
    sites = form.filter(Site.objects.visible_to(user)).select_related("area_unit", "responsible_unit")
    return form, sites


@login_required
def site_list(request: HttpRequest) -> HttpResponse:
    form, sites = filtered_sites(request)
    page = Paginator(sites, PAGE_SIZE).get_page(request.GET.get("page"))
    query = querystring(request.GET)
    context: dict[str, Any] = {
        "form": form,
        "page": page,
        "rows": [(site, form.type_names.get(site.site_type, site.site_type)) for site in page.object_list],
        "query": query,
        "geojson_url": f"{reverse('sites:geojson')}?{query}" if query else reverse("sites:geojson"),
        "can_edit": can_edit_sites(user_of(request)),
        "site_create_url": reverse("sites:create"),
    }
    if wants_fragment(request):
        return render(request, "sites/partials/results.html", context)
    return render(request, "sites/list.html", context)


def site_feature(site: Site, type_names: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": site.pk,
        "geometry": {"type": "Point", "coordinates": [site.lng, site.lat]},
        "properties": {
            "id": site.pk,
            "code": site.code,
            "name": site.name,
            "site_type": site.site_type,
            "site_type_name": type_names.get(site.site_type, site.site_type),
            "declared": site.declared,
            "active": site.active,
            "url": reverse("sites:detail", args=[site.pk]),
        },
    }


@login_required
def sites_geojson(request: HttpRequest) -> JsonResponse:
    """The filtered sites of the viewer's scope as points (all of them, not one page)."""
    form, sites = filtered_sites(request)
    features = [site_feature(site, form.type_names) for site in sites]
    response = JsonResponse({"type": "FeatureCollection", "features": features})
    response["Content-Type"] = "application/geo+json"
    return response


def nearest_outlined_unit(unit: Unit, visible_units: Any) -> Unit | None:
    """The unit itself or its closest ancestor inside the viewer's scope that has a boundary."""
    candidates = visible_units.filter(pk__in=path_ids(unit.path), boundary__isnull=False)
    return max(candidates, key=lambda u: u.depth, default=None)


@login_required
def site_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One site; a site outside the viewer's scope is not found (its existence is not revealed)."""
    user = user_of(request)
    site = get_object_or_404(
        Site.objects.visible_to(user).select_related("area_unit", "responsible_unit"), pk=pk
    )
    visible_units = Unit.objects.visible_to(user)
    visible_ids = set(
        visible_units.filter(pk__in=[site.area_unit_id, site.responsible_unit_id]).values_list(
            "pk", flat=True
        )
    )
    type_names = SiteFilterForm(user=user).type_names
    site_geo = {"type": "FeatureCollection", "features": [site_feature(site, type_names)]}
    outlines: list[dict[str, Any]] = []
    outline_unit = nearest_outlined_unit(site.area_unit, visible_units)
    if outline_unit is not None:
        outlines.append(boundary_feature(outline_unit))
    if site.polygon:
        is_feature = site.polygon.get("type") == "Feature"
        outlines.append(site.polygon if is_feature else {"type": "Feature", "geometry": site.polygon})
    context = {
        "site": site,
        "type_name": type_names.get(site.site_type, ""),
        "area_visible": site.area_unit_id in visible_ids,
        "responsible_visible": site.responsible_unit_id in visible_ids,
        "site_geo": site_geo,
        "outlines": {"type": "FeatureCollection", "features": outlines},
        "can_edit": can_edit_sites(user),
        "site_edit_url": reverse("sites:edit", args=[site.pk]),
    }
    return render(request, "sites/detail.html", context)


def edit_site(request: HttpRequest, site: Site | None) -> HttpResponse:
    """The create/edit form; the service checks the data and decides the area unit from the location."""
    user = user_of(request)
    if not can_edit_sites(user):
        raise PermissionDenied(_("只有文明办协调员可以登记和修改点位。"))
    initial = SiteForm.initial_for(site) if site else None
    form = SiteForm(request.POST or None, initial=initial, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_site(form.service_data(), user, site=site, request=request)
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            area = saved.area_unit.name
            note = f"（{saved.area_note}）" if saved.area_note else ""
            messages.success(
                request, _("点位已保存，所在区域：%(area)s%(note)s") % {"area": area, "note": note}
            )
            return HttpResponseRedirect(reverse("sites:detail", args=[saved.pk]))
    return render(request, "sites/form.html", {"form": form, "site": site})


@login_required
def site_create(request: HttpRequest) -> HttpResponse:
    return edit_site(request, None)


@login_required
def site_edit(request: HttpRequest, pk: int) -> HttpResponse:
    site = get_object_or_404(Site.objects.visible_to(user_of(request)), pk=pk)
    return edit_site(request, site)
