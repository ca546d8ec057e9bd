"""The 台账 of a period: every passed material in one .zip, one folder per indicator, with an index workbook
(台账索引.xlsx) and a cover list (目录.pdf) at the root, made on the task queue (docs/materials.md).

A district year is about 20 000 files and 5 GB, so nothing is held in memory: each material's bytes are
copied in chunks from storage into the archive (and checked against their SHA-256 on the way), the index rows
go to openpyxl's write-only sheets (streamed to a temp file), and rows are read from the database one
indicator at a time. The archive is written to a temp file beside its final place and renamed into place when
complete, so a failed export leaves no partial archive.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font

from chuangwen.audit.services import record
from chuangwen.core.pdf import CJK_FONT_FAMILY, weasyprint
from chuangwen.core.xlsx import sheet_row
from chuangwen.evidence.storage import TEMP_PREFIX, TEMP_SUFFIX, fsync_dir, local_root
from chuangwen.materials.files import EXTENSIONS, FileKind
from chuangwen.materials.models import (
    ExportState,
    LedgerExport,
    Material,
    MaterialEvent,
    MaterialState,
    Period,
    Task,
)
from chuangwen.standards.models import Indicator

logger = logging.getLogger(__name__)

FOLDER = "ledgers"
INDEX_NAME = "台账索引.xlsx"
COVER_NAME = "目录.pdf"
CHUNK = 1024 * 1024
MAX_NAME_CHARS = 120
FOLDER_TEXT_CHARS = 20
UNIT_NAME_CHARS = 30
PROGRESS_EVERY_FILES = 50
PROGRESS_EVERY_SECONDS = 2.0
ROW_BATCH = 500
# What the archive reads of a material: never the extracted text of its file (up to 200 000 characters each).
MATERIAL_COLUMNS = ("title", "kind", "activity_date", "task_id", "unit__name", "file__sha256", "file__kind",
                    "file__size", "file__file")  # fmt: skip

# Windows refuses these in names; control characters confuse every unzip tool.
_FORBIDDEN = re.compile(r'[/\\:*?"<>|]')
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

INDEX_HEADERS = (
    gettext_lazy("标准编号"), gettext_lazy("测评标准"), gettext_lazy("牵头单位"), gettext_lazy("配合单位"),
    gettext_lazy("报送单位"), gettext_lazy("材料名称"), gettext_lazy("材料类型"), gettext_lazy("活动日期"),
    gettext_lazy("文件路径"), "SHA-256", gettext_lazy("单位审核人"), gettext_lazy("单位审核时间"),
    gettext_lazy("网申组审核人"), gettext_lazy("审核通过时间"),
)  # fmt: skip
INDEX_WIDTHS = (12, 40, 16, 24, 16, 36, 10, 12, 60, 20, 10, 18, 10, 18)
SUMMARY_HEADERS = (gettext_lazy("标准编号"), gettext_lazy("测评标准"), gettext_lazy("牵头单位"),
                   gettext_lazy("通过材料数"))  # fmt: skip
SUMMARY_WIDTHS = (12, 60, 16, 12)


class LedgerError(Exception):
    """A known reason the archive cannot be made (a stored file missing or damaged), said in Chinese."""


def ledger_file_name(export: LedgerExport) -> str:
    return f"{FOLDER}/{export.period_id}/ledger-{export.pk}.zip"


# --- names --------------------------------------------------------------------------------------------------


def safe_name(text: str, limit: int) -> str:
    """``text`` as part of a file name: one line, none of / \\ : * ? " < > |, no leading or trailing dots or
    spaces, at most ``limit`` characters."""
    text = _CONTROL.sub("", " ".join(text.split()))
    text = _FORBIDDEN.sub("_", text).strip(". ")
    return text[:limit].rstrip(". ")


def folder_name(indicator: Indicator) -> str:
    """``01-03-02 开展法治宣传教育活动``: the code and the first characters of the text."""
    text = safe_name(" ".join(indicator.text.split())[:FOLDER_TEXT_CHARS], FOLDER_TEXT_CHARS)
    return f"{safe_name(indicator.code, 24)} {text}".strip()


def material_name(seq: int, width: int, unit: str, title: str, day: date, ext: str) -> str:
    """``03-西湖街道-文明交通宣传-20260315.pdf``; the title gives way to keep the name ≤ 120 characters."""
    head = f"{seq:0{width}d}-{safe_name(unit, UNIT_NAME_CHARS) or '_'}-"
    tail = f"-{day:%Y%m%d}{ext}"
    room = max(MAX_NAME_CHARS - len(head) - len(tail), 1)
    return f"{head}{safe_name(title, room) or '_'}{tail}"


# --- what goes in -------------------------------------------------------------------------------------------


@dataclass
class Plan:
    """The period's tasks in tree order, and the passed-material count per indicator."""

    period: Period
    tasks: list[Task]
    indicators: list[Indicator]  # the online indicators of the tree, in tree order
    counts: dict[int, int] = field(default_factory=dict)  # indicator id → passed materials
    leads: dict[int, str] = field(default_factory=dict)  # indicator id → lead unit's name

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def lead_of(self, indicator_id: int) -> str:
        return self.leads.get(indicator_id, "")


def _tree_key(indicator: Indicator) -> tuple[Any, ...]:
    content, project = indicator.content, indicator.content.project
    return (project.sort_order, project.code, content.sort_order, content.code, indicator.sort_order,
            indicator.code)  # fmt: skip


def make_plan(period: Period) -> Plan:
    tasks = list(
        Task.objects.filter(period=period)
        .select_related("indicator__content__project", "lead_unit")
        .prefetch_related("supporting_units")
    )
    tasks.sort(key=lambda task: _tree_key(task.indicator))
    tree = Indicator.objects.filter(content__project__standard_id=period.standard_id)
    online = sorted((i for i in tree.select_related("content__project") if i.is_online), key=_tree_key)
    passed = Material.objects.filter(task__period=period, state=MaterialState.PASSED).order_by()
    per_indicator = passed.values("task__indicator_id").annotate(n=Count("pk"))
    counts = {row["task__indicator_id"]: row["n"] for row in per_indicator}
    leads = {task.indicator_id: task.lead_unit.name for task in tasks}
    return Plan(period, tasks, online, counts, leads)


def _passed(task: Task) -> Iterator[Material]:
    """The task's passed materials, oldest activity first, without the extracted text of their files."""
    rows = (
        Material.objects.filter(task=task, state=MaterialState.PASSED)
        .select_related("unit", "file")
        .only(*MATERIAL_COLUMNS)
        .order_by("activity_date", "pk")
    )
    return rows.iterator(chunk_size=ROW_BATCH)


def _reviews(task: Task) -> dict[tuple[int, str], tuple[str, datetime]]:
    """(material id, "approve" | "pass") → (who, when) of the latest such step, for the task's passed
    materials."""
    events = (
        MaterialEvent.objects.filter(
            material__task=task, material__state=MaterialState.PASSED, action__in=("approve", "pass")
        )
        .order_by("at", "pk")
        .values_list("material_id", "action", "actor__full_name", "actor__username", "at")
    )
    return {
        (mid, action): (full or user or "", at)
        for mid, action, full, user, at in events.iterator(chunk_size=ROW_BATCH)
    }


# --- writing ------------------------------------------------------------------------------------------------


class _Hashing:
    """A reader that hashes and counts what passes through it."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


class _Progress:
    """``done`` written with one UPDATE every PROGRESS_EVERY_FILES files or PROGRESS_EVERY_SECONDS."""

    def __init__(self, export_id: int) -> None:
        self.export_id, self.done, self.reported, self.at = export_id, 0, 0, time.monotonic()

    def tick(self) -> None:
        self.done += 1
        now = time.monotonic()
        if self.done - self.reported >= PROGRESS_EVERY_FILES or now - self.at >= PROGRESS_EVERY_SECONDS:
            LedgerExport.objects.filter(pk=self.export_id).update(done=self.done)
            self.reported, self.at = self.done, now


def _entry(name: str, compress: int, when: tuple[int, int, int, int, int, int]) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=when)
    info.compress_type = compress
    info.external_attr = 0o644 << 16
    return info


def _describe(material: Material, task: Task) -> str:
    return f"《{material.title}》（{task.indicator.code}，{material.unit.name}）"


def _copy_file(archive: zipfile.ZipFile, info: zipfile.ZipInfo, material: Material, task: Task) -> str:
    """Stream the stored bytes into the archive; refuse a missing file or one whose bytes changed."""
    stored = material.file
    assert stored is not None
    try:
        source = default_storage.open(stored.file, "rb")
    except OSError as exc:
        raise LedgerError(
            _("材料%(what)s的文件缺失或无法读取，台账未生成") % {"what": _describe(material, task)}
        ) from exc
    with source, archive.open(info, "w", force_zip64=True) as target:
        reader = _Hashing(source)
        shutil.copyfileobj(reader, target, CHUNK)
    if reader.digest.hexdigest() != stored.sha256 or reader.size != stored.size:
        raise LedgerError(
            _("材料%(what)s的文件已损坏（校验值不符），台账未生成") % {"what": _describe(material, task)}
        )
    return stored.sha256


def account_text(material: Material) -> bytes:
    """A 情况说明 written in the page, as a .txt any Windows editor opens: UTF-8 with BOM, CRLF."""
    lines = [
        _("标题：%(title)s") % {"title": material.title},
        _("报送单位：%(unit)s") % {"unit": material.unit.name},
        _("活动日期：%(day)s") % {"day": material.activity_date.isoformat()},
        "",
        *material.body.splitlines(),
    ]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def _extension(material: Material) -> str:
    return EXTENSIONS[FileKind(material.file.kind)] if material.file is not None else ".txt"


def _add_material(archive: zipfile.ZipFile, path: str, material: Material, task: Task, when: Any) -> str:
    """Write one material at ``path``; return the SHA-256 of what was written."""
    if material.file is None:
        data = account_text(material)
        archive.writestr(_entry(path, zipfile.ZIP_DEFLATED, when), data)
        return hashlib.sha256(data).hexdigest()
    # Every kind accepted (PDF, JPEG, PNG, DOCX, XLSX) is compressed already: deflating again only costs time.
    return _copy_file(archive, _entry(path, zipfile.ZIP_STORED, when), material, task)


def _naive(moment: datetime | None) -> datetime | None:
    """Local time without an offset: what a spreadsheet cell holds."""
    return timezone.localtime(moment).replace(tzinfo=None) if moment is not None else None


class _IndexBook:
    """台账索引.xlsx: the rows per material, then the per-indicator summary; every cell through sheet_row."""

    def __init__(self) -> None:
        self.book = Workbook(write_only=True)
        self.index = self.book.create_sheet(_("台账索引"))
        self.summary = self.book.create_sheet(_("指标汇总"))
        for sheet, headers, widths in (
            (self.index, INDEX_HEADERS, INDEX_WIDTHS),
            (self.summary, SUMMARY_HEADERS, SUMMARY_WIDTHS),
        ):
            for column, width in zip("ABCDEFGHIJKLMN", widths, strict=False):
                sheet.column_dimensions[column].width = width
            cells = sheet_row(sheet, [str(header) for header in headers])
            for cell in cells:
                cell.font = Font(bold=True)
            sheet.append(cells)

    def add(self, values: list[Any]) -> None:
        self.index.append(sheet_row(self.index, values))

    def discard(self, path: Path) -> None:
        """Close the sheets of a failed export; saving is openpyxl's one way to remove their temp files."""
        with suppress(Exception):
            self.book.save(path)

    def save(self, plan: Plan, path: Path) -> None:
        for i in plan.indicators:
            values = [i.code, i.text, plan.lead_of(i.pk), plan.counts.get(i.pk, 0)]
            self.summary.append(sheet_row(self.summary, values))
        self.book.save(path)


def _index_row(task: Task, material: Material, path: str, sha256: str, reviews: dict[Any, Any]) -> list[Any]:
    supporting = "、".join(unit.name for unit in task.supporting_units.all())
    approver, approved_at = reviews.get((material.pk, "approve"), ("", None))
    passer, passed_at = reviews.get((material.pk, "pass"), ("", None))
    return [
        task.indicator.code, task.indicator.text, task.lead_unit.name, supporting, material.unit.name,
        material.title, material.get_kind_display(), material.activity_date, path, sha256,
        approver, _naive(approved_at), passer, _naive(passed_at),
    ]  # fmt: skip


def _write_materials(archive: zipfile.ZipFile, plan: Plan, book: _IndexBook, export_id: int) -> int:
    """Every passed material into its indicator's folder; the number written."""
    progress = _Progress(export_id)
    when = timezone.localtime().timetuple()[:6]
    for task in plan.tasks:
        count = plan.counts.get(task.indicator_id, 0)
        if not count:
            continue
        folder, width, reviews = folder_name(task.indicator), max(2, len(str(count))), _reviews(task)
        for seq, material in enumerate(_passed(task), start=1):
            day, ext = material.activity_date, _extension(material)
            path = f"{folder}/{material_name(seq, width, material.unit.name, material.title, day, ext)}"
            sha256 = _add_material(archive, path, material, task, when)
            book.add(_index_row(task, material, path, sha256, reviews))
            progress.tick()
    return progress.done


# --- the cover list (目录.pdf) ------------------------------------------------------------------------------

COVER_CSS = """
@page { size: A4; margin: 18mm 15mm;
  @bottom-center { content: "第 " counter(page) " 页 / 共 " counter(pages) " 页";
                   font-family: {font}; font-size: 8pt; color: #555; } }
body { font-family: {font}; font-size: 9.5pt; line-height: 1.45; }
h1 { font-size: 17pt; text-align: center; margin: 0 0 4pt; }
.generated { text-align: center; color: #555; margin: 0 0 14pt; }
h2 { font-size: 12pt; margin: 12pt 0 4pt; break-after: avoid; }
table { width: 100%; border-collapse: collapse; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th, td { border: 0.5pt solid #666; padding: 2.5pt 4pt; vertical-align: top; text-align: left; }
th { background: #eee; }
.code { width: 16%; white-space: nowrap; } .lead { width: 18%; } .num { width: 10%; text-align: right; }
""".replace("{font}", f'"{CJK_FONT_FAMILY}"')


def _project_table(rows: list[Indicator], plan: Plan) -> str:
    labels = (("code", _("标准编号")), ("", _("测评标准")), ("lead", _("牵头单位")), ("num", _("材料数")))
    head = "".join(f'<th class="{css}">{escape(label)}</th>' for css, label in labels)
    body = "".join(
        f'<tr><td class="code">{escape(i.code)}</td><td>{escape(i.text)}</td>'
        f'<td class="lead">{escape(plan.lead_of(i.pk))}</td>'
        f'<td class="num">{plan.counts.get(i.pk, 0)}</td></tr>'
        for i in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def cover_html(plan: Plan, generated: datetime) -> str:
    """The cover list: title, generated time, then one table per project of its online indicators."""
    title = _("%(period)s 网上申报台账目录") % {"period": plan.period.name}
    at = timezone.localtime(generated).strftime("%Y-%m-%d %H:%M")
    stamp = _("生成时间：%(at)s　通过材料 %(n)s 份") % {"at": at, "n": plan.total}
    parts = [f"<h1>{escape(title)}</h1><p class='generated'>{escape(stamp)}</p>"]
    projects: dict[int, list[Indicator]] = {}
    for indicator in plan.indicators:
        projects.setdefault(indicator.content.project_id, []).append(indicator)
    for rows in projects.values():
        project = rows[0].content.project
        parts.append(f"<h2>{escape(project.code)} {escape(project.name)}</h2>{_project_table(rows, plan)}")
    if not projects:
        parts.append(f"<p>{escape(_('本测评体系没有网上申报指标。'))}</p>")
    return (
        f'<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{COVER_CSS}</style></head><body>{''.join(parts)}</body></html>"
    )


def write_cover(plan: Plan, path: Path) -> None:
    # Through core.pdf: a bare weasyprint import leaves Pillow accepting truncated images process-wide.
    weasyprint().HTML(string=cover_html(plan, timezone.now())).write_pdf(target=str(path))


# --- the archive as a whole ---------------------------------------------------------------------------------


def _write_archive(handle: IO[bytes], plan: Plan, export_id: int) -> int:
    """The whole archive into ``handle``; the number of materials written."""
    with (
        tempfile.TemporaryDirectory(prefix="cw-ledger-") as scratch,
        zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive,
    ):
        book = _IndexBook()
        try:
            files = _write_materials(archive, plan, book, export_id)
        except BaseException:
            book.discard(Path(scratch) / "discarded.xlsx")
            raise
        index, cover = Path(scratch) / "index.xlsx", Path(scratch) / "cover.pdf"
        book.save(plan, index)
        archive.write(index, INDEX_NAME, compress_type=zipfile.ZIP_STORED)
        write_cover(plan, cover)
        archive.write(cover, COVER_NAME, compress_type=zipfile.ZIP_STORED)
    return files


def _build(export: LedgerExport, final: str) -> tuple[str, int, int]:
    """Write to a temp file and put it in place; return (storage name, bytes, files). Nothing is left behind
    on failure."""
    plan = make_plan(export.period)
    LedgerExport.objects.filter(pk=export.pk).update(total=plan.total)
    root = local_root()
    if root is None:  # object storage: a local temp file, then one upload
        with tempfile.NamedTemporaryFile(prefix="cw-ledger-", suffix=".zip") as spool:
            files = _write_archive(spool, plan, export.pk)
            size = spool.tell()
            spool.seek(0)
            return default_storage.save(final, File(spool, name=final)), size, files
    directory = (root / final).parent
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "w+b") as handle:
            files = _write_archive(handle, plan, export.pk)
            handle.flush()
            os.fsync(handle.fileno())
            size = handle.tell()
        os.chmod(tmp, 0o644)
        os.replace(tmp, root / final)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(directory)
    return final, size, files


def _finish(export: LedgerExport, name: str, size: int, files: int) -> None:
    with transaction.atomic():
        LedgerExport.objects.filter(pk=export.pk).update(
            state=ExportState.DONE, file=name, size=size, done=files, total=files, error="",
            finished_at=timezone.now(),
        )  # fmt: skip
        detail = {"export": export.pk, "files": files, "bytes": size}
        record(None, "materials.ledger.export", obj=export.period, actor=export.requested_by, detail=detail)


def _fail(export: LedgerExport, message: str) -> None:
    LedgerExport.objects.filter(pk=export.pk).update(
        state=ExportState.FAILED, error=message[:500], finished_at=timezone.now()
    )


def build_ledger(export: LedgerExport) -> None:
    """Make the archive of a queued export: RUNNING with progress, then DONE (file, size, audited) or FAILED
    with a short Chinese reason and no file. A repeated call for an export no longer queued does nothing."""
    queued = LedgerExport.objects.filter(pk=export.pk, state=ExportState.QUEUED)
    if queued.update(state=ExportState.RUNNING):
        _run(export)
    export.refresh_from_db()


def _run(export: LedgerExport) -> None:
    name = ""
    try:
        name, size, files = _build(export, ledger_file_name(export))
        _finish(export, name, size, files)
    except Exception as exc:
        if name:  # in place, but the row could not say so: the file goes
            default_storage.delete(name)
        if isinstance(exc, LedgerError):
            _fail(export, str(exc))
        else:
            logger.exception("ledger export %s failed", export.pk)
            _fail(export, _("生成台账时发生内部错误，未生成文件；请稍后重试或联系系统管理员"))
