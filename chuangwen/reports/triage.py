"""The coordinator's triage of citizen reports: accept (routed like any case), reject with a reason the
reporter sees, mark as duplicate and merge the supporters. Every change goes through
``cases.services.apply``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from chuangwen.accounts.models import User
from chuangwen.cases import services as case_services
from chuangwen.cases.models import Case, CaseState
from chuangwen.cases.routing import RouteDecision, duty_rules, route
from chuangwen.core.bounds import ID_MAX
from chuangwen.evidence.models import Evidence
from chuangwen.org.distance import haversine_m
from chuangwen.org.models import Unit, UnitKind
from chuangwen.reports import guard
from chuangwen.reports.guard import add_supporter, degree_box
from chuangwen.reports.models import CitizenReport
from chuangwen.reports.services import SITE_RADIUS_M, current_check_item, keyed_hash

if TYPE_CHECKING:
    from django.http import HttpRequest

    from chuangwen.sites.models import Site


# --- the coordinator's triage -----------------------------------------------------------------------------


def nearest_site(report: CitizenReport, radius_m: float = SITE_RADIUS_M) -> tuple[Site | None, float]:
    from chuangwen.sites.models import Site

    best: tuple[Site | None, float] = (None, radius_m)
    sites = (
        Site.objects.filter(active=True, lat__isnull=False, lng__isnull=False)
        .filter(degree_box(report.lat, report.lng, radius_m))
        .select_related("area_unit", "responsible_unit")
    )
    for site in sites:
        distance = haversine_m(report.lat, report.lng, site.lat, site.lng)
        if distance <= best[1]:
            best = (site, distance)
    return best


def suggest_route(report: CitizenReport) -> RouteDecision | None:
    """Where the report would go: like any case (``routing.route``) when its category maps to a check item
    and a site lies within 200 m; else a duty rule of its category; else the street where it lies."""
    item = report.case.check_item or current_check_item(report.category.check_item_code)
    site, distance = nearest_site(report)
    if item is not None and site is not None:
        decision = route(site, item)
        words = _("附近点位“%(site)s”（约 %(m)d 米）：%(why)s") % {
            "site": site.name,
            "m": round(distance),
            "why": decision.explanation,
        }
        return RouteDecision(decision.unit, decision.rule, words)
    duty = report.category.duty or (item.duty if item is not None else "")
    area = report.case.area_unit
    if area is None:
        return None
    rules = duty_rules(area, duty) if duty else []
    if rules:
        rule = rules[0]
        words = _("按分派规则 #%(id)d（责任类别“%(duty)s”）派往%(unit)s")
        return RouteDecision(
            rule.target_unit, rule, words % {"id": rule.pk, "duty": duty, "unit": rule.target_unit.name}
        )
    street = _street_of(area)
    return RouteDecision(street, None, _("按问题所在区域派往%(unit)s") % {"unit": street.name})


def _street_of(area: Unit) -> Unit:
    """The street (else the district) the area lies in; the top of the tree when it lies in neither."""
    chain = [*area.ancestors(), area]
    return next((u for u in reversed(chain) if u.kind in (UnitKind.STREET, UnitKind.DISTRICT)), chain[0])


def report_photos(report: CitizenReport) -> list[Evidence]:
    """The citizen's photos: those carried by the case's opening event."""
    return list(
        Evidence.objects.filter(case_events__case=report.case, case_events__action="open").order_by("pk")
    )


def triage_context(report: CitizenReport, user: User) -> dict[str, Any]:
    """What triage shows beside a report (the page and the API alike): nearby open reports the user may see
    (to merge into) and nearby open cases, the suggested unit while it awaits triage (and whether the user
    may pick it), and the nearest site with its distance."""
    near = [
        item
        for item in guard.nearby(report.category, report.lat, report.lng)
        if item.tracking_code != report.tracking_code
    ]
    near_codes = {item.tracking_code for item in near if item.tracking_code}
    visible_codes = set(
        CitizenReport.objects.visible_to(user)
        .filter(tracking_code__in=near_codes)
        .values_list("tracking_code", flat=True)
    )
    shown = [item for item in near if not item.tracking_code or item.tracking_code in visible_codes]
    suggestion = suggest_route(report) if report.case.state == CaseState.NEW else None
    units = Unit.objects.visible_to(user).filter(active=True)
    return {
        "duplicates": [item for item in shown if item.tracking_code],
        "nearby_cases": [item for item in shown if not item.tracking_code],
        "suggestion": suggestion,
        "suggestion_usable": suggestion is not None and units.filter(pk=suggestion.unit.pk).exists(),
        "site": nearest_site(report),
    }


def chosen_unit(actor: User, unit_id: int | None) -> Unit:
    """The unit a coordinator picked for a report: active and in the actor's scope (ValidationError on
    ``unit`` otherwise, the same words whether it does not exist or lies outside)."""
    unit = None
    if unit_id is not None and 1 <= unit_id <= ID_MAX:  # a larger number would overflow the driver
        unit = Unit.objects.visible_to(actor).filter(pk=unit_id, active=True).first()
    if unit is None:
        raise ValidationError({"unit": [_("请选择责任单位")]})
    return unit


def accept_report(
    report: CitizenReport,
    actor: User,
    unit: Unit,
    *,
    explanation: str = "",
    request: HttpRequest | None = None,
) -> Case:
    """分拣派遣: the report's case goes to ``unit`` like any other (the machine's ``triage_accept``)."""
    data = {"tracking_code": report.tracking_code}
    if explanation:
        data["routing"] = explanation
    return case_services.apply(report.case, "triage_accept", actor, unit=unit, data=data, request=request)


def reject_report(
    report: CitizenReport, actor: User, reason: str, request: HttpRequest | None = None
) -> Case:
    """不予受理, with a reason the reporter sees on the status page."""
    return case_services.apply(report.case, "reject", actor, reason=reason, request=request)


def mark_duplicate(
    report: CitizenReport, actor: User, target_code: str, reason: str = "", request: HttpRequest | None = None
) -> Case:
    """标记重复: ``target_code`` is a tracking code (SP…) or a case code (AJ…). The report's supporters, and
    its reporter as one more, move to the kept report."""
    target_code = (target_code or "").strip().upper()
    kept = (
        CitizenReport.objects.visible_to(actor)
        .filter(tracking_code=target_code)
        .select_related("case")
        .first()
    )
    case_code = kept.case.code if kept is not None else target_code
    if kept is not None and kept.pk == report.pk:
        raise ValidationError({"duplicate_of": [_("不能标记为与自身重复")]})
    with transaction.atomic():
        case = case_services.apply(
            report.case,
            "mark_duplicate",
            actor,
            reason=(reason or "").strip() or _("与 %(code)s 为同一问题") % {"code": target_code},
            data={"duplicate_of": case_code, "tracking_code": report.tracking_code},
            request=request,
        )
        if kept is None:
            kept = CitizenReport.objects.filter(case__code=case_code).first()
        if kept is not None:
            merge_supporters(report, kept)
    return case


def merge_supporters(duplicate: CitizenReport, kept: CitizenReport) -> int:
    """Move the duplicate's supporters (and its reporter) to the kept report; returns how many were added."""
    people = list(duplicate.supporter_rows.values_list("person_hash", flat=True))
    reporter = keyed_hash("phone", duplicate.phone) if duplicate.phone else duplicate.address_hash
    people.append(reporter or keyed_hash("report", duplicate.tracking_code))
    added = sum(1 for person in dict.fromkeys(people) if add_supporter(kept, person))
    return added
