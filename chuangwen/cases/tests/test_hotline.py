"""12345 hotline import: .xlsx and .csv (UTF-8, BOM, GB18030), the mapping, every error with its row and
column, all or nothing, re-import skips, scope and who may import."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from openpyxl import Workbook

from chuangwen.audit.models import AuditEntry
from chuangwen.cases import hotline
from chuangwen.cases.models import Case, CaseSource, CaseState
from chuangwen.org.coords import wgs84_to_gcj02
from chuangwen.workdays.services import add_workdays, end_of_day
from conftest import make_user

pytestmark = pytest.mark.django_db

# The orders below came in early in November 2026 and the import refuses a time later than now: every test
# here (and in the modules that import this fixture) runs on a day after them, whatever today is.
HOTLINE_NOW = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _after_the_orders() -> Iterator[None]:
    with time_machine.travel(HOTLINE_NOW, tick=True):
        yield


HEADERS = ["工单号", "来电时间", "诉求内容", "事发地址", "经度", "纬度", "责任单位", "办理时限"]
MAPPING = {
    "external_ref": "工单号", "opened_at": "来电时间", "content": "诉求内容", "address": "事发地址",
    "lng": "经度", "lat": "纬度", "unit": "责任单位", "deadline": "办理时限",
}  # fmt: skip
ROW_A = [
    "GD001",
    "2026-11-02 09:15",
    "东门小区门口垃圾堆放多日无人清理，气味难闻",
    "东门路 1 号",
    "120.07",
    "30.06",
    "S02",
    "",
]
ROW_B = ["GD002", "2026/11/3 8:05", "西湖大道路灯不亮", "西湖大道", "", "", "西湖街道", "3个工作日"]


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8", headers: list[str] = HEADERS) -> bytes:
    lines = [",".join(headers), *(",".join(row) for row in rows)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(rows: list[list[object]], headers: list[str] = HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_it_imports_a_utf8_csv_and_dispatches_each_order(people, org):
    coord = people["coordinator"]
    result = hotline.import_hotline(csv_bytes([ROW_A, ROW_B]), MAPPING, coord, file_name="12345.csv")
    assert result.ok, result.errors
    assert len(result.created) == 2 and result.skipped == []
    a = Case.objects.get(external_ref="GD001")
    assert a.source == CaseSource.HOTLINE and a.state == CaseState.DISPATCHED
    assert a.unit == org["east"] and a.area_unit == org["east"]  # the point lies in 东城街道's boundary
    assert a.title == ROW_A[2][:60] and ROW_A[2] in a.description and a.address == "东门路 1 号"
    opened = timezone.make_aware(datetime(2026, 11, 2, 9, 15))
    assert a.opened_at == opened and a.deadline == add_workdays(opened, 5)  # the default 5 working days
    assert [e.action for e in a.events.all()] == ["open", "triage_accept"]
    assert all(e.actor == coord for e in a.events.all())
    b = Case.objects.get(external_ref="GD002")
    assert b.unit == org["west"] and b.area_unit == org["west"] and b.lat is None
    assert b.deadline == add_workdays(timezone.make_aware(datetime(2026, 11, 3, 8, 5)), 3)
    entry = AuditEntry.objects.filter(action="import_hotline").get()
    assert entry.detail["created"] == 2
    # Opened through the one door like every case: each has its own case.open audit entry.
    opened_entries = AuditEntry.objects.filter(action="case.open").order_by("seq")
    assert [e.detail["external_ref"] for e in opened_entries] == ["GD001", "GD002"]
    assert {e.detail["source"] for e in opened_entries} == {"hotline"}


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_it_detects_bom_and_gb18030(people, org, encoding):
    result = hotline.import_hotline(csv_bytes([ROW_B], encoding), MAPPING, people["coordinator"])
    assert result.ok, result.errors
    assert Case.objects.get(external_ref="GD002").title == "西湖大道路灯不亮"


def test_it_imports_xlsx_with_excel_dates_and_a_deadline_date(people, org):
    row = ["GD010", datetime(2026, 11, 2, 9, 15), "井盖缺失", "", None, None, "S01", datetime(2026, 11, 20)]
    result = hotline.import_hotline(xlsx_bytes([row]), MAPPING, people["coordinator"])
    assert result.ok, result.errors
    case = Case.objects.get(external_ref="GD010")
    assert case.deadline == end_of_day(datetime(2026, 11, 20).date())
    assert case.opened_at == timezone.make_aware(datetime(2026, 11, 2, 9, 15))


def test_it_converts_gcj02_when_told(people, org):
    lng, lat = wgs84_to_gcj02(120.07, 30.06)
    row = ["GD020", "2026-11-02 09:15", "占道经营", "", f"{lng:.8f}", f"{lat:.8f}", "S02", "5"]
    assert hotline.import_hotline(csv_bytes([row]), MAPPING, people["coordinator"], gcj02=True).ok
    case = Case.objects.get(external_ref="GD020")
    assert case.lng == pytest.approx(120.07, abs=1e-6) and case.lat == pytest.approx(30.06, abs=1e-6)


def test_it_uses_a_title_column_when_mapped(people, org):
    headers = ["编号", "标题", "内容", "受理时间", "承办单位"]
    data = csv_bytes(
        [["T1", "路灯不亮", "西湖大道 3 号路灯已坏一周", "2026-11-02 09:15", "S01"]], headers=headers
    )
    mapping = hotline.guess_mapping(headers)
    assert mapping["title"] == "标题" and mapping["content"] == "内容" and mapping["unit"] == "承办单位"
    mapping["external_ref"] = "编号"
    assert hotline.import_hotline(data, mapping, people["coordinator"]).ok
    assert Case.objects.get(external_ref="T1").title == "路灯不亮"


def test_it_guesses_common_headers_and_prefers_the_last_mapping(people):
    guessed = hotline.guess_mapping(HEADERS)
    assert guessed == {**MAPPING, "title": "", "description": ""}
    assert hotline.guess_mapping(HEADERS, {"address": "诉求内容"})["address"] == "诉求内容"


def test_it_reports_every_bad_cell_with_row_and_column_and_writes_nothing(people, org):
    rows = [
        ROW_A,
        ["GD003", "昨天下午", "噪音扰民", "", "", "", "S02", ""],  # row 3: bad time
        ["GD004", "2026-11-02 10:00", "", "", "", "", "S02", ""],  # row 4: no content
        ["GD005", "2026-11-02 10:00", "乱停车", "", "120.07", "", "不存在的单位", "很快"],  # row 5
        ["GD001", "2026-11-02 10:00", "重复", "", "", "", "S02", ""],  # row 6: same number as row 2
        ["GD007", "2099-01-01 10:00", "未来", "", "", "", "S02", ""],  # row 7: in the future
        ["GD008", "2026-11-05 10:00", "倒挂", "", "", "", "S02", "2026-11-01"],  # row 8: deadline before
    ]
    result = hotline.import_hotline(csv_bytes(rows), MAPPING, people["coordinator"])
    assert not result.ok and result.error_report
    found = {(e.row, e.column) for e in result.errors}
    assert {
        (3, "来电时间"), (4, "诉求内容"), (5, "经度/纬度"), (5, "责任单位"), (5, "办理时限"), (6, "工单号"),
        (7, "来电时间"), (8, "办理时限"),
    } <= found  # fmt: skip
    bad_time = next(e for e in result.errors if e.row == 3)
    assert bad_time.value == "昨天下午" and "日期时间" in bad_time.reason
    assert not Case.objects.exists()
    assert AuditEntry.objects.filter(action="import_hotline", outcome="failure").count() == 1


def test_it_names_missing_mapping_and_unknown_headers(people):
    result = hotline.import_hotline(
        csv_bytes([ROW_A]), {"external_ref": "单号", "lng": "经度"}, people["coordinator"]
    )
    reasons = " ".join(e.reason for e in result.errors)
    assert not result.ok and "文件中没有“单号”列" in reasons
    assert "受理时间" in reasons and "承办单位" in reasons and "经度和纬度" in reasons
    assert not Case.objects.exists()


def test_it_refuses_files_that_are_not_tables(people):
    for data in (b"MZ\x90\x00binary", b"", b"\xd0\xcf\x11\xe0old xls"):
        result = hotline.import_hotline(data, MAPPING, people["coordinator"])
        assert not result.ok and result.errors[0].row is None


def test_it_skips_orders_already_imported(people, org):
    coord = people["coordinator"]
    assert hotline.import_hotline(csv_bytes([ROW_A]), MAPPING, coord).ok
    again = hotline.import_hotline(csv_bytes([ROW_A, ROW_B]), MAPPING, coord)
    assert again.ok and again.skipped == [(2, "GD001")] and len(again.created) == 1
    assert "已导入 1 件" in again.message
    assert Case.objects.filter(external_ref="GD001").count() == 1


def test_it_refuses_a_unit_outside_the_coordinators_subtree(people, org):
    east_coord = make_user("east_coord", "coordinator", org["east"])
    result = hotline.import_hotline(csv_bytes([ROW_A, ROW_B]), MAPPING, east_coord)
    assert not result.ok and [(e.row, e.column) for e in result.errors] == [(3, "责任单位")]
    assert "管辖范围" in result.errors[0].reason and not Case.objects.exists()


def test_it_checks_without_writing_on_a_dry_run(people, org):
    result = hotline.import_hotline(csv_bytes([ROW_A]), MAPPING, people["coordinator"], dry_run=True)
    assert result.ok and "校验通过" in result.message and not Case.objects.exists()


def test_it_lets_only_coordinators_import(people):
    with pytest.raises(PermissionError):
        hotline.import_hotline(csv_bytes([ROW_A]), MAPPING, people["west_handler"])
    assert hotline.can_import_hotline(people["admin"]) and not hotline.can_import_hotline(people["leader"])
