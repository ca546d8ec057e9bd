"""Staff results page of volunteer service (/volunteers/results/): the figures of a unit and each of its child
units for a chosen month, and the .xlsx exports (results table, volunteers, service records, teams).

Who: coordinators, leaders, unit heads and handlers, over their own unit's subtree; a unit outside it is 404.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.accounts import capabilities
from chuangwen.accounts.models import User
from chuangwen.audit.services import record
from chuangwen.core.bounds import ID_MAX, date_error
from chuangwen.core.web import user_of
from chuangwen.core.xlsx import XLSX_CONTENT_TYPE, write_table
from chuangwen.org.models import Unit
from chuangwen.volunteers import results
from chuangwen.volunteers.results_exports import EXPORTS, phone_in_full, results_rows


def require_results(request: HttpRequest) -> User:
    user = user_of(request)
    if not capabilities.may_see_volunteer_work(user):
        raise PermissionDenied(_("只有文明办协调员、区领导和责任单位负责人、经办人可以查看志愿服务成效。"))
    return user


def chosen_unit(user: User, raw: str | None) -> Unit:
    """``?unit=`` among the units the user sees (default: the user's own); anything else is 404."""
    text = (raw or "").strip()
    if not text:
        assert user.unit is not None
        return user.unit
    if not (text.isascii() and text.isdigit() and len(text) <= 19 and 1 <= int(text) <= ID_MAX):
        raise Http404
    unit = Unit.objects.visible_to(user).filter(pk=int(text)).first()
    if unit is None:
        raise Http404
    return unit


def chosen_month(raw: str | None, today: date) -> tuple[date, str]:
    """``?month=YYYY-MM`` within the date bounds (default: this month), and why a typed one was refused."""
    this_month = today.replace(day=1)
    text = (raw or "").strip()
    if not text:
        return this_month, ""
    month = results.parse_month(text)
    if month is None:
        return this_month, _("月份应为 YYYY-MM，已显示本月")
    problem = date_error(month, _("月份"))
    if problem:
        return this_month, problem
    return month, ""


def _choose(request: HttpRequest) -> tuple[User, Unit, results.Window, str]:
    user = require_results(request)
    unit = chosen_unit(user, request.GET.get("unit"))
    month, problem = chosen_month(request.GET.get("month"), timezone.localdate())
    return user, unit, results.Window.for_month(month), problem


@login_required
def results_page(request: HttpRequest) -> HttpResponse:
    user, unit, window, problem = _choose(request)
    table = results.table_for(user, unit, window)
    units = Unit.objects.visible_to(user).filter(active=True).order_by("path").only("pk", "name", "depth")
    base_depth = user.unit.depth if user.unit is not None else 0
    context: dict[str, Any] = {
        "table": table,
        "unit": unit,
        "month": window.month,
        "month_text": f"{window.month:%Y-%m}",
        "problem": problem,
        "units": [(u.pk, "　" * max(0, u.depth - base_depth) + u.name) for u in units],
        "exports": [(kind, export.title) for kind, export in EXPORTS.items()],
        "phone_in_full": phone_in_full(user),
    }
    return render(request, "volunteers/results/index.html", context)


@login_required
def results_export(request: HttpRequest, kind: str) -> HttpResponse:
    """One of the exports as .xlsx, audited as ``volunteer.results_export``."""
    export = EXPORTS.get(kind)
    if export is None:
        raise Http404
    user, unit, window, _problem = _choose(request)
    if export.rows is None:
        rows = results_rows(results.table_for(user, unit, window))
    else:
        rows = export.rows(user, unit, window)
    headers = [str(column) for column in export.columns]
    detail: dict[str, Any] = {"table": kind, "unit": unit.pk, "month": window.key, "rows": len(rows)}
    if kind == "volunteers":
        detail["phone"] = "full" if phone_in_full(user) else "masked"
    record(request, "volunteer.results_export", actor=user, detail=detail)
    response = HttpResponse(write_table(headers, rows, str(export.title)), content_type=XLSX_CONTENT_TYPE)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="volunteers-{kind}-{window.key}-{stamp}.xlsx"'
    return response
