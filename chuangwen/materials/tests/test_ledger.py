"""The 台账 archive of a period: folders, names, bytes, the index, the cover PDF, progress and failures."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook
from pypdf import PdfReader

from chuangwen.audit.models import AuditEntry
from chuangwen.materials import ledger
from chuangwen.materials.files import FileKind
from chuangwen.materials.ledger import (
    COVER_NAME,
    INDEX_NAME,
    build_ledger,
    material_name,
    safe_name,
)
from chuangwen.materials.ledger_views import LedgerBusy, request_export
from chuangwen.materials.models import (
    ExportState,
    LedgerExport,
    Material,
    MaterialEvent,
    MaterialState,
    StoredFile,
)
from chuangwen.materials.storage import store_file
from chuangwen.materials.tests.samples import jpeg_bytes, pdf_bytes, xlsx_bytes

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 20, 10, 0, tzinfo=SHANGHAI)
APPROVED_AT = datetime(2026, 12, 1, 9, 30, tzinfo=SHANGHAI)
PASSED_AT = datetime(2026, 12, 3, 15, 45, tzinfo=SHANGHAI)
FORBIDDEN = set('/\\:*?"<>|')
ODD_TEXT = '制度/台账:"齐全"*有记录? <规范> | 有成效'  # every character Windows refuses in a name
LONG_TITLE = "关于深入开展文明城市创建工作的实施方案" * 10  # 190 characters
FORMULA = '=HYPERLINK("http://example.com","点击")'


def stored(data: bytes, kind: FileKind) -> StoredFile:
    sha256 = hashlib.sha256(data).hexdigest()
    name = store_file(io.BytesIO(data), sha256, kind, len(data))
    return StoredFile.objects.get_or_create(
        sha256=sha256, defaults={"kind": kind, "size": len(data), "file": name}
    )[0]


def make_material(
    task: Any, unit: Any, title: str, day: date, *, people: tuple[Any, Any], **extra: Any
) -> Material:
    """A material with its review history: a passed one was approved by ``people[0]`` (a unit head) and passed
    by ``people[1]`` (the 网申组)."""
    data, kind = extra.pop("data", None), extra.pop("file_kind", None)
    state = extra.pop("state", MaterialState.PASSED)
    item = Material.objects.create(
        task=task,
        unit=unit,
        title=title,
        activity_date=day,
        kind=extra.pop("kind", "document"),
        file=stored(data, kind) if data is not None else None,
        state=state,
        **extra,
    )
    if state == MaterialState.PASSED:
        for action, who, at in (("approve", people[0], APPROVED_AT), ("pass", people[1], PASSED_AT)):
            event = MaterialEvent.objects.create(material=item, action=action, to_state=state, actor=who)
            MaterialEvent.objects.filter(pk=event.pk).update(at=at)
    return item


P, R, D = MaterialState.PASSED, MaterialState.RETURNED, MaterialState.DRAFT
# key → (indicator, unit, title, activity date, sample file or None, material kind, state)
MATERIALS: dict[str, tuple[str, str, str, date, str | None, str, MaterialState]] = {
    "pdf": ("01-01-01", "west", "法治宣传进社区活动", date(2026, 3, 15), "pdf", "document", P),
    "photo": ("01-01-01", "east", '文明/交通:宣传*"照片"?', date(2026, 4, 1), "jpeg", "photo", P),
    "minutes_a": ("01-01-01", "west", "会议纪要", date(2026, 5, 6), "xlsx", "table", P),
    "minutes_b": ("01-01-01", "west", "会议纪要", date(2026, 5, 6), "pdf", "document", P),
    "returned": ("01-01-01", "west", "退回的材料", date(2026, 5, 7), "other_pdf", "document", R),
    "draft": ("01-01-01", "east", "草稿照片", date(2026, 5, 8), "jpeg", "photo", D),
    "account": ("01-02-01", "dept", "工作情况说明", date(2026, 6, 1), None, "account", P),
    "long": ("01-02-01", "dept", LONG_TITLE, date(2026, 6, 2), "pdf", "document", P),
    "formula": ("02-01-02", "dept", FORMULA, date(2026, 7, 1), "xlsx", "table", P),
}  # fmt: skip
PASSED = tuple(key for key, row in MATERIALS.items() if row[-1] == P)


@pytest.fixture
def world(
    material_tasks: dict[str, Any], org: dict[str, Any], users: dict[str, Any], clerks: Any
) -> dict[str, Any]:
    """Passed, returned and draft materials of the period in three indicators; two online ones stay empty."""
    odd = material_tasks["02-01-02"].indicator
    odd.text = ODD_TEXT
    odd.save()
    samples = {
        "pdf": (pdf_bytes("法治宣传进社区"), FileKind.PDF),
        "other_pdf": (pdf_bytes("退回"), FileKind.PDF),
        "jpeg": (jpeg_bytes(320, 240), FileKind.JPEG),
        "xlsx": (xlsx_bytes(), FileKind.XLSX),
    }
    made = {}
    for key, (code, unit, title, day, sample, kind, state) in MATERIALS.items():
        data, file_kind = samples[sample] if sample else (None, None)
        body = "第一段说明。\n第二段说明。" if sample is None else ""
        made[key] = make_material(
            material_tasks[code], org[unit], title, day, people=(clerks["west_head"], users["coordinator"]),
            data=data, file_kind=file_kind, kind=kind, state=state, body=body,
        )  # fmt: skip
    return {"tasks": material_tasks, "materials": made, "period": material_tasks["01-01-01"].period}


def export_of(world: dict[str, Any], users: dict[str, Any]) -> LedgerExport:
    with time_machine.travel(NOW, tick=False):
        export = LedgerExport.objects.create(period=world["period"], requested_by=users["coordinator"])
        build_ledger(export)
    return export


def archive_of(export: LedgerExport) -> zipfile.ZipFile:
    return zipfile.ZipFile(default_storage.open(export.file, "rb"))


def test_it_puts_only_passed_materials_in_one_folder_per_indicator(world: Any, users: Any) -> None:
    export = export_of(world, users)
    assert export.state == ExportState.DONE, export.error
    with archive_of(export) as archive:
        assert archive.testzip() is None
        names = [info.filename for info in archive.infolist()]
    files = [name for name in names if "/" in name]
    folders = sorted({name.split("/")[0] for name in files})
    assert folders == [
        "01-01-01 测评标准 01-01-01：有制度、有记",
        "01-02-01 测评标准 01-02-01：有制度、有记",
        "02-01-02 制度_台账__齐全__有记录_ _规范_",
    ]
    assert sorted(name for name in names if "/" not in name) == sorted([INDEX_NAME, COVER_NAME])
    assert len(files) == len(PASSED) == export.total == export.done
    assert not any("退回的材料" in name or "草稿照片" in name for name in names)


def test_it_names_files_readably_uniquely_and_within_limits(world: Any, users: Any) -> None:
    export = export_of(world, users)
    with archive_of(export) as archive:
        files = [name for name in archive.namelist() if "/" in name]
    first = sorted(name.split("/", 1)[1] for name in files if name.startswith("01-01-01"))
    assert first == [
        "01-西湖街道-法治宣传进社区活动-20260315.pdf",
        "02-东城街道-文明_交通_宣传__照片__-20260401.jpg",
        "03-西湖街道-会议纪要-20260506.xlsx",
        "04-西湖街道-会议纪要-20260506.pdf",
    ]
    for name in files:
        base = name.split("/", 1)[1]
        assert len(base) <= 120 and not FORBIDDEN & set(base) and not base.startswith(".")
    long = next(name for name in files if name.endswith("20260602.pdf")).split("/", 1)[1]
    assert long.startswith("02-区城管局-关于深入开展") and len(long) == 120
    assert len(set(files)) == len(files)


def test_it_copies_the_stored_bytes_unchanged_without_compressing_them_again(world: Any, users: Any) -> None:
    export = export_of(world, users)
    expected = sorted(world["materials"][key].file.sha256 for key in PASSED if world["materials"][key].file)
    with archive_of(export) as archive:
        infos = [
            info for info in archive.infolist() if "/" in info.filename and not info.filename.endswith(".txt")
        ]
        got = sorted(hashlib.sha256(archive.read(info)).hexdigest() for info in infos)
        assert {info.compress_type for info in infos} == {zipfile.ZIP_STORED}
    assert got == expected


def test_it_writes_a_written_account_as_a_text_file_with_bom(world: Any, users: Any) -> None:
    export = export_of(world, users)
    with archive_of(export) as archive:
        info = next(info for info in archive.infolist() if info.filename.endswith(".txt"))
        data = archive.read(info)
    assert info.filename == "01-02-01 测评标准 01-02-01：有制度、有记/01-区城管局-工作情况说明-20260601.txt"
    assert info.compress_type == zipfile.ZIP_DEFLATED
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "标题：工作情况说明" in text and "报送单位：区城管局" in text and "活动日期：2026-06-01" in text
    assert "第一段说明。\r\n第二段说明。" in text


def test_it_indexes_every_passed_material_with_its_reviews(world: Any, users: Any) -> None:
    export = export_of(world, users)
    with archive_of(export) as archive:
        paths = {name for name in archive.namelist() if "/" in name}
        book = load_workbook(io.BytesIO(archive.read(INDEX_NAME)))
    index = book["台账索引"]
    rows = list(index.iter_rows(values_only=True))
    assert rows[0] == (
        "标准编号", "测评标准", "牵头单位", "配合单位", "报送单位", "材料名称", "材料类型", "活动日期",
        "文件路径", "SHA-256", "单位审核人", "单位审核时间", "网申组审核人", "审核通过时间",
    )  # fmt: skip
    assert len(rows) == 1 + len(PASSED)
    assert {row[8] for row in rows[1:]} == paths
    by_title = {row[5]: row for row in rows[1:]}
    pdf = by_title["法治宣传进社区活动"]
    assert pdf[:5] == (
        "01-01-01",
        "测评标准 01-01-01：有制度、有记录、有成效",
        "西湖街道",
        "东城街道",
        "西湖街道",
    )
    assert pdf[6] == "规范文件" and pdf[7] == datetime(2026, 3, 15)
    assert pdf[9] == world["materials"]["pdf"].file.sha256
    assert pdf[10:] == ("west_head", datetime(2026, 12, 1, 9, 30), "coord", datetime(2026, 12, 3, 15, 45))


def test_it_keeps_a_title_that_looks_like_a_formula_as_text(world: Any, users: Any) -> None:
    export = export_of(world, users)
    with archive_of(export) as archive:
        book = load_workbook(io.BytesIO(archive.read(INDEX_NAME)))
    cell = next(row[5] for row in book["台账索引"].iter_rows(min_row=2) if str(row[5].value).startswith("="))
    assert cell.value == FORMULA
    assert cell.data_type == "s"


def test_it_sums_up_every_online_indicator_even_without_materials(world: Any, users: Any) -> None:
    export = export_of(world, users)
    with archive_of(export) as archive:
        book = load_workbook(io.BytesIO(archive.read(INDEX_NAME)))
    rows = list(book["指标汇总"].iter_rows(values_only=True))
    assert rows[0] == ("标准编号", "测评标准", "牵头单位", "通过材料数")
    assert [(row[0], row[2], row[3]) for row in rows[1:]] == [
        ("01-01-01", "西湖街道", 4),
        ("01-01-02", "东城街道", 0),
        ("01-02-01", "区城管局", 2),
        ("02-01-01", "西湖街道", 0),
        ("02-01-02", "区城管局", 1),
    ]  # 02-01-03 is tested in the field only: no materials, no row


def test_it_lists_the_indicators_in_a_pdf_with_an_embedded_chinese_font(world: Any, users: Any) -> None:
    export = export_of(world, users)
    with archive_of(export) as archive:
        reader = PdfReader(io.BytesIO(archive.read(COVER_NAME)))
    fonts = {
        str(font.get_object()["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()  # type: ignore[index]
    }
    assert any("WenQuanYi" in font for font in fonts), fonts
    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))
    assert "2026年度网上申报网上申报台账目录" in text
    assert "01-01-01" in text and "测评标准01-01-01：有制度、有记录、有成效" in text
    assert "公正透明的法治环境" in text and "02-01-03" not in text


def test_it_reports_progress_with_one_small_update_at_a_time(
    world: Any, users: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ledger, "PROGRESS_EVERY_FILES", 3)
    with CaptureQueriesContext(connection) as queries:
        export = export_of(world, users)
    progress = [q["sql"] for q in queries if q["sql"].startswith("UPDATE") and 'SET "done" = ' in q["sql"]]
    assert [re.search(r'SET "done" = (\d+) WHERE', sql).group(1) for sql in progress] == ["3", "6"]  # type: ignore[union-attr]
    assert export.done == export.total == len(PASSED)


def test_it_records_the_archive_and_audits_it(world: Any, users: Any, settings: Any) -> None:
    export = export_of(world, users)
    path = Path(settings.MEDIA_ROOT) / export.file
    assert export.file == f"ledgers/{world['period'].pk}/ledger-{export.pk}.zip"
    assert export.size == path.stat().st_size and export.finished_at is not None and export.error == ""
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left beside it
    entry = AuditEntry.objects.get(action="materials.ledger.export")
    assert entry.actor == users["coordinator"] and entry.object_id == str(world["period"].pk)
    assert entry.detail == {"export": export.pk, "files": len(PASSED), "bytes": export.size}


def test_it_fails_without_leaving_an_archive_when_a_stored_file_is_missing(
    world: Any, users: Any, settings: Any
) -> None:
    (Path(settings.MEDIA_ROOT) / world["materials"]["photo"].file.file).unlink()
    export = export_of(world, users)
    assert export.state == ExportState.FAILED and export.file == "" and export.finished_at is not None
    assert '《文明/交通:宣传*"照片"?》' in export.error and "缺失" in export.error
    folder = Path(settings.MEDIA_ROOT) / "ledgers" / str(world["period"].pk)
    assert list(folder.iterdir()) == []
    assert not AuditEntry.objects.filter(action="materials.ledger.export").exists()


def test_it_fails_when_the_stored_bytes_are_not_those_reviewed(world: Any, users: Any, settings: Any) -> None:
    path = Path(settings.MEDIA_ROOT) / world["materials"]["pdf"].file.file
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    export = export_of(world, users)
    assert export.state == ExportState.FAILED and "已损坏" in export.error
    assert list((Path(settings.MEDIA_ROOT) / "ledgers" / str(world["period"].pk)).iterdir()) == []


def test_it_writes_to_object_storage_through_a_local_temp_file(world: Any, users: Any, settings: Any) -> None:
    root = Path(settings.MEDIA_ROOT)
    files = {name: (root / name).read_bytes() for name in StoredFile.objects.values_list("file", flat=True)}
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    assert ledger.local_root() is None
    for name, data in files.items():
        default_storage.save(name, io.BytesIO(data))
    export = export_of(world, users)
    assert export.state == ExportState.DONE, export.error
    assert default_storage.size(export.file) == export.size
    with archive_of(export) as archive:
        assert archive.testzip() is None
        assert len([name for name in archive.namelist() if "/" in name]) == len(PASSED)


def test_it_builds_a_queued_export_once(world: Any, users: Any) -> None:
    export = export_of(world, users)
    first = export.file
    LedgerExport.objects.filter(pk=export.pk).update(file="elsewhere.zip")
    build_ledger(export)
    assert export.file == "elsewhere.zip" and default_storage.exists(first)


def test_it_refuses_a_second_export_while_one_is_queued_but_not_a_lost_one(world: Any, users: Any) -> None:
    period = world["period"]
    with time_machine.travel(NOW, tick=False):
        first = request_export(period, users["coordinator"])
        with pytest.raises(LedgerBusy, match="正在生成"):
            request_export(period, users["leader"])
    with time_machine.travel(NOW + timedelta(hours=7), tick=False):
        second = request_export(period, users["leader"])
    first.refresh_from_db()
    assert first.state == ExportState.FAILED and "6 小时" in first.error
    assert second.state == ExportState.QUEUED and second.requested_by == users["leader"]


def test_it_makes_names_safe_for_every_unzip_tool() -> None:
    assert safe_name(' ..\t隐藏/文件\n名:*?"<>|\x07.. ', 50) == "隐藏_文件 名_______"
    assert safe_name("...", 10) == ""
    name = material_name(7, 3, "西湖街道", "标题" * 100, date(2026, 1, 2), ".docx")
    assert len(name) == 120 and name.startswith("007-西湖街道-标题") and name.endswith("-20260102.docx")
