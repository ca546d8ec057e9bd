"""The 任务分解表: a real .xlsx imported all or nothing, and an export that imports back to the same tasks."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.storage import default_storage
from openpyxl import Workbook, load_workbook

from chuangwen.audit.models import AuditEntry, Outcome
from chuangwen.materials.models import Period, PeriodState, Task
from chuangwen.materials.tasksheet import export_task_table, import_task_table
from chuangwen.org.models import Unit, UnitKind

TODAY = datetime(2026, 12, 7, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
HEADERS = ["标准编号", "测评标准", "牵头单位", "配合单位", "完成时限", "备注"]
pytestmark = pytest.mark.usefixtures("_today")


@pytest.fixture
def _today() -> Any:
    with time_machine.travel(TODAY, tick=False):
        yield


def xlsx(rows: list[list[Any]], headers: list[str] = HEADERS) -> bytes:
    """A workbook as an office would fill it in Excel: a header row, then the rows."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def state_of(period: Period) -> dict[str, tuple[str, list[str], date, str]]:
    """indicator code → (lead unit code, supporting unit codes, due date, note) of the period's tasks."""
    tasks = Task.objects.filter(period=period).select_related("indicator", "lead_unit")
    return {
        t.indicator.code: (
            t.lead_unit.code,
            sorted(u.code for u in t.supporting_units.all()),
            t.due_date,
            t.note,
        )
        for t in tasks
    }


def problems(result: Any) -> set[tuple[int | None, str]]:
    return {(e.row, e.column) for e in result.errors}


GOOD_ROWS = [
    ["01-01-01", "", "西湖街道", "东城街道、区城管局", datetime(2026, 12, 15), "含街道汇总"],
    ["01-01-02", "", "S02", "S01C01, S02C01", "2026-12-16", ""],
    ["01-02-01", "", "区城管局", "", "2026/12/17", "以制度文件为准"],
    ["02-01-01", "", "S01", "S02；D01B01\nS02C01", "2026年12月18日", None],
    ["02-01-02", "", "D01B01", None, "2026-12-22", "按季度报送"],
]


def test_it_assigns_every_row_of_a_good_table_with_one_audit_entry(material_period, users):
    entries = AuditEntry.objects.count()

    result = import_task_table(
        material_period, xlsx(GOOD_ROWS), users["coordinator"], file_name="分解表.xlsx"
    )

    assert result.ok, result.errors
    assert (result.total_rows, result.created, result.updated) == (5, 5, 0)
    assert state_of(material_period) == {
        "01-01-01": ("S01", ["D01B01", "S02"], date(2026, 12, 15), "含街道汇总"),
        "01-01-02": ("S02", ["S01C01", "S02C01"], date(2026, 12, 16), ""),
        "01-02-01": ("D01B01", [], date(2026, 12, 17), "以制度文件为准"),
        "02-01-01": ("S01", ["D01B01", "S02", "S02C01"], date(2026, 12, 18), ""),
        "02-01-02": ("D01B01", [], date(2026, 12, 22), "按季度报送"),
    }
    assert AuditEntry.objects.count() == entries + 1
    entry = AuditEntry.objects.get(action="materials.task.import")
    assert (entry.actor, entry.object_id, entry.outcome) == (
        users["coordinator"],
        str(material_period.pk),
        "success",
    )
    assert (entry.detail["created"], entry.detail["file"]) == (5, "分解表.xlsx")
    assert [c["indicator"] for c in entry.detail["changes"]] == [r[0] for r in GOOD_ROWS]


def test_it_writes_nothing_when_three_rows_are_wrong_and_reports_each(material_period, users):
    rows = [
        GOOD_ROWS[0],
        ["09-09-09", "", "西湖街道", "", "2026-12-15", ""],
        ["01-01-02", "", "南山街道", "", "2026-12-16", ""],
        ["01-02-01", "", "区城管局", "", "2026-12-19", ""],
        GOOD_ROWS[4],
    ]

    result = import_task_table(material_period, xlsx(rows), users["coordinator"])

    assert not result.ok
    assert Task.objects.count() == 0
    assert problems(result) == {(3, "标准编号"), (4, "牵头单位"), (5, "完成时限")}
    reasons = {e.row: e.reason for e in result.errors}
    assert "不在本周期的测评体系" in reasons[3]
    assert reasons[4] == "找不到单位“南山街道”，请填写单位编码或完整的单位名称"
    assert reasons[5] == "完成时限 2026-12-19 不是工作日（下一个工作日为 2026-12-21）"
    assert default_storage.exists(result.error_report)
    report = load_workbook(default_storage.open(result.error_report), read_only=True)
    listed = [r[:2] for r in report["错误清单"].iter_rows(min_row=2, values_only=True)]
    assert sorted(listed) == [(3, "标准编号"), (4, "牵头单位"), (5, "完成时限")]
    [entry] = AuditEntry.objects.filter(action="materials.task.import")
    assert (entry.outcome, entry.detail["errors"]) == (Outcome.FAILURE, 3)


@pytest.mark.parametrize(
    "cell",
    [
        datetime(2026, 12, 15),  # an Excel date cell
        (date(2026, 12, 15) - date(1899, 12, 30)).days,  # a date cell that lost its format: a serial number
        "2026-12-15",
        "2026/12/15",
        "2026年12月15日",
        "2026.12.15",
    ],
)
def test_it_reads_a_due_date_in_every_accepted_form(material_period, users, cell):
    result = import_task_table(
        material_period, xlsx([["01-01-01", "", "S01", "", cell, ""]]), users["coordinator"]
    )

    assert result.ok, result.errors
    assert Task.objects.get().due_date == date(2026, 12, 15)


def test_it_refuses_a_due_date_it_cannot_read(material_period, users):
    result = import_task_table(
        material_period, xlsx([["01-01-01", "", "S01", "", "12月15日", ""]]), users["coordinator"]
    )

    assert problems(result) == {(2, "完成时限")}
    assert "2026-12-15、2026/12/15 或 2026年12月15日" in result.errors[0].reason


def test_it_refuses_a_code_twice_in_the_file_on_the_second_row(material_period, users):
    rows = [GOOD_ROWS[0], GOOD_ROWS[1], ["01-01-01", "", "S02", "", "2026-12-16", ""]]

    result = import_task_table(material_period, xlsx(rows), users["coordinator"])

    assert problems(result) == {(4, "标准编号")}
    assert result.errors[0].reason == "与第 2 行重复"
    assert Task.objects.count() == 0


def test_it_reports_every_broken_rule_of_a_row_by_column(material_period, org, users):
    Unit.objects.create(code="D02", name="邻区", kind=UnitKind.DISTRICT, parent=org["city"])
    rows = [
        ["02-01-03", "", "西湖街道", "西湖街道", "2027-01-04", ""],
        ["01-01-01", "", "邻区", "", "", ""],
    ]

    result = import_task_table(material_period, xlsx(rows), users["coordinator"])

    assert problems(result) == {
        (2, "标准编号"),  # tested only in the field
        (2, "配合单位"),  # the lead unit again
        (2, "完成时限"),  # after the reference date
        (3, "牵头单位"),  # outside the district
        (3, "完成时限"),  # empty
    }


def test_it_takes_a_name_inside_the_district_before_the_same_name_elsewhere(material_period, org, users):
    elsewhere = Unit.objects.create(code="D02", name="邻区", kind=UnitKind.DISTRICT, parent=org["city"])
    Unit.objects.create(code="D02S01", name="西湖街道", kind=UnitKind.STREET, parent=elsewhere)

    result = import_task_table(
        material_period, xlsx([["01-01-01", "", "西湖街道", "", "2026-12-15", ""]]), users["coordinator"]
    )

    assert result.ok, result.errors
    assert Task.objects.get().lead_unit == org["west"]


def test_it_asks_for_the_code_when_a_unit_name_is_ambiguous(material_period, org, users):
    Unit.objects.create(code="S01C09", name="同名社区", kind=UnitKind.COMMUNITY, parent=org["west"])
    Unit.objects.create(code="S02C09", name="同名社区", kind=UnitKind.COMMUNITY, parent=org["east"])
    rows = [
        ["01-01-01", "", "S01", "同名社区", "2026-12-15", ""],
        ["01-01-02", "", "S02", "S02C09", "2026-12-15", ""],
    ]

    result = import_task_table(material_period, xlsx(rows), users["coordinator"])

    assert [(e.row, e.column, e.reason) for e in result.errors] == [
        (2, "配合单位", "有 2 个单位名为“同名社区”，请改填单位编码")
    ]


def test_it_refuses_the_table_of_an_archived_period_or_of_someone_else(material_period, users, clerks):
    as_clerk = import_task_table(material_period, xlsx(GOOD_ROWS), clerks["west_head"])
    Period.objects.filter(pk=material_period.pk).update(state=PeriodState.CLOSED)
    material_period.refresh_from_db()
    archived = import_task_table(material_period, xlsx(GOOD_ROWS), users["coordinator"])

    assert problems(as_clerk) == {(None, "")}
    assert "文明办" in as_clerk.errors[0].reason
    assert "已归档" in archived.errors[0].reason
    assert Task.objects.count() == 0
    with pytest.raises(PermissionError):
        export_task_table(material_period, clerks["west_head"])


def test_it_refuses_a_table_without_a_required_column(material_period, users):
    headers = ["标准编号", "牵头单位", "配合单位", "备注"]

    result = import_task_table(
        material_period, xlsx([["01-01-01", "S01", "", ""]], headers), users["coordinator"]
    )

    assert problems(result) == {(None, "完成时限")}


def test_it_exports_every_online_indicator_with_empty_cells_when_unassigned(material_tasks, users):
    material_tasks["02-01-02"].delete()
    period = material_tasks["01-01-01"].period

    workbook = load_workbook(io.BytesIO(export_task_table(period, users["coordinator"])))

    sheet = workbook.active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert [r[0] for r in rows[1:]] == ["01-01-01", "01-01-02", "01-02-01", "02-01-01", "02-01-02"]
    assert rows[1][1] == "测评标准 01-01-01：有制度、有记录、有成效"
    assert rows[1][2:5] == ("西湖街道", "东城街道", datetime(2026, 12, 15))
    assert rows[5][2:] == (None, None, None, None)
    assert AuditEntry.objects.filter(action="materials.task.export", object_id=str(period.pk)).count() == 1


def test_it_imports_its_own_export_back_to_the_same_tasks(material_tasks, org, users):
    period = material_tasks["01-01-01"].period
    material_tasks["02-01-02"].delete()
    Task.objects.filter(pk=material_tasks["01-02-01"].pk).update(note="=SUM(A1:A3) 以此为准")
    material_tasks["02-01-01"].supporting_units.set([org["east"], org["dept"], org["west_c"]])
    before = state_of(period)
    exported = export_task_table(period, users["coordinator"])
    note_cell = load_workbook(io.BytesIO(exported)).active["F4"]

    again = import_task_table(period, exported, users["coordinator"])
    Task.objects.filter(period=period).delete()
    fresh = import_task_table(period, exported, users["coordinator"])

    assert (note_cell.data_type, note_cell.value) == ("s", "=SUM(A1:A3) 以此为准")  # text, never a formula
    assert again.ok and (again.created, again.updated) == (0, 0)
    assert fresh.ok, fresh.errors
    assert (fresh.total_rows, fresh.created) == (5, 4)  # the unassigned row stays unassigned
    assert state_of(period) == before


def test_it_refuses_to_clear_an_assigned_task_through_a_blank_row(material_tasks, users):
    period = material_tasks["01-01-01"].period
    rows = [["01-01-01", "", "", "", "", ""], ["09-09-09", "", "", "", None, ""]]

    result = import_task_table(period, xlsx(rows), users["coordinator"])

    assert problems(result) == {(2, "牵头单位"), (3, "标准编号")}
    assert "导入不能撤销分解" in result.errors[0].reason
    assert Task.objects.filter(period=period).count() == len(material_tasks)
