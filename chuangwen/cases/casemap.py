"""The map of open cases: GeoJSON points coloured by traffic light, shared by the page and the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.cases.forms import LIGHT_LABELS, light_of
from chuangwen.cases.models import OPEN_STATES, Case, CaseQuerySet
from chuangwen.workdays.services import GREEN, RED, YELLOW

# More points than this make the browser crawl; the page says when some were left out.
MAX_FEATURES = 5000
LIGHT_COLORS = {RED: "#b3261e", YELLOW: "#d49a00", GREEN: "#2e7d32", "": "#8a94a3"}


def mappable(cases: CaseQuerySet) -> CaseQuerySet:
    """The open cases among ``cases`` (already scoped and filtered) that have a position."""
    return cases.filter(state__in=OPEN_STATES, lat__isnull=False, lng__isnull=False)


def case_feature(case: Case, now: datetime) -> dict[str, Any]:
    light = light_of(case, now)
    deadline = timezone.localtime(case.deadline).strftime("%Y-%m-%d %H:%M") if case.deadline else "—"
    unit = case.unit.name if case.unit else _("待分拣")
    return {
        "type": "Feature",
        "id": case.pk,
        "geometry": {"type": "Point", "coordinates": [case.lng, case.lat]},
        "properties": {
            "id": case.pk,
            "code": case.code,
            "name": case.title,
            "state": case.state,
            "state_name": case.get_state_display(),
            "unit": unit,
            "deadline": case.deadline.isoformat() if case.deadline else None,
            "light": light,
            "light_name": str(LIGHT_LABELS[light]),
            "color": LIGHT_COLORS[light],
            "lines": [
                _("责任单位：%(unit)s") % {"unit": unit},
                _("整改期限：%(deadline)s") % {"deadline": deadline},
                f"{case.get_state_display()} · {LIGHT_LABELS[light]}",
            ],
            "url": reverse("cases:detail", args=[case.pk]),
            "url_label": _("查看案卷"),
        },
    }


def feature_collection(cases: CaseQuerySet, now: datetime | None = None) -> dict[str, Any]:
    """At most MAX_FEATURES points of the mappable cases; ``total``, ``truncated``: what is left out."""
    now = now or timezone.now()
    points = mappable(cases).select_related("unit").order_by("deadline", "id")
    total = points.count()
    features = [case_feature(case, now) for case in points[:MAX_FEATURES]]
    return {
        "type": "FeatureCollection",
        "features": features,
        "total": total,
        "truncated": total > MAX_FEATURES,
    }


def legend() -> list[tuple[str, str]]:
    """(colour, label) for the map legend, most urgent first."""
    return [(LIGHT_COLORS[light], str(LIGHT_LABELS[light])) for light in (RED, YELLOW, GREEN, "")]
