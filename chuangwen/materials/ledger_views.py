"""The 台账 pages of a period: the list of exports with their progress, starting one (one at a time per
period), and the download; ``ledger.py`` builds the archive on the task queue.

Only the 文明办 that runs the period may export it: coordinators and leaders of a unit that holds the period's
owner unit. A period the user cannot see at all answers 404 (it must not be discoverable); a user of a unit
below the office, who sees the period but holds no such role, gets 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from chuangwen.audit.services import record
from chuangwen.core.web import user_of
from chuangwen.materials.ledger import safe_name
from chuangwen.materials.ledger_requests import (  # noqa: F401  (request_export: re-exported for the tests)
    LedgerBusy,
    may_export_ledger,
    request_export,
    start_export,
)
from chuangwen.materials.models import ExportState, LedgerExport, Period

SHOWN_EXPORTS = 20


def download_name(period: Period) -> str:
    """The name the browser saves the archive under: ``2026 年度网上申报台账.zip``."""
    return f"{safe_name(period.name, 80) or _('申报周期')}台账.zip"


def _period_for(request: HttpRequest, period_id: int) -> Period:
    user = user_of(request)
    period = get_object_or_404(Period.objects.visible_to(user).select_related("owner_unit"), pk=period_id)
    if not may_export_ledger(user, period):
        raise PermissionDenied
    return period


def _export_for(request: HttpRequest, export_id: int) -> LedgerExport:
    export = get_object_or_404(LedgerExport.objects.select_related("period", "requested_by"), pk=export_id)
    _period_for(request, export.period_id)  # the same rule as the period's page, 404 before 403
    return export


@login_required
@require_GET
def ledger_page(request: HttpRequest, period_id: int) -> HttpResponse:
    period = _period_for(request, period_id)
    exports = list(period.ledger_exports.select_related("requested_by")[:SHOWN_EXPORTS])
    busy = any(export.state in (ExportState.QUEUED, ExportState.RUNNING) for export in exports)
    return render(request, "materials/ledger.html", {"period": period, "exports": exports, "busy": busy})


@login_required
@require_POST
def ledger_start(request: HttpRequest, period_id: int) -> HttpResponse:
    period = _period_for(request, period_id)
    try:
        start_export(period, user_of(request))
    except LedgerBusy as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已开始生成台账，完成后可在下方下载。"))
    return HttpResponseRedirect(reverse("materials:ledger", args=[period.pk]))


@login_required
@require_GET
def ledger_status(request: HttpRequest, export_id: int) -> HttpResponse:
    """One export's row (state, progress, size, download link): polled every 2 s while it is not finished."""
    export = _export_for(request, export_id)
    return render(request, "materials/ledger_status.html", {"export": export})


@login_required
@require_GET
def ledger_download(request: HttpRequest, export_id: int) -> FileResponse:
    export = _export_for(request, export_id)
    if export.state != ExportState.DONE or not export.file:
        raise Http404
    try:
        handle = default_storage.open(export.file, "rb")
    except OSError as exc:
        raise Http404 from exc
    detail = {"export": export.pk, "bytes": export.size}
    record(request, "materials.ledger.download", obj=export.period, detail=detail)
    # Django writes a non-ASCII name as filename*=utf-8''… (RFC 5987) beside an ASCII fallback.
    return FileResponse(handle, as_attachment=True, filename=download_name(export.period))
