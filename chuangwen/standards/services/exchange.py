"""Reading and writing standards as YAML (checklist.yaml's shape) and Excel workbooks."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

import yaml
from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from chuangwen.standards.exceptions import Problem, StandardImportError, StandardValidationError
from chuangwen.standards.models import ScoringMode, Severity, Standard
from chuangwen.standards.services.documents import standard_document
from chuangwen.standards.services.indicator_sheets import read_tree_sheets, write_tree_sheets
from chuangwen.standards.services.indicators import read_tree
from chuangwen.standards.services.sheets import fill, normalise, rows, table
from chuangwen.standards.services.validation import (
    PARAMETER_HELP,
    Place,
    RawItem,
    RawSiteType,
    RawStandard,
    clean_standard,
)
from chuangwen.standards.services.versions import create_standard

INFO_SHEET, TYPE_SHEET, ITEM_SHEET, PARAM_SHEET = "标准信息", "点位类型", "测评指标", "计分参数"
INFO_ROWS = {"code": "标准编码", "name": "标准名称", "version": "版本", "site_score": "点位得分公式"}
TYPE_COLUMNS = {"code": "类型编码", "name": "类型名称", "protocol": "测评方法", "weight": "权重"}
ITEM_COLUMNS = {
    "site_type": "点位类型编码",
    "code": "指标编码",
    "category": "问题类别",
    "text": "测评内容",
    "mode": "计分方式",
    "deduct": "单次扣分",
    "cap": "扣分上限",
    "unit": "计数单位",
    "severity": "严重程度",
    "deadline_days": "整改时限（工作日）",
    "duty": "责任类别",
}
TYPE_REQUIRED = ("code", "name")
ITEM_REQUIRED = ("site_type", "code", "category", "text", "mode", "deadline_days", "duty")
MODE_LABELS = {
    ScoringMode.BINARY: "符合/不符合",
    ScoringMode.PER_OCCURRENCE: "按处扣分",
    ScoringMode.VETO: "一票否决",
}
SEVERITY_LABELS = {Severity.GENERAL: "一般", Severity.SERIOUS: "严重"}


def _check_size(data: str | bytes) -> bytes:
    raw = data.encode() if isinstance(data, str) else bytes(data)
    if len(raw) > settings.IMPORT_MAX_BYTES:
        limit = settings.IMPORT_MAX_BYTES // (1024 * 1024)
        raise StandardImportError([Problem("", "", _("文件过大（上限 %(mb)d MB）") % {"mb": limit})])
    return raw


def import_standard_yaml(data: str | bytes, actor: Any = None) -> Standard:
    """Import a checklist.yaml-shaped file as a new version; all or nothing (StandardImportError)."""
    raw, problems = read_yaml(data)
    return _import(raw, problems, actor, "yaml")


def import_standard_xlsx(data: bytes, actor: Any = None) -> Standard:
    """Import a workbook written by :func:`export_standard_xlsx` (or filled in by hand) as a new version."""
    raw, problems = read_xlsx(data)
    return _import(raw, problems, actor, "xlsx")


def import_standard_document(doc: Any, actor: Any = None, fmt: str = "yaml") -> Standard:
    """Import a parsed document (``{"standard": {...}}``), e.g. the starter assembled from two files."""
    raw, problems = read_document(doc)
    return _import(raw, problems, actor, fmt)


def _import(raw: RawStandard, problems: list[Problem], actor: Any, fmt: str) -> Standard:
    try:
        clean = clean_standard(raw, problems)
    except StandardValidationError as exc:
        raise StandardImportError(exc.problems) from None
    return create_standard(clean, actor=actor, action="standard.import", detail={"format": fmt})


# --- YAML ---------------------------------------------------------------------------------------------------


def read_yaml(data: str | bytes) -> tuple[RawStandard, list[Problem]]:
    """Parse YAML into raw nodes; structural problems come back alongside (never half a result)."""
    raw = _check_size(data)
    try:
        doc = yaml.safe_load(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise StandardImportError([Problem("", "", _("文件不是 UTF-8 编码的文本"))]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = (
            _("第 %(line)d 行第 %(col)d 列") % {"line": mark.line + 1, "col": mark.column + 1} if mark else ""
        )
        reason = _("YAML 格式错误：%(err)s") % {"err": getattr(exc, "problem", None) or exc}
        raise StandardImportError([Problem(where, "", reason)]) from None
    return read_document(doc)


def read_document(doc: Any) -> tuple[RawStandard, list[Problem]]:
    """Raw nodes of a parsed document; structural problems come back alongside."""
    if not isinstance(doc, Mapping) or not isinstance(doc.get("standard"), Mapping):
        raise StandardImportError([Problem("", "standard", _("缺少 standard 部分（必须是键值对）"))])
    problems = [Problem("", str(k), _("未知字段")) for k in doc if k not in ("standard", "parameters")]
    std = doc["standard"]
    parameters = std.get("parameters")
    if "parameters" in doc:
        if "parameters" in std:
            problems.append(Problem("", "parameters", _("参数只能写在一处（standard.parameters）")))
        parameters = doc["parameters"]
    site_types = _yaml_site_types(std, problems)
    tree = read_tree(std.get("indicators"), problems)
    return RawStandard(std, Place(""), site_types, parameters, indicators=tree), problems


def _yaml_site_types(std: Mapping[str, Any], problems: list[Problem]) -> list[RawSiteType]:
    site_types = std.get("site_types")
    if site_types is not None and not isinstance(site_types, list):
        problems.append(Problem("", "site_types", _("必须是列表")))
        return []
    result = []
    for i, st in enumerate(site_types or []):
        where = f"site_types[{i}]"
        if not isinstance(st, Mapping):
            problems.append(Problem(where, "", _("必须是键值对（映射）")))
            continue
        items = st.get("items")
        if items is not None and not isinstance(items, list):
            problems.append(Problem(where, "items", _("必须是列表")))
            items = []
        raw_items = []
        for j, item in enumerate(items or []):
            if isinstance(item, Mapping):
                raw_items.append(RawItem(item, Place(f"{where}.items[{j}]")))
            else:
                problems.append(Problem(f"{where}.items[{j}]", "", _("必须是键值对（映射）")))
        result.append(RawSiteType(st, Place(where), raw_items))
    return result


class _FlowDict(dict[str, Any]):
    """An item written on one line, as in checklist.yaml."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(
    _FlowDict, lambda d, data: d.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)
)


def export_standard_yaml(standard: Standard) -> str:
    doc = standard_document(standard)
    for st in doc["site_types"]:
        st["items"] = [_FlowDict(item) for item in st["items"]]
    for project in doc.get("indicators", []):
        for content in project["contents"]:
            content["indicators"] = [_FlowDict(leaf) for leaf in content["indicators"]]
    header = _("# 测评标准 %(code)s 第 %(version)d 版。导入同一编码会生成新版本，不会覆盖已有版本。\n") % {
        "code": standard.code,
        "version": standard.version,
    }
    body = yaml.dump({"standard": doc}, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=4096)
    return header + body


# --- Excel --------------------------------------------------------------------------------------------------


def read_xlsx(data: bytes) -> tuple[RawStandard, list[Problem]]:
    raw = _check_size(data)
    try:
        wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a non-workbook
        raise StandardImportError([Problem("", "", _("不是有效的 Excel（.xlsx）文件"))]) from None
    problems: list[Problem] = []
    sheets = {}
    for name in (INFO_SHEET, TYPE_SHEET, ITEM_SHEET):
        if name not in wb.sheetnames:
            problems.append(Problem(name, "", _("缺少工作表")))
        else:
            sheets[name] = wb[name]
    if problems:
        raise StandardImportError(problems)
    info = _xlsx_info(sheets[INFO_SHEET])
    site_types = _xlsx_site_types(sheets[TYPE_SHEET], sheets[ITEM_SHEET], problems)
    parameters = _xlsx_parameters(wb[PARAM_SHEET]) if PARAM_SHEET in wb.sheetnames else None
    tree = read_tree_sheets(wb, problems)
    labels = {**INFO_ROWS, "site_types": TYPE_SHEET}
    raw_standard = RawStandard(
        info, Place(f"{INFO_SHEET}表", labels), site_types, parameters, Place(f"{PARAM_SHEET}表"), tree
    )
    return raw_standard, problems


def _xlsx_info(ws: Worksheet) -> dict[str, Any]:
    by_label = {normalise(label): field for field, label in INFO_ROWS.items()}
    info: dict[str, Any] = {}
    for _n, cells in rows(ws):
        field = by_label.get(normalise(cells[0]))
        if field and len(cells) > 1 and cells[1] is not None:
            info[field] = cells[1]
    return info


def _xlsx_site_types(type_ws: Worksheet, item_ws: Worksheet, problems: list[Problem]) -> list[RawSiteType]:
    type_rows = table(type_ws, TYPE_COLUMNS, TYPE_REQUIRED, problems)
    item_rows = table(item_ws, ITEM_COLUMNS, ITEM_REQUIRED, problems)
    if problems:  # a missing sheet or column: row-level checks would only repeat it
        raise StandardImportError(problems)
    type_labels = {**TYPE_COLUMNS, "items": ITEM_SHEET}
    site_types: list[RawSiteType] = []
    by_code: dict[str, RawSiteType] = {}
    for n, row in type_rows:
        st = RawSiteType(row, Place(f"{TYPE_SHEET}表第{n}行", type_labels))
        site_types.append(st)
        by_code.setdefault(str(row.get("code", "")), st)
    for n, row in item_rows:
        place = Place(f"{ITEM_SHEET}表第{n}行", ITEM_COLUMNS)
        type_code = str(row.pop("site_type", "") or "")
        owner = by_code.get(type_code)
        if owner is None:
            reason = _("点位类型表中没有编码为“%(code)s”的类型") % {"code": type_code}
            problems.append(place.problem("site_type", reason))
            continue
        owner.items.append(RawItem(row, place))
    return site_types


def _xlsx_parameters(ws: Worksheet) -> dict[str, Any]:
    parameters: dict[str, Any] = {}
    for n, cells in rows(ws):
        if n == 1 or cells[0] is None or len(cells) < 2:
            continue
        value = cells[1]
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                pass
        parameters[str(cells[0])] = value
    return parameters


def export_standard_xlsx(standard: Standard) -> bytes:
    doc = standard_document(standard)
    wb = Workbook()
    info = wb.active
    assert info is not None
    info.title = INFO_SHEET
    fill(info, ["项目", "值"], [[INFO_ROWS[f], doc[f]] for f in INFO_ROWS], [16, 60])
    type_rows = [[st[f] for f in TYPE_COLUMNS] for st in doc["site_types"]]
    fill(wb.create_sheet(TYPE_SHEET), list(TYPE_COLUMNS.values()), type_rows, [10, 24, 40, 8])
    item_rows = [_item_row(st["code"], item) for st in doc["site_types"] for item in st["items"]]
    widths = [12, 10, 12, 60, 14, 10, 10, 12, 10, 18, 12]
    fill(wb.create_sheet(ITEM_SHEET), list(ITEM_COLUMNS.values()), item_rows, widths)
    param_rows = [
        [
            key,
            json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v,
            PARAMETER_HELP.get(key, ""),
        ]
        for key, v in doc["parameters"].items()
    ]
    fill(wb.create_sheet(PARAM_SHEET), ["参数", "值", "说明"], param_rows, [24, 50, 60])
    write_tree_sheets(wb, doc.get("indicators", []))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _item_row(site_type: str, item: Mapping[str, Any]) -> list[Any]:
    values = {**item, "site_type": site_type}
    values["mode"] = MODE_LABELS[ScoringMode(item["mode"])]
    values["severity"] = SEVERITY_LABELS[Severity(item["severity"])]
    return [values.get(f) for f in ITEM_COLUMNS]
