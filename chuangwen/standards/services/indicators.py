"""A version's indicator tree (测评项目 → 测评内容 → 测评标准): raw nodes from YAML, the rules, the writer.

Readers (YAML here, Excel in indicator_sheets.py) build ``Raw*`` nodes that know where each value came from;
:func:`clean_tree` applies every rule and appends problems to the caller's list, so that the checklist and the
tree are refused together (all or nothing); :func:`write_tree` writes a clean tree in bulk.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from chuangwen.standards.exceptions import Problem
from chuangwen.standards.models import (
    CheckItem,
    Indicator,
    IndicatorContent,
    IndicatorProject,
    MaterialType,
    Method,
    Standard,
)
from chuangwen.standards.services.validation import Checker, Place, decimal_places, to_decimal

PROJECT_FIELDS = ("code", "name", "contents")
CONTENT_FIELDS = ("code", "name", "indicators")
INDICATOR_FIELDS = (
    "code", "text", "methods", "points", "materials", "window_months", "guidance", "check_items",
)  # fmt: skip
MAX_TEXT = 2000
MAX_POINTS = Decimal(100)
WINDOW_MONTHS = (1, 36)
DEFAULT_WINDOW_MONTHS = 12

# Plain strings (not the models' lazy labels): they are compared with file contents and written to Excel.
METHOD_LABELS: dict[str, str] = {
    Method.ONLINE: "网上申报",
    Method.FIELD: "实地考察",
    Method.SURVEY: "问卷调查",
    Method.NEGATIVE: "负面清单",
}
MATERIAL_LABELS: dict[str, str] = {
    MaterialType.DOCUMENT: "规范文件",
    MaterialType.ACCOUNT: "情况说明",
    MaterialType.PHOTO: "实景图片",
    MaterialType.TABLE: "统计表格",
}
METHOD_ALIASES = {str(v): str(v) for v in METHOD_LABELS} | {
    label: str(v) for v, label in METHOD_LABELS.items()
}
MATERIAL_ALIASES = {str(v): str(v) for v in MATERIAL_LABELS} | {
    label: str(v) for v, label in MATERIAL_LABELS.items()
}
# A list typed into one cell (or one YAML string): 、 , ， ; ； or spaces between the entries.
LIST_SEPARATORS = re.compile(r"[、,，;；\s]+")


@dataclass
class RawIndicator:
    data: Mapping[str, Any]
    place: Place


@dataclass
class RawContent:
    data: Mapping[str, Any]
    place: Place
    indicators: list[RawIndicator] = field(default_factory=list)


@dataclass
class RawProject:
    data: Mapping[str, Any]
    place: Place
    contents: list[RawContent] = field(default_factory=list)


@dataclass
class CleanIndicator:
    code: str
    text: str
    methods: list[str]
    points: Decimal
    material_types: list[str]
    window_months: int
    guidance: str
    check_items: list[str]  # check item codes of the same version


@dataclass
class CleanContent:
    code: str
    name: str
    indicators: list[CleanIndicator]


@dataclass
class CleanProject:
    code: str
    name: str
    contents: list[CleanContent]


# --- YAML ---------------------------------------------------------------------------------------------------


def read_tree(value: Any, problems: list[Problem]) -> list[RawProject]:
    """The ``indicators:`` list of a YAML document as raw nodes; structural problems go to ``problems``."""
    projects: list[RawProject] = []
    for where, data in _mappings(value, "", "indicators", problems):
        project = RawProject(data, Place(where))
        for content_where, content_data in _mappings(data.get("contents"), where, "contents", problems):
            content = RawContent(content_data, Place(content_where))
            for leaf_where, leaf in _mappings(
                content_data.get("indicators"), content_where, "indicators", problems
            ):
                content.indicators.append(RawIndicator(leaf, Place(leaf_where)))
            project.contents.append(content)
        projects.append(project)
    return projects


def _mappings(
    value: Any, parent: str, key: str, problems: list[Problem]
) -> list[tuple[str, Mapping[str, Any]]]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(Problem(parent, key, _("必须是列表")))
        return []
    found = []
    for i, node in enumerate(value):
        where = f"{parent}.{key}[{i}]" if parent else f"{key}[{i}]"
        if isinstance(node, Mapping):
            found.append((where, node))
        else:
            problems.append(Problem(where, "", _("必须是键值对（映射）")))
    return found


# --- Rules --------------------------------------------------------------------------------------------------


def clean_tree(
    projects: list[RawProject], item_codes: Collection[str], problems: list[Problem]
) -> list[CleanProject]:
    """Every rule of the tree; ``item_codes`` are the version's check item codes (links must point there)."""
    seen: dict[str, dict[str, str]] = {"project": {}, "content": {}, "indicator": {}}
    result = []
    for raw in projects:
        c = Checker(raw.data, raw.place, problems)
        c.unknown(PROJECT_FIELDS)
        code, name = c.code("code", 16), c.text("name", 200)
        _note_duplicate(c, code, seen["project"])
        if not raw.contents:
            c.add("contents", _("至少需要一个测评内容"))
        contents = [_clean_content(ct, code, item_codes, seen, problems) for ct in raw.contents]
        if c.ok:
            result.append(CleanProject(code, name, [ct for ct in contents if ct is not None]))
    return result


def _clean_content(
    raw: RawContent,
    project_code: str,
    item_codes: Collection[str],
    seen: dict[str, dict[str, str]],
    problems: list[Problem],
) -> CleanContent | None:
    c = Checker(raw.data, raw.place, problems)
    c.unknown(CONTENT_FIELDS)
    code, name = c.code("code", 16), c.text("name", 200)
    _check_prefix(c, code, project_code, _("测评项目"))
    _note_duplicate(c, code, seen["content"])
    if not raw.indicators:
        c.add("indicators", _("至少需要一条测评标准"))
    indicators = []
    for leaf in raw.indicators:
        indicator = clean_indicator(leaf, code, item_codes, problems)
        _note_duplicate(Checker(leaf.data, leaf.place, problems), _code_of(leaf.data), seen["indicator"])
        indicators.append(indicator)
    if not c.ok:
        return None
    return CleanContent(code, name, [i for i in indicators if i is not None])


def clean_indicator(
    raw: RawIndicator, content_code: str, item_codes: Collection[str], problems: list[Problem]
) -> CleanIndicator | None:
    c = Checker(raw.data, raw.place, problems)
    c.unknown(INDICATOR_FIELDS)
    code, text = c.code("code", 24), c.text("text", MAX_TEXT)
    _check_prefix(c, code, content_code, _("测评内容"))
    guidance = c.text("guidance", MAX_TEXT, required=False)
    methods = _choices(c, "methods", METHOD_ALIASES, required=True)
    online = Method.ONLINE in methods
    # Online review judges the materials a unit files, so it must say which kinds count.
    materials = _choices(c, "materials", MATERIAL_ALIASES, required=online)
    points = _points(c)
    window = DEFAULT_WINDOW_MONTHS
    if c.present("window_months"):
        window = c.integer("window_months", *WINDOW_MONTHS)
    links = _links(c, item_codes)
    if not c.ok:
        return None
    return CleanIndicator(code, text, methods, points, materials, window, guidance, links)


def _code_of(data: Mapping[str, Any]) -> str:
    value = data.get("code")
    return "" if value is None or isinstance(value, Mapping | list) else str(value).strip()


def _check_prefix(c: Checker, code: str, parent_code: str, parent_label: str) -> None:
    if code and parent_code and not code.startswith(f"{parent_code}-"):
        reason = _("编号必须以所属%(parent)s的编号加连字符（%(prefix)s）开头") % {
            "parent": parent_label,
            "prefix": f"{parent_code}-",
        }
        c.add("code", reason)


def _note_duplicate(c: Checker, code: str, seen: dict[str, str]) -> None:
    if not code:
        return
    if code in seen:
        c.add("code", _("编号“%(code)s”重复（已在 %(where)s 使用）") % {"code": code, "where": seen[code]})
    else:
        seen[code] = c.place.location


def _entries(c: Checker, name: str) -> list[str] | None:
    """A list field as text entries: a YAML list, or one text with separators (an Excel cell)."""
    value = c.data.get(name)
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in LIST_SEPARATORS.split(value) if part]
    if isinstance(value, list) and all(isinstance(v, str | int) and not isinstance(v, bool) for v in value):
        return [str(v).strip() for v in value if str(v).strip()]
    c.add(name, _("必须是列表"))
    return None


def _choices(c: Checker, name: str, aliases: Mapping[str, str], *, required: bool) -> list[str]:
    entries = _entries(c, name)
    if entries is None:
        return []
    if not entries:
        if required:
            c.add(name, _("不能为空"))
        return []
    chosen = set()
    for entry in entries:
        if entry not in aliases:
            allowed = "、".join(dict.fromkeys(aliases.values()))
            c.add(name, _("“%(value)s”无效，可用：%(choices)s") % {"value": entry, "choices": allowed})
        else:
            chosen.add(aliases[entry])
    # The choices' own order, so that a file and its export compare equal whatever order was typed.
    return [v for v in dict.fromkeys(aliases.values()) if v in chosen]


def _points(c: Checker) -> Decimal:
    if not c.present("points"):
        return Decimal(0)
    number = to_decimal(c.data["points"])
    if number is None:
        c.add("points", _("必须是数字"))
    elif not 0 <= number <= MAX_POINTS:
        c.add("points", _("必须在 0 到 %(max)d 之间") % {"max": MAX_POINTS})
    elif decimal_places(number) > 2:
        c.add("points", _("最多保留 %(n)d 位小数") % {"n": 2})
    else:
        return number
    return Decimal(0)


def _links(c: Checker, item_codes: Collection[str]) -> list[str]:
    codes = list(dict.fromkeys(_entries(c, "check_items") or []))
    for code in codes:
        if code not in item_codes:
            c.add("check_items", _("本版本中没有编码为“%(code)s”的实地测评指标") % {"code": code})
    return codes


# --- Writing and reading back -------------------------------------------------------------------------------


def write_tree(standard: Standard, projects: list[CleanProject], items: Mapping[str, CheckItem]) -> int:
    """Write a clean tree under a new version, in bulk and in order; ``items`` are that version's check items
    by code. Returns the number of indicators written."""
    project_rows = IndicatorProject.objects.bulk_create(
        [
            IndicatorProject(standard=standard, code=p.code, name=p.name, sort_order=n)
            for n, p in enumerate(projects, start=1)
        ]
    )
    contents = [ct for p in projects for ct in p.contents]
    content_rows = IndicatorContent.objects.bulk_create(
        [
            IndicatorContent(project=row, code=ct.code, name=ct.name, sort_order=n)
            for row, p in zip(project_rows, projects, strict=True)
            for n, ct in enumerate(p.contents, start=1)
        ]
    )
    leaves = [i for ct in contents for i in ct.indicators]
    indicator_rows = Indicator.objects.bulk_create(
        [_indicator_row(row, i, n) for row, ct in zip(content_rows, contents, strict=True)
         for n, i in enumerate(ct.indicators, start=1)]
    )  # fmt: skip
    link = Indicator.check_items.through
    link.objects.bulk_create(
        [
            link(indicator_id=row.pk, checkitem_id=items[code].pk)
            for row, leaf in zip(indicator_rows, leaves, strict=True)
            for code in leaf.check_items
        ]
    )
    return len(indicator_rows)


def _indicator_row(content: IndicatorContent, leaf: CleanIndicator, order: int) -> Indicator:
    return Indicator(
        content=content,
        code=leaf.code,
        text=leaf.text,
        methods=leaf.methods,
        points=leaf.points,
        material_types=leaf.material_types,
        window_months=leaf.window_months,
        guidance=leaf.guidance,
        sort_order=order,
    )


def indicator_tree(standard: Standard) -> list[IndicatorProject]:
    """A version's projects with contents, indicators and linked check items, in order (four queries)."""
    items = CheckItem.objects.select_related("site_type").order_by(
        "site_type__sort_order", "sort_order", "code"
    )
    indicators = Indicator.objects.order_by("sort_order", "code").prefetch_related(
        Prefetch("check_items", items)
    )
    contents = IndicatorContent.objects.order_by("sort_order", "code").prefetch_related(
        Prefetch("indicators", indicators)
    )
    return list(
        standard.indicator_projects.order_by("sort_order", "code").prefetch_related(
            Prefetch("contents", contents)
        )
    )


def clean_tree_from_model(standard: Standard) -> list[CleanProject]:
    """A stored tree as clean nodes, to copy it into a derived version (links by check item code)."""
    return [
        CleanProject(
            p.code,
            p.name,
            [
                CleanContent(ct.code, ct.name, [_clean_from_row(i) for i in ct.indicators.all()])
                for ct in p.contents.all()
            ],
        )
        for p in indicator_tree(standard)
    ]


def _clean_from_row(row: Indicator) -> CleanIndicator:
    return CleanIndicator(
        code=row.code,
        text=row.text,
        methods=list(row.methods),
        points=Decimal(row.points),
        material_types=list(row.material_types),
        window_months=row.window_months,
        guidance=row.guidance,
        check_items=[item.code for item in row.check_items.all()],
    )


def tree_totals(projects: list[IndicatorProject]) -> dict[str, Any]:
    """Points per project and per method of a prefetched tree. The full score counts scored indicators only: a
    negative-list indicator's points are what it takes off when it happens, shown apart."""
    per_project = []
    per_method: dict[str, dict[str, Any]] = {
        str(m): {"method": str(m), "label": label, "points": Decimal(0), "count": 0}
        for m, label in METHOD_LABELS.items()
    }
    full = Decimal(0)
    for project in projects:
        scored, negative = Decimal(0), Decimal(0)
        leaves = [i for ct in project.contents.all() for i in ct.indicators.all()]
        for leaf in leaves:
            for method in leaf.methods:
                if method in per_method:
                    per_method[method]["points"] += leaf.points
                    per_method[method]["count"] += 1
            if Method.NEGATIVE in leaf.methods:
                negative += leaf.points
            else:
                scored += leaf.points
        per_project.append({"project": project, "count": len(leaves), "points": scored, "negative": negative})
        full += scored
    return {"projects": per_project, "methods": list(per_method.values()), "full": full}
