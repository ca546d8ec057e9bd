"""Quality control of interviews (质控), as KoBo/ODK teams run it: flags raised when a response arrives, for a
supervisor to review; and the call-back sample (docs/surveys.md, "Quality control")."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import shapely
from django.utils.translation import gettext_lazy as _
from shapely.geometry import Point, shape

from chuangwen.reports.limits import keyed_hash
from chuangwen.surveys.models import COUNTED_STATUSES, Mode, Response, Stratum, Wave

METRES_PER_DEGREE = 111_320.0

FLAG_LABELS = {
    "too_fast": _("用时过短"),
    "outside_area": _("位置不在样本社区内"),
    "no_position": _("无定位"),
    "straight_lined": _("连续同一答案"),
    "duplicate": _("疑似重复访问"),
}


def flag_label(code: str) -> str:
    return str(FLAG_LABELS.get(code, code))


def distance_outside_m(boundary: Any, lat: float, lng: float) -> float:
    """0 inside the boundary, otherwise the distance to it in metres (equirectangular near the point)."""
    geometry = shape(boundary)
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
    point = Point(lng, lat)
    if geometry.covers(point):
        return 0.0
    cos_lat = math.cos(math.radians(lat))
    metric = shapely.transform(geometry, lambda xy: xy * (METRES_PER_DEGREE * cos_lat, METRES_PER_DEGREE))
    return float(metric.distance(Point(lng * METRES_PER_DEGREE * cos_lat, lat * METRES_PER_DEGREE)))


def straight_lined(defn: dict[str, Any], answers: dict[str, Any], minimum: int) -> bool:
    """At least ``minimum`` scale questions answered, every one with the same answer."""
    if minimum <= 0:
        return False
    values = [
        answers[q["code"]]
        for s in defn["sections"]
        for q in s["questions"]
        if q["kind"] == "scale" and q["code"] in answers
    ]
    return len(values) >= minimum and len(set(values)) == 1


def is_duplicate(response: Response, wave: Wave) -> bool:
    """The same answers from the same interviewer less than one interview's minimum time apart: one interview
    entered twice. (Identical answers alone are common — many residents are aware and satisfied throughout —
    and neighbours share a GPS spot, so neither is a sign by itself.)"""
    if response.interviewer_id is None:
        return False
    gap = timedelta(seconds=max(wave.min_seconds, 60))
    return (
        Response.objects.filter(
            wave_id=response.wave_id,
            interviewer_id=response.interviewer_id,
            fingerprint=response.fingerprint,
            status__in=COUNTED_STATUSES,
            submitted_at__gt=response.submitted_at - gap,
            submitted_at__lt=response.submitted_at + gap,
        )
        .exclude(pk=response.pk)
        .exists()
    )


def flags_for(wave: Wave, stratum: Stratum, defn: dict[str, Any], response: Response) -> list[str]:
    """The flags a response raises when it arrives (duplicate is checked after it is saved)."""
    flags = []
    if response.duration_seconds < wave.min_seconds:
        flags.append("too_fast")
    if response.mode == Mode.INTERVIEWER:
        if response.lat is None or response.lng is None:
            flags.append("no_position")
        elif stratum.unit.boundary:
            if distance_outside_m(stratum.unit.boundary, response.lat, response.lng) > wave.max_distance_m:
                flags.append("outside_area")
    if straight_lined(defn, response.answers, wave.straightline_min):
        flags.append("straight_lined")
    return flags


def picked_for_callback(wave: Wave, client_id: str) -> bool:
    """A fixed share of interviews (not self-completions) picked for call-back verification by a keyed hash of
    the client id: a resend is picked the same way, and nobody can steer the pick — not even an interviewer
    whose phone makes the ids, since the key is the server's secret."""
    if wave.callback_percent <= 0:
        return False
    return int(keyed_hash("survey-callback", str(client_id))[:8], 16) % 100 < wave.callback_percent
