"""Every number of the dashboards, computed in one place (docs/dashboards.md says where each comes from).

Secrecy: scores, problems and photos come from **published** rounds only, for everybody (coordinators
included), so a round under way never moves a dashboard. Every query starts from the one scoping function of
its model (``visible_to(viewer)``) and is then narrowed to the unit shown: the sites whose area unit or
responsible unit lies in the unit's subtree, the cases routed to or located in it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Avg, Count, F, FloatField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Cast, Floor, TruncMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.accounts.models import Role
from chuangwen.cases.deadlines import light_counts, overdue_q
from chuangwen.cases.models import OPEN_STATES, Case, CaseQuerySet, CaseState
from chuangwen.evidence.models import Evidence
from chuangwen.rounds.models import (
    Finding,
    FindingQuerySet,
    Judgement,
    JudgementResult,
    RoundKind,
    RoundStatus,
    Visit,
    VisitQuerySet,
    VisitStatus,
)
from chuangwen.sites.models import Site
from chuangwen.standards.models import CheckItem
from chuangwen.workdays.services import GREEN, RED, YELLOW

if TYPE_CHECKING:
    from chuangwen.accounts.models import User
    from chuangwen.org.models import Unit

# Who may open the overview, the big screen and the heat map.
OVERVIEW_ROLES = frozenset({Role.COORDINATOR, Role.LEADER})
# Trends, worst sites and problem categories look back this many months (the current one included).
WINDOW_MONTHS = 12
# 处置率 on the overview: of the cases opened in the last DISPOSAL_DAYS days, the share closed now.
DISPOSAL_DAYS = 30
WORST_SITES = 10
TOP_CATEGORIES = 10
OPEN_CASES_SHOWN = 20
HOTSPOTS = 20
# Heat map: the size of a grid cell in degrees (≈ 550 m north–south) and the most points sent.
DEFAULT_CELL_DEG = 0.005
MAX_POINTS = 2000
# Cases that never were real work: they count neither as opened nor in 处置率.
NOT_COUNTED = (CaseState.REJECTED, CaseState.DUPLICATE, CaseState.CANCELLED)
# Scores are the official ones: a unit's own self-check (自查) never enters a score shown to leaders.
SCORED_KINDS = (RoundKind.UNANNOUNCED, RoundKind.REVISIT, RoundKind.PEER_CHECK)

LIGHT_COLORS = {RED: "#b3261e", YELLOW: "#d49a00", GREEN: "#2e7d32"}


def may_overview(user: User) -> bool:
    return user.is_authenticated and user.unit_id is not None and user.role in OVERVIEW_ROLES


# --- Scope ----


def site_q(unit: Unit, prefix: str = "") -> Q:
    """Sites of a unit: their area unit or their responsible unit lies in its subtree."""
    return Q(**{f"{prefix}area_unit__path__startswith": unit.path}) | Q(
        **{f"{prefix}responsible_unit__path__startswith": unit.path}
    )


def published_visits(user: User, unit: Unit) -> VisitQuerySet:
    """Accepted visits of published rounds at the unit's sites, as far as the viewer may see them."""
    return (
        Visit.objects.visible_to(user)
        .filter(round__status=RoundStatus.PUBLISHED, status=VisitStatus.ACCEPTED)
        .filter(site_q(unit, "site__"))
    )


def scored_visits(user: User, unit: Unit) -> VisitQuerySet:
    """The visits whose scores count: official kinds, with a score."""
    return published_visits(user, unit).filter(round__kind__in=SCORED_KINDS, score__isnull=False)


def published_findings(user: User, unit: Unit) -> FindingQuerySet:
    """Not-conforming findings of accepted visits of published rounds at the unit's sites."""
    return (
        Finding.objects.visible_to(user)
        .filter(round__status=RoundStatus.PUBLISHED, visit__status=VisitStatus.ACCEPTED)
        .filter(site_q(unit, "site__"))
    )


def scoped_cases(user: User, unit: Unit) -> CaseQuerySet:
    """The viewer's cases routed to the unit's subtree or lying in it."""
    cases = Case.objects.visible_to(user)
    if user.unit_id != unit.pk:
        cases = cases.filter(Q(unit__path__startswith=unit.path) | Q(area_unit__path__startswith=unit.path))
    return cases


# --- Key indicators ----


def _float(value: Decimal | float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


@dataclass
class Indicators:
    round_id: int | None = None
    round_name: str = ""
    visits: int = 0
    mean_score: float | None = None
    mean_rate: float | None = None  # percent
    previous_round_name: str = ""
    previous_mean_score: float | None = None
    score_change: float | None = None
    open_total: int = 0
    lights: dict[str, int] = field(default_factory=dict)
    overdue: int = 0
    recent_cases: int = 0
    recent_closed: int = 0
    disposal_rate: float | None = None  # percent

    def as_dict(self) -> dict[str, Any]:
        return {
            "round": {"id": self.round_id, "name": self.round_name} if self.round_id else None,
            "visits": self.visits,
            "mean_score": self.mean_score,
            "mean_rate": self.mean_rate,
            "previous_round": self.previous_round_name or None,
            "previous_mean_score": self.previous_mean_score,
            "score_change": self.score_change,
            "open_cases": self.open_total,
            "lights": self.lights,
            "overdue": self.overdue,
            "recent_cases": self.recent_cases,
            "recent_closed": self.recent_closed,
            "disposal_rate": self.disposal_rate,
            "disposal_days": DISPOSAL_DAYS,
        }


def _round_means(visits: VisitQuerySet, round_id: int) -> dict[str, Any]:
    return visits.filter(round_id=round_id).aggregate(
        n=Count("pk"), score=Avg("score"), rate=Avg("score_rate")
    )


def indicators(user: User, unit: Unit, now: datetime | None = None) -> Indicators:
    """The key indicators of a unit: the latest published round's mean site score and score rate (and the
    change against the round before), open cases by traffic light, overdue cases and 处置率."""
    now = now or timezone.now()
    result = Indicators()
    visits = scored_visits(user, unit)
    rounds = list(
        visits.order_by("-round__published_at", "-round_id")
        .values_list("round_id", "round__name", "round__published_at")
        .distinct()[:2]
    )
    if rounds:
        latest = _round_means(visits, rounds[0][0])
        result.round_id, result.round_name = rounds[0][0], rounds[0][1]
        result.visits = latest["n"]
        result.mean_score = _float(latest["score"])
        result.mean_rate = _float(latest["rate"] * 100 if latest["rate"] is not None else None, 1)
        if len(rounds) > 1:
            previous = _round_means(visits, rounds[1][0])
            result.previous_round_name = rounds[1][1]
            result.previous_mean_score = _float(previous["score"])
            if result.mean_score is not None and result.previous_mean_score is not None:
                result.score_change = round(result.mean_score - result.previous_mean_score, 2)
    cases = scoped_cases(user, unit)
    open_cases = cases.filter(state__in=OPEN_STATES)
    result.open_total = open_cases.count()
    result.lights = light_counts(open_cases, now)
    result.overdue = cases.filter(overdue_q(now)).count()
    recent = cases.filter(opened_at__gte=now - timedelta(days=DISPOSAL_DAYS)).exclude(state__in=NOT_COUNTED)
    counts = recent.aggregate(n=Count("pk"), closed=Count("pk", filter=Q(state=CaseState.CLOSED)))
    result.recent_cases, result.recent_closed = counts["n"], counts["closed"]
    if result.recent_cases:
        result.disposal_rate = round(100 * result.recent_closed / result.recent_cases, 1)
    return result


# --- Trends ----


def month_keys(now: datetime, months: int = WINDOW_MONTHS) -> list[str]:
    """The last ``months`` months, oldest first, as "YYYY-MM" in local time (the current month last)."""
    local = timezone.localtime(now)
    year, month = local.year, local.month
    keys = []
    for _i in range(months):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return keys[::-1]


def window_start(now: datetime, months: int = WINDOW_MONTHS) -> datetime:
    first = month_keys(now, months)[0]
    year, month = (int(part) for part in first.split("-"))
    return timezone.make_aware(datetime(year, month, 1), timezone.get_current_timezone())


def _month_key(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return f"{value.year:04d}-{value.month:02d}"


def trend(user: User, unit: Unit, now: datetime | None = None) -> dict[str, Any]:
    """Per month of the window: mean site score and score rate of the visits made that month (official
    rounds, published), cases opened and cases closed."""
    now = now or timezone.now()
    keys = month_keys(now)
    since = window_start(now)
    tz = timezone.get_current_timezone()
    scores = {
        _month_key(row["month"]): row
        for row in scored_visits(user, unit)
        .filter(received_at__gte=since)
        .annotate(month=TruncMonth("received_at", tzinfo=tz))
        .order_by()
        .values("month")
        .annotate(n=Count("pk"), score=Avg("score"), rate=Avg("score_rate"))
    }
    cases = scoped_cases(user, unit).exclude(state__in=NOT_COUNTED)
    opened = {
        _month_key(row["month"]): row["n"]
        for row in cases.filter(opened_at__gte=since)
        .annotate(month=TruncMonth("opened_at", tzinfo=tz))
        .order_by()
        .values("month")
        .annotate(n=Count("pk"))
    }
    closed = {
        _month_key(row["month"]): row["n"]
        for row in cases.filter(closed_at__gte=since, state=CaseState.CLOSED)
        .annotate(month=TruncMonth("closed_at", tzinfo=tz))
        .order_by()
        .values("month")
        .annotate(n=Count("pk"))
    }

    def rate(key: str) -> float | None:
        value = scores.get(key, {}).get("rate")
        return None if value is None else round(float(value) * 100, 1)

    return {
        "months": keys,
        "visits": [scores.get(k, {}).get("n", 0) for k in keys],
        "mean_score": [_float(scores.get(k, {}).get("score")) for k in keys],
        "mean_rate": [rate(k) for k in keys],
        "opened": [opened.get(k, 0) for k in keys],
        "closed": [closed.get(k, 0) for k in keys],
    }


# --- Worst sites and problem categories ----


@dataclass
class SiteScore:
    site: Site
    score: float | None
    rate: float | None
    at: datetime | None
    round_name: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.site.pk,
            "code": self.site.code,
            "name": self.site.name,
            "score": self.score,
            "rate": self.rate,
            "date": timezone.localtime(self.at).date().isoformat() if self.at else None,
            "round": self.round_name,
            "url": reverse("dashboards:site", args=[self.site.pk]),
        }


def worst_sites(
    user: User, unit: Unit, now: datetime | None = None, limit: int = WORST_SITES
) -> list[SiteScore]:
    """The sites whose latest scored visit in the window has the lowest score."""
    now = now or timezone.now()
    visits = scored_visits(user, unit).filter(received_at__gte=window_start(now))
    latest = visits.filter(site=OuterRef("pk")).order_by("-received_at", "-pk")
    sites = (
        Site.objects.visible_to(user)
        .filter(pk__in=visits.values("site_id"))
        .annotate(
            last_score=Subquery(latest.values("score")[:1]),
            last_rate=Subquery(latest.values("score_rate")[:1]),
            last_at=Subquery(latest.values("received_at")[:1]),
            last_round=Subquery(latest.values("round__name")[:1]),
        )
        .order_by("last_score", "code")[:limit]
    )
    return [
        SiteScore(
            site=site,
            score=_float(site.last_score),  # type: ignore[attr-defined]
            rate=_float(site.last_rate * 100 if site.last_rate is not None else None, 1),  # type: ignore[attr-defined]
            at=site.last_at,  # type: ignore[attr-defined]
            round_name=site.last_round or "",  # type: ignore[attr-defined]
        )
        for site in sites
    ]


def top_categories(
    user: User, unit: Unit, now: datetime | None = None, limit: int = TOP_CATEGORIES
) -> list[dict[str, Any]]:
    """Not-conforming judgements of published rounds in the window, by check item category, most first."""
    now = now or timezone.now()
    visits = published_visits(user, unit).filter(received_at__gte=window_start(now))
    rows = (
        Judgement.objects.filter(visit__in=visits, result=JudgementResult.NOT_CONFORMING)
        .values(category=F("check_item__category"))
        .annotate(n=Count("pk"), problems=Sum("count"))
        .order_by("-n", "category")[:limit]
    )
    return [{"category": r["category"], "count": r["n"], "problems": r["problems"] or 0} for r in rows]


# --- Sub-units and open cases ----


def child_rows(user: User, unit: Unit, now: datetime | None = None) -> list[dict[str, Any]]:
    """The unit's direct sub-units with open, red and overdue cases and their latest mean score."""
    from chuangwen.org.models import Unit as UnitModel

    now = now or timezone.now()
    rows = []
    for child in (
        UnitModel.objects.visible_to(user).filter(parent=unit, active=True).order_by("sort_order", "code")
    ):
        cases = scoped_cases(user, child)
        counts = cases.aggregate(
            open=Count("pk", filter=Q(state__in=OPEN_STATES)), overdue=Count("pk", filter=overdue_q(now))
        )
        visits = scored_visits(user, child)
        latest = (
            visits.order_by("-round__published_at", "-round_id").values_list("round_id", flat=True).first()
        )
        mean = _round_means(visits, latest)["score"] if latest else None
        rows.append(
            {
                "id": child.pk,
                "name": child.name,
                "kind": child.get_kind_display(),
                "open": counts["open"],
                "overdue": counts["overdue"],
                "mean_score": _float(mean),
                "url": reverse("dashboards:unit", args=[child.pk]),
            }
        )
    return rows


def open_cases(user: User, unit: Unit, limit: int = OPEN_CASES_SHOWN) -> list[Case]:
    """The unit's open cases, the earliest deadline first (cases without a deadline last)."""
    return list(
        scoped_cases(user, unit)
        .filter(state__in=OPEN_STATES)
        .select_related("unit", "site")
        .order_by(F("deadline").asc(nulls_last=True), "opened_at", "id")[:limit]
    )


# --- The overview in one payload ----


def overview_payload(user: User, unit: Unit, now: datetime | None = None) -> dict[str, Any]:
    """What /dashboards/data.json and GET /api/v1/dashboards/overview answer."""
    now = now or timezone.now()
    return {
        "unit": {"id": unit.pk, "name": unit.name},
        "indicators": indicators(user, unit, now).as_dict(),
        "trend": trend(user, unit, now),
        "worst_sites": [row.as_dict() for row in worst_sites(user, unit, now)],
        "categories": top_categories(user, unit, now),
        "labels": chart_labels(),
    }


def chart_labels() -> dict[str, str]:
    """The words the charts show, translated on the server."""
    return {
        "mean_score": _("平均得分"),
        "mean_rate": _("得分率（%）"),
        "opened": _("新立案卷"),
        "closed": _("结案"),
        "problems": _("不符合项"),
        "no_data": _("暂无数据"),
    }


# --- Heat map and recurrence hot spots ----


@dataclass
class ProblemFilter:
    category: str = ""
    since: date | None = None
    until: date | None = None

    def _range(self, lookup: str) -> Q:
        q = Q()
        tz = timezone.get_current_timezone()
        if self.since:
            q &= Q(
                **{
                    f"{lookup}__gte": timezone.make_aware(
                        datetime.combine(self.since, datetime.min.time()), tz
                    )
                }
            )
        if self.until:
            end = datetime.combine(self.until + timedelta(days=1), datetime.min.time())
            q &= Q(**{f"{lookup}__lt": timezone.make_aware(end, tz)})
        return q

    def findings(self, findings: FindingQuerySet) -> FindingQuerySet:
        if self.category:
            findings = findings.filter(check_item__category=self.category)
        return findings.filter(self._range("visit__received_at"))

    def cases(self, cases: CaseQuerySet) -> CaseQuerySet:
        if self.category:
            cases = cases.filter(check_item__category=self.category)
        return cases.filter(self._range("opened_at"))


def categories_in_use() -> list[str]:
    """Every problem category of the check items, for the filter."""
    return sorted(set(CheckItem.objects.values_list("category", flat=True)))


def heat_cells(
    user: User, unit: Unit, filters: ProblemFilter, cell: float = DEFAULT_CELL_DEG
) -> dict[str, Any]:
    """Not-conforming findings (at their site) and open cases with a position, counted per grid cell of
    ``cell`` degrees, plus at most MAX_POINTS of each as points."""
    findings = filters.findings(published_findings(user, unit))
    cases = filters.cases(
        scoped_cases(user, unit).filter(state__in=OPEN_STATES, lat__isnull=False, lng__isnull=False)
    )
    size = float(cell)
    cells: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: {"findings": 0, "cases": 0})

    def grid(qs: Any, lat: str, lng: str, key: str) -> None:
        rows = (
            qs.annotate(
                gy=Floor(Cast(F(lat), FloatField()) / size), gx=Floor(Cast(F(lng), FloatField()) / size)
            )
            .order_by()
            .values("gy", "gx")
            .annotate(n=Count("pk"))
        )
        for row in rows:
            cells[(int(row["gy"]), int(row["gx"]))][key] += row["n"]

    grid(findings, "site__lat", "site__lng", "findings")
    grid(cases, "lat", "lng", "cases")
    out_cells: list[dict[str, Any]] = [
        {
            "bounds": [[gy * size, gx * size], [(gy + 1) * size, (gx + 1) * size]],
            "findings": n["findings"],
            "cases": n["cases"],
            "total": n["findings"] + n["cases"],
        }
        for (gy, gx), n in sorted(cells.items())
    ]
    points = [
        {
            "kind": "finding",
            "lat": f.site.lat,
            "lng": f.site.lng,
            "name": f.site.name,
            "label": f"{f.check_item.code} {f.check_item.category} · {f.round.name}",
            "url": reverse("dashboards:site", args=[f.site_id]),
        }
        for f in findings.select_related("site", "check_item", "round").order_by(
            "-visit__received_at", "-pk"
        )[:MAX_POINTS]
    ]
    points += [
        {
            "kind": "case",
            "lat": c.lat,
            "lng": c.lng,
            "name": c.title,
            "label": f"{c.code} · {c.get_state_display()}",
            "url": reverse("cases:detail", args=[c.pk]),
        }
        for c in cases.order_by("-opened_at", "-pk")[:MAX_POINTS]
    ]
    return {
        "cell_deg": size,
        "cells": out_cells,
        "max": max((c["total"] for c in out_cells), default=0),
        "points": points,
        "findings": findings.count(),
        "cases": cases.count(),
    }


@dataclass
class Hotspot:
    site: Site
    recurrences: int = 0
    repeated: list[dict[str, Any]] = field(default_factory=list)

    @property
    def repeated_failures(self) -> int:
        return sum(item["count"] for item in self.repeated)

    @property
    def weight(self) -> int:
        return self.recurrences + self.repeated_failures

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.site.pk,
            "code": self.site.code,
            "name": self.site.name,
            "lat": self.site.lat,
            "lng": self.site.lng,
            "recurrences": self.recurrences,
            "repeated": self.repeated,
            "weight": self.weight,
            "url": reverse("dashboards:site", args=[self.site.pk]),
        }


def recurrence_hotspots(
    user: User, unit: Unit, filters: ProblemFilter | None = None, limit: int = HOTSPOTS
) -> list[Hotspot]:
    """Sites where problems come back: cases linked to an earlier closed case (``recurrence_of``), and check
    items failed at two or more published visits. Ranked by recurrences + repeated failures."""
    filters = filters or ProblemFilter()
    recurrences = dict(
        filters.cases(scoped_cases(user, unit))
        .filter(recurrence_of__isnull=False, site__isnull=False)
        .order_by()
        .values_list("site_id")
        .annotate(n=Count("pk"))
    )
    repeated: dict[int, list[dict[str, Any]]] = defaultdict(list)
    rows = (
        filters.findings(published_findings(user, unit))
        .order_by()
        .values("site_id", "check_item__code", "check_item__text")
        .annotate(n=Count("visit_id", distinct=True))
        .filter(n__gte=2)
    )
    for row in rows:
        repeated[row["site_id"]].append(
            {"code": row["check_item__code"], "text": row["check_item__text"], "count": row["n"]}
        )
    site_ids = set(recurrences) | set(repeated)
    sites = Site.objects.visible_to(user).in_bulk(site_ids)
    spots = [
        Hotspot(
            site=sites[pk],
            recurrences=recurrences.get(pk, 0),
            repeated=sorted(repeated.get(pk, []), key=lambda r: (-r["count"], r["code"])),
        )
        for pk in site_ids
        if pk in sites
    ]
    spots.sort(key=lambda s: (-s.weight, -s.recurrences, s.site.code))
    return spots[:limit]


# --- The site dossier ----


@dataclass
class DossierEntry:
    at: datetime
    kind: str  # "visit" | "case" | "citizen_report"
    visit: Visit | None = None
    case: Case | None = None
    findings: list[Finding] = field(default_factory=list)
    photos: list[Evidence] = field(default_factory=list)

    @property
    def order(self) -> tuple[datetime, str, int]:
        record = self.visit or self.case
        return (self.at, self.kind, record.pk if record is not None else 0)


def citizen_reports_for_site(user: User, site: Site) -> list[DossierEntry]:
    """Hook for citizen reports (随手拍) of the site: none exist yet (a later issue adds them)."""
    return []


def site_dossier(user: User, site: Site) -> list[DossierEntry]:
    """Every published visit (with its findings and photos) and every case (with its photos) of the site,
    oldest first, as far as the viewer may see them."""
    visits = list(
        Visit.objects.visible_to(user)
        .filter(site=site, round__status=RoundStatus.PUBLISHED, status=VisitStatus.ACCEPTED)
        .select_related("round", "inspector")
    )
    visit_ids = [v.pk for v in visits]
    findings: dict[int, list[Finding]] = defaultdict(list)
    for finding in (
        Finding.objects.visible_to(user)
        .filter(visit_id__in=visit_ids)
        .select_related("check_item")
        .order_by("check_item__sort_order", "check_item__code")
    ):
        findings[finding.visit_id].append(finding)
    cases = list(Case.objects.visible_to(user).filter(site=site).select_related("unit", "check_item"))
    evidence = Evidence.objects.visible_to(user)
    visit_photos: dict[int, list[Evidence]] = defaultdict(list)
    for photo in evidence.filter(visit_id__in=visit_ids).order_by("captured_at", "received_at", "pk"):
        if photo.visit_id is not None:
            visit_photos[photo.visit_id].append(photo)
    case_photos: dict[int, list[Evidence]] = defaultdict(list)
    seen: set[tuple[int, int]] = set()
    for photo in (
        evidence.filter(case_events__case__in=[c.pk for c in cases])
        .annotate(case_pk=F("case_events__case_id"))
        .order_by("captured_at", "received_at", "pk")
    ):
        key = (photo.case_pk, photo.pk)  # type: ignore[attr-defined]
        if key not in seen:
            seen.add(key)
            case_photos[photo.case_pk].append(photo)  # type: ignore[attr-defined]
    entries = [
        DossierEntry(
            at=v.finished_at or v.received_at,
            kind="visit",
            visit=v,
            findings=findings.get(v.pk, []),
            photos=visit_photos.get(v.pk, []),
        )
        for v in visits
    ]
    entries += [
        DossierEntry(at=c.opened_at, kind="case", case=c, photos=case_photos.get(c.pk, [])) for c in cases
    ]
    entries += citizen_reports_for_site(user, site)
    entries.sort(key=lambda e: e.order)
    return entries
