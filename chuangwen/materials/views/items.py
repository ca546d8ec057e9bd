"""A material's page (preview, text, history, the review steps the viewer may take, the replacement form) and
its file: always a download in a sandbox, never rendered by the browser."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from chuangwen.core.web import user_of, wants_fragment
from chuangwen.materials import machine, services
from chuangwen.materials.files import FileKind
from chuangwen.materials.forms import ActForm, ReplaceForm
from chuangwen.materials.models import Material, MaterialState, StoredFile
from chuangwen.materials.services import FilesRefused, MaterialInvalid, Refused
from chuangwen.materials.storage import download
from chuangwen.materials.views.common import visible_material

logger = logging.getLogger(__name__)

EXCERPT_CHARS = 500
CACHE_CONTROL = "private, max-age=3600"


def _action_forms(material: Material, user: Any, failed: ActForm | None) -> list[dict[str, Any]]:
    """One form per step the viewer may take now; the one that just failed keeps its input and errors."""
    forms = []
    for action in machine.allowed_actions(material, user):
        step = machine.TABLE[(MaterialState(material.state), action)]
        form = failed if failed is not None and failed.data.get("action") == action else None
        if form is None:
            initial: dict[str, Any] = {"action": action}
            if step.sets_due_date:
                initial["due_date"] = services.default_return_due()
            form = ActForm(initial=initial, auto_id=f"id_{action}_%s")
        forms.append(
            {
                "action": action,
                "label": machine.action_label(action),
                "form": form,
                "needs_comment": step.needs_comment,
                "sets_due_date": step.sets_due_date,
            }
        )
    return forms


def _may_replace(material: Material, user: Any) -> bool:
    return (
        material.task.period.is_open
        and material.state in machine.REPLACEABLE
        and machine.is_clerk(material, user)
    )


def material_context(
    request: HttpRequest,
    material: Material,
    *,
    failed: ActForm | None = None,
    replace_form: ReplaceForm | None = None,
    outcomes: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    user = user_of(request)
    stored = material.file
    text = stored.text if stored is not None else material.body
    may_replace = _may_replace(material, user)
    if may_replace and replace_form is None:
        fields = ("kind", "title", "activity_date", "description", "body")
        replace_form = ReplaceForm(initial={name: getattr(material, name) for name in fields})
    events = material.events.select_related("actor")
    return {
        "material": material,
        "task": material.task,
        "period": material.task.period,
        "stored": stored,
        "file_kind": FileKind(stored.kind).label if stored is not None else "",
        "outside_window": services.outside_window(material),
        "window": services.window(material.task),
        "excerpt": text[:EXCERPT_CHARS],
        "excerpt_cut": len(text) > EXCERPT_CHARS,
        "events": [(event, machine.action_label(event.action)) for event in events],
        "state_labels": dict(MaterialState.choices),
        "action_forms": _action_forms(material, user, failed),
        "failed": failed,
        "replace_form": replace_form if may_replace else None,
        "outcomes": outcomes or [],
    }


@login_required
def material_detail(request: HttpRequest, material_id: int) -> HttpResponse:
    material = visible_material(request, material_id)
    return render(request, "materials/material_detail.html", material_context(request, material))


def _back(request: HttpRequest, material: Material) -> str:
    """Where a step sends the reviewer: the page that asked (the review queue), else the material."""
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        return back
    return reverse("materials:material", args=[material.pk])


@login_required
@require_POST
def material_act(request: HttpRequest, material_id: int) -> HttpResponse:
    """One review step through ``services.act``; the Chinese reason comes back on the page when refused."""
    material = visible_material(request, material_id)
    user = user_of(request)
    action = request.POST.get("action", "")
    form = ActForm(request.POST, auto_id=f"id_{action if action in machine.ACTION_LABELS else 'act'}_%s")
    status = 400
    if form.is_valid():
        action = form.cleaned_data["action"]
        try:
            services.act(
                material,
                action,
                user,
                comment=form.cleaned_data["comment"],
                due_date=form.cleaned_data["due_date"],
            )
        except MaterialInvalid as exc:
            form.add_service_errors(exc.errors)
        except Refused as exc:
            form.add_error(None, str(exc))
            status = 403
        else:
            messages.success(request, _("已%(action)s：《%(title)s》") % {
                "action": machine.action_label(action), "title": material.title,
            })  # fmt: skip
            if not wants_fragment(request):
                return HttpResponseRedirect(_back(request, material))
            context = material_context(request, visible_material(request, material_id))
            return render(request, "materials/partials/material_main.html", {**context, "fragment": True})
    material.refresh_from_db()
    context = material_context(request, material, failed=form)
    if wants_fragment(request):  # htmx swaps only 2xx answers: the errors travel in the fragment
        return render(request, "materials/partials/material_main.html", {**context, "fragment": True})
    return render(request, "materials/material_detail.html", context, status=status)


@login_required
@require_POST
def material_replace(request: HttpRequest, material_id: int) -> HttpResponse:
    """A corrected file or text while the uploader holds the material; the old one stays in the history."""
    material = visible_material(request, material_id)
    user = user_of(request)
    form = ReplaceForm(request.POST, request.FILES)
    outcomes: list[tuple[str, str]] = []
    status = 400
    if form.is_valid():
        upload = form.cleaned_data.get("file")
        files = [(upload.name or "", upload.file)] if upload else []
        try:
            services.replace(material, user, form.material_fields(needs_title=False), files)
        except MaterialInvalid as exc:
            form.add_service_errors(exc.errors)
        except FilesRefused as exc:
            outcomes = exc.outcomes
        except Refused as exc:
            form.add_error(None, str(exc))
            status = 403
        else:
            messages.success(request, _("已更换材料：《%(title)s》") % {"title": material.title})
            return HttpResponseRedirect(reverse("materials:material", args=[material.pk]))
    material.refresh_from_db()
    context = material_context(request, material, replace_form=form, outcomes=outcomes)
    if context["replace_form"] is None:  # no longer replaceable: show why at the top
        messages.error(request, "；".join(str(e) for e in form.non_field_errors()) or _("材料不能更换"))
    return render(request, "materials/material_detail.html", context, status=status)


def _open(name: str) -> Any:
    try:
        return default_storage.open(name, "rb")
    except FileNotFoundError as exc:
        logger.error("material file missing: %s", name)
        raise Http404 from exc


def _stored_file(material: Material) -> StoredFile:
    if material.file is None:
        raise Http404(_("这份材料没有文件（情况说明）"))
    return material.file


@login_required
@require_GET
def material_file(request: HttpRequest, material_id: int) -> FileResponse:
    """The uploaded file as a download only: its own type, no sniffing, and a sandbox should a browser still
    try to render it."""
    material = visible_material(request, material_id)
    _stored_file(material)
    response = download(material)
    response["Cache-Control"] = CACHE_CONTROL
    return response


@login_required
@require_GET
def material_preview(request: HttpRequest, material_id: int) -> FileResponse:
    """The JPEG we rendered ourselves (first PDF page or the image); 404 until the worker has made it."""
    material = visible_material(request, material_id)
    stored = _stored_file(material)
    if not stored.preview_file:
        raise Http404(_("预览图尚未生成"))
    response = FileResponse(_open(stored.preview_file), content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = CACHE_CONTROL
    return response
