"""Bounds on every date and number a person can send, in one place (docs/security.md, "Bounds on dates,
numbers and exports").

Dates: anything typed into a form, sent to the API, read from an imported file or given on the command line
lies between ``earliest_date()`` (1 January, ``DATE_PAST_YEARS`` years back) and ``latest_date()`` (today +
``DATE_FUTURE_YEARS`` years), or it is refused with a Chinese message naming the field — before any write
transaction starts. A deadline in the year 9956 once held the SQLite write lock for two minutes while its
working days were counted.

Numbers: ids fit the database's 64-bit keys, list offsets stop at ``OFFSET_MAX``, coordinates are on the
earth; the ninja types below carry the bounds into the API's schema: a breach is a 422 naming the parameter.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import P, PathEx
from pydantic import Field, WithJsonSchema

DEFAULT_PAST_YEARS = 20
DEFAULT_FUTURE_YEARS = 5
# Whatever the settings say, the window stays inside what the calendar arithmetic can handle quickly.
MAX_YEARS = 50

# The largest key a BigAutoField holds (SQLite and PostgreSQL alike); larger Python ints overflow the driver.
ID_MAX = 2**63 - 1
# Deeper than any list of the district or the city will ever be; far inside the 64-bit range of LIMIT/OFFSET.
OFFSET_MAX = 10_000_000
# Page numbers of the web lists (Django's paginator clamps a too-large number to the last page).
PAGE_MAX = 1_000_000
# A count someone asks for (a threshold, a number of things): more than the district will ever have.
COUNT_MAX = 100_000
# Ids listed in one parameter (e.g. ?cases=1,2,3).
IDS_MAX = 500

# An id in a schema field, and in an API path.
Id = Annotated[int, Field(ge=1, le=ID_MAX)]
IdPath = PathEx[int, P(ge=1, le=ID_MAX, description="ID")]


# --- dates ----------------------------------------------------------------------------------------


# The largest offset from UTC of a time anyone may send (Kiribati, +14:00).
MAX_UTC_OFFSET = timedelta(hours=14)


def _years(name: str, default: int) -> int:
    return max(1, min(int(getattr(settings, name)), MAX_YEARS))


def earliest_date(today: date | None = None) -> date:
    """The first date anyone may enter: 1 January, ``DATE_PAST_YEARS`` (default 20) years ago."""
    today = today or timezone.localdate()
    return date(today.year - _years("DATE_PAST_YEARS", DEFAULT_PAST_YEARS), 1, 1)


def latest_date(today: date | None = None) -> date:
    """The last date anyone may enter: today + ``DATE_FUTURE_YEARS`` (default 5) years (29 Feb → 28 Feb)."""
    today = today or timezone.localdate()
    year = today.year + _years("DATE_FUTURE_YEARS", DEFAULT_FUTURE_YEARS)
    return (
        today.replace(year=year, day=28) if (today.month, today.day) == (2, 29) else today.replace(year=year)
    )


def _day(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def date_error(value: date | datetime, label: str) -> str | None:
    """Why ``value`` is out of bounds, in Chinese, naming the field by ``label``; None when it is in."""
    offset = value.utcoffset() if isinstance(value, datetime) else None
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        # Python takes offsets up to ±23:59, PostgreSQL refuses beyond ±15:59 (a 500); the earth uses ±14:00.
        return _("%(field)s的时区偏移须在 -14:00 至 +14:00 之间") % {"field": label}
    low, high = earliest_date(), latest_date()
    if low <= _day(value) <= high:
        return None
    return _("%(field)s须在 %(low)s 至 %(high)s 之间") % {
        "field": label,
        "low": low.isoformat(),
        "high": high.isoformat(),
    }


def check_date(errors: dict[str, list[str]], field: str, value: date | datetime | None, label: str) -> bool:
    """Add the reason under ``errors[field]`` when ``value`` is out of bounds; True when fine (or None)."""
    if value is None:
        return True
    reason = date_error(value, label)
    if reason is not None:
        errors.setdefault(field, []).append(reason)
    return reason is None


class DateBounds:
    """A form field validator: the field's value lies within the date bounds (message names the field)."""

    def __init__(self, label: Callable[[], str]) -> None:
        self.label = label

    def __call__(self, value: date | datetime | None) -> None:
        if value is None:
            return
        reason = date_error(value, self.label())
        if reason is not None:
            raise ValidationError(reason, code="date_out_of_range")


def _input_limits(with_time: bool) -> dict[str, str]:
    low, high = earliest_date().isoformat(), latest_date().isoformat()
    return {"min": low + "T00:00", "max": high + "T23:59"} if with_time else {"min": low, "max": high}


class BoundedDateField(forms.DateField):
    """A date within the bounds; the browser's date picker is limited to the same range."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.validators.append(DateBounds(lambda: str(self.label or "")))

    def get_bound_field(self, form: forms.BaseForm, field_name: str) -> forms.BoundField:
        # Drawn per form (each has its own copy of the field): the picker's range follows today.
        self.widget.attrs.update(_input_limits(with_time=False))
        return super().get_bound_field(form, field_name)


class BoundedDateTimeField(forms.DateTimeField):
    """A date and time within the bounds; the browser's picker is limited to the same range."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.validators.append(DateBounds(lambda: str(self.label or "")))

    def get_bound_field(self, form: forms.BaseForm, field_name: str) -> forms.BoundField:
        self.widget.attrs.update(_input_limits(with_time=True))
        return super().get_bound_field(form, field_name)


def date_pattern(*, with_time: bool) -> str:
    """A regular expression for the API's schema that only dates within the bounds match: ``YYYY-MM-DD``,
    or with ``with_time`` an ISO 8601 date and time with its offset (the API refuses a time without one).
    A time's date is read in the server's time zone, so the years at either end are left out for times: the
    pattern is never wider than what the server accepts, and at most a year narrower."""
    low, high = earliest_date(), latest_date()

    def alternatives(values: range) -> str:
        return "|".join(f"{value:02d}" for value in values)

    if with_time:
        years, last = range(low.year + 1, high.year), ""
    else:
        years = range(low.year, high.year)
        last = (
            f"|{high.year}-(?:{alternatives(range(1, high.month))})-(?:0[1-9]|[12][0-9]|3[01])"
            * (high.month > 1)
            + f"|{high.year}-{high.month:02d}-(?:{alternatives(range(1, high.day + 1))})"
        )
    day = f"(?:(?:{alternatives(years)})-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01]){last})"
    if not with_time:
        return f"^{day}$"
    clock = r"(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?"
    offset = r"(?:Z|[+-](?:0[0-9]|1[0-3]):[0-5][0-9]|[+-]14:00)"  # MAX_UTC_OFFSET
    return f"^{day}T{clock}{offset}$"


def month_pattern() -> str:
    """A regular expression for the API's schema: only months (``YYYY-MM``) within the date bounds match."""
    low, high = earliest_date(), latest_date()
    years = "|".join(str(year) for year in range(low.year, high.year))
    months = "|".join(f"{month:02d}" for month in range(1, high.month + 1))
    return f"^(?:(?:{years})-(?:0[1-9]|1[0-2])|{high.year}-(?:{months}))$"


# A month (YYYY-MM) in an API parameter; the schema's pattern is narrowed to the date bounds when it is drawn
# (``core.api_errors.add_date_bounds``).
MONTH_PATTERN = r"^[0-9]{4}-(?:0[1-9]|1[0-2])$"
Month = Annotated[
    str, Field(pattern=MONTH_PATTERN, max_length=7, json_schema_extra={"x-date-bounds": "month"})
]


# --- numbers --------------------------------------------------------------------------------------

# A score or score line, 0–100 with at most two decimals, sent as a JSON number or a string.
SCORE_TEXT = r"^(?:100(?:\.0{1,2})?|[0-9]{1,2}(?:\.[0-9]{1,2})?)$"
Score = Annotated[
    Decimal,
    Field(ge=0, le=100, max_digits=5, decimal_places=2),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": 100, "multipleOf": 0.01},
                {"type": "string", "pattern": SCORE_TEXT},
            ]
        },
        mode="validation",
    ),
]


def clamped_number(text: str | None, low: int, high: int, default: int) -> int:
    """A whole number typed into an address (``?page=``, ``?min=``) clamped to [low, high]; ``default`` for
    anything that is no plain ASCII number (int() would take "٣", refuse "²" and choke on 5000 digits)."""
    typed = str(text or "").strip()
    if not (typed.isascii() and typed.isdigit()):
        return default
    return high if len(typed) > len(str(high)) else min(max(int(typed), low), high)


def parse_ids(text: str) -> list[int]:
    """Ids from a comma-separated parameter: whole numbers 1 to ID_MAX, at most IDS_MAX; the rest dropped."""
    ids = []
    for part in text.split(",")[:IDS_MAX]:
        part = part.strip()
        # At most 19 digits: int() of a longer string is slow, and beyond 4300 digits it raises.
        if part.isascii() and part.isdigit() and len(part) <= 19 and 1 <= int(part) <= ID_MAX:
            ids.append(int(part))
    return ids


# --- the API's 422 in Chinese ---------------------------------------------------------------------

_PYDANTIC_MESSAGES = {
    "missing": gettext_noop("缺少此项"),
    "greater_than_equal": gettext_noop("不能小于 %(ge)s"),
    "less_than_equal": gettext_noop("不能大于 %(le)s"),
    "greater_than": gettext_noop("须大于 %(gt)s"),
    "less_than": gettext_noop("须小于 %(lt)s"),
    "finite_number": gettext_noop("应为有限的数字"),
    "int_parsing": gettext_noop("应为整数"),
    "int_type": gettext_noop("应为整数"),
    "int_from_float": gettext_noop("应为整数"),
    "float_parsing": gettext_noop("应为数字"),
    "float_type": gettext_noop("应为数字"),
    "bool_parsing": gettext_noop("应为 true 或 false"),
    "date_parsing": gettext_noop("应为日期（YYYY-MM-DD）"),
    "date_from_datetime_parsing": gettext_noop("应为日期（YYYY-MM-DD）"),
    "datetime_parsing": gettext_noop("应为 ISO 8601 时间，例如 2026-12-01T09:10:00+08:00"),
    "datetime_from_date_parsing": gettext_noop("应为 ISO 8601 时间，例如 2026-12-01T09:10:00+08:00"),
    "uuid_parsing": gettext_noop("应为 UUID"),
    "timezone_aware": gettext_noop("时间须带时区，例如 2026-12-01T09:10:00+08:00"),
    "string_too_long": gettext_noop("过长，最多 %(max_length)s 个字符"),
    "too_long": gettext_noop("过多，最多 %(max_length)s 项"),
    "literal_error": gettext_noop("取值无效，可选：%(expected)s"),
}


class _Context(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def chinese_error(error: dict[str, Any]) -> dict[str, Any]:
    """One item of a ninja 422, its ``msg`` in Chinese and naming the parameter (``loc`` and ``type`` kept);
    items our own code raised (already in Chinese) pass unchanged."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind == "value_error" and ctx.get("error"):  # a validator of ours: its message as it said it
        return {**error, "msg": str(ctx["error"])}
    if not str(error.get("msg", "")).isascii():
        return error  # already ours, in Chinese (e.g. the visit rules of rounds.visits)
    template = _PYDANTIC_MESSAGES.get(kind)
    if template is None:
        return error
    name = next((str(part) for part in reversed(error.get("loc") or ()) if isinstance(part, str)), "")
    message = _(template) % _Context(ctx)
    return {**error, "msg": f"{name}：{message}" if name else message}
