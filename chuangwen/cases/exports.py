"""Spreadsheet downloads of the case lists (worklist, board lights, disputes), the rankings and the
dashboards: CSV with a BOM or xlsx.

Every cell goes through the export helpers of ``chuangwen.core.xlsx`` (``csv_value``, ``write_table``), so a
value a spreadsheet would run as a formula arrives as text, and control characters never break the file.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.http import Http404, HttpResponse
from django.utils import timezone

from chuangwen.core.xlsx import XLSX_CONTENT_TYPE, csv_value, write_table

FORMATS = ("csv", "xlsx")


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
    titles = [str(value) for value in header]
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerows([csv_value(value) for value in line] for line in [titles, *rows])
        response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(write_table(titles, rows, sheet_title), content_type=XLSX_CONTENT_TYPE)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.{fmt}"'
    return response
