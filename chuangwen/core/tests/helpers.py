"""Helpers for spreadsheet tests: build an .xlsx in memory and read an error report back."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from django.core.files.storage import default_storage
from openpyxl import Workbook, load_workbook


def xlsx_bytes(headers: Sequence[str], rows: Sequence[Sequence[Any]], title: str = "Sheet1") -> bytes:
    workbook = Workbook()
    ws = workbook.active
    assert ws is not None
    ws.title = title
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read_report(name: str) -> dict[str, list[list[Any]]]:
    """Every sheet of a stored error report as lists of cell values."""
    with default_storage.open(name, "rb") as handle:
        workbook = load_workbook(io.BytesIO(handle.read()))
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in workbook.worksheets}


def errors_of(result: Any) -> list[tuple[int | None, str, str]]:
    return [(e.row, e.column, e.reason) for e in result.errors]
