"""The overview in one payload, and a unit's sub-units and open cases."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone

from chuangwen.cases.deadlines import overdue_q
from chuangwen.cases.models import OPEN_STATES, Case
from chuangwen.dashboards.cache import cached, cached_json
from chuangwen.dashboards.services.indicators import _float, _round_means, chart_labels, indicators, trend
from chuangwen.dashboards.services.scope import scoped_cases, scored_visits
from chuangwen.dashboards.services.sites import top_categories, worst_sites
from chuangwen.org.models import Unit

if TYPE_CHECKING:
    from chuangwen.accounts.models import User

OPEN_CASES_SHOWN = 20


# --- Sub-units and open cases ----


def child_rows(user: User, unit: Unit, now: datetime | None = None) -> list[dict[str, Any]]:
    """The unit's direct sub-units with their open and overdue cases and their latest mean score."""
    now = now or timezone.now()
    rows = []
    for child in (
        Unit.objects.visible_to(user).filter(parent=unit, active=True).order_by("sort_order", "code")
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
    """What /dashboards/data.json and GET /api/v1/dashboards/overview answer (cached per viewer's scope)."""
    moment = now or timezone.now()
    return cached("overview", user, unit, moment, lambda: _overview_payload(user, unit, moment))


def overview_json(user: User, unit: Unit) -> bytes:
    """The overview payload encoded, straight from the cache on a hit (the hot path of both JSON answers)."""
    now = timezone.now()
    return cached_json("overview", user, unit, now, lambda: _overview_payload(user, unit, now))


def _overview_payload(user: User, unit: Unit, now: datetime) -> dict[str, Any]:
    return {
        "unit": {"id": unit.pk, "name": unit.name},
        "indicators": indicators(user, unit, now).as_dict(),
        "trend": trend(user, unit, now),
        "worst_sites": [row.as_dict() for row in worst_sites(user, unit, now)],
        "categories": top_categories(user, unit, now),
        "labels": chart_labels(),
    }
