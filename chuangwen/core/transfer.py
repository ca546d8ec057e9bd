"""Web pages for spreadsheet import (upload → background job → progress → error report) and export."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from chuangwen.core.imports import can_import, export_xlsx, get_spec, start_import_job
from chuangwen.core.models import ImportJob, ImportKind
from chuangwen.core.web import user_of, wants_fragment
from chuangwen.core.xlsx import ImportFileError

if TYPE_CHECKING:
    from chuangwen.accounts.models import User

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _kind(kind: str) -> str:
    if kind not in ImportKind.values:
        raise Http404
    return kind


def can_export(kind: str, user: User) -> bool:
    """The sheet's own rule (``SheetSpec.may_export``): personal data (users) only for admins and
    coordinators; registries for anyone who can see them."""
    return get_spec(kind).may_export(user)


@login_required
def export_view(request: HttpRequest, kind: str) -> HttpResponse:
    user = user_of(request)
    if not can_export(_kind(kind), user):
        raise PermissionDenied
    queryset: QuerySet[Any] = get_spec(kind).export_queryset(request, user)
    data = export_xlsx(kind, queryset, actor=user, request=request)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{kind}-{stamp}.xlsx"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def import_view(request: HttpRequest, kind: str) -> HttpResponse:
    user = user_of(request)
    if not can_import(_kind(kind), user):
        raise PermissionDenied
    spec = get_spec(kind)
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = _("请选择要导入的 .xlsx 文件。")
        else:
            try:
                job = start_import_job(kind, upload, user, request=request)
            except ImportFileError as exc:
                error = str(exc)
            else:
                return HttpResponseRedirect(reverse("core:import_job", args=[job.pk]))
    context = {
        "kind": kind,
        "title": spec.title,
        "columns": spec.import_columns(),
        "error": error,
        "jobs": ImportJob.objects.filter(created_by=user, kind=kind)[:10],
    }
    return render(request, "core/transfer/import.html", context, status=400 if error else 200)


def _own_job(request: HttpRequest, job_id: int) -> ImportJob:
    """A job is visible only to the person who uploaded it (its error report repeats the file's rows)."""
    return get_object_or_404(ImportJob, pk=job_id, created_by=user_of(request))


@login_required
def job_view(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _own_job(request, job_id)
    template = "core/transfer/job_status.html" if wants_fragment(request) else "core/transfer/job.html"
    return render(request, template, {"job": job, "title": get_spec(job.kind).title})


@login_required
def job_report_view(request: HttpRequest, job_id: int) -> FileResponse:
    job = _own_job(request, job_id)
    if not job.error_report:
        raise Http404
    messages.info(request, _("错误报告已下载。"))
    return FileResponse(job.error_report.open("rb"), as_attachment=True, filename=f"errors-{job.pk}.xlsx")
