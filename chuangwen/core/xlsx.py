"""Reading and writing .xlsx files for imports: content checks, the sheet reader and the error report; and the
one way every export writes a cell (``sheet_cell`` for .xlsx, ``csv_value`` for CSV).

Exported text comes from people (site, unit and user names from imports, citizens' reports, case titles), so
it is written so that no spreadsheet runs it and no XML parser chokes on it:

- characters XML 1.0 forbids (the C0 controls but tab, LF and CR) are removed: openpyxl refuses them
  (IllegalCharacterError, once a 500 on ``/cases/export.xlsx``) and they carry nothing a reader can see;
- text a spreadsheet would take for a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or CR, or their
  full-width forms) is kept exactly in .xlsx as a *string* cell marked "quote prefix" (what Excel itself does
  for text typed with a leading apostrophe), so it shows as typed, stays text when edited, and an export
  re-imports unchanged; in CSV, which has no cell types, it gets a leading apostrophe.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

ZIP_MAGIC = b"PK\x03\x04"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
_HEADER_FONT = Font(bold=True)


class ImportFileError(ValueError):
    """The file as a whole cannot be read (wrong type, too large, damaged); nothing was imported."""


@dataclass
class Sheet:
    headers: list[str]
    rows: list[tuple[int, tuple[Any, ...]]]  # (row number as Excel shows it, cell values)


def read_upload(file: Any) -> bytes:
    """The bytes of a path, bytes, an open file or a Django File/UploadedFile, refusing oversized ones."""
    limit = int(settings.IMPORT_MAX_BYTES)
    size = getattr(file, "size", None)
    if isinstance(size, int) and size > limit:
        raise ImportFileError(_too_large(size, limit))
    if isinstance(file, bytes | bytearray):
        data = bytes(file)
    elif isinstance(file, str):
        with open(file, "rb") as handle:
            data = handle.read(limit + 1)
    else:
        if hasattr(file, "open") and getattr(file, "closed", False):
            file.open("rb")
        if hasattr(file, "seek"):
            file.seek(0)
        data = file.read(limit + 1)
    if len(data) > limit:
        raise ImportFileError(_too_large(len(data), limit))
    return data


def _too_large(size: int, limit: int) -> str:
    return _("文件过大（%(size).1f MB），上限为 %(limit).1f MB；请拆分后分批导入") % {
        "size": size / 1024 / 1024,
        "limit": limit / 1024 / 1024,
    }


def check_xlsx_content(data: bytes) -> None:
    """Refuse anything that is not an .xlsx by content (an .exe or .xls renamed .xlsx, a CSV, a PDF …)."""
    if not data:
        raise ImportFileError(_("文件为空"))
    if not data.startswith(ZIP_MAGIC):
        hint = ""
        if data.startswith(b"MZ"):
            hint = _("（这是一个可执行程序，不是表格）")
        elif data.startswith(b"\xd0\xcf\x11\xe0"):
            hint = _("（这是旧版 .xls 文件，请在 Excel 中另存为 .xlsx）")
        raise ImportFileError(_("文件不是 Excel .xlsx 格式%(hint)s，请上传 .xlsx 文件") % {"hint": hint})
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "xl/workbook.xml" not in archive.namelist():
                raise ImportFileError(_("文件是压缩包但不是 Excel .xlsx 表格，请上传 .xlsx 文件"))
    except zipfile.BadZipFile as exc:
        raise ImportFileError(_("文件已损坏，无法作为 .xlsx 读取")) from exc


def _header_text(value: Any) -> str:
    return str(value).strip().rstrip("*＊").strip() if value is not None else ""


def read_sheet(data: bytes, preferred_title: str = "") -> Sheet:
    """Row 1 holds the headers; completely empty rows are skipped. Row numbers are those Excel shows."""
    check_xlsx_content(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise ImportFileError(_("无法读取 Excel 文件：文件已损坏或不是 .xlsx 格式")) from exc
    try:
        if not workbook.worksheets:
            raise ImportFileError(_("文件中没有工作表"))
        names = workbook.sheetnames
        ws = workbook[preferred_title] if preferred_title in names else workbook.worksheets[0]
        rows_iter = ws.iter_rows(values_only=True)
        first = next(rows_iter, None)
        headers = [_header_text(v) for v in (first or ())]
        rows = []
        for number, values in enumerate(rows_iter, start=2):
            if any(v is not None and str(v).strip() != "" for v in values):
                rows.append((number, tuple(values)))
    except ImportFileError:
        raise
    except Exception as exc:
        raise ImportFileError(_("无法读取 Excel 文件：文件已损坏或不是 .xlsx 格式")) from exc
    finally:
        workbook.close()
    while headers and not headers[-1]:
        headers.pop()
    return Sheet(headers, rows)


def cell_text(value: Any) -> str:
    """A cell value as the text a person typed: 13800000000.0 → "13800000000", True → "是"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


# --- writing cells that no spreadsheet runs ---------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def clean_text(text: str) -> str:
    """``text`` without the control characters XML 1.0 forbids (tab, LF and CR stay)."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def csv_value(value: Any) -> Any:
    """A value for a CSV export: text cleaned, and an apostrophe before text a spreadsheet would run."""
    if not isinstance(value, str):
        return value
    text = clean_text(value)
    return "'" + text if looks_like_formula(text) else text


def sheet_cell(ws: Worksheet | WriteOnlyWorksheet, value: Any) -> Cell:
    """A cell for ``ws`` (normal or write-only) that holds ``value``; text is cleaned, and text a spreadsheet
    would run is kept as typed but stored as a quote-prefixed string, never as a formula."""
    if not isinstance(value, str):
        return Cell(ws, row=1, column=1, value=value)  # type: ignore[arg-type]  # placed by append()
    text = clean_text(value)
    cell = Cell(ws, row=1, column=1, value=text)  # type: ignore[arg-type]
    if looks_like_formula(text):
        cell.data_type = "s"  # openpyxl made "=…" a formula
        cell.quotePrefix = True
    return cell


def sheet_row(ws: Worksheet | WriteOnlyWorksheet, values: Iterable[Any]) -> list[Cell]:
    return [sheet_cell(ws, value) for value in values]


def _header_row(ws: WriteOnlyWorksheet, headers: Sequence[str]) -> list[Cell]:
    cells = []
    for header in headers:
        cell = sheet_cell(ws, header)
        cell.font = _HEADER_FONT
        cells.append(cell)
    return cells


def write_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], title: str) -> bytes:
    """A one-sheet workbook with a bold header row: every export's .xlsx (cells through ``sheet_cell``)."""
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(clean_text(title)[:31] or "Sheet1")
    for index in range(len(headers)):
        ws.column_dimensions[_column_letter(index)].width = 18
    ws.append(_header_row(ws, headers))
    for row in rows:
        ws.append(sheet_row(ws, row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


@dataclass
class ReportLine:
    row: int | None
    column: str
    value: str
    reason: str


def write_error_report(
    headers: Sequence[str],
    rows: Iterable[tuple[int, Sequence[Any]]],
    lines: Sequence[ReportLine],
    hidden_headers: frozenset[str] = frozenset(),
) -> bytes:
    """The original rows with an "错误" column and the bad cells shaded, plus a sheet listing every error."""
    by_row: dict[int | None, list[ReportLine]] = {}
    for line in lines:
        by_row.setdefault(line.row, []).append(line)
    workbook = Workbook(write_only=True)
    data_ws = workbook.create_sheet(_("导入数据"))
    data_ws.append(_header_row(data_ws, [*headers, _("错误")]))
    for number, values in rows:
        own = by_row.get(number, [])
        bad_columns = {part for line in own for part in line.column.split("/")}
        cells: list[Any] = []
        for index, header in enumerate(headers):
            value = values[index] if index < len(values) else None
            if header in hidden_headers and value not in (None, ""):
                value = _("（已隐去）")
            cell = sheet_cell(data_ws, value)
            if header in bad_columns:
                cell.fill = _ERROR_FILL
            cells.append(cell)
        reasons = "；".join(f"{line.column}：{line.reason}" if line.column else line.reason for line in own)
        cells.append(sheet_cell(data_ws, reasons))
        data_ws.append(cells)
    list_ws = workbook.create_sheet(_("错误清单"))
    list_ws.column_dimensions["D"].width = 60
    list_ws.append(_header_row(list_ws, [_("行号"), _("列"), _("单元格内容"), _("原因")]))
    for line in lines:
        value = _("（已隐去）") if line.column in hidden_headers and line.value else line.value
        list_ws.append(
            sheet_row(list_ws, [line.row if line.row is not None else "-", line.column, value, line.reason])
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
