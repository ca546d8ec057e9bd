"""The 任务分解表 (.xlsx): one row per online indicator of a period, imported all or nothing, and
exported in the same columns so that export → fill in → import works.

The import runs the pieces of ``chuangwen.core.imports`` (reading, parsing, the duplicate check, the error
report) with a spec that knows its period; the checks are ``tasksplit``'s rule. A row that names an indicator
and nothing else (as the export writes an unassigned one) is left alone. Units are given by code or by exact
name; a name is looked for inside the period's office first, and a name that is still ambiguous must be
replaced by the code.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.db import DatabaseError, IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.accounts.models import Role
from chuangwen.audit.models import Outcome
from chuangwen.audit.services import record
from chuangwen.core.cells import CellError, join_tags, parse_moment, tags, text
from chuangwen.core.imports import (
    Column,
    ImportContext,
    ImportResult,
    ImportRowError,
    Row,
    SheetSpec,
    _check_all,
    _Progress,
    _store_report,
)
from chuangwen.core.xlsx import ImportFileError, Sheet, cell_text, read_sheet, read_upload, write_table
from chuangwen.materials.models import Period, Task
from chuangwen.materials.tasksplit import (
    TaskSplitError,
    apply_assignment,
    assignment_problems,
    may_split_tasks,
    online_indicators,
    period_problems,
)
from chuangwen.org.models import Unit
from chuangwen.standards.models import Indicator

if TYPE_CHECKING:
    from django.http import HttpRequest

    from chuangwen.accounts.models import User

__all__ = ["KIND", "TaskSheet", "UnitDirectory", "due_date_cell", "export_task_table", "import_task_table"]

KIND = "material_tasks"
IMPORT_ACTION = "materials.task.import"
EXPORT_ACTION = "materials.task.export"
# The cells that say who and by when: a row with all of them empty assigns nothing.
ASSIGNMENT_FIELDS = ("lead_unit", "supporting_units", "due_date", "note")


def due_date_cell(value: Any) -> date:
    """An Excel date, 2026-12-15, 2026/12/15 or 2026年12月15日 (a time after the date is ignored)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        moment = parse_moment(value)
    except CellError:
        hint = _("“%(v)s”不是可识别的日期，请写成 2026-12-15、2026/12/15 或 2026年12月15日")
        raise CellError(hint % {"v": cell_text(value)}) from None
    return timezone.localtime(moment).date()


class UnitDirectory:
    """Units by code or exact name: a code wins; among units of one name, those in the office's tree win."""

    def __init__(self, root: Unit, tokens: Iterable[str]) -> None:
        wanted = {t for t in tokens if t}
        self.root_path = root.path
        self.by_code: dict[str, Unit] = {}
        self.by_name: dict[str, list[Unit]] = defaultdict(list)
        if wanted:
            for unit in Unit.objects.filter(Q(code__in=wanted) | Q(name__in=wanted)).order_by("path"):
                self.by_code[unit.code] = unit
                self.by_name[unit.name].append(unit)

    def resolve(self, token: str) -> Unit:
        unit = self.by_code.get(token)
        if unit is not None:
            return unit
        named = self.by_name.get(token, [])
        pool = [u for u in named if u.path.startswith(self.root_path)] or named
        if len(pool) == 1:
            return pool[0]
        if not pool:
            raise CellError(_("找不到单位“%(v)s”，请填写单位编码或完整的单位名称") % {"v": token})
        raise CellError(_("有 %(n)s 个单位名为“%(v)s”，请改填单位编码") % {"n": len(pool), "v": token})

    def label(self, unit: Unit) -> str:
        """The unit's name when the name finds it again on import, else its code."""
        try:
            return unit.name if self.resolve(unit.name).pk == unit.pk else unit.code
        except CellError:
            return unit.code


def _tasks_of(period: Period, *, lock: bool = False) -> dict[int, Task]:
    tasks = (
        Task.objects.filter(period=period).select_related("lead_unit").prefetch_related("supporting_units")
    )
    if lock:
        tasks = tasks.select_for_update(of=("self",))
    return {t.indicator_id: t for t in tasks}


class TaskSheet(SheetSpec):
    kind = KIND
    title = "任务分解表"
    key = "indicator"
    roles = frozenset({Role.COORDINATOR})
    export_roles = frozenset({Role.COORDINATOR})
    columns = (
        Column("标准编号", "indicator", required=True, parse=text(24)),
        Column("测评标准", "text", export_only=True),
        Column("牵头单位", "lead_unit", required=True, parse=text(100)),
        Column("配合单位", "supporting_units", parse=tags(max_length=100), empty=[]),
        Column("完成时限", "due_date", required=True, parse=due_date_cell),
        Column("备注", "note", parse=text(300)),
    )

    def __init__(self, period: Period) -> None:
        self.period = period
        self.changes: list[dict[str, Any]] = []

    # --- checking -----------------------------------------------------------------------------------

    def split_blank(self, sheet: Sheet) -> tuple[Sheet, list[tuple[int, tuple[Any, ...]]]]:
        """The rows that assign something, and those that name an indicator only (left unassigned)."""
        positions: dict[str, int] = {}
        for index, header in enumerate(sheet.headers):
            positions.setdefault(header, index)
        wanted = [c for c in self.columns if c.field in ASSIGNMENT_FIELDS]
        if any(c.required and c.header not in positions for c in wanted):
            return sheet, []  # the missing column is reported by the parse, every row with it
        where = [positions[c.header] for c in wanted if c.header in positions]
        assigning: list[tuple[int, tuple[Any, ...]]] = []
        blank: list[tuple[int, tuple[Any, ...]]] = []
        for number, values in sheet.rows:
            empty = all(cell_text(values[i] if i < len(values) else None) == "" for i in where)
            (blank if empty else assigning).append((number, values))
        return Sheet(sheet.headers, assigning), blank

    def prepare(self, rows: list[Row], ctx: ImportContext) -> None:
        tree = Indicator.objects.filter(content__project__standard_id=self.period.standard_id)
        self.indicators = {i.code: i for i in tree.select_related("content__project")}
        self.tasks = _tasks_of(self.period)
        tokens = [r.get("lead_unit") or "" for r in rows]
        tokens += [token for r in rows for token in r.get("supporting_units") or []]
        self.units = UnitDirectory(self.period.owner_unit, tokens)

    def _indicator(self, row: Row, ctx: ImportContext) -> Indicator | None:
        code = row.get("indicator")
        if not code:
            return None
        indicator = self.indicators.get(code)
        if indicator is None:
            ctx.error(row, "indicator", self._unknown_code())
        return indicator

    def _unknown_code(self) -> str:
        return _("标准编号不在本周期的测评体系（%(s)s）中") % {"s": self.period.standard}

    def _units(self, row: Row, ctx: ImportContext, name: str, tokens: list[str]) -> list[Unit] | None:
        found: dict[int, Unit] = {}
        failed = False
        for token in tokens:
            try:
                unit = self.units.resolve(token)
            except CellError as exc:
                ctx.error(row, name, str(exc), value=token)
                failed = True
                continue
            found[unit.pk] = unit
        return None if failed else list(found.values())

    def check_row(self, row: Row, ctx: ImportContext) -> None:
        indicator = self._indicator(row, ctx)
        lead = self._units(row, ctx, "lead_unit", [row.get("lead_unit")] if row.get("lead_unit") else [])
        supporters = self._units(row, ctx, "supporting_units", row.get("supporting_units") or [])
        problems = assignment_problems(
            self.period,
            indicator,
            lead_unit=lead[0] if lead else None,
            supporting_units=supporters or [],
            due_date=row.get("due_date"),
            note=row.get("note") or "",
        )
        for name, reason in problems:
            ctx.error(row, name, reason)
        if not row.failed and indicator is not None and lead:
            row.extra["indicator"], row.extra["lead_unit"] = indicator, lead[0]
            row.extra["supporting_units"] = supporters or []

    def check_blank(self, blank: list[tuple[int, tuple[Any, ...]]], sheet: Sheet, ctx: ImportContext) -> None:
        """An unassigned row must still name an indicator of the tree, and may not clear an existing task."""
        if "标准编号" not in sheet.headers:
            return
        at = sheet.headers.index("标准编号")
        for number, values in blank:
            code = cell_text(values[at] if at < len(values) else None)
            row = Row(number, values, cells={"indicator": code, "lead_unit": ""})
            indicator = self.indicators.get(code)
            if indicator is None:
                ctx.error(row, "indicator", self._unknown_code())
            elif indicator.pk in self.tasks:
                holder = self.tasks[indicator.pk].lead_unit.name
                reason = _("该标准已分解给“%(unit)s”，导入不能撤销分解，请填写牵头单位和完成时限")
                reason %= {"unit": holder}
                ctx.error(row, "lead_unit", reason)

    # --- writing ------------------------------------------------------------------------------------

    def save(self, rows: list[Row], ctx: ImportContext) -> tuple[int, int]:
        current = _tasks_of(self.period, lock=True)
        created = updated = 0
        for row in rows:
            indicator: Indicator = row.extra["indicator"]
            existing = current.get(indicator.pk)
            _task, before, after = apply_assignment(
                self.period,
                indicator,
                lead_unit=row.extra["lead_unit"],
                supporting_units=row.extra["supporting_units"],
                due_date=row.get("due_date"),
                note=row.get("note") or "",
                existing=existing,
            )
            if after is None:
                continue
            if existing is None:
                created += 1
            else:
                updated += 1
            self.changes.append({"indicator": indicator.code, "before": before, "after": after})
        return created, updated

    # --- export -------------------------------------------------------------------------------------

    def queryset_for(self, actor: User | None) -> models.QuerySet[Indicator]:
        return online_indicators(self.period)

    def load_export(self) -> None:
        self.tasks = _tasks_of(self.period)
        used = {t.lead_unit for t in self.tasks.values()}
        used |= {u for t in self.tasks.values() for u in t.supporting_units.all()}
        self.units = UnitDirectory(self.period.owner_unit, [u.name for u in used])

    def export_values(self, obj: Indicator) -> dict[str, Any]:
        values: dict[str, Any] = {"indicator": obj.code, "text": obj.text}
        task = self.tasks.get(obj.pk)
        if task is not None:
            values["lead_unit"] = self.units.label(task.lead_unit)
            values["supporting_units"] = join_tags(self.units.label(u) for u in task.supporting_units.all())
            values["due_date"] = task.due_date
            values["note"] = task.note
        return values


def _write(spec: TaskSheet, rows: list[Row], ctx: ImportContext, result: ImportResult, name: str) -> None:
    try:
        with transaction.atomic():
            # The period row is the lock: an archive at the same moment waits, or wins and refuses this.
            locked = Period.objects.select_for_update().get(pk=spec.period.pk)
            if problems := period_problems(locked):
                raise TaskSplitError(problems)
            result.created, result.updated = spec.save(rows, ctx)
            detail = {"kind": KIND, "period": locked.pk, "file": name, "rows": result.total_rows}
            detail |= {"created": result.created, "updated": result.updated, "changes": spec.changes}
            record(ctx.request, IMPORT_ACTION, obj=locked, actor=ctx.actor, detail=detail)
            result.ok = True
    except TaskSplitError as exc:
        result.errors.append(ImportRowError(None, "", "", str(exc)))
    except (IntegrityError, DatabaseError) as exc:
        reason = _("写入时发生数据冲突（可能有人同时修改了任务分解），未写入任何数据，请重新导入")
        result.errors.append(ImportRowError(None, "", str(exc)[:200], reason))


def _read(spec: TaskSheet, data: Any, actor: User | None, ctx: ImportContext) -> Sheet | None:
    if actor is not None and not may_split_tasks(actor, spec.period):
        ctx.error(None, "", _("只有组织本申报周期的文明办可以导入任务分解表"))
        return None
    for _name, reason in period_problems(spec.period):
        ctx.error(None, "", reason)
    try:
        sheet = read_sheet(read_upload(data), spec.title)
    except ImportFileError as exc:
        ctx.error(None, "", str(exc))
        return None
    return None if ctx.errors else sheet


def import_task_table(
    period: Period,
    data: Any,
    actor: User | None,
    *,
    file_name: str = "",
    request: HttpRequest | None = None,
) -> ImportResult:
    """Assign every row of a 任务分解表 in one transaction, or nothing. ``data``: bytes, a path or a file
    object; ``actor`` None means the system. Every problem comes back, with row and column, in ``errors``."""
    spec = TaskSheet(period)
    ctx = ImportContext(spec, actor, request)
    result = ImportResult(KIND, ok=False)
    name = file_name or getattr(data, "name", "") or ""
    sheet = _read(spec, data, actor, ctx)
    if sheet is not None:
        result.total_rows = len(sheet.rows)
        assigning, blank = spec.split_blank(sheet)
        rows = _check_all(spec, assigning, ctx, _Progress(None))
        if ctx.present:
            spec.check_blank(blank, sheet, ctx)
        if not ctx.errors:
            _write(spec, rows, ctx, result, name)
    result.errors = sorted(ctx.errors + result.errors, key=lambda e: -1 if e.row is None else e.row)
    if result.errors:
        result.ok, result.created, result.updated = False, 0, 0
        result.error_report = _store_report(spec, sheet, result.errors)
        detail = {"kind": KIND, "period": period.pk, "file": name, "rows": result.total_rows}
        detail["errors"] = len(result.errors)
        record(request, IMPORT_ACTION, obj=period, actor=actor, outcome=Outcome.FAILURE, detail=detail)
    return result


def export_task_table(period: Period, user: User, *, request: HttpRequest | None = None) -> bytes:
    """Every online indicator of the period's tree with its task (empty cells when unassigned), in the
    import's columns. Raises PermissionError for anyone but the period's 文明办 and superusers."""
    if not may_split_tasks(user, period):
        raise PermissionError(_("只有组织本申报周期的文明办可以导出任务分解表"))
    spec = TaskSheet(period)
    spec.load_export()
    rows = []
    for indicator in spec.queryset_for(user):
        values = spec.export_values(indicator)
        rows.append([values.get(c.field, "") for c in spec.columns])
    detail = {"kind": KIND, "period": period.pk, "rows": len(rows), "assigned": len(spec.tasks)}
    record(request, EXPORT_ACTION, obj=period, actor=user, detail=detail)
    return write_table([c.header for c in spec.columns], rows, spec.title)
