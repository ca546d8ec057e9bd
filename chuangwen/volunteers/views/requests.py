"""Service requests (点单 → 派单 → 接单 → 评单): the staff's list and detail with the workflow buttons under
/volunteers/requests/, and the resident's phone pages under /v/requests/ (the 点单 form, and the follow page
reached by the request's unguessable link, where it is cancelled or rated).

Staff find requests only through ``requests.visible`` (404 outside it). Phone numbers are masked everywhere
but on the detail page, for the staff of the request's community.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chuangwen.audit.services import client_address
from chuangwen.core.bounds import PAGE_MAX, clamped_number
from chuangwen.core.web import user_of
from chuangwen.reports.limits import device_id, remember_device
from chuangwen.reports.masking import mask_phone
from chuangwen.volunteers import request_machine, requests
from chuangwen.volunteers.models import Activity, RequestState, ServiceRequest
from chuangwen.volunteers.services import Refused

PAGE_SIZE = 30
FORM_FIELDS = (
    "unit",
    "category",
    "description",
    "requester_name",
    "requester_phone",
    "wanted_on",
    "client_id",
)
PUBLIC_ACTIONS = ("cancel", "rate")


def _int(raw: str | None) -> int | None:
    text = (raw or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def _version(request: HttpRequest) -> int | None:
    return _int(request.POST.get("version"))


# --- staff pages --------------------------------------------------------------------------------------------


def _staff(request: HttpRequest) -> Any:
    user = user_of(request)
    if not requests.may_use(user):
        raise PermissionDenied(_("您的角色不办理志愿服务需求。"))
    return user


def _found(request: HttpRequest, pk: int) -> ServiceRequest:
    return get_object_or_404(requests.visible(_staff(request)), pk=pk)


@login_required
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    found = requests.visible(user)
    counts = requests.counts_by_state(found)
    state = request.GET.get("state", "")
    if state in RequestState.values:
        found = found.filter(state=state)
    else:
        state = ""
    page = Paginator(found.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(
        clamped_number(request.GET.get("page"), 1, PAGE_MAX, 1)
    )
    rows = [
        {
            "r": r,
            "category": requests.category_label(r.category),
            "phone": mask_phone(r.requester_phone),
        }
        for r in page
    ]
    states = [(value, label, counts.get(value, 0)) for value, label in RequestState.choices]
    context = {"page": page, "rows": rows, "states": states, "state": state, "total": sum(counts.values())}
    return render(request, "volunteers/requests/list.html", context)


@login_required
@require_GET
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    found = _found(request, pk)
    user = user_of(request)
    actions = requests.allowed_actions(found, user)
    context: dict[str, Any] = {
        "r": found,
        "category": requests.category_label(found.category),
        "phone": requests.phone_for(user, found),
        "actions": actions,
        "timeline": requests.timeline(found, public=False),
        "teams": list(requests.dispatch_teams(found)) if any(t.needs_team for t in actions) else [],
        "activities": list(Activity.objects.filter(team_id=found.team_id).order_by("-starts_at")[:50])
        if found.team_id and any(t.takes_activity for t in actions)
        else [],
    }
    return render(request, "volunteers/requests/detail.html", context)


@login_required
@require_POST
def request_act(request: HttpRequest, pk: int) -> HttpResponse:
    """One step of the workflow from the detail page's buttons."""
    found = _found(request, pk)
    action = request.POST.get("action", "")
    try:
        done = requests.transition(
            found,
            action,
            user_of(request),
            version=_version(request),
            reason=request.POST.get("reason", ""),
            team_id=_int(request.POST.get("team")),
            activity_id=_int(request.POST.get("activity")),
        )
    except Refused as exc:
        messages.error(request, requests.refusal_text(exc))
    else:
        messages.success(request, _("服务需求状态：%(s)s") % {"s": done.get_state_display()})
    return HttpResponseRedirect(reverse("volunteers:request_detail", args=[found.pk]))


# --- the resident's pages -----------------------------------------------------------------------------------


def _form_context(values: dict[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors,
        "communities": requests.communities(),
        "categories": requests.ServiceCategory.choices,
        "today": timezone.localdate().isoformat(),
    }


@never_cache
@remember_device
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    """点单: the resident's form (mobile first). The hidden ``client_id`` makes a resend harmless."""
    if request.method != "POST":
        values = {"client_id": str(uuid.uuid4())}
        return render(request, "volunteers/requests/public_new.html", _form_context(values, {}))
    values = {key: request.POST.get(key, "").strip() for key in FORM_FIELDS}
    errors: dict[str, list[str]] = {}
    wanted_on = None
    if values["wanted_on"]:
        try:
            wanted_on = date.fromisoformat(values["wanted_on"])
        except ValueError:
            errors["wanted_on"] = [_("希望服务日期：请填写有效日期（年-月-日）")]
    try:
        client_id = uuid.UUID(values["client_id"])
    except ValueError:
        client_id = uuid.uuid4()
        values["client_id"] = str(client_id)
    if not errors:
        submission = requests.Submission(
            unit_id=_int(values["unit"]),
            category=values["category"],
            description=request.POST.get("description", ""),
            requester_name=values["requester_name"],
            requester_phone=values["requester_phone"],
            client_id=client_id,
            wanted_on=wanted_on,
        )
        try:
            made = requests.submit(
                submission,
                ip=client_address(request),
                device=device_id(request),
                submitted_by=user_of(request) if request.user.is_authenticated else None,
            )
        except Refused as exc:
            errors[exc.field or "form"] = [requests.refusal_text(exc)]
        else:
            request.session["volunteer_request_submitted"] = made.code
            return redirect("volunteer_public:request_follow", token=made.access_token)
    return render(request, "volunteers/requests/public_new.html", _form_context(values, errors), status=400)


def _by_token(token: str) -> ServiceRequest:
    found = requests.find_by_token(token)
    if found is None:
        raise Http404(_("没有找到该服务需求"))
    return found


def _follow_context(
    request: HttpRequest, found: ServiceRequest, errors: dict[str, list[str]]
) -> dict[str, Any]:
    requester = request_machine.Requester(found.access_token)
    actions = {t.action for t in requests.allowed_actions(found, requester)}
    return {
        "r": found,
        "category": requests.category_label(found.category),
        "phone": mask_phone(found.requester_phone),
        "timeline": requests.timeline(found, public=True),
        "can_cancel": "cancel" in actions,
        "can_rate": "rate" in actions,
        "ratings": range(1, 6),
        "errors": errors,
        "just_submitted": request.session.pop("volunteer_request_submitted", "") == found.code,
    }


@never_cache
@require_GET
def request_follow(request: HttpRequest, token: str) -> HttpResponse:
    found = _by_token(token)
    return render(request, "volunteers/requests/public_follow.html", _follow_context(request, found, {}))


@never_cache
@require_POST
def request_public_act(request: HttpRequest, token: str) -> HttpResponse:
    """撤销 or 评单 by the requester (the token in the address proves who it is)."""
    found = _by_token(token)
    action = request.POST.get("action", "")
    if action not in PUBLIC_ACTIONS:
        errors = {"action": [_("未知的操作")]}
        context = _follow_context(request, found, errors)
        return render(request, "volunteers/requests/public_follow.html", context, status=400)
    try:
        requests.transition(
            found,
            action,
            token,
            version=_version(request),
            reason=request.POST.get("rating_comment" if action == "rate" else "reason", ""),
            rating=_int(request.POST.get("rating")),
        )
    except Refused as exc:
        found.refresh_from_db()
        context = _follow_context(request, found, {exc.field or "action": [requests.refusal_text(exc)]})
        return render(request, "volunteers/requests/public_follow.html", context, status=400)
    messages.success(request, _("感谢您的评价！") if action == "rate" else _("服务需求已撤销"))
    return redirect("volunteer_public:request_follow", token=found.access_token)
