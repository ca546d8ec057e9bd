"""A jittered lattice over the territory; every unit's boundary is a walk along its edges.

Neighbouring polygons are built from the very same lattice points and edge midpoints, so shared borders are
exactly shared (no gaps, no overlaps) however the points are jittered.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from shapely.geometry import LineString, Point, Polygon
from shapely.ops import split
from shapely.prepared import prep

Coord = tuple[float, float]
JITTER = 0.18  # lattice points move at most this share of a cell
BULGE = 0.12  # edge midpoints move at most this share of a cell across the edge


def _r(value: float) -> float:
    return round(value, 6)


@dataclass(frozen=True)
class Block:
    """A rectangle of lattice cells: columns c0..c1-1, rows r0..r1-1."""

    c0: int
    r0: int
    c1: int
    r1: int


class Lattice:
    def __init__(
        self, rng: random.Random, west: float, south: float, cols: int, rows: int, cw: float, ch: float
    ):
        self.cols, self.rows, self.cw, self.ch = cols, rows, cw, ch
        self.points = [
            [
                (
                    _r(west + i * cw + rng.uniform(-JITTER, JITTER) * cw),
                    _r(south + j * ch + rng.uniform(-JITTER, JITTER) * ch),
                )
                for j in range(rows + 1)
            ]
            for i in range(cols + 1)
        ]
        self.h_mid = [
            [self._mid(rng, (i, j), (i + 1, j), across=1) for j in range(rows + 1)] for i in range(cols)
        ]
        self.v_mid = [
            [self._mid(rng, (i, j), (i, j + 1), across=0) for j in range(rows)] for i in range(cols + 1)
        ]

    def _mid(self, rng: random.Random, a: tuple[int, int], b: tuple[int, int], across: int) -> Coord:
        pa, pb = self.points[a[0]][a[1]], self.points[b[0]][b[1]]
        mid = [(pa[0] + pb[0]) / 2, (pa[1] + pb[1]) / 2]
        mid[across] += rng.uniform(-BULGE, BULGE) * (self.ch if across == 1 else self.cw)
        return _r(mid[0]), _r(mid[1])

    def ring(self, b: Block) -> list[Coord]:
        """Counter-clockwise boundary of a block, closed."""
        p, h, v = self.points, self.h_mid, self.v_mid
        ring: list[Coord] = []
        for i in range(b.c0, b.c1):
            ring += [p[i][b.r0], h[i][b.r0]]
        for j in range(b.r0, b.r1):
            ring += [p[b.c1][j], v[b.c1][j]]
        for i in range(b.c1, b.c0, -1):
            ring += [p[i][b.r1], h[i - 1][b.r1]]
        for j in range(b.r1, b.r0, -1):
            ring += [p[b.c0][j], v[b.c0][j - 1]]
        ring.append(p[b.c0][b.r0])
        return ring

    def geojson(self, b: Block) -> dict[str, Any]:
        return ring_geojson(self.ring(b))


def ring_geojson(ring: list[Coord]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[x, y] for x, y in ring]]}


def polygon_of(geojson: dict[str, Any]) -> Polygon:
    return Polygon(geojson["coordinates"][0], geojson["coordinates"][1:])


def split_in_two(geojson: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Cut a polygon north–south through its centroid into two pieces sharing the cut exactly."""
    poly = polygon_of(geojson)
    x = poly.centroid.x
    _minx, miny, _maxx, maxy = poly.bounds
    pieces = [g for g in split(poly, LineString([(x, miny - 1), (x, maxy + 1)])).geoms if g.area > 0]
    if len(pieces) != 2:
        return None
    pieces.sort(key=lambda g: g.centroid.x)
    return [{"type": "Polygon", "coordinates": [[list(c) for c in g.exterior.coords]]} for g in pieces]


class PointSampler:
    """Random points well inside one polygon, rounded to 6 decimals and re-checked after rounding."""

    def __init__(self, geojson: dict[str, Any], margin: float) -> None:
        self.polygon = polygon_of(geojson)
        self.inner = self.polygon.buffer(-margin)
        if self.inner.is_empty:
            self.inner = self.polygon.buffer(-margin / 4)
        self.prepared = prep(self.inner)
        self.bounds = self.inner.bounds

    def sample(self, rng: random.Random) -> Coord:
        minx, miny, maxx, maxy = self.bounds
        for _attempt in range(1000):
            pt = (_r(rng.uniform(minx, maxx)), _r(rng.uniform(miny, maxy)))
            if self.prepared.contains(Point(pt)):
                return pt
        point = self.inner.representative_point()
        return _r(point.x), _r(point.y)
