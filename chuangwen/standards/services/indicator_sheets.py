"""The indicator tree in a workbook: three sheets 测评项目, 测评内容, 测评标准 (optional on import)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook

from chuangwen.standards.exceptions import Problem, StandardImportError
from chuangwen.standards.services.indicators import (
    MATERIAL_LABELS,
    METHOD_LABELS,
    RawContent,
    RawIndicator,
    RawProject,
)
from chuangwen.standards.services.sheets import fill, table
from chuangwen.standards.services.validation import Place

PROJECT_SHEET, CONTENT_SHEET, INDICATOR_SHEET = "测评项目", "测评内容", "测评标准"
TREE_SHEETS = (PROJECT_SHEET, CONTENT_SHEET, INDICATOR_SHEET)
PROJECT_COLUMNS = {"code": "项目编号", "name": "测评项目"}
CONTENT_COLUMNS = {"project": "项目编号", "code": "内容编号", "name": "测评内容"}
INDICATOR_COLUMNS = {
    "content": "内容编号",
    "code": "标准编号",
    "text": "测评标准",
    "methods": "测评方法",
    "points": "分值",
    "materials": "材料类型",
    "window_months": "材料时限（月）",
    "guidance": "申报要求",
    "check_items": "对应实地测评指标",
}
PROJECT_REQUIRED = ("code", "name")
CONTENT_REQUIRED = ("project", "code", "name")
INDICATOR_REQUIRED = ("content", "code", "text", "methods")
JOIN = "、"


def read_tree_sheets(wb: Workbook, problems: list[Problem]) -> list[RawProject]:
    """The tree of a workbook; none when it has none of the three sheets (a checklist-only workbook)."""
    if not any(name in wb.sheetnames for name in TREE_SHEETS):
        return []
    missing = [Problem(name, "", _("缺少工作表")) for name in TREE_SHEETS if name not in wb.sheetnames]
    if missing:
        raise StandardImportError([*problems, *missing])
    start = len(problems)
    project_rows = table(wb[PROJECT_SHEET], PROJECT_COLUMNS, PROJECT_REQUIRED, problems)
    content_rows = table(wb[CONTENT_SHEET], CONTENT_COLUMNS, CONTENT_REQUIRED, problems)
    indicator_rows = table(wb[INDICATOR_SHEET], INDICATOR_COLUMNS, INDICATOR_REQUIRED, problems)
    if len(problems) > start:  # a missing column: row-level checks would only repeat it
        raise StandardImportError(problems)
    projects, by_code = _projects(project_rows)
    contents: dict[str, RawContent] = {}
    content_labels = {**CONTENT_COLUMNS, "indicators": f"{INDICATOR_SHEET}表"}
    for n, row in content_rows:
        place = Place(f"{CONTENT_SHEET}表第{n}行", content_labels)
        owner = _owner(by_code, row.pop("project", None), place, "project", problems)
        if owner is not None:
            content = RawContent(row, place)
            owner.contents.append(content)
            contents.setdefault(_key(row.get("code")), content)
    for n, row in indicator_rows:
        place = Place(f"{INDICATOR_SHEET}表第{n}行", INDICATOR_COLUMNS)
        parent = _owner(contents, row.pop("content", None), place, "content", problems)
        if parent is not None:
            parent.indicators.append(RawIndicator(row, place))
    return projects


def _projects(
    project_rows: list[tuple[int, dict[str, Any]]],
) -> tuple[list[RawProject], dict[str, RawProject]]:
    """Every project row (a repeated code stays a row, so the rules name it) and the first one per code."""
    labels = {**PROJECT_COLUMNS, "contents": f"{CONTENT_SHEET}表"}
    projects = [RawProject(row, Place(f"{PROJECT_SHEET}表第{n}行", labels)) for n, row in project_rows]
    by_code: dict[str, RawProject] = {}
    for project in projects:
        by_code.setdefault(_key(project.data.get("code")), project)
    return projects, by_code


def _key(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _owner(nodes: Mapping[str, Any], code: Any, place: Place, column: str, problems: list[Problem]) -> Any:
    owner = nodes.get(_key(code))
    if owner is None:
        if column == "project":
            reason = _("测评项目表中没有编号为“%(code)s”的项目") % {"code": _key(code)}
        else:
            reason = _("测评内容表中没有编号为“%(code)s”的内容") % {"code": _key(code)}
        problems.append(place.problem(column, reason))
    return owner


def write_tree_sheets(wb: Workbook, tree: list[dict[str, Any]]) -> None:
    """The three sheets from a document's ``indicators`` list; nothing for a version without a tree."""
    if not tree:
        return
    project_rows = [[p["code"], p["name"]] for p in tree]
    fill(wb.create_sheet(PROJECT_SHEET), list(PROJECT_COLUMNS.values()), project_rows, [10, 40])
    content_rows = [[p["code"], ct["code"], ct["name"]] for p in tree for ct in p["contents"]]
    fill(wb.create_sheet(CONTENT_SHEET), list(CONTENT_COLUMNS.values()), content_rows, [10, 12, 40])
    leaf_rows = [
        _leaf_row(ct["code"], leaf) for p in tree for ct in p["contents"] for leaf in ct["indicators"]
    ]
    widths = [12, 14, 60, 22, 8, 22, 14, 50, 24]
    fill(wb.create_sheet(INDICATOR_SHEET), list(INDICATOR_COLUMNS.values()), leaf_rows, widths)


def _leaf_row(content: str, leaf: Mapping[str, Any]) -> list[Any]:
    values = {
        **leaf,
        "content": content,
        "methods": JOIN.join(METHOD_LABELS[m] for m in leaf["methods"]),
        "materials": JOIN.join(MATERIAL_LABELS[m] for m in leaf.get("materials", [])),
        "check_items": JOIN.join(leaf.get("check_items", [])),
    }
    return [None if values.get(f) == "" else values.get(f) for f in INDICATOR_COLUMNS]
