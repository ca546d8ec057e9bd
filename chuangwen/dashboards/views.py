"""The dashboards' pages: leader overview and big screen, unit page, site dossier, problem heat map."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chuangwen.accounts import capabilities
from chuangwen.accounts.models import User
from chuangwen.cases import casemap
from chuangwen.core.bounds import BoundedDateField
from chuangwen.core.web import user_of
from chuangwen.dashboards import exports, services
from chuangwen.dashboards.cache import cached
from chuangwen.dashboards.volunteer_panel import volunteer_panel
from chuangwen.org.models import Unit
from chuangwen.rankings.models import LevelKind, Ranking
from chuangwen.sites.models import Site

# The big screen reloads itself this often (seconds).
SCREEN_REFRESH_SECONDS = 300


def require_overview(request: HttpRequest) -> Unit:
    """Leaders and coordinators only; anyone else is refused. Returns the viewer's unit."""
    user = user_of(request)
    if not capabilities.may_see_overview(user) or user.unit is None:
        raise PermissionDenied(_("只有文明办协调员和区领导可以查看数据看板。"))
    return user.unit


def json_response(data: dict[str, Any]) -> JsonResponse:
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


def latest_ranking(rows: int = 10) -> dict[str, Any]:
    """The newest published street ranking (public to every signed-in user), its first rows."""
    ranking = Ranking.objects.filter(level=LevelKind.STREET).order_by("-published_at", "-pk").first()
    top = list(ranking.rows.order_by("rank", "unit_name")[:rows]) if ranking is not None else []
    return {"ranking": ranking, "ranking_rows": top}


def overview_figures(user: User, unit: Unit, now: datetime) -> dict[str, Any]:
    return {
        "ind": services.indicators(user, unit, now),
        "worst": services.worst_sites(user, unit, now),
        "categories": services.top_categories(user, unit, now),
        "children": services.child_rows(user, unit, now),
    }


def overview_context(request: HttpRequest, unit: Unit) -> dict[str, Any]:
    user = user_of(request)
    now = timezone.now()
    figures = cached("overview-page", user, unit, now, lambda: overview_figures(user, unit, now))
    return {
        "unit": unit,
        **figures,
        "volunteers": volunteer_panel(user, unit, now),
        **latest_ranking(),
        "data_url": reverse("dashboards:data"),
        "geojson_url": reverse("cases:map_geojson"),
        "legend": casemap.legend(),
        "window_months": services.WINDOW_MONTHS,
        "disposal_days": services.DISPOSAL_DAYS,
    }


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    unit = require_overview(request)
    if request.GET.get("screen") == "1":
        return screen(request)
    return render(request, "dashboards/overview.html", overview_context(request, unit))


@login_required
def overview_export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    """A table of the overview (worst sites, sub-units, categories, hot spots) as CSV or xlsx."""
    return exports.export_table(request, require_overview(request), table, fmt)


@login_required
def screen(request: HttpRequest) -> HttpResponse:
    """大屏: the overview's data in a dark full-screen layout that reloads itself."""
    unit = require_overview(request)
    context = overview_context(request, unit)
    context["refresh_seconds"] = SCREEN_REFRESH_SECONDS
    return render(request, "dashboards/screen.html", context)


@login_required
def overview_data(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    if not capabilities.may_see_overview(user) or user.unit is None:
        return JsonResponse({"detail": _("只有文明办协调员和区领导可以查看数据看板。")}, status=403)
    return HttpResponse(services.overview_json(user, user.unit), content_type="application/json")


@login_required
def unit_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    unit = get_object_or_404(Unit.objects.visible_to(user), pk=pk)
    now = timezone.now()
    context = {
        "unit": unit,
        "ind": services.indicators(user, unit, now),
        "cases": services.open_cases(user, unit),
        "children": services.child_rows(user, unit, now),
        "volunteers": volunteer_panel(user, unit, now),
        "worklist_url": f"{reverse('cases:list')}?unit={unit.pk}",
        "data_url": reverse("dashboards:unit_data", args=[unit.pk]),
        "overview_allowed": capabilities.may_see_overview(user),
        "parent": unit.parent if unit.parent and unit.parent.is_within(user.unit) else None,  # type: ignore[arg-type]
        "disposal_days": services.DISPOSAL_DAYS,
        "window_months": services.WINDOW_MONTHS,
    }
    return render(request, "dashboards/unit.html", context)


@login_required
def unit_data(request: HttpRequest, pk: int) -> JsonResponse:
    user = user_of(request)
    unit = get_object_or_404(Unit.objects.visible_to(user), pk=pk)
    now = timezone.now()
    return json_response(
        {
            "unit": {"id": unit.pk, "name": unit.name},
            "indicators": services.indicators(user, unit, now).as_dict(),
            "trend": services.trend(user, unit, now),
            "labels": services.chart_labels(),
        }
    )


@login_required
def site_dossier(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    site = get_object_or_404(
        Site.objects.visible_to(user).select_related("area_unit", "responsible_unit"), pk=pk
    )
    entries = services.site_dossier(user, site)
    context = {
        "site": site,
        "entries": entries,
        "visit_count": sum(1 for e in entries if e.kind == "visit"),
        "case_count": sum(1 for e in entries if e.kind == "case"),
        "citizen_reports": services.citizen_reports_for_site(user, site),
    }
    return render(request, "dashboards/site.html", context)


class HeatFilterForm(forms.Form):
    category = forms.ChoiceField(label=gettext_lazy("问题类别"), required=False)
    since = BoundedDateField(
        label=gettext_lazy("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = BoundedDateField(
        label=gettext_lazy("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        assert isinstance(category, forms.ChoiceField)
        category.choices = [("", _("全部类别")), *((c, c) for c in services.categories_in_use())]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if isinstance(since, date) and isinstance(until, date) and since > until:
            raise forms.ValidationError(_("开始日期不能晚于结束日期"))
        return data

    def problem_filter(self) -> services.ProblemFilter:
        if not self.is_valid():
            return services.ProblemFilter()
        data = self.cleaned_data
        return services.ProblemFilter(
            category=data.get("category") or "", since=data.get("since"), until=data.get("until")
        )


@login_required
def heatmap(request: HttpRequest) -> HttpResponse:
    unit = require_overview(request)
    user = user_of(request)
    form = HeatFilterForm(request.GET or None)
    filters = form.problem_filter()
    query = request.GET.urlencode()
    context = {
        "form": form,
        "unit": unit,
        "hotspots": services.recurrence_hotspots(user, unit, filters),
        "data_url": reverse("dashboards:heatmap_data") + (f"?{query}" if query else ""),
        "boundaries_url": reverse("org:boundaries"),
    }
    return render(request, "dashboards/heatmap.html", context)


@login_required
def heatmap_data(request: HttpRequest) -> JsonResponse:
    user = user_of(request)
    if not capabilities.may_see_overview(user) or user.unit is None:
        return JsonResponse({"detail": _("只有文明办协调员和区领导可以查看数据看板。")}, status=403)
    filters = HeatFilterForm(request.GET or None).problem_filter()
    data = services.heat_cells(user, user.unit, filters)
    data["hotspots"] = [spot.as_dict() for spot in services.recurrence_hotspots(user, user.unit, filters)]
    data["labels"] = {
        "finding": _("不符合项"),
        "case": _("在办案卷"),
        "cell": _("本格问题"),
        "open": _("查看"),
        "hotspot": _("复发热点"),
    }
    return json_response(data)
