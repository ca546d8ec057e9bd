"""Sites: the worst-scored sites and the main problem categories of the window, and a site's dossier."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Count, F, OuterRef, Subquery, Sum
from django.urls import reverse
from django.utils import timezone

from chuangwen.cases.models import Case
from chuangwen.dashboards.services.indicators import _float, window_start
from chuangwen.dashboards.services.scope import published_visits, scored_visits
from chuangwen.evidence.models import Evidence
from chuangwen.rounds.models import Finding, Judgement, JudgementResult, RoundStatus, Visit, VisitStatus
from chuangwen.sites.models import Site

if TYPE_CHECKING:
    from chuangwen.accounts.models import User
    from chuangwen.org.models import Unit

WORST_SITES = 10
TOP_CATEGORIES = 10


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
