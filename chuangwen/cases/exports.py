"""Spreadsheet downloads of the case lists (worklist, board lights, disputes): CSV with a BOM or xlsx.

Every text cell goes through ``cell()``, so a value a spreadsheet would run as a formula arrives as text.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.http import Http404, HttpResponse
from django.utils import timezone

FORMATS = ("csv", "xlsx")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def cell(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula is written as text (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def require_format(fmt: str) -> str:
    """The export format of the address; anything but csv and xlsx is not found."""
    if fmt not in FORMATS:
        raise Http404
    return fmt


def spreadsheet_response(
    name: str, sheet_title: str, header: list[str], rows: list[list[Any]], fmt: str
) -> HttpResponse:
    """A download ``<name>-<local time>.<fmt>``: CSV in UTF-8 with a BOM (for Excel) or one xlsx sheet."""
    require_format(fmt)
    lines = [[cell(str(value)) for value in header], *([cell(value) for value in row] for row in rows)]
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerows(lines)
        response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = sheet_title
        for line in lines:
            sheet.append(line)
        out = io.BytesIO()
        book.save(out)
        response = HttpResponse(out.getvalue(), content_type=XLSX)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.{fmt}"'
    return response
