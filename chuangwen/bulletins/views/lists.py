"""The 通报 home (the office's bulletins by state; a unit's received bulletins with read and reply state) and
drafting a new bulletin from a template and published sources."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.accounts import capabilities
from chuangwen.accounts.models import Role, User
from chuangwen.bulletins import services
from chuangwen.bulletins.models import Bulletin, BulletinKind, BulletinState, Recipient
from chuangwen.bulletins.views.common import member, refusal_text
from chuangwen.bulletins.views.forms import NewBulletinForm

MAX_YEARS_BACK = 20


def _filters(request: HttpRequest) -> dict[str, Any]:
    """The year and kind asked for; anything out of range is ignored (shows all)."""
    raw_year = request.GET.get("year", "").strip()
    this_year = timezone.localdate().year
    year = int(raw_year) if raw_year.isdigit() and len(raw_year) == 4 else None
    if year is not None and not this_year - MAX_YEARS_BACK <= year <= this_year + 1:
        year = None
    kind = request.GET.get("kind", "")
    return {"year": year, "kind": kind if kind in BulletinKind.values else ""}


def _filtered(queryset: QuerySet[Any], filters: dict[str, Any], prefix: str = "") -> QuerySet[Any]:
    if filters["year"] is not None:
        queryset = queryset.filter(**{f"{prefix}year": filters["year"]})
    if filters["kind"]:
        queryset = queryset.filter(**{f"{prefix}kind": filters["kind"]})
    return queryset


def _office_context(user: User, filters: dict[str, Any]) -> dict[str, Any]:
    bulletins = _filtered(Bulletin.objects.visible_to(user), filters).filter(
        owner_unit__path__startswith=user.unit.path if user.unit else "-"
    )
    by_state: dict[str, list[Bulletin]] = {state: [] for state in BulletinState.values}
    for bulletin in bulletins.select_related("owner_unit"):
        by_state[bulletin.state].append(bulletin)
    groups = [(state, label, by_state[state]) for state, label in BulletinState.choices]
    return {"groups": groups}


def _unit_context(user: User, filters: dict[str, Any]) -> dict[str, Any]:
    """The issued bulletins sent to the user's unit (or below it), newest first."""
    received = _filtered(Recipient.objects.visible_to(user), filters, "bulletin__").filter(
        unit__path__startswith=user.unit.path if user.unit else "-"
    )
    rows = received.select_related("bulletin", "unit").order_by("-bulletin__issued_at", "unit__path")
    return {"received": list(rows)}


@login_required
def bulletin_list(request: HttpRequest) -> HttpResponse:
    user = member(request)
    filters = _filters(request)
    office = capabilities.may_oversee(user)
    context: dict[str, Any] = {
        "office": office,
        "filters": filters,
        "kinds": BulletinKind.choices,
        "years": range(timezone.localdate().year + 1, timezone.localdate().year - 5, -1),
        "may_draft": user.role == Role.COORDINATOR,
    }
    # An office also receives what the offices above it issue.
    context.update(_unit_context(user, filters))
    if office:
        context.update(_office_context(user, filters))
    return render(request, "bulletins/list.html", context)


@login_required
def bulletin_new(request: HttpRequest) -> HttpResponse:
    """Choose a template and its sources → services.draft → the draft's edit page."""
    user = member(request)
    if user.role != Role.COORDINATOR or user.unit is None:
        raise PermissionDenied(_("只有文明办协调员可以起草通报"))
    services.ensure_templates(user.unit)
    form = NewBulletinForm(request.POST or None, user=user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                bulletin = services.draft(
                    data["template"], user, ranking=data["ranking"], round_=data["round"],
                    wave=data["wave"], materials_period=data["materials_period"],
                    period_start=data["period_start"], period_end=data["period_end"], title=data["title"],
                )  # fmt: skip
            except services.Refused as exc:
                if exc.field in form.fields:
                    form.add_error(exc.field, exc.message)
                else:
                    form.add_error(None, refusal_text(exc))
            else:
                messages.success(request, _("已起草通报“%(t)s”") % {"t": bulletin.title})
                return HttpResponseRedirect(reverse("bulletins:edit", args=[bulletin.pk]))
    return render(request, "bulletins/new.html", {"form": form}, status=status)
