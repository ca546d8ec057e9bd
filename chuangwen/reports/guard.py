"""\"Me too\" and the duplicate guard: open reports and cases of the same category near a point."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from chuangwen.cases.models import OPEN_STATES, Case
from chuangwen.org.distance import haversine_m
from chuangwen.org.geo import METRES_PER_DEGREE
from chuangwen.reports import limits
from chuangwen.reports.models import CitizenReport, ReportCategory, ReportSupporter
from chuangwen.reports.public import public_code
from chuangwen.reports.services import PHONE_RE, address_hash, keyed_hash, normalise_phone

# --- "me too" and the duplicate guard -------------------------------------------------------------------


def support_report(
    report: CitizenReport, *, phone: str = "", ip: str | None = None, device: str | None = None
) -> tuple[CitizenReport, bool]:
    """“我也遇到”: one supporter per person (phone number, else address); returns (report, added).

    Limited per sender address and device (``limits.support_limits``; RateLimited), counted before the
    supporter is looked up, so a run of made-up phone numbers from one place stops at the limit."""
    phone = normalise_phone(phone)
    if phone and not PHONE_RE.match(phone):
        raise ValidationError({"phone": [_("手机号格式不正确，应为 11 位手机号码")]})
    if not report.case.is_open:
        raise ValidationError({"report": [_("该问题已办结或已关闭，无需再附议")]})
    person = keyed_hash("phone", phone) if phone else address_hash(ip)
    if not person:
        raise ValidationError({"phone": [_("请填写手机号")]})
    limits.take(limits.support_limits(ip, device))
    added = add_supporter(report, person)
    report.refresh_from_db()
    return report, added


def add_supporter(report: CitizenReport, person: str) -> bool:
    try:
        with transaction.atomic():
            ReportSupporter.objects.create(report=report, person_hash=person)
            CitizenReport.objects.filter(pk=report.pk).update(supporters=F("supporters") + 1)
    except IntegrityError:
        return False
    return True


def degree_box(lat: float, lng: float, metres: float) -> Q:
    d_lat = metres / METRES_PER_DEGREE * 1.01
    d_lng = d_lat / max(0.01, math.cos(math.radians(lat)))
    return Q(lat__gte=lat - d_lat, lat__lte=lat + d_lat, lng__gte=lng - d_lng, lng__lte=lng + d_lng)


@dataclass(frozen=True)
class NearbyItem:
    kind: str  # "report" | "case"
    tracking_code: str  # a citizen report's (empty for a case from an inspection or the hotline)
    title: str  # the category or the check item's wording: never the citizen's own words
    status: str
    distance_m: float
    created_at: datetime
    supporters: int


def nearby(
    category: ReportCategory, lat: float, lng: float, radius_m: float | None = None
) -> list[NearbyItem]:
    """Open citizen reports and open cases of the same category within ``radius_m`` (default
    REPORTS_NEARBY_M), nearest first. Same category: the same report category, or a case whose check item is
    the category's item, or (for a category with a duty tag) whose item carries that duty."""
    radius = float(settings.REPORTS_NEARBY_M if radius_m is None else radius_m)
    match = Q(citizen_report__category=category)
    if category.check_item_code:
        match |= Q(check_item__code=category.check_item_code)
    if category.duty:
        match |= Q(check_item__duty=category.duty)
    cases = (
        Case.objects.filter(state__in=OPEN_STATES, lat__isnull=False, lng__isnull=False)
        .filter(degree_box(lat, lng, radius))
        .filter(match)
        .select_related("check_item", "citizen_report__category")
    )
    found = []
    for case in cases[:500]:
        assert case.lat is not None and case.lng is not None
        distance = haversine_m(lat, lng, case.lat, case.lng)
        if distance > radius:
            continue
        report = getattr(case, "citizen_report", None)
        _code, label = public_code(case.state)
        if report is not None:
            found.append(
                NearbyItem("report", report.tracking_code, report.category.name, label, distance,
                           report.created_at, report.supporters)
            )  # fmt: skip
        else:
            title = case.check_item.text if case.check_item is not None else category.name
            found.append(NearbyItem("case", "", title, label, distance, case.opened_at, 0))
    return sorted(found, key=lambda item: item.distance_m)
