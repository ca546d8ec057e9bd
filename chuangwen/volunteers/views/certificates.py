"""志愿服务证明 pages: the list (per team for its managers and the staff above, the volunteer's own for a
volunteer), the issue form, the downloads (audited as exports), and the public check page reached from the
QR code on the paper (``/v/certificates/<token>/``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from chuangwen.audit.services import record
from chuangwen.core.bounds import PAGE_MAX, clamped_number
from chuangwen.core.web import user_of
from chuangwen.volunteers import certificates, services
from chuangwen.volunteers.models import Certificate, Volunteer
from chuangwen.volunteers.requests import refusal_text
from chuangwen.volunteers.services import Refused

PAGE_SIZE = 30
FIELD_LABELS = {
    "volunteer": gettext_lazy("志愿者编号"),
    "team": gettext_lazy("出具队伍"),
    "period_start": gettext_lazy("服务期间起"),
    "period_end": gettext_lazy("服务期间止"),
}


def _int(raw: str | None) -> int | None:
    text = (raw or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def _date(raw: str, field: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise Refused("invalid", _("请填写有效日期（年-月-日）"), field) from None


@login_required
@require_GET
def certificate_list(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    teams = list(services.managed_teams(user).order_by("unit__path", "code"))
    found = certificates.visible(user)
    team_id = _int(request.GET.get("team"))
    if team_id is not None:
        found = found.filter(team_id=team_id)
    page = Paginator(found.order_by("-issued_at", "-pk"), PAGE_SIZE).get_page(
        clamped_number(request.GET.get("page"), 1, PAGE_MAX, 1)
    )
    context: dict[str, Any] = {
        "page": page,
        "teams": teams,
        "team_id": team_id,
        "mine": getattr(user, "volunteer", None),
        "values": request.session.pop("certificate_values", {}),
    }
    return render(request, "volunteers/requests/certificate_list.html", context)


@login_required
@require_POST
def certificate_issue(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    values = {
        key: request.POST.get(key, "").strip() for key in ("volunteer", "team", "period_start", "period_end")
    }
    back = reverse("volunteers:certificate_list")
    try:
        team = services.managed_teams(user).filter(pk=_int(values["team"]) or 0).first()
        if team is None:
            raise Refused("invalid", _("请选择您管理的队伍"), "team")
        volunteer = (
            Volunteer.objects.filter(number=values["volunteer"]).first() if values["volunteer"] else None
        )
        if volunteer is None:
            raise Refused("invalid", _("请填写正确的志愿者编号"), "volunteer")
        start = _date(values["period_start"], "period_start")
        end = _date(values["period_end"], "period_end")
        made = certificates.issue(volunteer, team, start, end, user)
    except Refused as exc:
        label = FIELD_LABELS.get(exc.field)
        messages.error(request, f"{label}：{exc.message}" if label else refusal_text(exc))
        request.session["certificate_values"] = values
        return HttpResponseRedirect(back)
    messages.success(request, _("已出具志愿服务证明 %(n)s") % {"n": made.number})
    return HttpResponseRedirect(f"{back}?team={team.pk}")


@login_required
@require_GET
def certificate_download(request: HttpRequest, pk: int, fmt: str) -> FileResponse:
    """The PDF or .docx, to the team's managers, the staff above and the volunteer; audited as an export."""
    if fmt not in certificates.FORMATS:
        raise Http404
    certificate = get_object_or_404(certificates.visible(user_of(request)), pk=pk)
    name = getattr(certificate, fmt)
    if not name:
        raise Http404
    try:
        handle = default_storage.open(name, "rb")
    except OSError as exc:
        raise Http404 from exc
    record(request, "volunteer.certificate_export", obj=certificate, detail={"format": fmt})
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"{certificate.number}.{fmt}",
        content_type=certificates.FORMATS[fmt],
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@require_GET
def certificate_check(request: HttpRequest, token: Any) -> HttpResponse:
    """The public check of a paper certificate: no login; the name masked; 404 for an unknown token."""
    certificate = get_object_or_404(
        Certificate.objects.select_related("team", "volunteer"), verify_token=token
    )
    context = {"v": certificates.check_view(certificate)}
    return render(request, "volunteers/requests/certificate_check.html", context)
