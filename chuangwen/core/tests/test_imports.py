import io
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from chuangwen.audit.models import AuditEntry
from chuangwen.core import imports
from chuangwen.core.imports import ImportFileError, run_import, start_import_job
from chuangwen.core.models import ImportJob, ImportStatus
from chuangwen.core.tests.helpers import errors_of, read_report, xlsx_bytes
from chuangwen.org.models import Unit

UNIT_HEADERS = ["单位编码", "单位名称", "单位类型", "上级单位编码", "职责标签", "联系电话"]


def community_rows(n):
    return [[f"S01X{i:04d}", f"社区{i}", "社区", "S01", "", ""] for i in range(n)]


def file_error(result):
    assert not result.ok
    [error] = result.errors
    assert error.row is None
    return error.reason


def test_it_refuses_content_that_is_not_xlsx(org, users):
    reason = file_error(run_import("units", b"code,name\nX,Y\n", users["coordinator"]))
    assert reason == "文件不是 Excel .xlsx 格式，请上传 .xlsx 文件"


def test_it_refuses_an_exe_renamed_xlsx(org, users):
    upload = SimpleUploadedFile("单位.xlsx", b"MZ\x90\x00" + b"\x00" * 200)
    reason = file_error(run_import("units", upload, users["coordinator"]))
    assert "这是一个可执行程序" in reason
    assert AuditEntry.objects.filter(action="import_units", outcome="failure").exists()


def test_it_refuses_old_xls_and_zips_that_are_not_workbooks(org, users):
    assert "另存为 .xlsx" in file_error(run_import("units", b"\xd0\xcf\x11\xe0" + b"\0" * 100, None))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "不是 Excel .xlsx 表格" in file_error(run_import("units", buffer.getvalue(), None))
    damaged = xlsx_bytes(UNIT_HEADERS, [])[:300]
    assert "损坏" in file_error(run_import("units", damaged, None))


def test_it_refuses_files_that_are_too_large(org, users, settings):
    settings.IMPORT_MAX_BYTES = 1000
    content = xlsx_bytes(UNIT_HEADERS, community_rows(50))
    assert "文件过大" in file_error(run_import("units", content, users["coordinator"]))
    with pytest.raises(ImportFileError, match="上限为"):
        start_import_job("units", SimpleUploadedFile("big.xlsx", content), users["coordinator"])


def test_it_names_missing_and_duplicated_headers(org, users):
    result = run_import("units", xlsx_bytes(["单位编码", "单位名称", "备注"], [["X", "Y", "Z"]]), None)
    assert errors_of(result) == [(None, "单位类型", "缺少必填列“单位类型”，请使用导出的模板")]
    result = run_import("units", xlsx_bytes([*UNIT_HEADERS, "单位名称"], []), None)
    assert errors_of(result)[0][2] == "表头重复：“单位名称”出现了不止一次"


def test_it_tolerates_required_markers_extra_columns_and_blank_rows(org, users):
    headers = ["单位编码*", " 单位名称 ", "单位类型＊", "上级单位编码", "备注"]
    rows = [
        ["S01X1", "社区一", "社区", "S01", "随便写"],
        [None, None, None, None, None],
        ["S01X2", "社区二", "社区", "S01", ""],
    ]
    result = run_import("units", xlsx_bytes(headers, rows), users["coordinator"])
    assert result.ok, errors_of(result)
    assert result.total_rows == 2
    assert Unit.objects.filter(code__startswith="S01X").count() == 2


def test_a_failed_import_stores_a_report_with_both_sheets(org, users):
    result = run_import("units", xlsx_bytes(UNIT_HEADERS, [["S01X1", "", "社区", "S01", "", ""]]), None)
    assert result.error_report.startswith("imports/errors/units-")
    assert default_storage.exists(result.error_report)
    report = read_report(result.error_report)
    assert list(report) == ["导入数据", "错误清单"]
    assert report["错误清单"][1] == [2, "单位名称", None, "不能为空"]
    assert result.message == "导入失败，未写入任何数据：发现 1 处错误"


def test_progress_counters_advance_every_200_rows_and_reach_the_total(org, users, monkeypatch):
    seen = []
    original = imports._Progress.update

    def spy(self, **values):
        if "processed_rows" in values:
            seen.append(values["processed_rows"])
        original(self, **values)

    monkeypatch.setattr(imports._Progress, "update", spy)
    job = ImportJob.objects.create(kind="units", created_by=users["coordinator"])
    result = run_import("units", xlsx_bytes(UNIT_HEADERS, community_rows(450)), users["coordinator"], job)
    assert result.ok, errors_of(result)[:3]
    assert seen[:2] == [200, 400] and seen[-1] == 450
    job.refresh_from_db()
    assert (job.status, job.total_rows, job.processed_rows, job.created_count) == (
        ImportStatus.SUCCEEDED,
        450,
        450,
        450,
    )
    assert job.percent == 100 and job.finished_at is not None
    assert job.message == "导入成功：共 450 行，新增 450，更新 0"


def test_a_background_job_runs_and_drops_the_upload(org, users, django_capture_on_commit_callbacks):
    content = xlsx_bytes(UNIT_HEADERS, community_rows(3))
    with django_capture_on_commit_callbacks(execute=True):
        job = start_import_job("units", SimpleUploadedFile("单位.xlsx", content), users["coordinator"])
    assert job.status == ImportStatus.PENDING and job.original_name == "单位.xlsx"
    job.refresh_from_db()
    assert job.status == ImportStatus.SUCCEEDED, job.message
    assert job.created_count == 3 and not job.file


def test_a_failed_background_job_keeps_its_error_report(org, users, django_capture_on_commit_callbacks):
    content = xlsx_bytes(UNIT_HEADERS, [["S01X1", "社区", "小区", "S01", "", ""]])
    with django_capture_on_commit_callbacks(execute=True):
        job = start_import_job("units", SimpleUploadedFile("单位.xlsx", content), users["coordinator"])
    job.refresh_from_db()
    assert (job.status, job.error_count) == (ImportStatus.FAILED, 1)
    assert job.error_report.name.startswith("imports/errors/")
    assert read_report(job.error_report.name)["错误清单"][1][1] == "单位类型"


def test_start_import_job_refuses_a_wrong_file_at_once(org, users):
    with pytest.raises(ImportFileError, match="可执行程序"):
        start_import_job("units", SimpleUploadedFile("x.xlsx", b"MZ" + b"\0" * 50), users["coordinator"])
    assert not ImportJob.objects.exists()


def test_the_commands_export_and_import(org, users, tmp_path):
    out = tmp_path / "units.xlsx"
    call_command("export-xlsx", "units", str(out), "--as", "coord")
    call_command("import-xlsx", "units", str(out), "--as", "coord")
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx_bytes(UNIT_HEADERS, [["S01X1", "社区", "小区", "S01", "", ""]]))
    report = tmp_path / "report.xlsx"
    with pytest.raises(CommandError, match="导入失败"):
        call_command("import-xlsx", "units", str(bad), "--report", str(report))
    assert report.exists()


def test_a_failure_while_writing_rolls_back_every_row(org, users, monkeypatch):
    from django.db import IntegrityError

    original_save = Unit.save
    calls = []

    def flaky_save(self, *args, **kwargs):
        calls.append(self.code)
        if len(calls) == 3:
            raise IntegrityError("UNIQUE constraint failed: org_unit.code")
        original_save(self, *args, **kwargs)

    monkeypatch.setattr(Unit, "save", flaky_save)
    before = Unit.objects.count()
    result = run_import("units", xlsx_bytes(UNIT_HEADERS, community_rows(5)), users["coordinator"])
    assert not result.ok and (result.created, result.updated) == (0, 0)
    assert "未写入任何数据" in result.errors[0].reason
    assert Unit.objects.count() == before
    assert not AuditEntry.objects.filter(action="import_units", outcome="success").exists()
