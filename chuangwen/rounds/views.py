"""Round pages. Every lookup goes through Round.objects.visible_to / fully_visible_to (the secrecy rule): a
round the viewer may not know of is "not found", exactly like one that does not exist."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chuangwen.accounts import capabilities
from chuangwen.accounts.models import User
from chuangwen.core.bounds import parse_ids
from chuangwen.core.web import user_of
from chuangwen.org.views import boundary_feature
from chuangwen.rounds import sampling, services
from chuangwen.rounds.forms import PublishForm, RoundForm, TeamsForm
from chuangwen.rounds.models import Round, RoundSite, RoundStatus, Team, Visit
from chuangwen.sites.models import Site
from chuangwen.standards.models import SiteType, Standard


def display_params(round_: Round) -> dict[str, Any] | None:
    """The round's draw parameters in canonical form (None when absent or no longer valid)."""
    try:
        return sampling.normalize_params(round_.params) if round_.params else None
    except sampling.ParamsError:
        return None


def visible_round(user: User, pk: int) -> Round:
    rounds = Round.objects.visible_to(user).select_related(
        "standard", "owner_unit", "target_unit", "inspecting_unit"
    )
    return get_object_or_404(rounds, pk=pk)


def managed_round(request: HttpRequest, pk: int) -> Round:
    """A round the viewer runs; unknown to the viewer: 404; known but not the viewer's to run: 403."""
    user = user_of(request)
    round_ = visible_round(user, pk)
    if not services.is_coordinator_of(user, round_):
        raise PermissionDenied(_("只有组织该批次的文明办协调员可以执行此操作。"))
    return round_


@login_required
def round_list(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    if not capabilities.may_see_rounds(user):
        raise PermissionDenied(_("您的角色不使用测评批次。"))
    rounds = Round.objects.visible_to(user).select_related("target_unit", "standard")
    context = {"rounds": rounds, "can_create": capabilities.may_create_rounds(user)}
    return render(request, "rounds/list.html", context)


@login_required
def round_create(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    if not capabilities.may_create_rounds(user) or user.unit is None:
        raise PermissionDenied(_("只有文明办协调员可以创建测评批次。"))
    chosen = request.POST.get("standard") or request.GET.get("standard") or ""
    ids = parse_ids(chosen)
    standard = Standard.objects.filter(pk=ids[0]).first() if ids else None
    standard = standard or services.default_standard()
    form = RoundForm(request.POST or None, user=user, standard=standard)
    if request.method == "POST" and form.is_valid():
        try:
            round_ = services.create_round(form.service_data(), user)
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            messages.success(request, _("已创建测评批次“%(name)s”，下一步：抽样。") % {"name": round_.name})
            return HttpResponseRedirect(reverse("rounds:detail", args=[round_.pk]))
    context = {"form": form, "standards": Standard.objects.order_by("code", "-version"), "standard": standard}
    return render(request, "rounds/form.html", context)


def _entries_for(round_: Round, user: User, whole: bool) -> list[RoundSite]:
    entries = round_.entries.select_related("site", "site__area_unit", "site__responsible_unit", "team")
    if not whole:
        entries = entries.filter(site__in=Site.objects.visible_to(user))
    return list(entries.order_by("draw_order"))


def _visits_by_site(round_: Round, user: User) -> dict[int, Visit]:
    visits = Visit.objects.visible_to(user).filter(round=round_).order_by("received_at")
    return {visit.site_id: visit for visit in visits}  # the latest visit of each site


def _sites_geojson(entries: list[RoundSite], type_names: dict[str, str]) -> dict[str, Any]:
    features = [
        {
            "type": "Feature",
            "id": entry.site.pk,
            "geometry": {"type": "Point", "coordinates": [entry.site.lng, entry.site.lat]},
            "properties": {
                "id": entry.site.pk,
                "code": entry.site.code,
                "name": entry.site.name,
                "site_type": entry.site.site_type,
                "site_type_name": type_names.get(entry.site.site_type, entry.site.site_type),
                "declared": entry.site.declared,
                "url": reverse("sites:detail", args=[entry.site.pk]),
            },
        }
        for entry in entries
    ]
    return {"type": "FeatureCollection", "features": features}


def _outline(round_: Round, user: User) -> list[dict[str, Any]]:
    """The target's boundary, or the viewer's own unit's when the target lies above it."""
    unit = round_.target_unit
    if user.unit is not None and not unit.path.startswith(user.unit.path):
        unit = user.unit
    return [boundary_feature(unit)] if unit.boundary else []


def _teams(round_: Round, entries: list[RoundSite]) -> list[tuple[Team, list[RoundSite]]]:
    teams = round_.teams.prefetch_related(Prefetch("members", User.objects.order_by("username")))
    by_team: dict[int | None, list[RoundSite]] = {}
    for entry in sorted(entries, key=lambda e: (e.route_order, e.draw_order)):
        by_team.setdefault(entry.team_id, []).append(entry)
    return [(team, by_team.get(team.pk, [])) for team in teams]


def _coordinator_context(request: HttpRequest, round_: Round) -> dict[str, Any]:
    people = services.eligible_inspectors(round_)
    report = services.verify_round(round_) if round_.seed else None
    # Tick the current members once teams exist, so that a second 「分组」 does not quietly take everybody.
    members = User.objects.filter(teams__round=round_).values_list("pk", flat=True)
    ticked = list(members.distinct()) or list(people.values_list("pk", flat=True))
    return {
        "teams_form": TeamsForm(people=people, initial={"inspectors": ticked}),
        "current_teams": [
            (team, list(team.members.order_by("username"))) for team in round_.teams.order_by("name")
        ],
        "publish_form": PublishForm(),
        "report": report,
        "missing": services.missing_entries(round_) if round_.status == RoundStatus.IN_PROGRESS else [],
    }


@login_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    round_ = visible_round(user, pk)
    whole = Round.objects.fully_visible_to(user).filter(pk=round_.pk).exists()
    entries = _entries_for(round_, user, whole)
    type_names = dict(SiteType.objects.filter(standard=round_.standard).values_list("code", "name"))
    visits = _visits_by_site(round_, user)
    can_manage = services.is_coordinator_of(user, round_)
    context: dict[str, Any] = {
        "round": round_,
        "whole": whole,
        "can_manage": can_manage,
        "rows": [
            (e, type_names.get(e.site.site_type, e.site.site_type), visits.get(e.site_id)) for e in entries
        ],
        "sites_geo": _sites_geojson(entries, type_names),
        "outline": {"type": "FeatureCollection", "features": _outline(round_, user)},
        "teams": _teams(round_, entries) if whole else [],
        "type_names": type_names,
        "params": display_params(round_),
        "reassignable": can_manage and round_.status in (RoundStatus.DRAWN, RoundStatus.IN_PROGRESS),
    }
    if can_manage:
        context.update(_coordinator_context(request, round_))
    return render(request, "rounds/detail.html", context)


def _refused(request: HttpRequest, round_: Round, exc: services.RoundError) -> HttpResponse:
    messages.error(request, exc.message)
    return HttpResponseRedirect(reverse("rounds:detail", args=[round_.pk]))


def _done(request: HttpRequest, round_: Round, text: str) -> HttpResponse:
    messages.success(request, text)
    return HttpResponseRedirect(reverse("rounds:detail", args=[round_.pk]))


def confirmed(request: HttpRequest) -> bool:
    """The second step of an action that cannot be undone: the confirmation page posts ``confirmed=yes``."""
    return request.POST.get("confirmed") == "yes"


def confirm_page(request: HttpRequest, round_: Round, action: str, **extra: Any) -> HttpResponse:
    """The first step: say what will happen and ask again (a page, so it works without script)."""
    context = {"round": round_, "action": action, **extra}
    return render(request, "rounds/confirm.html", context)


@login_required
@require_POST
def round_draw(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = managed_round(request, pk)
    if not confirmed(request):
        if round_.status != RoundStatus.DRAFT:
            return _refused(request, round_, services.RoundError(_("该批次已抽样，不能再次抽样。")))
        params = display_params(round_)
        cap = services.standard_declared_cap(round_.standard) if round_.kind == "unannounced" else None
        return confirm_page(request, round_, "draw", params=params, standard_cap=cap)
    try:
        services.draw_round(round_, user_of(request))
    except services.RoundError as exc:
        return _refused(request, round_, exc)
    count = round_.entries.count()
    return _done(request, round_, _("抽样完成，共抽中 %(n)d 个点位；承诺值已公示。") % {"n": count})


def _teams_confirm(request: HttpRequest, round_: Round, form: TeamsForm) -> HttpResponse:
    """Rebuilding teams replaces the current ones: show both and ask."""
    current = [
        (team, list(team.members.order_by("username")))
        for team in round_.teams.order_by("name").prefetch_related("members")
    ]
    chosen = list(form.cleaned_data["inspectors"])
    return confirm_page(
        request,
        round_,
        "teams",
        current_teams=current,
        chosen=chosen,
        team_size=form.cleaned_data["team_size"],
    )


@login_required
@require_POST
def round_teams(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = managed_round(request, pk)
    form = TeamsForm(request.POST, people=services.eligible_inspectors(round_))
    if not form.is_valid():
        errors = "；".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, _("分组失败：%(errors)s") % {"errors": errors})
        return HttpResponseRedirect(reverse("rounds:detail", args=[round_.pk]))
    if round_.teams.exists() and not confirmed(request):
        return _teams_confirm(request, round_, form)
    try:
        teams = services.build_teams(
            round_,
            list(form.cleaned_data["inspectors"]),
            form.cleaned_data["team_size"],
            actor=user_of(request),
        )
    except services.RoundError as exc:
        return _refused(request, round_, exc)
    return _done(request, round_, _("已分为 %(n)d 个测评小组，并排好了路线。") % {"n": len(teams)})


@login_required
@require_POST
def round_start(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = managed_round(request, pk)
    try:
        services.start_round(round_, user_of(request))
    except services.RoundError as exc:
        return _refused(request, round_, exc)
    return _done(request, round_, _("批次已开始测评，测评员可在手机上看到各自的路线。"))


@login_required
@require_POST
def round_publish(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = managed_round(request, pk)
    form = PublishForm(request.POST)
    confirm = form.is_valid() and form.cleaned_data["confirm_missing"]
    if not confirmed(request) and round_.status == RoundStatus.IN_PROGRESS:
        missing = services.missing_entries(round_)
        findings = round_.findings.filter(visit__status="accepted").count()
        return confirm_page(request, round_, "publish", missing=missing, publish_form=form, findings=findings)
    try:
        services.publish_round(round_, user_of(request), confirm_missing=confirm)
    except services.RoundError as exc:
        return _refused(request, round_, exc)
    return _done(request, round_, _("批次已发布：种子已公开，不符合项已转入待派遣。"))


@login_required
@require_POST
def entry_reassign(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    round_ = managed_round(request, pk)
    entry = get_object_or_404(RoundSite, pk=entry_pk, round=round_)
    team = Team.objects.filter(round=round_, pk=request.POST.get("team") or 0).first()
    if team is None:
        messages.error(request, _("请选择本批次的一个小组。"))
        return HttpResponseRedirect(reverse("rounds:detail", args=[round_.pk]))
    try:
        services.reassign_entry(entry, team, user_of(request))
    except services.RoundError as exc:
        return _refused(request, round_, exc)
    text = _("点位 %(code)s 已改派给%(team)s。") % {"code": entry.site.code, "team": team.name}
    return _done(request, round_, text)


def published_round(public_id: Any) -> Round:
    """Published rounds only; any other id, existing or not, is the same plain 404."""
    rounds = Round.objects.filter(status=RoundStatus.PUBLISHED).select_related("standard", "target_unit")
    return get_object_or_404(rounds, public_id=public_id)


def verify_page(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Public (no login): recompute the draw of a published round from its revealed seed."""
    round_ = published_round(public_id)
    report = services.verify_round(round_)
    codes = report.draw.selected if report.draw else []
    names = dict(Site.objects.filter(code__in=codes).values_list("code", "name"))
    snapshot = {row["code"]: row for row in round_.eligible_snapshot}
    sample = [(code, names.get(code, ""), snapshot.get(code, {})) for code in codes]
    context = {
        "round": round_,
        "report": report,
        "sample": sample,
        "params_json": sampling.canonical_json(display_params(round_)),
        "snapshot_size": len(round_.eligible_snapshot),
    }
    return render(request, "rounds/verify.html", context)


def verify_data(request: HttpRequest, public_id: Any) -> JsonResponse:
    """Everything needed to recompute the draw elsewhere (see docs/rounds.md)."""
    round_ = published_round(public_id)
    body = {
        "round": str(round_.public_id),
        "seed": round_.seed,
        "params": display_params(round_),
        "eligible": round_.eligible_snapshot,
        "commitments": {
            "seed": round_.seed_commitment,
            "sites": round_.sites_commitment,
            "params": round_.params_commitment,
            "combined": round_.commitment,
        },
        "sample": services.stored_sample(round_),
    }
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})
