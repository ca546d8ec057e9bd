"""Cell parsers for spreadsheet imports: each turns a cell value into a field value or raises CellError."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.core.xlsx import cell_text
from chuangwen.workdays.services import end_of_day

Parser = Callable[[Any], Any]


class CellError(ValueError):
    """Raised by a parser: the message is the reason shown for the cell."""


# --- parsers --------------------------------------------------------------------------------------


def text(max_length: int, pattern: str = "", hint: str = "") -> Parser:
    regex = re.compile(pattern) if pattern else None

    def parse(value: Any) -> str:
        result = cell_text(value)
        if len(result) > max_length:
            raise CellError(_("长度 %(n)s 超过上限 %(max)s 个字符") % {"n": len(result), "max": max_length})
        if regex and not regex.fullmatch(result):
            raise CellError(hint or _("格式不正确"))
        return result

    return parse


def code(max_length: int = 32) -> Parser:
    return text(max_length, r"[A-Za-z0-9_.\-]+", _("编码只能包含字母、数字、下划线、点和减号"))


def choice(choices: type[models.TextChoices]) -> Parser:
    """Accept the Chinese label or the code (case-insensitive); return the code."""

    def parse(value: Any) -> str:
        typed = cell_text(value)
        for member in choices:
            if typed == str(member.label) or typed.lower() == str(member.value).lower():
                return str(member.value)
        allowed = "、".join(str(member.label) for member in choices)
        raise CellError(_("“%(v)s”不是有效的选项，可选：%(allowed)s") % {"v": typed, "allowed": allowed})

    return parse


_YES = {"是", "y", "yes", "true", "1", "启用", "√"}
_NO = {"否", "n", "no", "false", "0", "停用", "禁用", "×"}


def yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    typed = cell_text(value).lower()
    if typed in _YES:
        return True
    if typed in _NO:
        return False
    raise CellError(_("应填“是”或“否”，而不是“%(v)s”") % {"v": typed})


def number(low: float, high: float) -> Parser:
    def parse(value: Any) -> float:
        try:
            result = float(value) if isinstance(value, int | float) else float(cell_text(value))
        except ValueError:
            raise CellError(_("“%(v)s”不是数字") % {"v": cell_text(value)}) from None
        if not low <= result <= high:
            raise CellError(
                _("%(v)s 超出范围（%(low)s～%(high)s）") % {"v": result, "low": low, "high": high}
            )
        return result

    return parse


_TAG_SPLIT = re.compile(r"[、,，;；\n]+")


def tags(allowed: Iterable[str] | None = None, max_length: int = 20) -> Parser:
    allowed_set = list(allowed) if allowed is not None else None

    def parse(value: Any) -> list[str]:
        result: list[str] = []
        for part in _TAG_SPLIT.split(cell_text(value)):
            tag = part.strip()
            if not tag or tag in result:
                continue
            if allowed_set is not None and tag not in allowed_set:
                raise CellError(
                    _("“%(v)s”不是有效的标签，可选：%(allowed)s")
                    % {"v": tag, "allowed": "、".join(allowed_set)}
                )
            if len(tag) > max_length:
                raise CellError(_("标签“%(v)s”过长（上限 %(max)s 个字）") % {"v": tag, "max": max_length})
            result.append(tag)
        return result

    return parse


def join_tags(values: Iterable[str]) -> str:
    return "、".join(values)


def yes_no_text(value: bool) -> str:
    return _("是") if value else _("否")


# --- dates and times as offices type them (the 12345 hotline export, hand-kept sheets) ---------------

_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M", "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日%H:%M", "%Y.%m.%d %H:%M",
)  # fmt: skip
_DAY_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y.%m.%d", "%Y%m%d")
_EXCEL_EPOCH = datetime(1899, 12, 30)


def _aware(value: datetime) -> datetime:
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _excel_serial(value: float) -> datetime:
    if not 20000 <= value <= 80000:  # 1954–2119: anything else is not a date
        raise CellError(_("“%(v)s”不是日期时间") % {"v": cell_text(value)})
    return _aware(_EXCEL_EPOCH + timedelta(days=value))


def parse_moment(value: Any, *, day_end: bool = False) -> datetime:
    """A date/time as the hotline writes it (2026-03-02 09:15, 2026/3/2 9:15, an Excel date). A bare date
    means the start of the day, or its end when ``day_end`` (a deadline date is due at the day's end)."""
    if isinstance(value, datetime) and not (day_end and value.time() == time()):
        return _aware(value)
    if isinstance(value, datetime):  # an Excel date cell reads as midnight: a date
        return end_of_day(value.date())
    if isinstance(value, date):
        return end_of_day(value) if day_end else _aware(datetime.combine(value, time()))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _excel_serial(float(value))
    typed = re.sub(r"\s+", " ", cell_text(value))
    for fmt in _DATE_FORMATS:
        try:
            return _aware(datetime.strptime(typed, fmt))
        except ValueError:
            continue
    for fmt in _DAY_FORMATS:
        try:
            day = datetime.strptime(typed, fmt).date()
        except ValueError:
            continue
        return end_of_day(day) if day_end else _aware(datetime.combine(day, time()))
    if re.fullmatch(r"\d{5}(\.\d+)?", typed):
        return _excel_serial(float(typed))
    raise CellError(_("“%(v)s”不是可识别的日期时间，请写成 2026-03-02 09:15 或 2026/3/2 9:15") % {"v": typed})
