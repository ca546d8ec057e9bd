"""Results pages: a wave's results (published, or computed now and marked so while it runs), the same figures
as .xlsx, and the trend across published waves. Waves are found through ``Wave.objects.visible_to`` (404
outside it) and every table is cut to the office overall and the viewer's own subtree
(``results.visible_units``)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import URLPattern, path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from chuangwen.accounts import capabilities
from chuangwen.accounts.models import User
from chuangwen.audit.services import record
from chuangwen.core.web import user_of
from chuangwen.core.xlsx import XLSX_CONTENT_TYPE
from chuangwen.surveys import figures
from chuangwen.surveys.exports import results_workbook
from chuangwen.surveys.models import Wave
from chuangwen.surveys.views.waves import wave_nav

EXPORT_ACTION = "survey.results.export"


def member(request: HttpRequest) -> User:
    """The signed-in user, if the role sees survey results; 403 otherwise."""
    user = user_of(request)
    if not capabilities.may_see_surveys(user):
        raise PermissionDenied(_("您的角色不使用问卷调查。"))
    return user


def visible_wave(request: HttpRequest, wave_id: int) -> tuple[User, Wave]:
    user = member(request)
    queryset = Wave.objects.visible_to(user).select_related("questionnaire", "owner_unit")
    return user, get_object_or_404(queryset, pk=wave_id)


@login_required
def results_page(request: HttpRequest, wave_id: int) -> HttpResponse:
    """结果: rates ± 95 % intervals per measure, indicator and question, for the office and the viewer's
    units."""
    user, wave = visible_wave(request, wave_id)
    table = figures.results_for(wave, user)
    context: dict[str, Any] = {"wave": wave, "table": table, "wave_nav": wave_nav(wave, user, "results")}
    if table is not None:
        # The indicator table shows the overall beside one unit: the one asked for (among the visible rows),
        # else the viewer's own.
        asked = request.GET.get("unit", "")
        focus = table.unit(int(asked)) if asked.isdigit() and len(asked) < 12 else None
        focus = focus or table.unit(user.unit_id) or table.overall
        context.update(focus=focus, indicator_lines=table.indicator_lines(focus))
    return render(request, "surveys/results.html", context)


@login_required
def results_export(request: HttpRequest, wave_id: int) -> HttpResponse:
    """The results page's figures as .xlsx (指标率, 测评标准, 题目, 说明), with an audit entry."""
    user, wave = visible_wave(request, wave_id)
    table = figures.results_for(wave, user)
    if table is None:
        messages.error(request, _("还没有可以导出的结果（调查尚未开始或结果尚未发布）。"))
        return HttpResponseRedirect(reverse("surveys:results", args=[wave.pk]))
    data = results_workbook(table)
    detail = {"units": len(table.units), "live": table.live, "method": table.method}
    record(request, EXPORT_ACTION, obj=wave, actor=user, detail=detail)
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    name = _("%(name)s结果.xlsx") % {"name": wave.name}
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name) or ""
    return response


@login_required
def trend(request: HttpRequest) -> HttpResponse:
    """历次结果: the published waves of the viewer's lineage, per office in time order, with the change."""
    user = member(request)
    found = figures.trends(user)
    charts = [t.chart() for t in found]
    return render(request, "surveys/trend.html", {"trends": found, "charts": charts})


urlpatterns: list[URLPattern] = [
    path("waves/<int:wave_id>/results/", results_page, name="results"),
    path("waves/<int:wave_id>/results.xlsx", results_export, name="results_export"),
    path("results/trend/", trend, name="trend"),
]
