"""Distance on the Earth between two WGS-84 points: the one formula every app uses (sites, photos, reports,
walking routes). Free of Django imports, so pure modules such as the route planner can use it."""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_008.8  # the mean Earth radius (IUGG)


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
