"""Worksheet helpers shared by the checklist's sheets (exchange.py) and the tree's (indicator_sheets.py)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.utils.translation import gettext as _
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from chuangwen.core.xlsx import sheet_row
from chuangwen.standards.exceptions import Problem


def normalise(header: Any) -> str:
    """A header or label as compared: half-width brackets made full-width, spaces dropped."""
    return str(header or "").strip().replace("(", "（").replace(")", "）").replace(" ", "")


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def rows(ws: Worksheet) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """The non-empty rows of a sheet with their 1-based row numbers (blank cells as None)."""
    for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
        cells = tuple(_cell(v) for v in row)
        if any(v is not None for v in cells):
            yield number, cells


def table(
    ws: Worksheet, columns: Mapping[str, str], required: tuple[str, ...], problems: list[Problem]
) -> list[tuple[int, dict[str, Any]]]:
    """Rows of a sheet with a header row, as {field: value}; a missing required column is a problem."""
    found = list(rows(ws))
    if not found:
        problems.append(Problem(f"{ws.title}表", "", _("工作表为空")))
        return []
    header_row, header = found[0]
    positions = {normalise(h): i for i, h in enumerate(header) if h is not None}
    index = {f: positions[normalise(label)] for f, label in columns.items() if normalise(label) in positions}
    for f in required:
        if f not in index:
            problems.append(Problem(f"{ws.title}表第{header_row}行", columns[f], _("缺少该列")))
    if any(f not in index for f in required):
        return []
    return [
        (n, {f: cells[i] for f, i in index.items() if i < len(cells) and cells[i] is not None})
        for n, cells in found[1:]
    ]


def fill(ws: Worksheet, header: list[str], body: list[list[Any]], widths: list[int]) -> None:
    """A bold, frozen header row, the rows, and column widths."""
    ws.append(sheet_row(ws, header))  # the export helper: no cell becomes a formula (chuangwen.core.xlsx)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in body:
        ws.append(sheet_row(ws, row))
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
