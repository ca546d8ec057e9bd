"""Every spreadsheet the system writes keeps text as text: a name imported as ``=HYPERLINK(…)`` is exported as
a string cell (never a live formula), and control characters from a citizen's report never break the file."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import pytest
from django.core.files.storage import default_storage
from openpyxl import load_workbook

from chuangwen.cases.hotline import import_hotline
from chuangwen.cases.models import Case, CaseSource, CaseState
from chuangwen.cases.tests.test_hotline import MAPPING, ROW_A, csv_bytes
from chuangwen.org.models import Unit
from chuangwen.sites.models import Site
from conftest import client_for, make_user

LINK = '=HYPERLINK("http://x","y")'


def _cells(content: bytes) -> dict[Any, Any]:
    """Every non-empty cell of the first sheet by its value."""
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return {cell.value: cell for row in sheet.iter_rows() for cell in row if cell.value is not None}


def _no_formula_in(content: bytes) -> bool:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/")]
        return all(b"<f>" not in archive.read(name) and b"<f " not in archive.read(name) for name in sheets)


@pytest.mark.parametrize("kind", ["sites", "units", "users"])
def test_it_exports_imported_names_that_look_like_formulas_as_text(
    kind: str, users: dict[str, Any], sites: dict[str, Any], org: dict[str, Any]
) -> None:
    """The sites, units and users exports wrote ``=HYPERLINK(…)`` from an imported name as a live formula."""
    Site.objects.filter(pk=sites["west_road"].pk).update(name=LINK)
    Unit.objects.filter(pk=org["west_c"].pk).update(name=LINK)
    make_user("linked", "handler", org["west"], full_name=LINK)
    response = client_for(users["coordinator"]).get(f"/transfer/{kind}/export.xlsx")
    assert response.status_code == 200
    cell = _cells(response.content)[LINK]
    assert cell.data_type == "s" and cell.value == LINK  # kept as typed, so the export re-imports unchanged
    assert cell.quotePrefix  # and stays text when someone edits the cell in Excel
    assert _no_formula_in(response.content)


@pytest.fixture
def odd_case(org: dict[str, Any]) -> Case:
    """A citizen's report turned case whose text carries control characters (a phone keyboard's doing)."""
    return Case.objects.create(
        code="AJ20261203-0001",
        source=CaseSource.CITIZEN,
        state=CaseState.DISPATCHED,
        title="垃圾\x01\x1b乱堆放",
        description="门口\x01\x1b垃圾",
        unit=org["west"],
        area_unit=org["west"],
    )


def test_it_exports_a_case_with_control_characters(users: dict[str, Any], odd_case: Case) -> None:
    """``/cases/export.xlsx`` answered 500 (openpyxl's IllegalCharacterError) for such a case."""
    client = client_for(users["coordinator"])
    response = client.get("/cases/export.xlsx")
    assert response.status_code == 200
    assert odd_case.code in _cells(response.content) and "垃圾乱堆放" in _cells(response.content)
    body = client.get("/cases/export.csv").content.decode("utf-8").removeprefix("\ufeff")
    assert list(csv.reader(io.StringIO(body)))[1][:2] == [odd_case.code, "垃圾乱堆放"]


def test_it_puts_an_apostrophe_before_a_formula_in_csv(users: dict[str, Any], org: dict[str, Any]) -> None:
    for title in ("=1+2", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "＝1+2"):
        Case.objects.all().delete()
        Case.objects.create(
            code="AJ20261203-0002", source=CaseSource.CITIZEN, state=CaseState.DISPATCHED, title=title,
            unit=org["west"], area_unit=org["west"],
        )  # fmt: skip
        body = client_for(users["coordinator"]).get("/cases/export.csv").content.decode("utf-8")
        row = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))[1]
        assert row[1] == "'" + title, title


def test_it_keeps_a_formula_from_an_uploaded_file_as_text_in_the_error_report(users: dict[str, Any]) -> None:
    link = '=HYPERLINK("http://x")'  # no comma: the CSV below is joined by hand
    row = ["GD201", "不是时间", link, *ROW_A[3:]]
    result = import_hotline(csv_bytes([row]), MAPPING, users["coordinator"])
    assert not result.ok
    with default_storage.open(result.error_report, "rb") as handle:
        content = handle.read()
    cell = _cells(content)[link]
    assert cell.data_type == "s" and _no_formula_in(content)
