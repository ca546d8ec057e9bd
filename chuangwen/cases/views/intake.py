"""Pages of the other case sources: the 12345 hotline import and instructions (督办)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from chuangwen.accounts.capabilities import may_instruct
from chuangwen.cases import hotline
from chuangwen.cases.exceptions import CaseNotFound, TransitionRefused
from chuangwen.cases.instructions import instruct, open_instruction_case
from chuangwen.cases.intake_forms import (
    HotlineMappingForm,
    HotlineUploadForm,
    InstructionCaseForm,
    InstructionForm,
)
from chuangwen.cases.views.cases import case_context, visible_case
from chuangwen.core.web import user_of
from chuangwen.core.xlsx import ImportFileError, Sheet, cell_text, read_upload

UPLOAD_KEY, MAPPING_KEY, REPORT_KEY = "hotline_upload", "hotline_mapping", "hotline_report"
PREVIEW_ROWS = 5  # rows of the file shown in the mapping step


def _stored_sheet(request: HttpRequest) -> tuple[dict[str, str], Sheet] | None:
    """The file this user uploaded for the mapping step (under a random name known only to his session)."""
    upload = request.session.get(UPLOAD_KEY)
    if not upload or not default_storage.exists(upload["name"]):
        return None
    with default_storage.open(upload["name"], "rb") as handle:
        return upload, hotline.read_table(handle.read())


def _upload(request: HttpRequest, context: dict[str, Any]) -> int:
    form = HotlineUploadForm(request.POST, request.FILES)
    context["upload_form"] = form
    if not form.is_valid():
        return 400
    upload = form.cleaned_data["file"]
    try:
        data = read_upload(upload)
        sheet = hotline.read_table(data)
    except ImportFileError as exc:
        form.add_error("file", str(exc))
        return 400
    name = default_storage.save(f"imports/hotline/{uuid.uuid4().hex}", ContentFile(data))
    request.session[UPLOAD_KEY] = {"name": name, "file_name": str(upload.name)[:200]}
    initial = hotline.guess_mapping(sheet.headers, request.session.get(MAPPING_KEY))
    context.update(sheet=sheet, mapping_form=HotlineMappingForm(initial=initial, headers=sheet.headers))
    return 200


def _run(request: HttpRequest, context: dict[str, Any], dry_run: bool) -> int:
    stored = _stored_sheet(request)
    if stored is None:
        context["upload_form"].add_error("file", _("上传的文件已失效，请重新上传"))
        return 400
    upload, sheet = stored
    form = HotlineMappingForm(request.POST, headers=sheet.headers)
    context.update(sheet=sheet, mapping_form=form)
    if not form.is_valid():
        return 400
    mapping = form.mapping()
    request.session[MAPPING_KEY] = mapping
    with default_storage.open(upload["name"], "rb") as handle:
        result = hotline.import_hotline(
            handle.read(), mapping, user_of(request), gcj02=form.cleaned_data["gcj02"], dry_run=dry_run,
            file_name=upload["file_name"], request=request,
        )  # fmt: skip
    context["result"] = result
    if result.error_report:
        request.session[REPORT_KEY] = result.error_report
    if result.ok and not dry_run:
        default_storage.delete(upload["name"])
        del request.session[UPLOAD_KEY]
        context.pop("mapping_form")
    return 200 if result.ok else 400


@login_required
@require_http_methods(["GET", "POST"])
def hotline_import(request: HttpRequest) -> HttpResponse:
    """Upload → map the columns (headers and first rows shown) → check → import."""
    if not hotline.can_import_hotline(user_of(request)):
        raise PermissionDenied
    context: dict[str, Any] = {"upload_form": HotlineUploadForm(), "fields": hotline.FIELDS}
    status = 200
    step = request.POST.get("step", "")
    if request.method == "POST" and step in ("check", "import"):
        status = _run(request, context, dry_run=step == "check")
    elif request.method == "POST":
        status = _upload(request, context)
    if "sheet" in context:
        rows = context["sheet"].rows[:PREVIEW_ROWS]
        context["preview"] = [[cell_text(v) for v in values] for _n, values in rows]
    return render(request, "cases/hotline.html", context, status=status)


@login_required
def hotline_report(request: HttpRequest) -> FileResponse:
    """The error report of this user's last failed check (its name lives only in his session)."""
    if not hotline.can_import_hotline(user_of(request)):
        raise PermissionDenied
    name = request.session.get(REPORT_KEY)
    if not name or not default_storage.exists(name):
        raise Http404
    return FileResponse(default_storage.open(name, "rb"), as_attachment=True, filename="hotline-errors.xlsx")


@login_required
@require_POST
def case_instruct(request: HttpRequest, pk: int) -> HttpResponse:
    case = visible_case(request, pk)
    user = user_of(request)
    if not may_instruct(user):
        raise PermissionDenied
    form = InstructionForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            instruct(case, user, form.cleaned_data["text"], form.cleaned_data["deadline"], request)
        except CaseNotFound as exc:
            raise Http404 from exc
        except TransitionRefused as exc:
            form.add_error(None, exc.message)
            status = 403
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("已督办"))
            return HttpResponseRedirect(reverse("cases:detail", args=[case.pk]))
    context = case_context(request, case)
    context["instruct_form"] = form
    return render(request, "cases/detail.html", context, status=status)


def _form_errors(form: Any, exc: ValidationError) -> None:
    for name, errors in exc.message_dict.items():
        for error in errors:
            form.add_error(name if name in form.fields else None, error)


@login_required
@require_http_methods(["GET", "POST"])
def instruction_case_new(request: HttpRequest) -> HttpResponse:
    """A new case for a problem that has none yet, dispatched with the instruction's deadline."""
    user = user_of(request)
    if not may_instruct(user):
        raise PermissionDenied
    form = InstructionCaseForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = open_instruction_case(
                user, data["unit"], data["title"], data["description"], data["deadline"], data["site"],
                text=data["text"], request=request,
            )  # fmt: skip
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("已立案并督办：%(code)s") % {"code": case.code})
            return HttpResponseRedirect(reverse("cases:detail", args=[case.pk]))
    status = 400 if request.method == "POST" else 200
    return render(request, "cases/instruct_new.html", {"form": form}, status=status)
