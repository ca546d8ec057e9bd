from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from chuangwen.audit.services import client_address
from chuangwen.core import csp_reports


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers and the set-up script."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})


@csrf_exempt  # browsers post reports without a token; nothing here acts for a signed-in user
@require_POST
def csp_report(request: HttpRequest) -> HttpResponse:
    """Store the Content-Security-Policy violations a browser reports (either report format), bounded."""
    address = client_address(request)
    if not csp_reports.allow(address):
        return _refused(_("报告过于频繁，请稍后再试"), "rate_limited", 429)
    limit = settings.CSP_REPORT_MAX_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _refused(_("请求头 Content-Length 不正确"), "invalid", 400)
    raw = b"" if declared > limit else request.read(limit + 1)
    if declared > limit or len(raw) > limit:
        return _refused(_("报告过大（最多 %(kb)d KB）") % {"kb": limit // 1024}, "too_large", 413)
    try:
        violations = csp_reports.parse(raw, request.content_type or "")
    except csp_reports.ReportRefused as exc:
        return _refused(str(exc), exc.code, exc.status)
    csp_reports.store(violations, user_agent=request.META.get("HTTP_USER_AGENT", ""), address=address)
    return HttpResponse(status=204)


def _refused(detail: str, code: str, status: int) -> JsonResponse:
    return JsonResponse(
        {"detail": detail, "code": code}, status=status, json_dumps_params={"ensure_ascii": False}
    )
