"""The home page: what the signed-in person's role needs first (the 待办 box from ``todo``, the scope's
figures), counted inside his or her scope. It lives with the dashboards: it is the first of them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from chuangwen.accounts import capabilities
from chuangwen.accounts.models import Role, User
from chuangwen.core.web import percent, user_of
from chuangwen.dashboards import todo
from chuangwen.org.models import Unit, UnitKind
from chuangwen.sites.forms import site_type_names
from chuangwen.sites.models import Site
from chuangwen.surveys.figures import latest_panel

# Roles that work for one responsible unit's list of sites.
UNIT_ROLES = {Role.HANDLER, Role.UNIT_HEAD}
FIELD_ROLES = {Role.INSPECTOR, Role.VERIFIER}


def scope_figures(user: User) -> dict[str, Any]:
    """Counts of the viewer's scope, every one through the models' scoping functions."""
    units = Unit.objects.visible_to(user).filter(active=True)
    sites = Site.objects.visible_to(user).filter(active=True)
    site_total = sites.count()
    declared = sites.filter(declared=True).count()
    return {
        "unit_count": units.count(),
        "street_count": units.filter(kind=UnitKind.STREET).count(),
        "department_count": units.filter(kind=UnitKind.DEPARTMENT).count(),
        "site_count": site_total,
        "declared_count": declared,
        "declared_share": percent(declared, site_total),
    }


def sites_by_street(user: User) -> list[dict[str, Any]]:
    """Active sites per street of the viewer's scope (by area), with the declared ones."""
    rows = []
    sites = Site.objects.visible_to(user).filter(active=True)
    for street in Unit.objects.visible_to(user).filter(kind=UnitKind.STREET).order_by("sort_order", "code"):
        counts = sites.filter(area_unit__path__startswith=street.path).aggregate(
            total=Count("id"), declared=Count("id", filter=Q(declared=True))
        )
        rows.append({"unit": street, **counts, "share": percent(counts["declared"], counts["total"])})
    return rows


def sites_by_type(user: User) -> list[dict[str, Any]]:
    names = site_type_names()
    rows = (
        Site.objects.visible_to(user)
        .filter(active=True)
        .values("site_type")
        .annotate(total=Count("id"), declared=Count("id", filter=Q(declared=True)))
        .order_by("site_type")
    )
    return [{**row, "name": names.get(row["site_type"], row["site_type"])} for row in rows]


def admin_links() -> list[tuple[str, str]]:
    """Links into Django admin for accounts and reference data (only the ones registered there)."""
    wanted = [
        ("admin:accounts_user_changelist", _("用户与角色")),
        ("admin:accounts_apitoken_changelist", _("API 令牌")),
        ("admin:org_unit_changelist", _("单位")),
        ("admin:sites_site_changelist", _("点位")),
        ("admin:standards_standard_changelist", _("测评标准")),
        ("admin:index", _("全部系统管理功能")),
    ]
    links = []
    for name, label in wanted:
        try:
            links.append((reverse(name), label))
        except NoReverseMatch:
            continue
    return links


def unit_figures(user: User) -> dict[str, Any]:
    """What a unit's own people see: the sites their unit answers for and the sites in its area."""
    if user.unit is None:
        return {}
    sites = Site.objects.visible_to(user).filter(active=True)
    return {
        "responsible_count": sites.filter(responsible_unit__path__startswith=user.unit.path).count(),
        "area_count": sites.filter(area_unit__path__startswith=user.unit.path).count(),
        "sites_url": f"{reverse('sites:list')}?responsible={user.unit.pk}",
    }


def field_rounds(user: User) -> list[dict[str, Any]]:
    """An inspector's rounds under way: only those whose teams he or she is on (secret rounds stay secret)."""
    from chuangwen.rounds.models import RoundSite, RoundStatus, Team

    teams = Team.objects.filter(
        members=user, round__status__in=[RoundStatus.DRAWN, RoundStatus.IN_PROGRESS]
    ).select_related("round")
    rows = []
    for team in teams.order_by("round__period_start"):
        entries = RoundSite.objects.filter(team=team)
        rows.append({"round": team.round, "team": team, "sites": entries.count()})
    return rows


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The start page: what the signed-in person's role needs first, counted inside his or her scope."""
    user = user_of(request)
    role = user.role
    context: dict[str, Any] = {"role": role, "unit": user.unit, "todo": todo.todo_for(user)}
    if capabilities.may_oversee(user):
        context["figures"] = scope_figures(user)
        context["by_street"] = sites_by_street(user)
    if role == Role.LEADER:
        context["by_type"] = sites_by_type(user)
    if role in UNIT_ROLES or role in FIELD_ROLES:
        context["unit_figures"] = unit_figures(user)
    if role == Role.INSPECTOR:
        context["field_rounds"] = field_rounds(user)
    if role == Role.ADMIN:
        context["admin_links"] = admin_links()
    if capabilities.may_see_surveys(user):
        # 问卷调查: the latest published wave's rates for the user's unit (or the office overall), if any.
        context["survey_panel"] = latest_panel(user)
    return render(request, "dashboards/home.html", context)
