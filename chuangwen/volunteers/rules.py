"""The rules of volunteer service as plain functions, free of the database: the ID number's check, hours
between sign-in and sign-out inside the activity's time, stars from cumulative hours, the rotating check-in
code and the geofence. Services, views, API, demo and benchmarks call these; nothing re-implements them."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date, datetime

from django.utils.translation import gettext_noop

from chuangwen.org.distance import haversine_m

# 星级: cumulative confirmed hours from which a volunteer holds each star (一星 … 五星).
STAR_HOURS = (100, 300, 600, 1000, 1500)
# The check-in code changes every CODE_SECONDS; the code just before the current one is still taken (a phone
# that scanned at the turn), none older: a screenshot is useless once the code has turned twice.
CODE_SECONDS = 20
CODE_DIGITS = 8
# Sign-in opens this long before the activity starts and sign-out closes this long after it ends.
CHECK_IN_EARLY_MINUTES = 30
CHECK_OUT_LATE_MINUTES = 60
# A position's stated accuracy is added to the fence, up to this much (a phone indoors says 60 m, not 2 km).
MAX_ACCURACY_ALLOWANCE_M = 100

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")


@dataclass(frozen=True)
class Identity:
    """What the system keeps of an ID number: the birth year, the sex, the last four characters."""

    birth_year: int
    sex: str  # "m" / "f"
    last4: str
    normalised: str  # for the keyed hash only; never stored


def parse_id_number(text: str, today: date) -> Identity:
    """A mainland resident ID number (GB 11643, 18 characters with its check character), or ValueError with
    the reason in Chinese."""
    value = text.strip().upper()
    if not _ID_RE.match(value):
        raise ValueError(gettext_noop("身份证号应为 18 位（最后一位可为 X）"))
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != value[17]:
        raise ValueError(gettext_noop("身份证号校验位不正确"))
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValueError(gettext_noop("身份证号中的出生日期无效")) from None
    if born > today or born.year < today.year - 120:
        raise ValueError(gettext_noop("身份证号中的出生日期无效"))
    return Identity(born.year, "m" if int(value[16]) % 2 else "f", value[-4:], value)


def age_in(year: int, birth_year: int) -> int:
    return year - birth_year


def measured_minutes(starts: datetime, ends: datetime, signed_in: datetime, signed_out: datetime) -> int:
    """Actual service time: from sign-in to sign-out, inside the activity's own time (travel and waiting
    before the start or after the end never count), whole minutes, never negative."""
    start, end = max(starts, signed_in), min(ends, signed_out)
    return max(0, int((end - start).total_seconds() // 60))


def stars(minutes: int) -> int:
    """0–5 stars for cumulative confirmed minutes: a star is held from its threshold hour on."""
    hours = minutes / 60
    return sum(1 for threshold in STAR_HOURS if hours >= threshold)


def next_star(minutes: int) -> tuple[int, int] | None:
    """(next star, minutes still needed), or None at five stars."""
    for n, threshold in enumerate(STAR_HOURS, start=1):
        if minutes < threshold * 60:
            return n, threshold * 60 - minutes
    return None


def code_window(at: datetime) -> int:
    return int(at.timestamp()) // CODE_SECONDS


def code_for(key: str, window: int) -> str:
    digest = hmac.new(key.encode(), f"checkin:{window}".encode(), hashlib.sha256).digest()
    return str(int.from_bytes(digest[:8], "big") % 10**CODE_DIGITS).zfill(CODE_DIGITS)


def current_code(key: str, at: datetime) -> tuple[str, int]:
    """The code to show now and the seconds until it turns."""
    window = code_window(at)
    return code_for(key, window), CODE_SECONDS - int(at.timestamp()) % CODE_SECONDS


def code_is_fresh(key: str, code: str, at: datetime) -> bool:
    """The code of the current window or of the one before it; constant-time comparison."""
    window = code_window(at)
    return any(hmac.compare_digest(code_for(key, w), code) for w in (window, window - 1))


def distance_to(lat: float, lng: float, place_lat: float, place_lng: float) -> float:
    return haversine_m(lat, lng, place_lat, place_lng)


def inside_fence(distance_m: float, radius_m: int, accuracy_m: float | None) -> bool:
    """Inside the place's circle, allowing for the phone's stated accuracy up to a bound."""
    allowance = min(max(accuracy_m or 0.0, 0.0), MAX_ACCURACY_ALLOWANCE_M)
    return distance_m <= radius_m + allowance
