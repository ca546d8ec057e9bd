"""The survey office's pages: the survey home, waves (new wave, the sample plan with its margin of error,
quota cells, staff, public links with QR codes, open / close / publish), population figures and coaching
visits (docs/surveys.md, "Pages").

Every page is for ``may_see_surveys`` users (403 otherwise) and finds a wave only through
``Wave.objects.visible_to`` (404 outside it). What changes a wave is for the coordinators of the office that
runs it (``services.may_run``, 403 otherwise), with the rules' own Chinese errors on the page."""

from __future__ import annotations

import io
from collections import defaultdict
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from chuangwen.accounts import capabilities
from chuangwen.accounts.models import Role, User
from chuangwen.core.web import user_of
from chuangwen.surveys import plan, results, services, staffing
from chuangwen.surveys.forms import (
    CellForm,
    PlanForm,
    StaffForm,
    WaveForm,
)
from chuangwen.surveys.models import (
    Mode,
    QuotaCell,
    StaffRole,
    Stratum,
    Wave,
    WaveStaff,
    WaveState,
)
from chuangwen.surveys.services import Invalid, Refused

COACHING_PAGE = 50
# Who records 应知应会 visits: the office, and the streets' and communities' own people who go door to door;
# not the inspectors and verifiers, who interview (publicity and measurement stay apart).
COACHING_ROLES = frozenset({Role.COORDINATOR, Role.UNIT_HEAD, Role.HANDLER})


# --- who and which ------------------------------------------------------------------------------------------


def member(request: HttpRequest) -> User:
    """The signed-in user, if the role uses the survey pages; 403 otherwise."""
    user = user_of(request)
    if not capabilities.may_see_surveys(user):
        raise PermissionDenied(_("您的角色不使用问卷调查。"))
    return user


def visible_wave(request: HttpRequest, wave_id: int) -> Wave:
    user = member(request)
    waves = Wave.objects.visible_to(user).select_related("questionnaire", "owner_unit", "published_by")
    return get_object_or_404(waves, pk=wave_id)


def require_run(wave: Wave, user: User) -> None:
    if not services.may_run(wave, user):
        raise PermissionDenied(_("只有组织本轮调查的文明办协调员可以执行此操作。"))


def may_record_coaching(user: User) -> bool:
    return capabilities.may_see_surveys(user) and user.role in COACHING_ROLES


def scope_of(user: User) -> Any:
    unit = user.unit
    assert unit is not None  # may_see_surveys needs a unit
    return unit


def wave_nav(wave: Wave, user: User, active: str) -> dict[str, Any]:
    """What the wave's tab bar (``surveys/partials/wave_nav.html``) offers this user; pages of a wave put it
    in their context as ``wave_nav``."""
    interviews = services.may_interview(wave, user) and wave.is_fielding
    return {
        "active": active,
        "review": services.may_review(wave, user),
        "interview": interviews and Mode.INTERVIEWER in wave.modes,
        "cati": interviews and Mode.PHONE in wave.modes,
    }


def public_link(request: HttpRequest, stratum: Stratum) -> str:
    """The stratum's self-completion address (``/q/<token>/``) as respondents type or scan it."""
    return request.build_absolute_uri(reverse("survey_public:start", args=[stratum.token]))


def points(margin: float | None) -> str:
    """A margin of error as the page says it: ±4.9 个百分点."""
    if margin is None:
        return "—"
    return _("±%(m).1f 个百分点") % {"m": margin * 100}


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole > 0 else "—"


# --- the survey home ----------------------------------------------------------------------------------------


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The waves the user sees, with their progress; the office's buttons; an interviewer's own waves."""
    user = member(request)
    waves = (
        Wave.objects.visible_to(user)
        .select_related("questionnaire", "owner_unit")
        .annotate(plan_target=Sum("strata__target"), plan_filled=Sum("strata__filled"))
    )
    roles = dict(WaveStaff.objects.filter(user=user).values_list("wave_id", "role"))
    rows = []
    mine = []
    for wave in waves:
        target, filled = wave.plan_target or 0, wave.plan_filled or 0  # type: ignore[attr-defined]
        role = roles.get(wave.pk)
        row = {
            "wave": wave,
            "target": target,
            "filled": filled,
            "progress": percent(filled, target),
            "role": StaffRole(role).label if role else "",
            "runs": services.may_run(wave, user),
        }
        rows.append(row)
        if role and wave.state in (WaveState.FIELDING, WaveState.CLOSED):
            mine.append({**row, "nav": wave_nav(wave, user, "")})
    context = {
        "rows": rows,
        "mine": mine,
        "runs": capabilities.may_run_surveys(user),
    }
    return render(request, "surveys/index.html", context)


# --- a new wave ---------------------------------------------------------------------------------------------


@login_required
def wave_create(request: HttpRequest) -> HttpResponse:
    user = member(request)
    if not capabilities.may_run_surveys(user):
        raise PermissionDenied(_("只有文明办协调员可以新建调查轮次。"))
    form = WaveForm(request.POST or None, user=user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                wave = plan.create_wave(
                    data["questionnaire"], scope_of(user), data["name"], data["starts_on"], data["ends_on"],
                    list(data["modes"]), user, **form.quality(),
                )  # fmt: skip
            except Invalid as exc:
                form.add_service_errors(exc.errors)
            else:
                messages.success(request, _("已新建调查轮次“%(name)s”，请生成样本计划") % {"name": wave.name})
                return HttpResponseRedirect(reverse("surveys:wave", args=[wave.pk]))
    return render(request, "surveys/wave_form.html", {"form": form}, status=status)


# --- a wave and its plan ------------------------------------------------------------------------------------


def _staff_people(wave: Wave) -> QuerySet[User]:
    return staffing.candidates(wave)


def _plan_form(wave: Wave, data: Any = None) -> PlanForm:
    initial: dict[str, Any] = {}
    if data is None:
        strata = list(wave.strata.all())
        if strata:
            initial = {"units": [s.unit_id for s in strata], "total": sum(s.target for s in strata)}
    return PlanForm(data, owner=wave.owner_unit, initial=initial)


def wave_context(
    request: HttpRequest,
    wave: Wave,
    *,
    plan_form: PlanForm | None = None,
    staff_form: StaffForm | None = None,
    cell_errors: dict[int, list[str]] | None = None,
    action_error: str = "",
) -> dict[str, Any]:
    user = user_of(request)
    runs = services.may_run(wave, user)
    figures = plan.plan_figures(wave)
    cells: dict[int, list[QuotaCell]] = defaultdict(list)
    order = {cell: index for index, cell in enumerate(plan.CELLS)}
    for cell in sorted(
        QuotaCell.objects.filter(stratum__wave=wave), key=lambda c: order.get((c.age_band, c.sex), 99)
    ):
        cells[cell.stratum_id].append(cell)
    shows_links = Mode.SELF in wave.modes and services.may_interview(wave, user)
    strata = [
        {
            "stratum": stratum,
            "margin": points(margin),
            "progress": percent(stratum.filled, stratum.target),
            "cells": cells.get(stratum.pk, []),
            "link": public_link(request, stratum) if shows_links else "",
        }
        for stratum, margin in figures.strata
    ]
    editable_cells = runs and wave.state in (WaveState.DRAFT, WaveState.FIELDING)
    return {
        "wave": wave,
        "wave_nav": wave_nav(wave, user, "plan"),
        "runs": runs,
        "figures": figures,
        "margin": points(figures.margin),
        "progress": percent(figures.filled, figures.target),
        "strata": strata,
        "shows_links": shows_links,
        "modes": [Mode(m).label for m in wave.modes if m in Mode.values],
        "staff": list(wave.staff.select_related("user__unit").order_by("role", "user__username")),
        "plan_form": (plan_form or _plan_form(wave)) if runs and wave.state == WaveState.DRAFT else None,
        "staff_form": (staff_form or StaffForm(people=_staff_people(wave)))
        if runs and wave.state != WaveState.PUBLISHED
        else None,
        "editable_cells": editable_cells,
        "cell_errors": cell_errors or {},
        "action_error": action_error,
    }


def _wave_page(request: HttpRequest, wave: Wave, status: int = 200, **forms: Any) -> HttpResponse:
    return render(request, "surveys/wave_detail.html", wave_context(request, wave, **forms), status=status)


def _back(wave: Wave, anchor: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("surveys:wave", args=[wave.pk]) + anchor)


@login_required
@require_GET
def wave_detail(request: HttpRequest, wave_id: int) -> HttpResponse:
    return _wave_page(request, visible_wave(request, wave_id))


@login_required
@require_POST
def wave_plan(request: HttpRequest, wave_id: int) -> HttpResponse:
    """生成样本计划 (draft only): strata, total and minimum → ``plan.build_plan`` (replaces the plan)."""
    wave = visible_wave(request, wave_id)
    user = user_of(request)
    require_run(wave, user)
    form = _plan_form(wave, request.POST)
    if wave.state != WaveState.DRAFT:
        return _wave_page(
            request, wave, 400, action_error=_("调查已开始，样本计划只能调整配额，不能重新生成")
        )
    if form.is_valid():
        data = form.cleaned_data
        try:
            strata = plan.build_plan(wave, data["units"], data["total"], data["minimum"], user)
        except Invalid as exc:
            form.add_service_errors(exc.errors)
        except Refused as exc:
            return _wave_page(request, wave, 400, plan_form=form, action_error=exc.message)
        else:
            messages.success(
                request,
                _("已生成样本计划：%(n)s 个样本层，共 %(total)s 个样本")
                % {"n": len(strata), "total": sum(s.target for s in strata)},
            )
            return _back(wave, "#plan")
    return _wave_page(request, wave, 400, plan_form=form)


@login_required
@require_POST
def wave_cell(request: HttpRequest, wave_id: int, cell_id: int) -> HttpResponse:
    """One quota cell's target (never below what it holds) → ``plan.set_cell_target``."""
    wave = visible_wave(request, wave_id)
    user = user_of(request)
    require_run(wave, user)
    cell = get_object_or_404(QuotaCell.objects.select_related("stratum__unit", "stratum__wave"), pk=cell_id)
    if cell.stratum.wave_id != wave.pk:
        raise Http404
    form = CellForm(request.POST)
    if not form.is_valid():
        reasons = [f"{_('配额')}：{e}" for e in form.errors.get("target", [])] or [_("请填写配额")]
        return _wave_page(request, wave, 400, cell_errors={cell.pk: reasons})
    try:
        plan.set_cell_target(cell, form.cleaned_data["target"], user)
    except Invalid as exc:
        reasons = [m for ms in exc.errors.values() for m in ms]
        return _wave_page(request, wave, 400, cell_errors={cell.pk: reasons})
    except Refused as exc:
        return _wave_page(request, wave, 400, cell_errors={cell.pk: [exc.message]})
    messages.success(
        request,
        _("%(unit)s %(cell)s 的配额已改为 %(n)s")
        % {"unit": cell.stratum.unit.name, "cell": _cell_name(cell), "n": cell.target},
    )
    return _back(wave, f"#stratum-{cell.stratum_id}")


def _cell_name(cell: QuotaCell) -> str:
    return f"{cell.get_age_band_display()}{cell.get_sex_display()}"


@login_required
@require_POST
def wave_staff(request: HttpRequest, wave_id: int) -> HttpResponse:
    """Add a person of the office's tree as interviewer or supervisor (or change the role), or remove one."""
    wave = visible_wave(request, wave_id)
    user = user_of(request)
    require_run(wave, user)
    removing = request.POST.get("action") == "remove"
    form = StaffForm(request.POST, people=staffing.on_staff(wave) if removing else _staff_people(wave))
    if not form.is_valid():
        return _wave_page(request, wave, 400, staff_form=form)
    person: User = form.cleaned_data["user"]
    name = person.full_name or person.username
    role = form.cleaned_data["role"]
    try:
        if form.cleaned_data["action"] == "remove":
            staffing.remove(wave, person, request=request)
        else:
            staffing.add(wave, person, role, request=request)
    except Refused as exc:
        form.add_error("user" if exc.code == "not_staff" else None, exc.message)
        return _wave_page(request, wave, 400, staff_form=form)
    if form.cleaned_data["action"] == "remove":
        messages.success(request, _("已将 %(name)s 移出本轮调查人员") % {"name": name})
    else:
        done = _("已将 %(name)s 设为本轮调查的%(role)s") % {"name": name, "role": StaffRole(role).label}
        messages.success(request, done)
    return _back(wave, "#staff")


def _state_action(request: HttpRequest, wave_id: int, action: str) -> HttpResponse:
    wave = visible_wave(request, wave_id)
    user = user_of(request)
    require_run(wave, user)
    try:
        if action == "open":
            plan.open_wave(wave, user)
            done = _("调查已开始，问卷已定稿；各样本层的配额满额后自动关闭")
        elif action == "close":
            plan.close_wave(wave, user)
            done = _("调查已结束；审核完待审核的答卷后可以发布结果")
        else:
            wave = results.publish(wave, user)
            done = _("结果已发布，此后不再改变")
    except Refused as exc:
        wave.refresh_from_db()
        return _wave_page(request, wave, 400, action_error=exc.message)
    messages.success(request, done)
    return _back(wave)


@login_required
@require_POST
def wave_open(request: HttpRequest, wave_id: int) -> HttpResponse:
    return _state_action(request, wave_id, "open")


@login_required
@require_POST
def wave_close(request: HttpRequest, wave_id: int) -> HttpResponse:
    return _state_action(request, wave_id, "close")


@login_required
@require_POST
def wave_publish(request: HttpRequest, wave_id: int) -> HttpResponse:
    return _state_action(request, wave_id, "publish")


@login_required
@require_GET
def wave_qr(request: HttpRequest, wave_id: int, stratum_id: int) -> HttpResponse:
    """The QR code (SVG) of a stratum's self-completion link, for the posters the office hands out."""
    wave = visible_wave(request, wave_id)
    if not services.may_interview(wave, user_of(request)):
        raise PermissionDenied(_("只有本轮调查的组织单位和调查人员可以获取公开链接。"))
    if Mode.SELF not in wave.modes:
        raise Http404
    stratum = get_object_or_404(Stratum.objects.select_related("unit"), pk=stratum_id, wave=wave)
    out = io.BytesIO()
    segno.make(public_link(request, stratum), error="m").save(
        out, kind="svg", scale=4, border=2, title=_("%(unit)s 问卷二维码") % {"unit": stratum.unit.name}
    )
    response = HttpResponse(out.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=3600"
    return response


urlpatterns: list[URLPattern] = [
    path("", index, name="index"),
    path("waves/new/", wave_create, name="wave_create"),
    path("waves/<int:wave_id>/", wave_detail, name="wave"),
    path("waves/<int:wave_id>/plan/", wave_plan, name="wave_plan"),
    path("waves/<int:wave_id>/cells/<int:cell_id>/", wave_cell, name="wave_cell"),
    path("waves/<int:wave_id>/staff/", wave_staff, name="wave_staff"),
    path("waves/<int:wave_id>/open/", wave_open, name="wave_open"),
    path("waves/<int:wave_id>/close/", wave_close, name="wave_close"),
    path("waves/<int:wave_id>/publish/", wave_publish, name="wave_publish"),
    path("waves/<int:wave_id>/strata/<int:stratum_id>/qr.svg", wave_qr, name="wave_qr"),
]
