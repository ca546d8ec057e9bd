"""Pages of personal-data requests.

- ``/s/privacy/`` (public, phone first, like the other /s/ pages): a citizen enters the tracking code and the
  phone number given with the report, sees what is kept and may have it removed. Counted against the limits
  of ``services.request_limits`` before the lookup, with the report pages' captcha after a few attempts; a
  wrong pair reads exactly like an unknown code. Removal needs the pair checked in this session just before.
- ``/privacy/export/`` (staff): the coordinator's export of everything about one person in the unit's subtree.
"""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from chuangwen.audit.services import client_address
from chuangwen.core.web import user_of
from chuangwen.privacy import export, services
from chuangwen.reports import captcha, limits
from chuangwen.reports.limits import device_id, remember_device
from chuangwen.reports.models import CitizenReport

SESSION_KEY = "privacy_verified"
VERIFIED_SECONDS = 10 * 60  # a removal must follow a successful check within this time
CITIZEN_TEMPLATE = "privacy/citizen.html"


def _page(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    ip = client_address(request)
    needs = services.captcha_required(ip) and "data" not in context and "done" not in context
    base = {
        "values": {},
        "errors": {},
        "captcha_image": captcha.new_challenge(request.session) if needs else "",
    }
    return render(request, CITIZEN_TEMPLATE, {**base, **context}, status=status)


def _look(request: HttpRequest) -> HttpResponse:
    values = {key: request.POST.get(key, "") for key in ("tracking_code", "phone")}
    ip = client_address(request)
    if services.captcha_required(ip) and not captcha.verify(request.session, request.POST.get("captcha", "")):
        errors = {"captcha": [_("验证码不正确或已失效，请重新输入")]}
        return _page(request, {"values": values, "errors": errors}, 400)
    try:
        report = services.find_own(values["tracking_code"], values["phone"], ip=ip, device=device_id(request))
    except ValidationError as exc:
        return _page(request, {"values": values, "errors": exc.message_dict}, 400)
    except limits.RateLimited as exc:
        response = _page(request, {"values": values, "errors": {"limit": [exc.message]}}, 429)
        response["Retry-After"] = str(exc.retry_after_seconds)
        return response
    except services.NotFound as exc:
        return _page(request, {"values": values, "errors": {"limit": [str(exc)]}}, 404)
    services.viewed(report, request)
    request.session[SESSION_KEY] = {"id": report.pk, "at": time.time()}
    return _page(request, {"data": services.own_data(report)})


def _verified(request: HttpRequest) -> CitizenReport | None:
    held = request.session.get(SESSION_KEY)
    if not isinstance(held, dict) or time.time() - float(held.get("at", 0)) > VERIFIED_SECONDS:
        return None
    report_id = held.get("id")
    if not isinstance(report_id, int):
        return None
    return CitizenReport.objects.filter(pk=report_id).select_related("category", "case").first()


def _delete(request: HttpRequest) -> HttpResponse:
    report = _verified(request)
    if report is None:
        errors = {"limit": [_("核验已失效，请重新输入查询码和手机号")]}
        return _page(request, {"errors": errors}, 400)
    if request.POST.get("confirm") != "yes":
        errors = {"confirm": [_("请勾选“我确认删除”")]}
        return _page(request, {"data": services.own_data(report), "errors": errors}, 400)
    done = services.forget(report, request)
    request.session.pop(SESSION_KEY, None)
    return _page(request, {"done": done})


@never_cache
@remember_device
@require_http_methods(["GET", "POST"])
def citizen(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request, {})
    if request.POST.get("action") == "delete":
        return _delete(request)
    return _look(request)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def export_page(request: HttpRequest) -> HttpResponse:
    officer = user_of(request)
    if not export.may_export(officer):
        raise PermissionDenied(_("只有文明办协调员可以导出个人信息。"))
    if request.method != "POST":
        return render(request, "privacy/export.html", {"values": {"format": "json"}, "errors": {}})
    values = {key: request.POST.get(key, "") for key in ("phone", "id_number", "format")}
    try:
        search = export.parse_search(values["phone"], values["id_number"], values["format"] or "json")
    except ValidationError as exc:
        context = {"values": values, "errors": exc.message_dict}
        return render(request, "privacy/export.html", context, status=400)
    made = export.export(officer, search, values["format"] or "json", request)
    response = HttpResponse(made.content, content_type=made.content_type)
    response["Content-Disposition"] = f'attachment; filename="{made.filename}"'
    return response
