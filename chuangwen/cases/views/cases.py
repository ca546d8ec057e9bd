"""Case pages: the worklist (filters, counts, bulk accept, export) and the case page with its actions."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from chuangwen.accounts import capabilities
from chuangwen.accounts.models import User
from chuangwen.audit.services import record
from chuangwen.cases import machine, photochecks, services
from chuangwen.cases import photo_recheck as recheck
from chuangwen.cases.case_photos import case_site_for
from chuangwen.cases.exceptions import Conflict, TransitionRefused
from chuangwen.cases.exports import require_format, spreadsheet_response
from chuangwen.cases.forms import (
    LIGHT_LABELS,
    MAIN_ACTIONS,
    ActionForm,
    CaseFilterForm,
    light_counts,
    light_of,
    state_counts,
)
from chuangwen.cases.instructions import instruction_context
from chuangwen.cases.models import Case, CaseQuerySet, CaseState
from chuangwen.core.bounds import parse_ids
from chuangwen.core.web import querystring, user_of, wants_fragment
from chuangwen.evidence.errors import EvidenceError
from chuangwen.evidence.models import Evidence, EvidenceKind
from chuangwen.evidence.services import PhotoMeta, ingest_photos
from chuangwen.sites.views import site_feature

PAGE_SIZE = 50


def filtered_cases(request: HttpRequest) -> tuple[CaseFilterForm, CaseQuerySet]:
    """The viewer's cases narrowed by the GET filters (the same rules for the list, counts and exports)."""
    user = user_of(request)
    if not capabilities.may_see_registry(user):
        raise PermissionDenied(_("您的角色不使用案卷台账。"))
    form = CaseFilterForm(request.GET, user=user)
    cases = form.filter(Case.objects.visible_to(user)).select_related("site", "unit", "area_unit")
    return form, cases


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    form, cases = filtered_cases(request)
    now = timezone.now()
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    query = querystring(request.GET)
    states = state_counts(cases)
    lights = light_counts(cases, now)
    context: dict[str, Any] = {
        "form": form,
        "page": page,
        "rows": [(case, light_of(case, now)) for case in page.object_list],
        "query": query,
        "state_counts": [(label, states[value]) for value, label in CaseState.choices if states[value]],
        "light_counts": [(light, LIGHT_LABELS[light], n) for light, n in lights.items()],
        "light_labels": LIGHT_LABELS,
    }
    if wants_fragment(request):
        return render(request, "cases/partials/results.html", context)
    return render(request, "cases/list.html", context)


@login_required
@require_POST
def bulk_accept(request: HttpRequest) -> HttpResponse:
    """受理 each selected case through the one service; report per case what happened."""
    user = user_of(request)
    ids = parse_ids(",".join(request.POST.getlist("case")))
    found = {case.pk: case for case in Case.objects.visible_to(user).filter(pk__in=ids)}
    done: list[str] = []
    refused: list[str] = []
    for pk in ids:
        case = found.get(pk)
        if case is None:
            refused.append(_("编号 %(id)s：案卷不存在") % {"id": pk})
            continue
        try:
            services.apply(case, "accept", user, request=request)
        except (TransitionRefused, Conflict) as exc:
            refused.append(f"{case.code}：{exc.message}")
        except ValidationError as exc:
            refused.append(f"{case.code}：{'；'.join(exc.messages)}")
        else:
            done.append(case.code)
    if not ids:
        messages.warning(request, _("请先勾选要受理的案卷。"))
    if done:
        messages.success(
            request, _("已受理 %(n)s 件：%(codes)s") % {"n": len(done), "codes": "、".join(done)}
        )
    for line in refused:
        messages.error(request, _("未受理 %(line)s") % {"line": line})
    back = request.POST.get("query", "")
    return HttpResponseRedirect(reverse("cases:list") + (f"?{back}" if back else ""))


# Lazy: the headers follow the language of the request that exports.
EXPORT_COLUMNS = [
    gettext_lazy("案卷编号"), gettext_lazy("标题"), gettext_lazy("状态"), gettext_lazy("来源"),
    gettext_lazy("点位"), gettext_lazy("责任单位"), gettext_lazy("所在区域"), gettext_lazy("立案时间"),
    gettext_lazy("整改期限"), gettext_lazy("红黄绿灯"), gettext_lazy("返工次数"),
]  # fmt: skip


def export_rows(cases: CaseQuerySet) -> list[list[Any]]:
    now = timezone.now()

    def when(value: Any) -> str:
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""

    return [
        [
            case.code,
            case.title,
            case.get_state_display(),
            case.get_source_display(),
            case.site.name if case.site else "",
            case.unit.name if case.unit else "",
            case.area_unit.name if case.area_unit else "",
            when(case.opened_at),
            when(case.deadline),
            str(LIGHT_LABELS[light_of(case, now)]),
            case.rework_count,
        ]
        for case in cases.iterator(chunk_size=2000)
    ]


@login_required
def case_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The filtered list the viewer sees, all pages, as CSV (UTF-8 with BOM for Excel) or xlsx."""
    require_format(fmt)
    _form, cases = filtered_cases(request)
    rows = export_rows(cases)
    header = [str(column) for column in EXPORT_COLUMNS]
    response = spreadsheet_response("cases", _("案卷"), header, rows, fmt)
    detail = {"format": fmt, "rows": len(rows), "query": querystring(request.GET)}
    record(request, "case.export", actor=user_of(request), detail=detail)
    return response


def visible_case(request: HttpRequest, pk: int) -> Case:
    queryset = Case.objects.visible_to(user_of(request)).select_related(
        "site", "unit", "area_unit", "finding", "check_item", "created_by"
    )
    return get_object_or_404(queryset, pk=pk)


def case_context(
    request: HttpRequest, case: Case, forms: dict[str, ActionForm] | None = None
) -> dict[str, Any]:
    user = user_of(request)
    forms = forms or {}
    events = case.events.select_related("actor").prefetch_related("photos")
    problem = list(photochecks.problem_photos(case))
    rectification = [photo for event in events if event.action == "rectify" for photo in event.photos.all()]
    site_geo = None
    if case.site is not None:
        site_geo = {"type": "FeatureCollection", "features": [site_feature(case.site, {})]}
    allowed = machine.allowed_actions(case, user)
    main = [action for action in MAIN_ACTIONS if action in allowed]
    action_forms = [
        forms.get(action) or ActionForm(case=case, action=action, user=user)
        for action in main + [action for action in allowed if action not in main]
    ]
    return {
        "case": case,
        "recurrence_visible": case.recurrence_of_id is not None
        and Case.objects.visible_to(user).filter(pk=case.recurrence_of_id).exists(),
        "light": light_of(case, timezone.now()),
        "light_labels": LIGHT_LABELS,
        "events": [(event, machine.action_label(event.action)) for event in events],
        "problem_photos": problem,
        "rectification_photos": rectification,
        **photochecks.review(case, user, events),
        "site_geo": site_geo,
        "action_forms": action_forms,
        **instruction_context(case, user),
    }


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One case; a case outside the viewer's scope is not found (its existence is not revealed)."""
    case = visible_case(request, pk)
    return render(request, "cases/detail.html", case_context(request, case))


def ingest_uploads(
    files: list[UploadedFile], case: Case, user: User, kind: str = EvidenceKind.RECTIFICATION
) -> list[Evidence]:
    """Store the photos of an action, all or none (no round: the case's site if the user may see it)."""
    site_id = case_site_for(case, user)
    metas = [PhotoMeta(client_id=uuid.uuid4(), kind=kind, site_id=site_id) for _upload in files]
    return ingest_photos(files, metas, user)


def _act(request: HttpRequest, case: Case, form: ActionForm) -> list[str]:
    """Carry out the action of a valid form; return the errors without a field (refusal, conflict, photos)."""
    user = user_of(request)
    kwargs = form.service_kwargs()
    if case.version != kwargs["expected_version"]:
        raise Conflict()
    machine.check(case, form.action, user)  # refuse before storing any photo
    photos: list[Evidence] = []
    files = request.FILES.getlist("photos")
    if form.needs_photos or (form.allows_photos and files):
        try:
            photos = ingest_uploads(files, case, user, form.photo_kind)
        except EvidenceError as exc:
            return [_("照片：%(message)s") % {"message": exc.message}]
    try:
        services.apply(case, form.action, user, photos=photos, request=request, **kwargs)
    except ValidationError as exc:
        return form.add_service_errors(exc.message_dict)
    return []


@login_required
@require_POST
def case_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    case = visible_case(request, pk)
    if action not in machine.ACTIONS:
        raise Http404
    form = ActionForm(request.POST, case=case, action=action, user=user_of(request))
    errors: list[str] = []
    status = 400
    if form.is_valid():
        try:
            errors = _act(request, case, form)
        except Conflict as exc:
            errors, status = [exc.message], 409
        except TransitionRefused as exc:
            errors, status = [exc.message], 403
        if not errors and form.is_valid():
            messages.success(request, _("已%(action)s") % {"action": form.label})
            back = request.POST.get("next", "")  # the dispatch board sends the coordinator back to it
            if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
                back = reverse("cases:detail", args=[case.pk])
            return HttpResponseRedirect(back)
    case.refresh_from_db()
    for message in errors:
        messages.error(request, message)
    context = case_context(request, case, {action: form})
    context["failed_action"] = action
    return render(request, "cases/detail.html", context, status=status)


@login_required
def photo_checks(request: HttpRequest, pk: int) -> HttpResponse:
    """The rectification photos with their check state: polled by the case page until every check is final."""
    case = visible_case(request, pk)
    user = user_of(request)
    events = case.events.select_related("actor").prefetch_related("photos")
    context = {"case": case, **photochecks.review(case, user, events)}
    context["summary_oob"] = bool(machine.allowed_actions(case, user))
    return render(request, "cases/partials/photo_checks.html", context)


@login_required
@require_POST
def photo_recheck(request: HttpRequest, pk: int, event_id: int) -> HttpResponse:
    """Queue the checks of a fix again: they failed, or the worker left them waiting too long."""
    case = visible_case(request, pk)
    event = recheck.rectify_event(case, event_id)
    if event is None:
        raise Http404
    if recheck.requeue(case, event, user_of(request), request):
        messages.success(request, _("已重新排队自动核验。"))
    else:
        messages.info(request, _("照片自动核验正在进行，无需重新排队。"))
    return HttpResponseRedirect(reverse("cases:detail", args=[case.pk]))


@login_required
def photo_comparison(request: HttpRequest, pk: int, flag_id: int) -> HttpResponse:
    """The aligned comparison behind a copy flag, as a JPEG: for the verifier to see what matched."""
    case = visible_case(request, pk)
    image = photochecks.comparison_image(case, user_of(request), flag_id)
    if image is None:
        raise Http404
    response = HttpResponse(image, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response
