"""The 网上申报 home (a unit's tasks, or the office's periods), opening, showing and archiving a period."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chuangwen.accounts import capabilities
from chuangwen.accounts.models import Role, User
from chuangwen.core.web import user_of
from chuangwen.materials import services, tasksplit
from chuangwen.materials.board import period_figures, tally_of
from chuangwen.materials.files import CONTENT_TYPES, FileKind
from chuangwen.materials.forms import PeriodForm, SearchForm, TaskImportForm
from chuangwen.materials.models import (
    Material,
    MaterialState,
    Period,
    PeriodState,
    Standing,
    Submission,
    Task,
)
from chuangwen.materials.services import MaterialInvalid, Refused
from chuangwen.materials.tasksheet import export_task_table, import_task_table
from chuangwen.materials.views.common import (
    is_office,
    member,
    nav_flags,
    require_runs,
    runs_period,
    today,
    unit_id_of,
    visible_period,
)

XLSX_TYPE = CONTENT_TYPES[FileKind.XLSX]


def _clerk_context(user: User) -> dict[str, Any]:
    """A unit's 信息员 or head: the unit's cells of the open periods, and for a head what awaits approval."""
    day = today()
    cells = Submission.objects.filter(unit_id=unit_id_of(user), period__state=PeriodState.OPEN)
    rows = [
        (cell, cell.due_date < day and cell.standing != Standing.PASSED)
        for cell in cells.select_related("task__indicator", "period").order_by(
            "period_id", "task__indicator__code"
        )
    ]
    awaiting: list[dict[str, Any]] = []
    if user.role == Role.UNIT_HEAD:
        submitted = Material.objects.filter(
            unit_id=unit_id_of(user), state=MaterialState.SUBMITTED, task__period__state=PeriodState.OPEN
        )
        awaiting = list(
            submitted.order_by().values("task__period_id", "task__period__name").annotate(n=Count("pk"))
        )
    return {"rows": rows, "tally": tally_of(cells, day), "awaiting": awaiting}


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """「我的申报任务」 for a unit; the periods with their figures for the office."""
    user = member(request)
    if not is_office(user):
        return render(request, "materials/index.html", {"office": False, **_clerk_context(user)})
    periods = list(Period.objects.visible_to(user).select_related("owner_unit", "standard"))
    figures = period_figures(periods, user, today=today())
    context = {
        "office": True,
        "periods": [(period, figures[period.pk], runs_period(user, period)) for period in periods],
    }
    return render(request, "materials/index.html", context)


@login_required
def period_create(request: HttpRequest) -> HttpResponse:
    user = member(request)
    if not capabilities.may_run_materials(user):
        raise PermissionDenied(_("只有文明办协调员可以新建申报周期。"))
    form = PeriodForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            assert user.unit is not None
            data = form.cleaned_data
            try:
                period = services.create_period(
                    name=data["name"], standard=data["standard"], owner_unit=user.unit,
                    reference_date=data["reference_date"], actor=user,
                )  # fmt: skip
            except MaterialInvalid as exc:
                form.add_service_errors(exc.errors)
            else:
                messages.success(request, _("已新建申报周期“%(name)s”") % {"name": period.name})
                return HttpResponseRedirect(reverse("materials:period", args=[period.pk]))
    return render(request, "materials/period_form.html", {"form": form}, status=status)


@login_required
def period_detail(request: HttpRequest, period_id: int) -> HttpResponse:
    """The tree's online indicators with their task (or 「未分解」), and the period's pages."""
    period = visible_period(request, period_id)
    user = user_of(request)
    tasks = {
        task.indicator_id: task
        for task in period.tasks.select_related("lead_unit").prefetch_related("supporting_units")
    }
    mine = set(Task.objects.visible_to(user).filter(period=period).values_list("pk", flat=True))
    indicators = tasksplit.online_indicators(period).select_related("content__project")
    rows = [(indicator, tasks.get(indicator.pk)) for indicator in indicators]
    context = {
        "period": period,
        "rows": rows,
        "mine": mine,
        "unassigned": sum(1 for _indicator, task in rows if task is None),
        "runs": runs_period(user, period),
        "search_form": SearchForm(),
        **nav_flags(user),
    }
    return render(request, "materials/period_detail.html", context)


@login_required
@require_POST
def period_close(request: HttpRequest, period_id: int) -> HttpResponse:
    """归档, after a confirmation page: from then on nothing of the period changes."""
    period = visible_period(request, period_id)
    user = user_of(request)
    require_runs(user, period)
    if request.POST.get("confirmed") != "yes":
        passed = Material.objects.filter(task__period=period, state=MaterialState.PASSED).count()
        pending = Material.objects.filter(task__period=period).exclude(
            state__in=(MaterialState.PASSED, MaterialState.WITHDRAWN)
        )
        context = {"period": period, "passed": passed, "pending": pending.count()}
        return render(request, "materials/period_close.html", context)
    try:
        services.close_period(period, actor=user)
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("申报周期“%(name)s”已归档") % {"name": period.name})
    return HttpResponseRedirect(reverse("materials:period", args=[period.pk]))


@login_required
def task_import(request: HttpRequest, period_id: int) -> HttpResponse:
    """The 任务分解表 upload: every row assigned, or each problem by row and column and nothing written."""
    period = visible_period(request, period_id)
    user = user_of(request)
    require_runs(user, period)
    form = TaskImportForm(request.POST or None, request.FILES or None)
    result = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            result = import_task_table(period, upload, user, file_name=upload.name or "", request=request)
            status = 200 if result.ok else 400
    context = {"period": period, "form": form, "result": result}
    return render(request, "materials/task_import.html", context, status=status)


@login_required
def task_export(request: HttpRequest, period_id: int) -> HttpResponse:
    """Every online indicator of the tree with its task, in the import's columns (export → fill → import)."""
    period = visible_period(request, period_id)
    user = user_of(request)
    require_runs(user, period)
    data = export_task_table(period, user, request=request)
    response = HttpResponse(data, content_type=XLSX_TYPE)
    name = _("%(name)s任务分解表.xlsx") % {"name": period.name}
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name) or ""
    return response
