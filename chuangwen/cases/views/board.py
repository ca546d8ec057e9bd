"""The coordinator's pages over many cases: the dispatch board, the disputes between units, the case map."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.accounts import capabilities
from chuangwen.audit.services import record
from chuangwen.cases import board, casemap, disputes
from chuangwen.cases.exports import require_format, spreadsheet_response
from chuangwen.cases.forms import CaseFilterForm
from chuangwen.cases.models import Case
from chuangwen.core.bounds import COUNT_MAX, clamped_number
from chuangwen.core.web import querystring, user_of
from chuangwen.org.models import Unit
from chuangwen.sites.forms import unit_choices
from chuangwen.workdays.services import GREEN, RED, YELLOW


def require_overseer(request: HttpRequest) -> bool:
    """Coordinators and leaders may look; anyone else is refused. Returns whether the viewer may act."""
    user = user_of(request)
    if not capabilities.may_oversee(user):
        raise PermissionDenied(_("只有文明办协调员和区领导可以查看此页面。"))
    return capabilities.is_coordinator(user)


@login_required
def dispatch_board(request: HttpRequest) -> HttpResponse:
    can_act = require_overseer(request)
    user = user_of(request)
    now = timezone.now()
    rows, total = board.triage_rows(user)
    list_url = reverse("cases:list")
    lights = [
        (row, [(light, n, f"{list_url}?unit={row.unit.pk}&light={light}") for light, n in
               ((RED, row.red), (YELLOW, row.yellow), (GREEN, row.green))])
        for row in board.unit_lights(user, now)
    ]  # fmt: skip
    context: dict[str, Any] = {
        "can_act": can_act,
        "triage": rows,
        "triage_total": total,
        "triage_limit": board.TRIAGE_LIMIT,
        "unit_options": unit_choices(Unit.objects.visible_to(user).filter(active=True)),
        "lights": lights,
        "pending": board.pending_requests(user),
        "back": reverse("cases:board"),
    }
    return render(request, "cases/board.html", context)


def min_cases(request: HttpRequest) -> int:
    return clamped_number(request.GET.get("min"), 1, COUNT_MAX, disputes.DEFAULT_MIN_CASES)


@login_required
def dispute_list(request: HttpRequest) -> HttpResponse:
    require_overseer(request)
    result = disputes.disputes_for(user_of(request), min_cases(request))
    return render(request, "cases/disputes.html", {"result": result})


@login_required
def board_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The board's open cases per responsible unit by light (units below included), as on the page."""
    require_overseer(request)
    require_format(fmt)
    user = user_of(request)
    header = [
        _("责任单位"),
        _("单位编码"),
        _("绿灯（正常）"),
        _("黄灯（临期）"),
        _("红灯（超期）"),
        _("在办合计"),
    ]
    rows: list[list[Any]] = [
        [row.unit.name, row.unit.code, row.green, row.yellow, row.red, row.total]
        for row in board.unit_lights(user, timezone.now())
    ]
    response = spreadsheet_response("board-lights", _("红黄绿灯"), header, rows, fmt)
    record(request, "case.export_board", actor=user, detail={"format": fmt, "rows": len(rows)})
    return response


@login_required
def dispute_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The unit pairs of the disputes page (with at least ``min`` cases between them)."""
    require_overseer(request)
    require_format(fmt)
    user = user_of(request)
    result = disputes.disputes_for(user, min_cases(request))
    header = [_("单位甲"), _("单位乙"), _("往返案卷数"), _("涉及测评指标"), _("案卷编号")]
    rows: list[list[Any]] = [
        [
            pair.names[0],
            pair.names[1],
            pair.count,
            "；".join(pair.check_items),
            "、".join(case.code for case in pair.cases),
        ]
        for pair in result.pairs
    ]
    response = spreadsheet_response("disputes", _("推诿分析"), header, rows, fmt)
    detail = {"format": fmt, "rows": len(rows), "min": result.min_cases}
    record(request, "case.export_disputes", actor=user, detail=detail)
    return response


def map_filter(request: HttpRequest) -> tuple[CaseFilterForm, Any]:
    """The worklist's filters over the viewer's cases."""
    user = user_of(request)
    form = CaseFilterForm(request.GET, user=user)
    return form, form.filter(Case.objects.visible_to(user))


@login_required
def case_map(request: HttpRequest) -> HttpResponse:
    form, cases = map_filter(request)
    total = casemap.mappable(cases).count()
    query = querystring(request.GET)
    context = {
        "form": form,
        "total": total,
        "truncated": total > casemap.MAX_FEATURES,
        "max_features": casemap.MAX_FEATURES,
        "geojson_url": reverse("cases:map_geojson") + (f"?{query}" if query else ""),
        "legend": casemap.legend(),
    }
    return render(request, "cases/map.html", context)


@login_required
def case_map_geojson(request: HttpRequest) -> JsonResponse:
    _form, cases = map_filter(request)
    response = JsonResponse(casemap.feature_collection(cases), json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/geo+json"
    return response
