"""The coordinator's triage of citizen reports at /reports/triage/: accept (route like any case), reject
with a reason the reporter sees, mark as duplicate (supporters move to the kept report). Leaders read only.

Everything starts from ``CitizenReport.objects.visible_to``; the actions are the machine's, via
``cases.services.apply``. Phone numbers: in full for coordinators, masked for everyone else."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from chuangwen.accounts import capabilities
from chuangwen.cases.exceptions import Conflict, TransitionRefused
from chuangwen.cases.models import CaseState
from chuangwen.core.web import user_of
from chuangwen.org.models import Unit
from chuangwen.reports import public, triage
from chuangwen.reports.masking import phone_for
from chuangwen.reports.models import CitizenReport
from chuangwen.sites.forms import unit_choices

LIST_LIMIT = 200
TABS = {"new": (CaseState.NEW,), "all": ()}


def _require_overseer(request: HttpRequest) -> bool:
    user = user_of(request)
    if not capabilities.may_oversee(user):
        raise PermissionDenied(_("只有文明办协调员和区领导可以查看此页面。"))
    return capabilities.is_coordinator(user)


@require_GET
@login_required
def triage_list(request: HttpRequest) -> HttpResponse:
    can_act = _require_overseer(request)
    user = user_of(request)
    tab = request.GET.get("tab", "new")
    if tab not in TABS:
        tab = "new"
    reports = CitizenReport.objects.visible_to(user).select_related("case", "category", "case__unit")
    if TABS[tab]:
        reports = reports.filter(case__state__in=TABS[tab]).order_by("created_at", "id")
    total = reports.count()
    shown = list(reports[:LIST_LIMIT])
    rows = [
        {"report": report, "phone": phone_for(user, report.phone), "status": status}
        for report, status in zip(shown, public.public_statuses(shown), strict=True)
    ]
    context = {"rows": rows, "total": total, "limit": LIST_LIMIT, "tab": tab, "can_act": can_act}
    return render(request, "reports/triage_list.html", context)


def _visible_report(request: HttpRequest, pk: int) -> CitizenReport:
    report = (
        CitizenReport.objects.visible_to(user_of(request))
        .select_related("case", "category", "case__unit", "case__area_unit")
        .filter(pk=pk)
        .first()
    )
    if report is None:
        raise Http404(_("随手拍不存在"))
    return report


@require_GET
@login_required
def triage_detail(request: HttpRequest, pk: int) -> HttpResponse:
    can_act = _require_overseer(request)
    user = user_of(request)
    report = _visible_report(request, pk)
    near = triage.triage_context(report, user)
    units = Unit.objects.visible_to(user).filter(active=True)
    context: dict[str, Any] = {
        "report": report,
        "case": report.case,
        "phone": phone_for(user, report.phone),
        "status": public.public_status(report),
        "photos": triage.report_photos(report),
        "duplicates": near["duplicates"],
        "nearby_cases": near["nearby_cases"],
        "suggestion": near["suggestion"],
        "suggestion_usable": near["suggestion_usable"],
        "unit_options": unit_choices(units),
        "can_act": can_act and report.case.state == CaseState.NEW,
        "site": near["site"][0],
    }
    return render(request, "reports/triage_detail.html", context)


@require_POST
@login_required
def triage_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if not _require_overseer(request):
        raise PermissionDenied(_("只有文明办协调员可以分拣随手拍。"))
    user = user_of(request)
    report = _visible_report(request, pk)
    post = request.POST
    try:
        if action == "accept":
            unit = triage.chosen_unit(user, _int(post.get("unit")))
            triage.accept_report(report, user, unit, explanation=post.get("explanation", ""), request=request)
            messages.success(request, _("已派往%(unit)s") % {"unit": unit.name})
        elif action == "reject":
            triage.reject_report(report, user, post.get("reason", ""), request=request)
            messages.success(request, _("已不予受理，市民可在查询页看到理由"))
        elif action == "duplicate":
            triage.mark_duplicate(
                report, user, post.get("duplicate_of", ""), post.get("reason", ""), request=request
            )
            messages.success(request, _("已标记为重复，附议人数已并入保留的随手拍"))
        else:
            raise Http404
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except (TransitionRefused, Conflict) as exc:
        messages.error(request, str(exc))
    return redirect("report_triage:detail", pk=report.pk)


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return 0
