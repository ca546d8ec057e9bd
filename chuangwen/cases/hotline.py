"""12345 hotline work orders imported from .xlsx or .csv: a column mapping in front of the import framework.

Every city's hotline exports different headers, so the coordinator first maps each of our fields to a header
of the file (:func:`guess_mapping` pre-fills it). The mapped headers then become the columns of a
:class:`~chuangwen.core.imports.SheetSpec`, and the framework's parsing, duplicate check and error report do
the rest. All or nothing: any problem in any row and nothing is written. A work order number that already has
a hotline case is skipped ("已导入"), not an error, so a file can be imported again.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chuangwen.accounts import capabilities
from chuangwen.accounts.models import Role
from chuangwen.audit.models import Outcome
from chuangwen.audit.services import record
from chuangwen.cases import services
from chuangwen.cases.exceptions import TransitionRefused
from chuangwen.cases.models import Case, CaseSource
from chuangwen.core.bounds import date_error
from chuangwen.core.cells import CellError, number, parse_moment, text
from chuangwen.core.imports import (
    Column,
    ImportContext,
    ImportRowError,
    Row,
    SheetSpec,
    _check_all,
    _Progress,
    _store_report,
)
from chuangwen.core.xlsx import ZIP_MAGIC, ImportFileError, Sheet, cell_text, read_sheet, read_upload
from chuangwen.org.coords import CoordSystem, to_wgs84
from chuangwen.org.geo import AreaIndex, LocationError, locate_area_unit
from chuangwen.org.models import Unit
from chuangwen.workdays.services import add_workdays, warn_point

if TYPE_CHECKING:
    from django.http import HttpRequest

    from chuangwen.accounts.models import User

TITLE_FROM_CONTENT = 60
# A clock difference between the hotline's system and ours is tolerated; a time further ahead is a typo.
FUTURE_SKEW = timedelta(minutes=10)
MAX_DAYS = 365


@dataclass(frozen=True)
class HotlineField:
    name: str
    label: Any  # lazy Chinese label shown in the mapping step
    required: bool
    guesses: tuple[str, ...]  # common headers of hotline exports, best first


FIELDS: tuple[HotlineField, ...] = (
    HotlineField("external_ref", gettext_lazy("工单编号"), True, ("工单编号", "工单号", "工单编码")),
    HotlineField("title", gettext_lazy("标题"), False, ("标题", "诉求标题", "工单标题")),
    HotlineField("content", gettext_lazy("诉求内容"), False, ("诉求内容", "来电内容", "反映内容", "内容")),
    HotlineField("description", gettext_lazy("诉求详情"), False, ("诉求详情", "详细内容", "详情")),
    HotlineField("opened_at", gettext_lazy("受理时间"), True, ("受理时间", "来电时间", "登记时间")),
    HotlineField("address", gettext_lazy("地址"), False, ("地址", "事发地址", "事发地点", "诉求地址")),
    HotlineField("lng", gettext_lazy("经度"), False, ("经度", "lng", "lon")),
    HotlineField("lat", gettext_lazy("纬度"), False, ("纬度", "lat")),
    HotlineField("unit", gettext_lazy("承办单位"), True, ("承办单位", "责任单位", "承办部门", "处置单位")),
    HotlineField("deadline", gettext_lazy("办理时限"), False, ("办理时限", "办结时限", "截止时间")),
)
FIELD_NAMES = tuple(f.name for f in FIELDS)

Mapping = dict[str, str]  # our field → the header of the uploaded file that holds it ("" = not in the file)


def can_import_hotline(user: User) -> bool:
    return capabilities.may_import_hotline(user)


# --- reading the file -----------------------------------------------------------------------------------


def read_table(data: bytes) -> Sheet:
    """An .xlsx (by content) or a CSV in UTF-8 (BOM or not) or GB18030; row numbers as in the file."""
    if data.startswith(ZIP_MAGIC):
        return read_sheet(data)
    if not data.strip():
        raise ImportFileError(_("文件为空"))
    if data.startswith(b"MZ") or data.startswith(b"\xd0\xcf\x11\xe0") or b"\x00" in data[:4096]:
        raise ImportFileError(_("文件不是 .xlsx 或 .csv 表格（旧版 .xls 请在 Excel 中另存为 .xlsx）"))
    content = _decode(data)
    try:
        dialect: Any = csv.Sniffer().sniff(content[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    records = list(csv.reader(io.StringIO(content, newline=""), dialect))
    headers = [h.strip().rstrip("*＊").strip() for h in (records[0] if records else [])]
    while headers and not headers[-1]:
        headers.pop()
    rows = [(n, tuple(r)) for n, r in enumerate(records[1:], start=2) if any(c.strip() for c in r)]
    return Sheet(headers, rows)


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise ImportFileError(_("无法识别文件编码，请另存为 UTF-8 或 GB18030 编码的 CSV，或 .xlsx")) from None


def guess_mapping(headers: list[str], last: Mapping | None = None) -> Mapping:
    """Pre-fill the mapping: the last mapping where its header is in this file, else the common names."""
    mapping: Mapping = {}
    used: set[str] = set()
    for f in FIELDS:
        previous = (last or {}).get(f.name, "")
        if previous and previous in headers:
            mapping[f.name] = previous
            used.add(previous)
    for f in FIELDS:
        if f.name in mapping:
            continue
        exact = [g for g in f.guesses if g in headers and g not in used]
        loose = [h for g in f.guesses for h in headers if h not in used and len(g) > 1 and g in h]
        found = (exact or loose or [""])[0]
        mapping[f.name] = found
        if found:
            used.add(found)
    return mapping


# --- cell parsers -------------------------------------------------------------------------------------------

_DAYS = re.compile(r"(\d{1,3})\s*(个)?\s*(工作日|天|日)?")


def parse_deadline(value: Any) -> tuple[str, Any]:
    """("days", n) for a number of working days (5, "5个工作日"), else ("at", the moment it is due)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer():
        if 0 <= value <= MAX_DAYS:
            return ("days", int(value))
    days = _DAYS.fullmatch(cell_text(value))
    if days and (days.group(3) or not isinstance(value, datetime)):
        n = int(days.group(1))
        if n > MAX_DAYS:
            raise CellError(_("时限 %(n)s 个工作日过长（上限 %(max)s）") % {"n": n, "max": MAX_DAYS})
        return ("days", n)
    try:
        return ("at", parse_moment(value, day_end=True))
    except CellError:
        raise CellError(
            _("“%(v)s”既不是工作日数（如 5 或“5个工作日”）也不是日期时间") % {"v": cell_text(value)}
        ) from None


_PARSERS: dict[str, Any] = {
    "external_ref": text(40),
    "title": text(200),
    "content": text(4000),
    "description": text(4000),
    "opened_at": parse_moment,
    "address": text(200),
    "lng": number(-180, 180),
    "lat": number(-90, 90),
    "unit": text(100),
    "deadline": parse_deadline,
}


# --- the spec -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HotlineOrder:
    """One work order, checked: what :func:`open_hotline_case` needs."""

    external_ref: str
    title: str
    description: str
    opened_at: datetime
    unit: Unit
    deadline: datetime
    address: str = ""
    lng: float | None = None
    lat: float | None = None
    area_unit_id: int | None = None
    row: int | None = None
    warn_at: datetime | None = None


class HotlineSheet(SheetSpec):
    """The mapped headers as columns; ``prepare``/``check_row`` resolve units, deadlines and places."""

    kind = "hotline"
    title = "12345"
    key = "external_ref"

    def __init__(self, mapping: Mapping, gcj02: bool = False) -> None:
        self.mapping, self.gcj02 = mapping, gcj02
        # Content or title: whichever is mapped alone must be filled in every row.
        required = {f.name: f.required for f in FIELDS}
        required["content"], required["title"] = not mapping.get("title"), not mapping.get("content")
        self.columns = tuple(
            Column(mapping[f.name], f.name, required=required[f.name], parse=_PARSERS[f.name], empty=None)
            for f in FIELDS
            if mapping.get(f.name)
        )
        self.units: dict[str, list[Unit]] = {}
        self.imported: set[str] = set()
        self.index: AreaIndex | None = None
        self.skipped: list[tuple[int, str]] = []

    def prepare(self, rows: list[Row], ctx: ImportContext) -> None:
        assert ctx.actor is not None
        for unit in Unit.objects.visible_to(ctx.actor).filter(active=True):
            self.units.setdefault(unit.code.lower(), []).append(unit)
            if unit.name.lower() != unit.code.lower():
                self.units.setdefault(unit.name.lower(), []).append(unit)
        refs = [row.get("external_ref") for row in rows if row.get("external_ref")]
        found = Case.objects.filter(source=CaseSource.HOTLINE, external_ref__in=refs)
        self.imported = set(found.values_list("external_ref", flat=True))
        if "lng" in ctx.present and "lat" in ctx.present:
            self.index = AreaIndex.for_all_units()

    def check_row(self, row: Row, ctx: ImportContext) -> None:
        if row.get("external_ref") in self.imported:
            row.extra["skip"] = True
            self.skipped.append((row.number, row.get("external_ref")))
            return
        if {"content", "title"} <= ctx.present and not (row.get("content") or row.get("title")):
            ctx.error(row, "content", _("诉求内容和标题不能都为空"))
        self._check_unit(row, ctx)
        self._check_times(row, ctx)
        self._check_place(row, ctx)

    def _check_unit(self, row: Row, ctx: ImportContext) -> None:
        typed = row.get("unit")
        if not typed:
            return
        matches = self.units.get(typed.strip().lower(), [])
        if len(matches) > 1:
            ctx.error(row, "unit", _("有多个单位叫这个名称，请填写单位编码"))
        elif not matches:
            ctx.error(row, "unit", _("找不到该单位，或不在您的管辖范围内（请填写单位编码或准确的单位名称）"))
        else:
            row.extra["unit"] = matches[0]

    def _check_times(self, row: Row, ctx: ImportContext) -> None:
        opened: datetime | None = row.get("opened_at")
        if opened is None:
            return
        if opened > timezone.now() + FUTURE_SKEW:
            ctx.error(row, "opened_at", _("受理时间晚于现在"))
            return
        too_early = date_error(opened, _("受理时间"))
        if too_early:
            ctx.error(row, "opened_at", too_early)
            return
        given: tuple[str, Any] = row.get("deadline") or ("days", int(settings.CASES_HOTLINE_DEFAULT_DAYS))
        kind, value = given
        deadline: datetime = add_workdays(opened, value) if kind == "days" else value
        if deadline <= opened:
            ctx.error(row, "deadline", _("办理时限早于受理时间"))
        elif out_of_bounds := date_error(deadline, _("办理时限")):
            ctx.error(row, "deadline", out_of_bounds)
        elif opened <= timezone.now():
            # The warning point too is counted here, before the import's write transaction starts (its time
            # runs from the opening, as the dispatch will have it; a clock a few minutes ahead is left to it).
            row.extra["warn_at"] = warn_point(opened, deadline)
        row.extra["deadline"] = deadline

    def _check_place(self, row: Row, ctx: ImportContext) -> None:
        lng, lat = row.get("lng"), row.get("lat")
        if "lng" in row.values and "lat" in row.values and (lng is None) != (lat is None):
            both = f"{self.mapping['lng']}/{self.mapping['lat']}"
            ctx.error(row, both, _("经度和纬度须同时填写或同时留空"), f"{cell_text(lng)}/{cell_text(lat)}")
            return
        if lng is None or lat is None:
            return
        system = CoordSystem.GCJ02 if self.gcj02 else CoordSystem.WGS84
        row.extra["lng"], row.extra["lat"] = to_wgs84(lng, lat, system)
        if self.index is not None and self.index.candidates:
            try:
                row.extra["area_unit_id"] = locate_area_unit(*to_wgs84(lng, lat, system), self.index).unit_id
            except LocationError:
                pass  # outside every boundary: the case's place is its unit's

    def order(self, row: Row) -> HotlineOrder:
        content = row.get("content") or ""
        title = row.get("title") or content[:TITLE_FROM_CONTENT]
        details = [text for text in (content, row.get("description") or "") if text]
        return HotlineOrder(
            external_ref=row.get("external_ref"), title=title, description="\n\n".join(details),
            opened_at=row.get("opened_at"), unit=row.extra["unit"], deadline=row.extra["deadline"],
            address=row.get("address") or "", lng=row.extra.get("lng"), lat=row.extra.get("lat"),
            area_unit_id=row.extra.get("area_unit_id"), row=row.number, warn_at=row.extra.get("warn_at"),
        )  # fmt: skip


def check_mapping(mapping: Mapping, headers: list[str]) -> list[ImportRowError]:
    """What is wrong with the mapping itself: a required field without a column, a header not in the file."""
    errors = []
    labels = {f.name: str(f.label) for f in FIELDS}
    for f in FIELDS:
        header = mapping.get(f.name, "")
        if header and header not in headers:
            reason = _("文件中没有“%(h)s”列") % {"h": header}
            errors.append(ImportRowError(None, labels[f.name], header, reason))
        elif not header and f.required:
            reason = _("必须指定“%(f)s”对应文件中的哪一列") % {"f": labels[f.name]}
            errors.append(ImportRowError(None, labels[f.name], "", reason))
    if not mapping.get("content") and not mapping.get("title"):
        reason = _("“诉求内容”和“标题”至少要指定一列")
        errors.append(ImportRowError(None, labels["content"], "", reason))
    if bool(mapping.get("lng")) != bool(mapping.get("lat")):
        reason = _("经度和纬度须同时指定或都不指定")
        errors.append(ImportRowError(None, f"{labels['lng']}/{labels['lat']}", "", reason))
    return errors


# --- opening a case and running the import ------------------------------------------------------------------


def open_hotline_case(order: HotlineOrder, coordinator: User, request: HttpRequest | None = None) -> Case:
    """Open the case of one work order and dispatch it to its unit with its deadline, as ``coordinator``.

    The machine checks the dispatch (the coordinator's role, the unit in his scope); a refusal raises and the
    caller's transaction keeps nothing."""
    with transaction.atomic():
        data = {"external_ref": order.external_ref}
        case = services.open_case(
            CaseSource.HOTLINE,
            coordinator,
            request=request,
            data=data,
            title=order.title[:200],
            description=order.description,
            external_ref=order.external_ref,
            area_unit_id=order.area_unit_id or order.unit.pk,
            address=order.address,
            lng=order.lng,
            lat=order.lat,
            opened_at=order.opened_at,
        )
        data = {"source": CaseSource.HOTLINE.value, **data}
        routing = _("12345 热线工单指定的承办单位")
        services.apply(
            case, "triage_accept", coordinator, unit=order.unit, deadline=order.deadline,
            warn_at=order.warn_at, data={**data, "routing": routing}, request=request,
        )  # fmt: skip
    return case


@dataclass
class HotlineResult:
    ok: bool
    total_rows: int = 0
    created: list[str] = field(default_factory=list)  # codes of the new cases
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (row, work order number) already imported
    errors: list[ImportRowError] = field(default_factory=list)
    error_report: str = ""  # storage name of the .xlsx error report
    dry_run: bool = False

    @property
    def message(self) -> str:
        if not self.ok:
            return _("导入失败，未写入任何数据：发现 %(n)s 处错误") % {"n": len(self.errors)}
        values = {"total": self.total_rows, "skipped": len(self.skipped)}
        if self.dry_run:
            values["n"] = self.total_rows - len(self.skipped)
            return _("校验通过：共 %(total)s 行，可导入 %(n)s 件，已导入过 %(skipped)s 件（将跳过）") % values
        values["n"] = len(self.created)
        return _("导入成功：共 %(total)s 行，新建案卷 %(n)s 件，已导入 %(skipped)s 件（跳过）") % values


def import_hotline(
    file: Any,
    mapping: Mapping,
    actor: User,
    *,
    gcj02: bool = False,
    dry_run: bool = False,
    file_name: str = "",
    request: HttpRequest | None = None,
) -> HotlineResult:
    """Check every row of a hotline export; unless ``dry_run``, open all its cases in one transaction.

    ``file``: bytes, a path or a file object. Raises PermissionError for anyone but coordinators and
    superusers; every problem of the file, the mapping or a row comes back in ``errors``."""
    if not can_import_hotline(actor):
        raise PermissionError(_("只有文明办协调员可以导入 12345 热线工单"))
    spec = HotlineSheet({k: v for k, v in mapping.items() if k in FIELD_NAMES and v}, gcj02)
    ctx = ImportContext(spec, actor, request)
    result = HotlineResult(ok=False, dry_run=dry_run)
    sheet: Sheet | None = None
    try:
        sheet = read_table(read_upload(file))
    except ImportFileError as exc:
        ctx.errors.append(ImportRowError(None, "", "", str(exc)))
    if sheet is not None:
        result.total_rows = len(sheet.rows)
        ctx.errors.extend(check_mapping(spec.mapping, sheet.headers))
        if actor.role != Role.COORDINATOR:
            ctx.errors.append(ImportRowError(None, "", "", _("派遣热线工单须使用文明办协调员账号")))
        rows = [] if ctx.errors else _check_all(spec, sheet, ctx, _Progress(None))
        result.skipped = spec.skipped
        if not ctx.errors:
            result.ok = True
            if not dry_run:
                _write(spec, rows, ctx, result, file_name or getattr(file, "name", "") or "")
    result.errors = ctx.errors + result.errors
    if result.errors:
        result.ok, result.created = False, []
        result.error_report = _store_report(spec, sheet, result.errors)
        if not dry_run:
            detail = {"file": file_name, "rows": result.total_rows, "errors": len(result.errors)}
            record(request, "import_hotline", actor=actor, outcome=Outcome.FAILURE, detail=detail)
    return result


class _RowFailed(Exception):
    def __init__(self, error: ImportRowError) -> None:
        self.error = error


def _write(spec: HotlineSheet, rows: list[Row], ctx: ImportContext, result: HotlineResult, name: str) -> None:
    assert ctx.actor is not None
    try:
        with transaction.atomic():
            for row in rows:
                if not row.extra.get("skip"):
                    result.created.append(_open_row(spec, row, ctx.actor, ctx.request).code)
            detail = {"file": name, "rows": result.total_rows, "created": len(result.created)}
            detail |= {"skipped": [ref for _n, ref in result.skipped]}
            record(ctx.request, "import_hotline", actor=ctx.actor, detail=detail)
    except _RowFailed as exc:
        result.errors.append(exc.error)
    except (IntegrityError, DatabaseError) as exc:
        reason = _("写入时发生数据冲突（可能有人同时导入了相同工单），未写入任何数据，请重新导入")
        result.errors.append(ImportRowError(None, "", str(exc)[:200], reason))


def _open_row(spec: HotlineSheet, row: Row, actor: User, request: HttpRequest | None) -> Case:
    try:
        return open_hotline_case(spec.order(row), actor, request)
    except TransitionRefused as exc:
        raise _RowFailed(ImportRowError(row.number, "", "", exc.message)) from exc
    except ValidationError as exc:
        header = spec.mapping.get("unit", "")
        raise _RowFailed(ImportRowError(row.number, header, "", "；".join(exc.messages))) from exc
