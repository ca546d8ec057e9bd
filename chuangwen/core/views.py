from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from chuangwen.accounts import capabilities
from chuangwen.accounts.models import Role, User
from chuangwen.audit.services import client_address
from chuangwen.core import csp_reports, todo
from chuangwen.core.web import percent, user_of
from chuangwen.org.models import Unit, UnitKind
from chuangwen.sites.forms import site_type_names
from chuangwen.sites.models import Site

# Roles that work for one responsible unit's list of sites.
UNIT_ROLES = {Role.HANDLER, Role.UNIT_HEAD}
FIELD_ROLES = {Role.INSPECTOR, Role.VERIFIER}


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers and the set-up script."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})


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
    return render(request, "core/home.html", context)


@csrf_exempt  # browsers post reports without a token; nothing here acts for a signed-in user
@require_POST
def csp_report(request: HttpRequest) -> HttpResponse:
    """Store the Content-Security-Policy violations a browser reports (either report format), bounded."""
    address = client_address(request)
    if not csp_reports.allow(address):
        return _refused(_("报告过于频繁，请稍后再试"), "rate_limited", 429)
    limit = settings.CSP_REPORT_MAX_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _refused(_("请求头 Content-Length 不正确"), "invalid", 400)
    raw = b"" if declared > limit else request.read(limit + 1)
    if declared > limit or len(raw) > limit:
        return _refused(_("报告过大（最多 %(kb)d KB）") % {"kb": limit // 1024}, "too_large", 413)
    try:
        violations = csp_reports.parse(raw, request.content_type or "")
    except csp_reports.ReportRefused as exc:
        return _refused(str(exc), exc.code, exc.status)
    csp_reports.store(violations, user_agent=request.META.get("HTTP_USER_AGENT", ""), address=address)
    return HttpResponse(status=204)


def _refused(detail: str, code: str, status: int) -> JsonResponse:
    return JsonResponse(
        {"detail": detail, "code": code}, status=status, json_dumps_params={"ensure_ascii": False}
    )
