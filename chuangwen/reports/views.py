"""The public pages of 随手拍 under /s/: no account, phone first, no personal data on any page.

- ``/s/`` report a problem (category, photos, position, description, optional phone number; captcha beyond
  the threshold); the page asks ``/s/nearby/`` before submitting and offers “我也遇到（+1）”;
- ``/s/t/<code>/`` follow it by tracking code (state, dates, the reason of a refusal), with the QR code of its
  own address, the rating after closure and the request to reopen within REPORTS_REOPEN_DAYS.
"""

from __future__ import annotations

import io
import uuid
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chuangwen.audit.services import client_address
from chuangwen.evidence.errors import Busy
from chuangwen.org.coords import gcj02_to_wgs84
from chuangwen.org.models import Unit, UnitKind
from chuangwen.reports import captcha, guard, limits, public, services
from chuangwen.reports.limits import device_id, remember_device
from chuangwen.reports.models import CitizenReport, ReportCategory

FIELDS = ("category", "description", "lat", "lng", "phone", "address", "photos", "captcha", "client_id")


def _form_context(
    request: HttpRequest, values: dict[str, Any], errors: dict[str, list[str]]
) -> dict[str, Any]:
    needs_captcha = services.captcha_required(client_address(request))
    return {
        "categories": services.active_categories(),
        "values": values,
        "errors": errors,
        "other_errors": [m for key, msgs in errors.items() if key not in FIELDS for m in msgs],
        "captcha_image": captcha.new_challenge(request.session) if needs_captcha else "",
        "max_photos": settings.REPORTS_MAX_PHOTOS,
        "max_mb": settings.EVIDENCE_MAX_BYTES // (1024 * 1024),
        "nearby_m": int(settings.REPORTS_NEARBY_M),
        "boundaries": _boundaries(),
        "js_strings": {
            "locating": _("正在获取位置…"),
            "located": _("已获取位置（精度约 %(m)s 米）"),
            "picked": _("已在地图上选定位置"),
            "denied": _("无法获取位置，请在地图上点选问题位置"),
            "unsupported": _("此浏览器不支持定位，请在地图上点选问题位置"),
            "metres": _("约 %(m)s 米"),
            "supporters": _("%(n)s 人也遇到"),
            "me_too": _("我也遇到（+1）"),
            "in_progress": _("已在办理中"),
            "too_many": _("最多上传 %(n)s 张照片"),
            "too_big": _("照片“%(name)s”超过 %(mb)s MB"),
            "sending": _("正在提交…"),
        },
    }


def _boundaries() -> dict[str, Any]:
    """The district's and streets' boundaries (public geography) for the position picker."""
    units = Unit.objects.filter(
        active=True, boundary__isnull=False, kind__in=[UnitKind.DISTRICT, UnitKind.STREET]
    ).order_by("depth", "code")
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"name": unit.name}, "geometry": unit.boundary}
            for unit in units
        ],
    }


@never_cache
@remember_device
@require_http_methods(["GET", "POST"])
def report_new(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "reports/new.html", _form_context(request, {}, {}))
    values = {key: request.POST.get(key, "") for key in FIELDS}
    values["gcj02"] = request.POST.get("gcj02", "")
    errors: dict[str, list[str]] = {}
    ip = client_address(request)
    passed = False
    if services.captcha_required(ip):
        passed = captcha.verify(request.session, request.POST.get("captcha", ""))
        if not passed:
            errors["captcha"] = [_("验证码不正确或已失效，请重新输入")]
    category = ReportCategory.objects.filter(code=values["category"], active=True).first()
    try:
        client_id = uuid.UUID(values["client_id"]) if values["client_id"] else uuid.uuid4()
    except ValueError:
        client_id = uuid.uuid4()
    if not errors:
        try:
            report = services.submit_report(
                category=category,  # type: ignore[arg-type]  # None is reported as a field error
                description=values["description"],
                lat=values["lat"],  # type: ignore[arg-type]  # strings are checked and converted
                lng=values["lng"],  # type: ignore[arg-type]
                client_id=client_id,
                photos=request.FILES.getlist("photos"),
                phone=values["phone"],
                address=values["address"],
                gcj02=values["gcj02"] in ("1", "true", "on"),
                source="web",
                ip=ip,
                device=device_id(request),
                captcha_passed=passed,
                request=request,
            )
        except ValidationError as exc:
            errors = exc.message_dict
            if "lat" in errors and "lng" in errors and not values["lat"]:
                errors = {**errors, "lat": [_("请先获取位置或在地图上选点")]}
                errors.pop("lng")
        except limits.RateLimited as exc:
            errors = {"limit": [exc.message]}
        except Busy as exc:  # no decoding slot: nothing was counted or stored
            context = _form_context(request, values, {"limit": [exc.message]})
            response = render(request, "reports/new.html", context, status=503)
            response["Retry-After"] = str(exc.retry_after)
            return response
        else:
            request.session["reports_submitted"] = report.tracking_code
            return redirect("reports:status", code=report.tracking_code)
    return render(request, "reports/new.html", _form_context(request, values, errors), status=400)


def _float(value: str | None) -> float | None:
    try:
        number = float(value or "")
    except ValueError:
        return None
    return number if -180 <= number <= 180 else None


@require_GET
def nearby(request: HttpRequest) -> JsonResponse:
    """JSON for the duplicate guard: open reports and cases of the category within REPORTS_NEARBY_M."""
    category = ReportCategory.objects.filter(code=request.GET.get("category", ""), active=True).first()
    lat, lng = _float(request.GET.get("lat")), _float(request.GET.get("lng"))
    if category is None or lat is None or lng is None:
        return JsonResponse({"detail": _("请提供问题类别和位置（category、lat、lng）")}, status=400)
    if request.GET.get("gcj02") in ("1", "true"):
        lng, lat = gcj02_to_wgs84(lng, lat)
    items = guard.nearby(category, lat, lng)
    return JsonResponse(
        {
            "radius_m": int(settings.REPORTS_NEARBY_M),
            "items": [
                {
                    "kind": item.kind,
                    "tracking_code": item.tracking_code,
                    "title": item.title,
                    "status": item.status,
                    "distance_m": round(item.distance_m),
                    "created_at": item.created_at.isoformat(),
                    "supporters": item.supporters,
                    "support_url": reverse("reports:support", args=[item.tracking_code])
                    if item.tracking_code
                    else "",
                }
                for item in items
            ],
        }
    )


def _report_or_404(code: str) -> CitizenReport:
    report = services.find_by_code(code)
    if report is None:
        raise Http404(_("查询码不存在"))
    return report


@remember_device
@require_POST
def support(request: HttpRequest, code: str) -> HttpResponse:
    report = _report_or_404(code)
    try:
        _report, added = guard.support_report(
            report, phone=request.POST.get("phone", ""), ip=client_address(request), device=device_id(request)
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except limits.RateLimited as exc:
        messages.error(request, exc.message)
    else:
        if added:
            messages.success(request, _("已记录“我也遇到”，感谢您的反映，我们会一并办理。"))
        else:
            messages.info(request, _("您已经反映过这个问题，无需重复提交。"))
    return redirect("reports:status", code=report.tracking_code)


@require_GET
def lookup(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("code", "").strip()
    if code:
        report = services.find_by_code(code)
        if report is not None:
            return redirect("reports:status", code=report.tracking_code)
        return render(request, "reports/lookup.html", {"code": code, "not_found": True}, status=404)
    return render(request, "reports/lookup.html", {"code": "", "not_found": False})


def status_url(request: HttpRequest, report: CitizenReport) -> str:
    return request.build_absolute_uri(reverse("reports:status", args=[report.tracking_code]))


@never_cache
@remember_device
@require_GET
def status(request: HttpRequest, code: str) -> HttpResponse:
    report = _report_or_404(code)
    if report.tracking_code != code:
        return redirect("reports:status", code=report.tracking_code)
    just_submitted = request.session.pop("reports_submitted", "") == report.tracking_code
    return render(request, "reports/status.html", _status_context(request, report, just_submitted, {}))


def _status_context(
    request: HttpRequest, report: CitizenReport, just_submitted: bool, errors: dict[str, list[str]]
) -> dict[str, Any]:
    state = public.public_status(report)
    return {
        "report": report,
        "status": state,
        "timeline": public.public_timeline(report),
        "after_photos": public.public_after_photos(report),
        "can_rate": services.can_rate(report),
        "can_reopen": services.can_reopen(report),
        "reopen_until": services.reopen_deadline(report),
        "just_submitted": just_submitted,
        "status_url": status_url(request, report),
        "errors": errors,
        "ratings": [5, 4, 3, 2, 1],
    }


@require_POST
def rate(request: HttpRequest, code: str) -> HttpResponse:
    report = _report_or_404(code)
    try:
        services.rate_report(
            report, request.POST.get("rating"), request.POST.get("rating_comment", ""), request=request
        )
    except ValidationError as exc:
        context = _status_context(request, report, False, exc.message_dict)
        return render(request, "reports/status.html", context, status=400)
    messages.success(request, _("感谢您的评价！"))
    return redirect("reports:status", code=report.tracking_code)


@require_POST
def reopen(request: HttpRequest, code: str) -> HttpResponse:
    report = _report_or_404(code)
    try:
        services.reopen_report(report, request.POST.get("reason", ""), request=request)
    except ValidationError as exc:
        context = _status_context(request, report, False, exc.message_dict)
        return render(request, "reports/status.html", context, status=400)
    messages.success(request, _("已收到您的申请，问题将重新办理。"))
    return redirect("reports:status", code=report.tracking_code)


@require_GET
def qr_svg(request: HttpRequest, code: str) -> HttpResponse:
    """The QR code (SVG) of the report's status page."""
    report = _report_or_404(code)
    out = io.BytesIO()
    segno.make(status_url(request, report), error="m").save(
        out, kind="svg", scale=4, border=2, title=_("随手拍查询二维码")
    )
    response = HttpResponse(out.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=86400"
    return response
