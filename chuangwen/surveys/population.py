"""常住人口 figures (residents aged 18–65 per age band and sex) that sample plans are drawn from: the table
the population page shows, one unit's ten numbers entered by hand, and the .xlsx import/export.

The file is wide, one row per street or community (docs/surveys.md, "Population figures")::

    单位编码 | 单位名称 | 18–29 岁 男 | 18–29 岁 女 | 30–39 岁 男 | … | 60–65 岁 女

A unit is found by its code (or, with the code left empty, by its exact name inside the office's tree). A row
gives all ten numbers, or none (the unit is left as it is: the export writes every street and community, those
without figures empty). The import is all or nothing: any problem, reported by row and column, and nothing is
written. Residents are counted once: a unit cannot hold figures when a unit above or below it does (a street's
residents are the sum of its communities'; ``plan.populations`` adds them up).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from chuangwen.accounts import capabilities
from chuangwen.audit.models import Outcome
from chuangwen.audit.services import record
from chuangwen.core.imports import ImportResult, ImportRowError
from chuangwen.core.xlsx import ImportFileError, cell_text, read_sheet, read_upload, write_table
from chuangwen.org.models import Unit
from chuangwen.surveys.forms import CELL_FIELDS, PLAN_KINDS, POPULATION_MAX, cell_label, plan_units
from chuangwen.surveys.models import PopulationFigure
from chuangwen.surveys.services import Invalid

if TYPE_CHECKING:
    from django.http import HttpRequest

    from chuangwen.accounts.models import User

KIND = "survey_population"
TITLE = "人口数"
CODE, NAME = "单位编码", "单位名称"
CELLS = [(age, sex) for _name, age, sex in CELL_FIELDS]
Counts = dict[tuple[str, str], int]


def _header_key(text: str) -> str:
    """Headers as typed by hand match the template's: spaces and 岁 dropped, any dash taken as "-"."""
    return re.sub(r"[\s岁]", "", re.sub(r"[–—－~～至]", "-", text))


def cell_headers() -> list[str]:
    return [cell_label(age, sex) for age, sex in CELLS]


def headers() -> list[str]:
    return [CODE, NAME, *cell_headers()]


# --- reading ------------------------------------------------------------------------------------------------


@dataclass
class UnitRow:
    unit: Unit
    counts: Counts
    total: int


def figures_of(units: Iterable[Unit]) -> dict[int, Counts]:
    ids = [u.pk for u in units]
    out: dict[int, Counts] = {}
    for unit_id, age, sex, count in PopulationFigure.objects.filter(unit_id__in=ids).values_list(
        "unit_id", "age_band", "sex", "count"
    ):
        out.setdefault(unit_id, {})[(age, sex)] = count
    return out


def table(user: User) -> tuple[list[UnitRow], list[Unit], Counts]:
    """The units of the user's tree that hold figures (in tree order), the streets and communities whose
    residents are not counted yet (no figures on them, above or below them), and the totals per cell."""
    scope = user.unit
    if scope is None:
        return [], [], dict.fromkeys(CELLS, 0)
    holders = Unit.objects.filter(
        pk__in=PopulationFigure.objects.visible_to(user).values("unit_id")
    ).order_by("path")
    figures = figures_of(holders)
    rows = []
    totals: Counts = dict.fromkeys(CELLS, 0)
    for unit in holders:
        counts = {cell: figures.get(unit.pk, {}).get(cell, 0) for cell in CELLS}
        for cell, n in counts.items():
            totals[cell] += n
        rows.append(UnitRow(unit, counts, sum(counts.values())))
    holders_list = [row.unit for row in rows]
    missing = [u for u in plan_units(scope) if overlapping(u, holders_list) is None]
    return rows, missing, totals


def overlapping(unit: Unit, others: Iterable[Unit]) -> Unit | None:
    """``unit`` itself or a unit above or below it among ``others`` (the same residents)."""
    for other in others:
        if unit.is_within(other) or other.is_within(unit):
            return other
    return None


def holders_around(unit: Unit) -> list[Unit]:
    """Units holding figures in ``unit``'s subtree or above it."""
    holding = PopulationFigure.objects.values("unit_id")
    around = Q(path__startswith=unit.path) | Q(pk__in=unit.lineage_ids)
    return list(Unit.objects.filter(around, pk__in=holding).order_by("path"))


def _overlap_reason(other: Unit) -> str:
    return _(
        "“%(other)s”已有人数：同一批居民不能在街道和下属社区重复录入，请只在一级录入（街道人数按下属社区自动汇总）"
    ) % {"other": other.name}


# --- writing one unit ---------------------------------------------------------------------------------------


def _store(unit: Unit, counts: Counts | None) -> None:
    PopulationFigure.objects.filter(unit=unit).delete()
    if counts is not None:
        PopulationFigure.objects.bulk_create(
            PopulationFigure(unit=unit, age_band=age, sex=sex, count=counts[(age, sex)]) for age, sex in CELLS
        )


def save_unit(unit: Unit, counts: Counts | None, user: User, request: HttpRequest | None = None) -> None:
    """Set one unit's ten figures (``None`` clears them). Raises ``Invalid`` (field "unit") when the unit
    is outside the user's tree or another level already holds the same residents."""
    scope = user.unit
    if not capabilities.may_run_surveys(user) or scope is None or not unit.is_within(scope):
        raise Invalid({"unit": [_("只能录入本单位及下属街道、社区的人数")]})
    if counts is not None:
        if unit.kind not in PLAN_KINDS:
            raise Invalid({"unit": [_("人数只能录入到街道或社区")]})
        other = overlapping(unit, [h for h in holders_around(unit) if h.pk != unit.pk])
        if other is not None:
            raise Invalid({"unit": [_overlap_reason(other)]})
    with transaction.atomic():
        _store(unit, counts)
        detail: dict[str, Any] = {"unit": unit.code, "cleared": counts is None}
        if counts is not None:
            detail["total"] = sum(counts.values())
        record(request, "survey.population.edit", obj=unit, actor=user, detail=detail)


# --- the .xlsx ----------------------------------------------------------------------------------------------


def export_population(user: User, request: HttpRequest | None = None) -> bytes:
    """Every street and community of the user's tree (and any other unit holding figures), with its figures
    or empty cells: the import's template."""
    scope = user.unit
    if scope is None:
        raise PermissionError(_("没有所属单位，不能导出人数"))
    rows, _missing, _totals = table(user)
    lines: list[tuple[str, Unit, Counts | None]] = [(r.unit.path, r.unit, r.counts) for r in rows]
    held = {r.unit.pk for r in rows}
    lines += [(u.path, u, None) for u in plan_units(scope) if u.pk not in held]
    lines.sort(key=lambda line: line[0])
    out = [
        [unit.code, unit.name, *[counts[c] if counts else None for c in CELLS]] for _p, unit, counts in lines
    ]
    record(request, "survey.population.export", actor=user, detail={"rows": len(out), "scope": scope.code})
    return write_table(headers(), out, TITLE)


def _number(value: Any) -> int | None:
    """A count as typed: 1200, 1200.0, "1,200", " 1 200 "; None when it is not a whole number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    typed = re.sub(r"[\s,，]", "", cell_text(value))
    if typed.isascii() and typed.isdigit() and len(typed) <= 12:
        return int(typed)
    return None


class _Rows:
    """Collects every problem of an import with the row and column Excel shows."""

    def __init__(self) -> None:
        self.errors: list[ImportRowError] = []

    def error(self, row: int | None, column: str, value: Any, reason: str) -> None:
        self.errors.append(ImportRowError(row, column, cell_text(value)[:200], reason))


def _positions(found: list[str], problems: _Rows) -> dict[str, int]:
    """Column → index, by the template's headers; a missing or repeated header is a problem of the file."""
    wanted = {_header_key(h): h for h in headers()}
    positions: dict[str, int] = {}
    for index, header in enumerate(found):
        name = wanted.get(_header_key(header))
        if name is None:
            continue
        if name in positions:
            problems.error(None, name, header, _("表头重复：“%(h)s”出现了不止一次") % {"h": name})
        positions.setdefault(name, index)
    if CODE not in positions and NAME not in positions:
        problems.error(None, CODE, "", _("缺少“单位编码”列，请使用导出的模板"))
    for header in cell_headers():
        if header not in positions:
            problems.error(None, header, "", _("缺少必填列“%(h)s”，请使用导出的模板") % {"h": header})
    return positions


class _Units:
    """Units by code, or by exact name inside the scope."""

    def __init__(self, scope: Unit, codes: set[str], names: set[str]) -> None:
        self.scope = scope
        found = Unit.objects.filter(Q(code__in=codes) | Q(name__in=names, path__startswith=scope.path))
        self.by_code = {u.code: u for u in found}
        self.by_name: dict[str, list[Unit]] = {}
        for unit in found:
            if unit.path.startswith(scope.path):
                self.by_name.setdefault(unit.name, []).append(unit)

    def resolve(self, code: str, name: str) -> tuple[Unit | None, str, str]:
        """The unit, or (None, column, reason)."""
        if code:
            unit = self.by_code.get(code)
            if unit is None:
                return None, CODE, _("找不到单位编码“%(v)s”") % {"v": code}
            if name and name != unit.name:
                reason = _("单位编码 %(code)s 是“%(unit)s”，与单位名称“%(name)s”不符")
                return None, f"{CODE}/{NAME}", reason % {"code": code, "unit": unit.name, "name": name}
            return unit, "", ""
        named = self.by_name.get(name, [])
        if not named:
            return None, NAME, _("本单位下找不到名为“%(v)s”的单位，请填写单位编码") % {"v": name}
        if len(named) > 1:
            return None, NAME, _("有 %(n)s 个单位名为“%(v)s”，请填写单位编码") % {"n": len(named), "v": name}
        return named[0], "", ""


def import_population(
    data: Any, user: User, *, file_name: str = "", request: HttpRequest | None = None
) -> ImportResult:
    """Set the figures of every unit the file fills in, in one transaction, or nothing; every problem comes
    back with its row and column."""
    problems = _Rows()
    result = ImportResult(KIND, ok=False)
    scope = user.unit
    sheet = None
    if not capabilities.may_run_surveys(user) or scope is None:
        problems.error(None, "", "", _("只有文明办协调员可以导入人数"))
    else:
        try:
            sheet = read_sheet(read_upload(data), TITLE)
        except ImportFileError as exc:
            problems.error(None, "", "", str(exc))
    parsed: list[tuple[int, Unit, Counts]] = []
    if sheet is not None and scope is not None:
        result.total_rows = len(sheet.rows)
        positions = _positions(sheet.headers, problems)
        if not problems.errors:
            parsed = _parse(sheet.rows, positions, scope, problems)
    if not problems.errors and scope is not None:
        _check_levels(parsed, scope, problems)
    if problems.errors:
        result.errors = problems.errors
        detail = {"file": file_name, "rows": result.total_rows, "errors": len(problems.errors)}
        record(request, "survey.population.import", actor=user, outcome=Outcome.FAILURE, detail=detail)
        return result
    with transaction.atomic():
        existing = set(PopulationFigure.objects.filter(unit__in=[u for _r, u, _c in parsed]).values_list(
            "unit_id", flat=True
        ))  # fmt: skip
        for _row, unit, counts in parsed:
            _store(unit, counts)
        result.updated = sum(1 for _r, u, _c in parsed if u.pk in existing)
        result.created = len(parsed) - result.updated
        detail = {"file": file_name, "rows": result.total_rows, "units": [u.code for _r, u, _c in parsed]}
        record(request, "survey.population.import", actor=user, detail=detail)
    result.ok = True
    return result


def _parse(
    rows: list[tuple[int, tuple[Any, ...]]], positions: dict[str, int], scope: Unit, problems: _Rows
) -> list[tuple[int, Unit, Counts]]:
    def at(values: tuple[Any, ...], header: str) -> Any:
        index = positions.get(header)
        return values[index] if index is not None and index < len(values) else None

    codes = {cell_text(at(v, CODE)) for _n, v in rows} - {""}
    names = {cell_text(at(v, NAME)) for _n, v in rows} - {""}
    units = _Units(scope, codes, names)
    seen: dict[int, int] = {}
    parsed = []
    for number, values in rows:
        raw = {header: at(values, header) for header in cell_headers()}
        if all(cell_text(v) == "" for v in raw.values()):
            continue  # nothing filled in: the unit is left as it is
        code, name = cell_text(at(values, CODE)), cell_text(at(values, NAME))
        failed = False
        unit: Unit | None = None
        if not code and not name:
            problems.error(number, CODE, "", _("请填写单位编码"))
            failed = True
        else:
            unit, column, reason = units.resolve(code, name)
            if unit is None:
                problems.error(number, column, code or name, reason)
                failed = True
            elif not unit.is_within(scope):
                problems.error(number, CODE, code or name, _("“%(v)s”不在本单位下") % {"v": unit.name})
                failed = True
            elif unit.kind not in PLAN_KINDS:
                problems.error(number, CODE, code or name, _("人数只能录入到街道或社区"))
                failed = True
            elif unit.pk in seen:
                problems.error(number, CODE, code or name, _("与第 %(n)s 行重复") % {"n": seen[unit.pk]})
                failed = True
            else:
                seen[unit.pk] = number
        counts: Counts = {}
        for (age, sex), header in zip(CELLS, cell_headers(), strict=True):
            value = raw[header]
            if cell_text(value) == "":
                problems.error(number, header, "", _("请填写全部 10 个人数（不详时填 0）"))
                failed = True
                continue
            n = _number(value)
            if n is None or not 0 <= n <= POPULATION_MAX:
                reason = _("应为 0 到 %(max)s 之间的整数") % {"max": POPULATION_MAX}
                problems.error(number, header, value, reason)
                failed = True
                continue
            counts[(age, sex)] = n
        if not failed and unit is not None:
            parsed.append((number, unit, counts))
    return parsed


def _check_levels(parsed: list[tuple[int, Unit, Counts]], scope: Unit, problems: _Rows) -> None:
    """No residents counted twice: a unit of the file above or below another unit of the file, or below or
    above a unit already holding figures (other than those the file replaces)."""
    mine = [u for _n, u, _c in parsed]
    replaced = {u.pk for u in mine}
    around = [u for u in holders_around(scope) if u.pk not in replaced]
    for number, unit, _counts in parsed:
        other = overlapping(unit, [o for o in [*around, *mine] if o.pk != unit.pk])
        if other is not None:
            problems.error(number, CODE, unit.code, _overlap_reason(other))
