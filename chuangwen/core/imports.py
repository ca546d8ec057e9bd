"""All-or-nothing spreadsheet import (and the matching export) for units, users and sites.

Each kind describes itself with a :class:`SheetSpec` (columns with Chinese headers, parsers, the checks
that need the database, and how to save). :func:`run_import` reads the whole file, checks every row and
collects every problem with the row number Excel shows, the column header and a reason in Chinese. If there
is any problem nothing is written and an error report (.xlsx) is stored under ``imports/``; otherwise all rows
are written in one transaction and one audit entry records the import. The headers are a file format, so
they are not translated; the reasons are.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, IntegrityError, models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from chuangwen.audit.models import Outcome
from chuangwen.audit.services import record
from chuangwen.core.cells import CellError, Parser, text
from chuangwen.core.models import ImportJob, ImportStatus
from chuangwen.core.xlsx import (
    ImportFileError,
    ReportLine,
    Sheet,
    cell_text,
    read_sheet,
    read_upload,
    write_error_report,
    write_table,
)

if TYPE_CHECKING:
    from django.http import HttpRequest

    from chuangwen.accounts.models import User
    from chuangwen.org.models import Unit

__all__ = [
    "CellError",
    "Column",
    "ImportContext",
    "ImportFileError",
    "ImportResult",
    "ImportRowError",
    "Row",
    "SheetSpec",
    "can_import",
    "export_xlsx",
    "get_spec",
    "run_import",
    "start_import_job",
]

# kind → dotted path of its SheetSpec; each app registers its own sheets in ``AppConfig.ready`` (org: units
# and users, sites: sites), so the kernel names no domain app.
SPEC_PATHS: dict[str, str] = {}


def register_sheet(kind: str, spec_path: str) -> None:
    SPEC_PATHS[kind] = spec_path


PROGRESS_EVERY = 200

# --- the spec -------------------------------------------------------------------------------------


_ANY_TEXT = text(200)


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    required: bool = False  # the column must be there and every cell filled
    parse: Parser = _ANY_TEXT
    empty: Any = ""  # the value of an empty cell in an optional column
    secret: bool = False  # never exported, hidden in error reports
    export_only: bool = False  # written on export for the reader, ignored on import


@dataclass
class ImportRowError:
    row: int | None  # as Excel shows it; None for the file as a whole
    column: str  # the column header ("" for the whole row or file)
    value: str
    reason: str

    def __str__(self) -> str:
        where = _("第 %(row)s 行") % {"row": self.row} if self.row is not None else _("文件")
        if self.column:
            where += _("“%(col)s”列") % {"col": self.column}
        return f"{where}：{self.reason}"


@dataclass
class Row:
    number: int
    raw: tuple[Any, ...]
    values: dict[str, Any] = field(default_factory=dict)  # parsed values of the columns present and valid
    cells: dict[str, str] = field(default_factory=dict)  # the typed text of each column present
    extra: dict[str, Any] = field(default_factory=dict)  # whatever the spec resolves while checking
    failed: bool = False

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)


class ImportContext:
    """What a spec needs while checking and saving: the actor's scope and the error list."""

    def __init__(self, spec: SheetSpec, actor: User | None, request: HttpRequest | None = None) -> None:
        self.spec, self.actor, self.request = spec, actor, request
        self.errors: list[ImportRowError] = []
        self.present: set[str] = set()
        self._headers = {c.field: c.header for c in spec.columns}
        if actor is None:
            self.scope_path: str | None = None  # the system itself (management commands)
        elif actor.unit_id is not None and actor.unit is not None:
            self.scope_path = actor.unit.path
        else:
            self.scope_path = None if actor.is_superuser else "\0nothing"

    def error(self, row: Row | None, name: str, reason: str, value: str | None = None) -> None:
        """Record a problem; ``name`` is a field name, a header, or several headers joined by "/"."""
        header = self._headers.get(name, name)
        if value is None and row is not None:
            value = row.cells.get(name, "")
        if row is not None:
            row.failed = True
        self.errors.append(ImportRowError(row.number if row else None, header, value or "", reason))

    def in_scope(self, unit: Unit | None) -> bool:
        if unit is None:
            return False
        return self.scope_path is None or unit.path.startswith(self.scope_path)

    @property
    def unscoped(self) -> bool:
        return self.scope_path is None


class SheetSpec:
    """Describe one kind of sheet. Subclasses fill in the columns and the hooks.

    :func:`get_spec` makes a new instance for every import, so ``prepare`` may keep its lookups on ``self``.
    """

    kind: str = ""
    title: str = ""
    key: str = "code"  # the field that identifies a row: create or update by it
    columns: tuple[Column, ...] = ()
    roles: frozenset[str] = frozenset()  # who may import this kind (superusers always may)
    # Who may export it (any user with a unit when None; superusers always may): the rows are then scoped.
    export_roles: frozenset[str] | None = None

    def prepare(self, rows: list[Row], ctx: ImportContext) -> None:
        """Load in bulk what the row checks will look up."""

    def check_row(self, row: Row, ctx: ImportContext) -> None:
        """Checks that need the database or other rows; report with ``ctx.error``."""

    def save(self, rows: list[Row], ctx: ImportContext) -> tuple[int, int]:
        """Write every row (inside the import's transaction); return (created, updated)."""
        raise NotImplementedError

    def export_values(self, obj: Any) -> dict[str, Any]:
        """Field → cell value for one object."""
        raise NotImplementedError

    def queryset_for(self, actor: User | None) -> models.QuerySet[Any]:
        """What ``actor`` may export."""
        raise NotImplementedError

    def export_queryset(self, request: HttpRequest, actor: User) -> models.QuerySet[Any]:
        """The rows an export from the web page writes (a sheet may apply the list page's filters)."""
        return self.queryset_for(actor)

    def may_export(self, user: User) -> bool:
        if not user.is_authenticated or user.unit_id is None:
            return False
        if user.is_superuser or self.export_roles is None:
            return True
        return user.role in self.export_roles

    def import_columns(self) -> list[Column]:
        return [c for c in self.columns if not c.export_only]

    def hidden_headers(self) -> frozenset[str]:
        return frozenset(c.header for c in self.columns if c.secret)


def get_spec(kind: str) -> SheetSpec:
    """A fresh spec for one import (specs keep per-import lookups on themselves, so never share one)."""
    if kind not in SPEC_PATHS:
        raise ValueError(_("未知的导入类型：%(kind)s") % {"kind": kind})
    spec_class: type[SheetSpec] = import_string(SPEC_PATHS[kind])
    return spec_class()


def can_import(kind: str, user: User) -> bool:
    """Whether ``user`` may import (and export) ``kind``; the web pages and API ask this too."""
    return bool(user.is_authenticated and (user.is_superuser or user.role in get_spec(kind).roles))


# --- running an import ----------------------------------------------------------------------------


@dataclass
class ImportResult:
    kind: str
    ok: bool
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[ImportRowError] = field(default_factory=list)
    error_report: str = ""  # storage name of the error report, when there are errors

    @property
    def message(self) -> str:
        if self.ok:
            return _("导入成功：共 %(total)s 行，新增 %(created)s，更新 %(updated)s") % {
                "total": self.total_rows,
                "created": self.created,
                "updated": self.updated,
            }
        return _("导入失败，未写入任何数据：发现 %(n)s 处错误") % {"n": len(self.errors)}


class _Progress:
    def __init__(self, job: ImportJob | None) -> None:
        self.job = job

    def update(self, **values: Any) -> None:
        if self.job is None:
            return
        for name, value in values.items():
            setattr(self.job, name, value)
        ImportJob.objects.filter(pk=self.job.pk).update(**values)


def _parse_rows(spec: SheetSpec, sheet: Sheet, ctx: ImportContext) -> list[Row]:
    positions: dict[str, int] = {}
    for index, header in enumerate(sheet.headers):
        if header and header in positions:
            ctx.error(None, header, _("表头重复：“%(h)s”出现了不止一次") % {"h": header})
        positions.setdefault(header, index)
    for column in spec.import_columns():
        if column.required and column.header not in positions:
            ctx.error(None, column.header, _("缺少必填列“%(h)s”，请使用导出的模板") % {"h": column.header})
    if ctx.errors:
        return [Row(number, values) for number, values in sheet.rows]
    present = [(c, positions[c.header]) for c in spec.import_columns() if c.header in positions]
    ctx.present = {c.field for c, _i in present}
    return [_parse_row(number, values, present, ctx) for number, values in sheet.rows]


def _parse_row(
    number: int, values: tuple[Any, ...], present: list[tuple[Column, int]], ctx: ImportContext
) -> Row:
    row = Row(number, values)
    for column, index in present:
        value = values[index] if index < len(values) else None
        typed = cell_text(value)
        row.cells[column.field] = typed
        if typed == "":
            if column.required:
                ctx.error(row, column.field, _("不能为空"))
            else:
                row.values[column.field] = column.empty
            continue
        try:
            row.values[column.field] = column.parse(value)
        except CellError as exc:
            ctx.error(row, column.field, str(exc))
    return row


def _check_duplicates(spec: SheetSpec, rows: list[Row], ctx: ImportContext) -> None:
    seen: dict[str, int] = {}
    for row in rows:
        key = row.get(spec.key)
        if not key:
            continue
        folded = str(key).lower()
        if folded in seen:
            ctx.error(row, spec.key, _("与第 %(n)s 行重复") % {"n": seen[folded]})
        else:
            seen[folded] = row.number


def _store_report(spec: SheetSpec, sheet: Sheet | None, errors: list[ImportRowError]) -> str:
    lines = [ReportLine(e.row, e.column, e.value, e.reason) for e in errors]
    headers = sheet.headers if sheet else []
    content = write_error_report(headers, sheet.rows if sheet else [], lines, spec.hidden_headers())
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    name = f"imports/errors/{spec.kind}-{stamp}-{uuid.uuid4().hex[:12]}.xlsx"
    return default_storage.save(name, ContentFile(content))


def _check_all(spec: SheetSpec, sheet: Sheet, ctx: ImportContext, progress: _Progress) -> list[Row]:
    rows = _parse_rows(spec, sheet, ctx)
    if ctx.errors and not ctx.present:  # the headers are wrong: row checks would only add noise
        return rows
    _check_duplicates(spec, rows, ctx)
    spec.prepare(rows, ctx)
    for done, row in enumerate(rows, start=1):
        spec.check_row(row, ctx)
        if done % PROGRESS_EVERY == 0:
            progress.update(processed_rows=done, error_count=len(ctx.errors))
    progress.update(processed_rows=len(rows), error_count=len(ctx.errors))
    return rows


def _write(spec: SheetSpec, rows: list[Row], ctx: ImportContext, result: ImportResult, name: str) -> None:
    try:
        with transaction.atomic():
            result.created, result.updated = spec.save(rows, ctx)
            detail = {"kind": spec.kind, "file": name, "rows": len(rows)}
            detail |= {"created": result.created, "updated": result.updated}
            record(ctx.request, f"import_{spec.kind}", actor=ctx.actor, detail=detail)
    except (IntegrityError, DatabaseError) as exc:
        reason = _("写入时发生数据冲突（可能有人同时修改了相同数据），未写入任何数据，请重新导入")
        result.ok, result.created, result.updated = False, 0, 0
        result.errors.append(ImportRowError(None, "", str(exc)[:200], reason))


def run_import(
    kind: str,
    file: Any,
    actor: User | None,
    job: ImportJob | None = None,
    *,
    request: HttpRequest | None = None,
    file_name: str = "",
) -> ImportResult:
    """Import one spreadsheet, all or nothing. ``actor`` None means the system (management commands only).

    ``file``: bytes, a path, or a file object (an upload or a FieldFile). With ``job`` the progress counters
    and the outcome are written to it as the work goes on.
    """
    spec = get_spec(kind)
    progress = _Progress(job)
    progress.update(status=ImportStatus.RUNNING, started_at=timezone.now(), stage=_("正在读取文件"))
    ctx = ImportContext(spec, actor, request)
    result = ImportResult(kind, ok=False)
    sheet: Sheet | None = None
    name = file_name or getattr(file, "name", "") or ""
    if actor is not None and not can_import(kind, actor):
        ctx.error(None, "", _("您没有导入%(what)s的权限") % {"what": spec.title})
    else:
        try:
            sheet = read_sheet(read_upload(file), spec.title)
        except ImportFileError as exc:
            ctx.error(None, "", str(exc))
    if sheet is not None:
        result.total_rows = len(sheet.rows)
        progress.update(total_rows=result.total_rows, stage=_("正在校验"))
        rows = _check_all(spec, sheet, ctx, progress)
        if not ctx.errors:
            progress.update(stage=_("正在写入"))
            result.ok = True
            _write(spec, rows, ctx, result, name)
    result.errors = ctx.errors + (result.errors if not result.ok else [])
    if not result.ok:
        result.error_report = _store_report(spec, sheet, result.errors)
        detail = {"kind": kind, "file": name, "rows": result.total_rows, "errors": len(result.errors)}
        record(request, f"import_{kind}", actor=actor, outcome=Outcome.FAILURE, detail=detail)
    _finish(progress, result)
    return result


def _finish(progress: _Progress, result: ImportResult) -> None:
    values: dict[str, Any] = {
        "status": ImportStatus.SUCCEEDED if result.ok else ImportStatus.FAILED,
        "stage": "",
        "processed_rows": result.total_rows,
        "error_count": len(result.errors),
        "created_count": result.created,
        "updated_count": result.updated,
        "message": result.message,
        "finished_at": timezone.now(),
    }
    if result.error_report:
        values["error_report"] = result.error_report
    progress.update(**values)


def start_import_job(kind: str, upload: Any, actor: User, *, request: HttpRequest | None = None) -> ImportJob:
    """Store an upload and queue its import; the page then polls the job. Raises ImportFileError at once for
    files that are too large or not .xlsx."""
    get_spec(kind)
    data = read_upload(upload)
    read_sheet(data)  # refuse a wrong or damaged file right away, not in the background
    original = str(getattr(upload, "name", "") or "")[:255]
    job = ImportJob.objects.create(kind=kind, original_name=original, created_by=actor)
    job.file.save(f"{kind}-{uuid.uuid4().hex}.xlsx", ContentFile(data), save=True)
    from chuangwen.core.tasks import run_import_job

    transaction.on_commit(lambda: run_import_job(job.pk))
    return job


# --- export ---------------------------------------------------------------------------------------


def export_xlsx(
    kind: str,
    queryset: Iterable[Any],
    *,
    actor: User | None = None,
    request: HttpRequest | None = None,
) -> bytes:
    """The rows of ``queryset`` as an .xlsx with the import's columns, so an export re-imports cleanly.

    The caller scopes the queryset (``get_spec(kind).queryset_for(user)``); every export is audited.
    """
    spec = get_spec(kind)
    headers = [c.header for c in spec.columns]
    rows: list[Sequence[Any]] = []
    for obj in queryset:
        values = spec.export_values(obj)
        rows.append(["" if c.secret else values.get(c.field, "") for c in spec.columns])
    record(request, f"export_{kind}", actor=actor, detail={"kind": kind, "rows": len(rows)})
    return write_table(headers, rows, spec.title)
