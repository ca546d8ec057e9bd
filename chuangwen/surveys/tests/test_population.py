"""Population figures: the page's table and one unit's ten numbers, the .xlsx export and its all-or-nothing
import (row and column of every problem), and residents never counted at two levels."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from chuangwen.audit.models import AuditEntry
from chuangwen.org.models import Unit, UnitKind
from chuangwen.surveys import population as sheet_of
from chuangwen.surveys.models import PopulationFigure
from conftest import client_for, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("survey_clock")]

HEADERS = sheet_of.headers()
WEST = [100, 100, 120, 120, 100, 100, 80, 80, 100, 100]  # the fixture's 柳浪社区, men then women per band


def xlsx(rows: list[list[Any]], headers: list[str] = HEADERS) -> bytes:
    """A workbook as an office fills it in Excel: a header row, then the rows."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(headers)
    for line in rows:
        sheet.append(line)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def figures(unit: Unit) -> list[int]:
    """The unit's ten numbers in the file's column order (empty when it holds none)."""
    held = {(f.age_band, f.sex): f.count for f in PopulationFigure.objects.filter(unit=unit)}
    return [held[cell] for cell in sheet_of.CELLS] if held else []


def snapshot() -> list[tuple[str, str, str, int]]:
    return sorted(PopulationFigure.objects.values_list("unit__code", "age_band", "sex", "count"))


def problems(result: Any) -> set[tuple[int | None, str]]:
    return {(e.row, e.column) for e in result.errors}


def test_it_exports_every_street_and_community_and_imports_the_filled_file_back(
    org, population, users
):  # fmt: skip
    coordinator = users["coordinator"]
    sheet = load_workbook(io.BytesIO(sheet_of.export_population(coordinator))).active
    assert sheet is not None
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == HEADERS
    by_code = {r[0]: r for r in rows[1:]}
    assert set(by_code) == {"S01", "S01C01", "S02", "S02C01"}  # departments hold no residents
    assert by_code["S01C01"][1:] == ["柳浪社区", *WEST]
    assert by_code["S01"][2:] == [None] * 10  # its residents are its community's
    by_code["S01C01"][2] = 150  # 18–29 岁 男
    result = sheet_of.import_population(xlsx([list(r) for r in by_code.values()]), coordinator)
    assert result.ok, result.errors
    assert (result.created, result.updated) == (0, 2)
    assert figures(org["west_c"]) == [150, *WEST[1:]]
    assert figures(org["west"]) == []  # the empty rows left alone
    assert AuditEntry.objects.filter(action="survey.population.import").count() == 1


def test_it_takes_headers_typed_by_hand_and_units_by_name(org, users):
    typed = ["单位编码", "单位名称"] + [
        f"{age}岁{'男' if sex == 'm' else '女'}" for age, sex in sheet_of.CELLS
    ]  # 18-29岁男 for 18–29 岁 男
    rows = [["", "柳浪社区", *WEST], ["S02C01", "东门社区", *[f"{3 * n:,}" for n in WEST]]]
    result = sheet_of.import_population(xlsx(rows, typed), users["coordinator"])
    assert result.ok, result.errors
    assert result.created == 2
    assert figures(org["west_c"]) == WEST and figures(org["east_c"]) == [3 * n for n in WEST]


def test_it_lists_every_bad_cell_of_a_file_and_writes_nothing(org, population, users):
    before = snapshot()
    other = Unit.objects.create(code="D02", name="新区", kind=UnitKind.DISTRICT, parent=org["city"])
    Unit.objects.create(code="D02S01", name="新区街道", kind=UnitKind.STREET, parent=other)
    rows = [
        ["S01C01", "柳浪社区", *WEST],  # fine, but nothing is written
        ["S09C09", "", *WEST],  # unknown code
        ["D02S01", "新区街道", *WEST],  # outside the office
        ["S02C01", "东门社区", "三百", -5, 1.5, *WEST[3:]],  # not counts
        ["S02", "东城街道", *WEST[:9], None],  # one cell missing
        ["S01C01", "柳浪社区", *WEST],  # the same unit again
        ["D01B01", "区城管局", *WEST],  # a department
        ["S02C01", "西湖街道", *WEST],  # the code and the name disagree
    ]
    result = sheet_of.import_population(xlsx(rows), users["coordinator"])
    assert not result.ok and result.created == result.updated == 0
    assert problems(result) == {
        (3, "单位编码"),
        (4, "单位编码"),
        (5, "18–29 岁 男"),
        (5, "18–29 岁 女"),
        (5, "30–39 岁 男"),
        (6, "60–65 岁 女"),
        (7, "单位编码"),
        (8, "单位编码"),
        (9, "单位编码/单位名称"),
    }
    reasons = {(e.row, e.column): e.reason for e in result.errors}
    assert reasons[(3, "单位编码")] == "找不到单位编码“S09C09”"
    assert reasons[(4, "单位编码")] == "“新区街道”不在本单位下"
    assert reasons[(5, "18–29 岁 男")] == "应为 0 到 10000000 之间的整数"
    assert reasons[(7, "单位编码")] == "与第 2 行重复"
    assert reasons[(8, "单位编码")] == "人数只能录入到街道或社区"
    assert "与单位名称“西湖街道”不符" in reasons[(9, "单位编码/单位名称")]
    assert snapshot() == before


def test_it_refuses_to_count_the_same_residents_at_two_levels(org, population, users):
    before = snapshot()
    street = sheet_of.import_population(xlsx([["S01", "西湖街道", *WEST]]), users["coordinator"])
    assert not street.ok and problems(street) == {(2, "单位编码")}
    assert "“柳浪社区”已有人数" in street.errors[0].reason
    both = sheet_of.import_population(
        xlsx([["S02", "东城街道", *WEST], ["S02C01", "东门社区", *WEST]]), users["coordinator"]
    )
    assert not both.ok and problems(both) == {(2, "单位编码"), (3, "单位编码")}
    assert snapshot() == before


def test_it_refuses_a_file_that_is_not_a_workbook_or_lacks_columns(population, users):
    before = snapshot()
    junk = sheet_of.import_population(b"MZ\x90\x00not a workbook", users["coordinator"])
    assert not junk.ok and "可执行程序" in junk.errors[0].reason
    short = sheet_of.import_population(xlsx([["S01C01", *WEST[:5]]], HEADERS[:7]), users["coordinator"])
    assert not short.ok and (None, "50–59 岁 男") in problems(short)
    assert snapshot() == before


def test_it_lets_only_coordinators_import(population, users):
    before = snapshot()
    result = sheet_of.import_population(xlsx([["S01C01", "", *WEST]]), users["west_head"])
    assert not result.ok and "只有文明办协调员可以导入人数" in result.errors[0].reason
    assert snapshot() == before


# --- the page -----------------------------------------------------------------------------------------------


def test_it_shows_the_figures_of_the_users_tree_with_totals(org, population, users):
    html = client_for(users["coordinator"]).get(reverse("surveys:population")).content.decode()
    west = re.search(r'<tr data-unit="S01C01">(.*?)</tr>', html, re.S)
    assert west and 'data-figure="total">1000<' in west.group(1)
    totals = re.search(r'id="population-totals">(.*?)</tr>', html, re.S)
    assert totals and 'data-figure="total">4000<' in totals.group(1)
    assert 'id="population-form"' in html and 'id="population-import-form"' in html
    street = client_for(users["west_head"]).get(reverse("surveys:population"))
    mine = street.content.decode()
    assert street.status_code == 200 and 'data-unit="S01C01"' in mine and 'data-unit="S02C01"' not in mine
    assert 'id="population-form"' not in mine


def edit_data(unit: Unit, values: list[Any]) -> dict[str, Any]:
    data: dict[str, Any] = {"unit": unit.pk}
    for (name, _age, _sex), value in zip(sheet_of.CELL_FIELDS, values, strict=True):
        data[name] = "" if value is None else str(value)
    return data


def test_it_saves_and_clears_one_units_numbers(org, population, users):
    client = client_for(users["coordinator"])
    new = [10, 20, 30, 40, 50, 60, 70, 80, 90, 0]
    response = client.post(reverse("surveys:population_edit"), edit_data(org["east_c"], new))
    assert response.status_code == 302 and figures(org["east_c"]) == new
    prefilled = client.get(reverse("surveys:population") + f"?unit={org['east_c'].pk}").content.decode()
    assert 'name="p_50_59_f" value="80"' in prefilled
    cleared = client.post(reverse("surveys:population_edit"), edit_data(org["east_c"], [None] * 10))
    assert cleared.status_code == 302 and figures(org["east_c"]) == []
    assert AuditEntry.objects.filter(action="survey.population.edit").count() == 2


def test_it_names_the_bad_numbers_of_a_unit_and_saves_nothing(org, population, users):
    client = client_for(users["coordinator"])
    before = snapshot()
    partial = client.post(reverse("surveys:population_edit"), edit_data(org["west_c"], [5, *[None] * 9]))
    html = partial.content.decode()
    assert partial.status_code == 400 and "18–29 岁 女：请填写全部 10 个人数" in html
    negative = client.post(reverse("surveys:population_edit"), edit_data(org["west_c"], [-1, *WEST[1:]]))
    assert negative.status_code == 400 and "18–29 岁 男：" in negative.content.decode()
    street = client.post(reverse("surveys:population_edit"), edit_data(org["west"], WEST))
    assert street.status_code == 400 and "“柳浪社区”已有人数" in street.content.decode()
    assert snapshot() == before


def test_it_keeps_the_population_forms_to_the_coordinators_tree(org, population, users):
    before = snapshot()
    other = Unit.objects.create(code="D02", name="新区", kind=UnitKind.DISTRICT, parent=org["city"])
    outside = Unit.objects.create(code="D02S01", name="新区街道", kind=UnitKind.STREET, parent=other)
    response = client_for(users["coordinator"]).post(
        reverse("surveys:population_edit"), edit_data(outside, WEST)
    )
    assert response.status_code == 400 and "单位：" in response.content.decode()
    head = client_for(users["west_head"])
    assert head.post(reverse("surveys:population_edit"), edit_data(org["west_c"], WEST)).status_code == 403
    upload = SimpleUploadedFile("人口数.xlsx", xlsx([["S01C01", "", *WEST]]))
    assert head.post(reverse("surveys:population_import"), {"file": upload}).status_code == 403
    volunteer = client_for(make_user("vol", "volunteer", org["west"]))
    assert volunteer.get(reverse("surveys:population_export")).status_code == 403
    assert snapshot() == before


def test_it_imports_through_the_page_and_lists_the_errors(org, population, users):
    client = client_for(users["coordinator"])
    bad = SimpleUploadedFile("人口数.xlsx", xlsx([["S01C01", "", "多", *WEST[1:]]]))
    response = client.post(reverse("surveys:population_import"), {"file": bad})
    html = response.content.decode()
    assert response.status_code == 400 and 'id="import-failed"' in html
    assert re.search(r"<td>2</td><td>18–29 岁 男</td><td>多</td><td>应为 0 到 10000000 之间的整数</td>", html)
    good = SimpleUploadedFile("人口数.xlsx", xlsx([["S01C01", "", *[n * 2 for n in WEST]]]))
    response = client.post(reverse("surveys:population_import"), {"file": good})
    assert response.status_code == 200 and 'id="import-ok"' in response.content.decode()
    assert figures(org["west_c"]) == [n * 2 for n in WEST]
    export = client.get(reverse("surveys:population_export"))
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")
