"""The problem heat map: findings and open cases per grid cell, and recurrence hot spots."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Count, F, FloatField, Q
from django.db.models.functions import Cast, Floor
from django.urls import reverse
from django.utils import timezone

from chuangwen.cases.models import OPEN_STATES, CaseQuerySet
from chuangwen.dashboards.services.scope import published_findings, scoped_cases
from chuangwen.rounds.models import FindingQuerySet
from chuangwen.sites.models import Site
from chuangwen.standards.models import CheckItem

if TYPE_CHECKING:
    from chuangwen.accounts.models import User
    from chuangwen.org.models import Unit

HOTSPOTS = 20
# Heat map: the size of a grid cell in degrees (≈ 550 m north–south) and the most points sent.
DEFAULT_CELL_DEG = 0.005
MAX_POINTS = 2000


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
