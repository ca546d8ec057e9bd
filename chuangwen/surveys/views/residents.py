"""The residents' side of the survey pages: population figures (entry, .xlsx import and export) and
应知应会 coaching visits, each for the viewer's subtree."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from chuangwen.accounts import capabilities
from chuangwen.accounts.models import User
from chuangwen.core.bounds import PAGE_MAX, clamped_number
from chuangwen.core.xlsx import XLSX_CONTENT_TYPE
from chuangwen.surveys import population, services
from chuangwen.surveys.forms import (
    CELL_FIELDS,
    CoachingForm,
    PopulationForm,
    PopulationImportForm,
)
from chuangwen.surveys.models import (
    CoachingVisit,
    Wave,
    WaveState,
)
from chuangwen.surveys.services import Invalid
from chuangwen.surveys.views.waves import COACHING_PAGE, may_record_coaching, member, scope_of

# --- population figures -------------------------------------------------------------------------------------


def _population_form(request: HttpRequest, user: User) -> PopulationForm:
    scope = scope_of(user)
    picked = clamped_number(request.GET.get("unit"), 0, 2**63 - 1, 0)
    initial: dict[str, Any] = {}
    if picked:
        unit = population.plan_units(scope).filter(pk=picked).first()
        if unit is not None:
            initial["unit"] = unit.pk
            figures = population.figures_of([unit]).get(unit.pk, {})
            for name, age, sex in CELL_FIELDS:
                if (age, sex) in figures:
                    initial[name] = figures[(age, sex)]
    return PopulationForm(scope=scope, initial=initial)


def _population_page(
    request: HttpRequest,
    user: User,
    *,
    form: PopulationForm | None = None,
    import_form: PopulationImportForm | None = None,
    result: Any = None,
    status: int = 200,
) -> HttpResponse:
    scope = scope_of(user)
    rows, missing, totals = population.table(user)
    runs = capabilities.may_run_surveys(user)
    context = {
        "scope": scope,
        "headers": population.cell_headers(),
        "rows": [(row, [row.counts[c] for c in population.CELLS]) for row in rows],
        "missing": missing,
        "totals": [totals[c] for c in population.CELLS],
        "total": sum(totals.values()),
        "runs": runs,
        "form": (form or _population_form(request, user)) if runs else None,
        "import_form": (import_form or PopulationImportForm()) if runs else None,
        "result": result,
        "file_headers": population.headers(),
    }
    return render(request, "surveys/population.html", context, status=status)


def _require_run_surveys(user: User) -> None:
    if not capabilities.may_run_surveys(user):
        raise PermissionDenied(_("只有文明办协调员可以录入或导入人数。"))


@login_required
@require_GET
def population_page(request: HttpRequest) -> HttpResponse:
    return _population_page(request, member(request))


@login_required
@require_POST
def population_edit(request: HttpRequest) -> HttpResponse:
    """One unit's ten numbers (all empty: the unit's figures are cleared)."""
    user = member(request)
    _require_run_surveys(user)
    form = PopulationForm(request.POST, scope=scope_of(user))
    if form.is_valid():
        unit = form.cleaned_data["unit"]
        counts = form.counts()
        try:
            population.save_unit(unit, counts, user, request)
        except Invalid as exc:
            form.add_service_errors(exc.errors)
        else:
            if counts is None:
                messages.success(request, _("已清除 %(unit)s 的人数") % {"unit": unit.name})
            else:
                messages.success(
                    request,
                    _("已保存 %(unit)s 的人数（合计 %(n)s 人）")
                    % {"unit": unit.name, "n": sum(counts.values())},
                )
            return HttpResponseRedirect(reverse("surveys:population"))
    return _population_page(request, user, form=form, status=400)


@login_required
@require_POST
def population_import(request: HttpRequest) -> HttpResponse:
    user = member(request)
    _require_run_surveys(user)
    form = PopulationImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _population_page(request, user, import_form=form, status=400)
    upload = form.cleaned_data["file"]
    result = population.import_population(upload, user, file_name=upload.name or "", request=request)
    return _population_page(request, user, result=result, status=200 if result.ok else 400)


@login_required
@require_GET
def population_export(request: HttpRequest) -> HttpResponse:
    user = member(request)
    data = population.export_population(user, request)
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    name = _("%(unit)s人口数.xlsx") % {"unit": scope_of(user).name}
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name) or ""
    return response


# --- coaching visits ----------------------------------------------------------------------------------------


def _coaching_page(
    request: HttpRequest, user: User, form: CoachingForm | None = None, status: int = 200
) -> HttpResponse:
    scope = scope_of(user)
    visits = CoachingVisit.objects.visible_to(user).select_related("unit", "recorded_by")
    page = Paginator(visits.order_by("-visited_on", "-pk"), COACHING_PAGE).get_page(
        clamped_number(request.GET.get("page"), 1, PAGE_MAX, 1)
    )
    since = timezone.localdate() - timedelta(days=30)
    counts = (
        visits.order_by()
        .values("unit_id", "unit__name", "unit__path")
        .annotate(n=Count("pk"), recent=Count("pk", filter=Q(visited_on__gte=since)))
        .order_by("unit__path")
    )
    fielding = Wave.objects.visible_to(user).filter(state=WaveState.FIELDING).order_by("starts_on", "pk")
    records = may_record_coaching(user)
    context = {
        "page": page,
        "counts": list(counts),
        "fielding": list(fielding),
        "form": (form or CoachingForm(scope=scope, initial={"visited_on": timezone.localdate()}))
        if records
        else None,
    }
    return render(request, "surveys/coaching.html", context, status=status)


@login_required
def coaching(request: HttpRequest) -> HttpResponse:
    """GET: the visits of the user's tree and the counts per community. POST: record one visit."""
    user = member(request)
    if request.method != "POST":
        return _coaching_page(request, user)
    if not may_record_coaching(user):
        raise PermissionDenied(_("只有文明办和街道、社区的工作人员可以记录应知应会入户宣传。"))
    form = CoachingForm(request.POST, scope=scope_of(user))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.record_coaching(data["unit"], data["phone"], data["visited_on"], user, data["note"])
        except Invalid as exc:
            form.add_service_errors(exc.errors)
        else:
            messages.success(
                request,
                _("已记录 %(unit)s %(day)s 的入户宣传；该住户在调查排除期内不计入样本")
                % {"unit": data["unit"].name, "day": data["visited_on"].isoformat()},
            )
            return HttpResponseRedirect(reverse("surveys:coaching"))
    return _coaching_page(request, user, form, status=400)


urlpatterns: list[URLPattern] = [
    path("population/", population_page, name="population"),
    path("population/edit/", population_edit, name="population_edit"),
    path("population/import/", population_import, name="population_import"),
    path("population/export.xlsx", population_export, name="population_export"),
    path("coaching/", coaching, name="coaching"),
]
