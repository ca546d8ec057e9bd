"""The coordinator's review of a round's visits: the list per round and one page per visit.

Every row is reached through ``Round.objects.visible_to`` and ``Visit.objects.visible_to``: a secret round's
pages do not exist (404) for anyone but its coordinators and inspectors.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chuangwen.core.web import user_of
from chuangwen.evidence.models import Evidence
from chuangwen.rounds import review, scoring
from chuangwen.rounds.models import Round, RoundSite, Visit, VisitStatus
from chuangwen.rounds.visits import ReviewRefused, accept_visit, can_review, max_distance_m, send_back_visit
from chuangwen.standards.models import SiteType


def photo_urls(evidence: Evidence) -> dict[str, Any]:
    """Thumbnail and display URLs of a photo (the evidence app serves both, watermarked)."""
    urls: dict[str, Any] = {"id": evidence.pk, "kind": evidence.get_kind_display()}
    for name in ("thumb", "display"):
        try:
            urls[name] = reverse(f"evidence:{name}", args=[evidence.pk])
        except NoReverseMatch:
            urls[name] = f"/evidence/{evidence.pk}/{name}"
    return urls


def rate_percent(rate: Decimal | None) -> str:
    """A score rate as a percentage with two decimals (0.8571 → 85.71%), or an em dash."""
    return "—" if rate is None else f"{rate * 100:.2f}%"


@login_required
def round_visits(request: HttpRequest, round_id: int) -> HttpResponse:
    """All visits of a round the viewer may see, newest first, with a count per review state."""
    user = user_of(request)
    round_ = get_object_or_404(Round.objects.visible_to(user), pk=round_id)
    visits = Visit.objects.visible_to(user).filter(round=round_)
    counts = dict(visits.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    status = request.GET.get("status", "")
    if status in VisitStatus.values:
        visits = visits.filter(status=status)
    full = Round.objects.fully_visible_to(user).filter(pk=round_.pk).exists()
    visited = set(
        Visit.objects.visible_to(user)
        .filter(round=round_)
        .exclude(status=VisitStatus.SENT_BACK)
        .values_list("site_id", flat=True)
    )
    context = {
        "round": round_,
        "rows": [
            (visit, rate_percent(visit.score_rate))
            for visit in visits.select_related("site", "team", "inspector").order_by(*review.LIST_ORDER)
        ],
        "status": status,
        "statuses": [(value, label, counts.get(value, 0)) for value, label in VisitStatus.choices],
        "total": sum(counts.values()),
        # Progress over the whole sample only for those who see the whole round.
        "entry_count": RoundSite.objects.filter(round=round_).count() if full else None,
        "visited_count": len(visited),
        "clean_count": len(review.clean_visits(round_, user)) if _reviews_round(round_, user) else None,
    }
    return render(request, "rounds/visits/round.html", context)


def _reviews_round(round_: Round, user: Any) -> bool:
    """Whether the user reviews this round's visits now (its coordinators, before publication)."""
    probe = Visit(round=round_)
    return can_review(probe, user)


@login_required
@require_POST
def round_accept_clean(request: HttpRequest, round_id: int) -> HttpResponse:
    """Accept at once every submitted visit without problems (see review.clean_visits)."""
    user = user_of(request)
    round_ = get_object_or_404(Round.objects.visible_to(user), pk=round_id)
    if not _reviews_round(round_, user):
        raise PermissionDenied(_("只有文明办协调员可以在批次发布前审核测评"))
    accepted = review.accept_clean(round_, user, request=request)
    if accepted:
        messages.success(request, _("已采纳 %(n)d 条无问题的测评。") % {"n": len(accepted)})
    else:
        messages.info(request, _("没有可一键采纳的测评：其余测评有问题、异常或未填完，请逐条审核。"))
    return HttpResponseRedirect(reverse("visits:round", args=[round_.pk]))


def _judgement_rows(visit: Visit, photos: dict[int | None, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    rows = []
    judgements = visit.judgements.select_related("check_item").order_by(
        "check_item__sort_order", "check_item__code"
    )
    for judgement in judgements:
        item = judgement.check_item
        rule = scoring.ItemRule(mode=item.mode, deduct=item.deduct, cap=item.cap)
        rows.append(
            {
                "judgement": judgement,
                "item": item,
                "deduction": scoring.item_deduction(rule, judgement.result, judgement.count),
                "veto": scoring.is_veto_failure(scoring.ScoredJudgement(rule, judgement.result)),
                "photos": photos.get(judgement.pk, []),
            }
        )
    return rows


@login_required
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One visit: scores, every judgement with its photos, position and distance, exception, review."""
    user = user_of(request)
    visit = get_object_or_404(
        Visit.objects.visible_to(user).select_related("round", "site", "team", "inspector", "reviewed_by"),
        pk=pk,
    )
    photos: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
    for evidence in Evidence.objects.visible_to(user).filter(visit=visit).order_by("received_at", "pk"):
        photos[evidence.judgement_id].append(photo_urls(evidence))
    site_type = SiteType.objects.filter(standard=visit.round.standard, code=visit.site.site_type).first()
    status = request.GET.get("status", "")
    siblings = Visit.objects.visible_to(user).filter(round_id=visit.round_id)
    if status in VisitStatus.values:
        siblings = siblings.filter(status=status)
    else:
        status = ""
    previous, following = review.neighbours(visit, siblings)
    context = {
        "previous": previous,
        "following": following,
        "status": status,
        "visit": visit,
        "round": visit.round,
        "rate": rate_percent(visit.score_rate),
        "site_type_name": site_type.name if site_type else visit.site.site_type,
        "rows": _judgement_rows(visit, photos),
        "exception_photos": photos.get(None, []),
        "max_distance_m": max_distance_m(visit.round),
        "can_review": can_review(visit, user),
        "can_accept": visit.status == VisitStatus.SUBMITTED,
        "can_send_back": visit.status in (VisitStatus.SUBMITTED, VisitStatus.ACCEPTED),
    }
    return render(request, "rounds/visits/detail.html", context)


def _reviewable(request: HttpRequest, pk: int) -> Visit:
    user = user_of(request)
    visit = get_object_or_404(Visit.objects.visible_to(user).select_related("round"), pk=pk)
    if not can_review(visit, user):
        raise PermissionDenied(_("只有文明办协调员可以在批次发布前审核测评"))
    return visit


@login_required
@require_POST
def visit_accept(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _reviewable(request, pk)
    try:
        accept_visit(visit, user_of(request), request=request)
    except ReviewRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已采纳该测评"))
    return HttpResponseRedirect(reverse("visits:detail", args=[visit.pk]))


@login_required
@require_POST
def visit_send_back(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _reviewable(request, pk)
    try:
        send_back_visit(visit, request.POST.get("note", ""), user_of(request), request=request)
    except ReviewRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已退回该测评，测评小组可重新测评该点位"))
    return HttpResponseRedirect(reverse("visits:detail", args=[visit.pk]))
