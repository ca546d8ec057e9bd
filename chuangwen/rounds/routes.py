"""Team routes: split a sample into compact groups of balanced size, then order each group as a walk.

Pure functions over ``Stop(key, lat, lng)``; straight-line (haversine) metres stand in for walking distance.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Generic, NamedTuple, TypeVar

from chuangwen.org.distance import haversine_m

HILBERT_ORDER = 16  # a 65 536 × 65 536 grid over the sample's bounding box

K = TypeVar("K")


class Stop(NamedTuple, Generic[K]):
    key: K
    lat: float
    lng: float


def hilbert_index(x: int, y: int, order: int = HILBERT_ORDER) -> int:
    """Position of the cell (x, y) along a Hilbert curve over a 2^order square grid."""
    index, side = 0, 1 << (order - 1)
    while side > 0:
        rx = 1 if x & side else 0
        ry = 1 if y & side else 0
        index += side * side * ((3 * rx) ^ ry)
        if ry == 0:
            if rx == 1:
                x, y = side - 1 - x, side - 1 - y
            x, y = y, x
        side >>= 1
    return index


def _curve_order(stops: Sequence[Stop[K]]) -> list[Stop[K]]:
    """Stops sorted along a Hilbert curve laid over their bounding box (longitude scaled to ground metres)."""
    low_lat, low_lng = min(s.lat for s in stops), min(s.lng for s in stops)
    shrink = math.cos(math.radians(sum(s.lat for s in stops) / len(stops)))
    xs = [(s.lng - low_lng) * shrink for s in stops]
    ys = [s.lat - low_lat for s in stops]
    span = max(*xs, *ys) or 1.0
    cells = (1 << HILBERT_ORDER) - 1
    keyed = [
        (hilbert_index(int(x / span * cells), int(y / span * cells)), s.lng, s.lat, str(s.key), i)
        for i, (s, x, y) in enumerate(zip(stops, xs, ys, strict=True))
    ]
    return [stops[k[-1]] for k in sorted(keyed)]


def balanced_sizes(total: int, groups: int) -> list[int]:
    """``groups`` sizes summing to ``total`` that differ by at most one (larger ones first)."""
    base, extra = divmod(total, groups)
    return [base + (1 if i < extra else 0) for i in range(groups)]


def split_groups(stops: Sequence[Stop[K]], groups: int) -> list[list[Stop[K]]]:
    """Cut the stops, sorted along a Hilbert curve, into ``groups`` contiguous runs of balanced size.

    Neighbours on the curve are neighbours on the ground, so each run is a compact patch of the map.
    """
    if groups < 1:
        raise ValueError("at least one group")
    if not stops:
        return [[] for _ in range(groups)]
    ordered = _curve_order(stops)
    result: list[list[Stop[K]]] = []
    start = 0
    for size in balanced_sizes(len(ordered), groups):
        result.append(ordered[start : start + size])
        start += size
    return result


def walking_order(stops: Sequence[Stop[K]]) -> list[Stop[K]]:
    """Nearest-neighbour walk starting at the westernmost stop (ties: southernmost, then key)."""
    remaining = sorted(stops, key=lambda s: (s.lng, s.lat, str(s.key)))
    if not remaining:
        return []
    route = [remaining.pop(0)]
    while remaining:
        here = route[-1]
        nearest = min(
            range(len(remaining)),
            key=lambda i: (haversine_m(here.lat, here.lng, remaining[i].lat, remaining[i].lng), i),
        )
        route.append(remaining.pop(nearest))
    return route


def route_length_m(route: Sequence[Stop[K]]) -> float:
    return sum(haversine_m(a.lat, a.lng, b.lat, b.lng) for a, b in itertools.pairwise(route))


def plan_routes(stops: Sequence[Stop[K]], groups: int) -> list[list[K]]:
    """The keys of each group's stops in walking order."""
    return [[s.key for s in walking_order(group)] for group in split_groups(stops, groups)]
