"""A task's page: the indicator, its evidence window, the units, the materials the viewer may see, and for a
unit's 信息员 the upload form (several files at once, all or none, never twice) and 「全部提交单位审核」."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chuangwen.accounts.models import User
from chuangwen.core.web import user_of
from chuangwen.materials import services
from chuangwen.materials.forms import UploadForm
from chuangwen.materials.models import Material, MaterialState, Standing, Submission, Task
from chuangwen.materials.services import FilesRefused, MaterialInvalid, Refused
from chuangwen.materials.views.common import nav_flags, today, unit_id_of, visible_task
from chuangwen.standards.models import MaterialType


def _grouped_materials(task: Task, user: User) -> list[tuple[Any, list[tuple[Material, bool]]]]:
    """The task's materials the viewer may see, by unit (lead unit first): (material, outside the window)."""
    first, last = services.window(task)
    materials = (
        Material.objects.visible_to(user)
        .filter(task=task)
        .select_related("unit", "file")
        .order_by("unit__path", "created_at", "pk")
    )
    groups: dict[int, tuple[Any, list[tuple[Material, bool]]]] = {}
    for material in materials:
        outside = not first <= material.activity_date <= last
        groups.setdefault(material.unit_id, (material.unit, []))[1].append((material, outside))
    ordered = sorted(groups.values(), key=lambda group: (group[0].pk != task.lead_unit_id, group[0].path))
    return ordered


def _kind_labels(values: list[str]) -> list[str]:
    return [str(MaterialType(value).label) for value in values if value in MaterialType.values]


def task_context(
    request: HttpRequest,
    task: Task,
    form: UploadForm | None = None,
    outcomes: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    user = user_of(request)
    indicator = task.indicator
    may_upload = services.may_upload(task, user)
    if may_upload and form is None:
        kinds = [value for value in indicator.material_types if value in MaterialType.values]
        form = UploadForm(initial={"kind": kinds[0] if kinds else MaterialType.DOCUMENT})
    own = Submission.objects.filter(task=task, unit_id=unit_id_of(user)).first()
    day = today()
    first, last = services.window(task)
    return {
        "task": task,
        "period": task.period,
        **nav_flags(user),
        "indicator": indicator,
        "material_types": _kind_labels(indicator.material_types),
        "window_first": first,
        "window_last": last,
        "supporters": list(task.supporting_units.all()),
        "groups": _grouped_materials(task, user),
        "form": form if may_upload else None,
        "outcomes": outcomes or [],
        "own": own,
        "own_overdue": own is not None and own.due_date < day and own.standing != Standing.PASSED,
        "overdue": task.due_date < day,
        "drafts": Material.objects.filter(
            task=task, unit_id=unit_id_of(user), state=MaterialState.DRAFT
        ).count()
        if may_upload
        else 0,
    }


@login_required
def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    """GET: the task's page. POST: 「全部提交单位审核」 for the viewer's unit's drafts, one by one."""
    task = visible_task(request, task_id)
    if request.method == "POST":
        return _submit_drafts(request, task)
    return render(request, "materials/task_detail.html", task_context(request, task))


def _submit_drafts(request: HttpRequest, task: Task) -> HttpResponse:
    user = user_of(request)
    if not services.may_upload(task, user):
        raise PermissionDenied(_("只有牵头或配合单位的信息员可以提交本任务的材料。"))
    drafts = list(
        Material.objects.filter(
            task=task, unit_id=unit_id_of(user), state=MaterialState.DRAFT
        ).select_related("task__period__owner_unit", "unit")
    )
    refusals = services.act_many(drafts, "submit", user)
    done = len(drafts) - len(refusals)
    if not drafts:
        messages.warning(request, _("没有待提交的材料。"))
    if done:
        messages.success(request, _("已提交单位审核 %(n)s 份材料") % {"n": done})
    for line in refusals:
        messages.error(request, _("未提交 %(line)s") % {"line": line})
    return HttpResponseRedirect(reverse("materials:task", args=[task.pk]))


@login_required
@require_POST
def task_upload(request: HttpRequest, task_id: int) -> HttpResponse:
    """One material per file (or one 情况说明 written in the page), all or none; a repeated submission of the
    same form makes nothing new."""
    task = visible_task(request, task_id)
    user = user_of(request)
    if not services.may_upload(task, user):
        raise PermissionDenied(_("只有牵头或配合单位的信息员可以在申报期内上传本任务的材料。"))
    form = UploadForm(request.POST, request.FILES)
    outcomes: list[tuple[str, str]] = []
    if form.is_valid():
        files = form.cleaned_data["file"]
        try:
            fields = form.material_fields(needs_title=not files)
            made = services.upload(
                task,
                user,
                fields,
                client_ids=form.client_ids(),
                files=[(f.name or "", f.file) for f in files],
            )
        except MaterialInvalid as exc:
            form.add_service_errors(exc.errors)
        except FilesRefused as exc:
            outcomes = exc.outcomes
        except Refused as exc:
            form.add_error(None, str(exc))
        else:
            titles = "、".join(f"《{m.title}》" for m in made)
            messages.success(
                request, _("已上传 %(n)s 份材料：%(titles)s") % {"n": len(made), "titles": titles}
            )
            return HttpResponseRedirect(reverse("materials:task", args=[task.pk]) + "#task-materials")
    context = task_context(request, task, form, outcomes)
    return render(request, "materials/task_detail.html", context, status=400)
