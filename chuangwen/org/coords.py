"""WGS-84 ⇄ GCJ-02 (the "Mars" datum of Chinese map providers: AMap/高德, Tencent, Google China).

Coordinates are stored as WGS-84 everywhere in chuangwen. Phone map pickers and coordinates copied from
Chinese web maps are GCJ-02 and are converted on the way in with :func:`gcj02_to_wgs84`.

The forward transform is the widely published one (Krasovsky 1940 ellipsoid, the usual trigonometric offset
series). It has no closed-form inverse, so :func:`gcj02_to_wgs84` solves ``wgs84_to_gcj02(w) == g`` by
fixed-point iteration: the offset changes far more slowly than the position, so each step shrinks the error by
orders of magnitude and a few steps reach the 1e-9° stopping threshold (≈ 0.1 mm).
Outside the rough bounding box of China both functions return the input unchanged, as every provider does.
"""

from __future__ import annotations

import math
from enum import StrEnum

# Krasovsky 1940 ellipsoid, which the GCJ-02 offset formula is defined on.
_A = 6378245.0
_EE = 0.00669342162296594323

_INVERSE_TOLERANCE_DEG = 1e-9
_INVERSE_MAX_STEPS = 30


class CoordSystem(StrEnum):
    WGS84 = "WGS-84"
    GCJ02 = "GCJ-02"


def out_of_china(lng: float, lat: float) -> bool:
    """True outside the bounding box the providers use; there GCJ-02 equals WGS-84."""
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _offset_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _offset_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def _delta(lng: float, lat: float) -> tuple[float, float]:
    """The GCJ-02 offset (degrees) added to a WGS-84 point."""
    d_lat = _offset_lat(lng - 105.0, lat - 35.0)
    d_lng = _offset_lng(lng - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lng = (d_lng * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return d_lng, d_lat


def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    """WGS-84 → GCJ-02 (longitude, latitude in degrees)."""
    if out_of_china(lng, lat):
        return lng, lat
    d_lng, d_lat = _delta(lng, lat)
    return lng + d_lng, lat + d_lat


def gcj02_to_wgs84(lng: float, lat: float) -> tuple[float, float]:
    """GCJ-02 → WGS-84, the exact inverse of :func:`wgs84_to_gcj02` to better than 1e-7° (iterated)."""
    if out_of_china(lng, lat):
        return lng, lat
    d_lng, d_lat = _delta(lng, lat)
    w_lng, w_lat = lng - d_lng, lat - d_lat  # the crude one-step estimate (off by up to a metre or so)
    for _step in range(_INVERSE_MAX_STEPS):
        d_lng, d_lat = _delta(w_lng, w_lat)
        err_lng, err_lat = (w_lng + d_lng) - lng, (w_lat + d_lat) - lat
        w_lng, w_lat = w_lng - err_lng, w_lat - err_lat
        if abs(err_lng) < _INVERSE_TOLERANCE_DEG and abs(err_lat) < _INVERSE_TOLERANCE_DEG:
            break
    return w_lng, w_lat


def to_wgs84(lng: float, lat: float, system: str | CoordSystem) -> tuple[float, float]:
    """Bring a typed or picked coordinate to WGS-84; ``system`` is "WGS-84" or "GCJ-02"."""
    if CoordSystem(system) is CoordSystem.GCJ02:
        return gcj02_to_wgs84(lng, lat)
    return lng, lat
