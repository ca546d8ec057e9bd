"""The results of a wave as .xlsx: the same figures as the results page (``figures.Results``, already cut to
the rows the viewer may see), on the sheets 指标率, 测评标准 and 题目, and a 说明 sheet that says which wave,
whether the figures are published or computed now, the weighting and what was left out. Rates are numbers in
percent with one decimal; text goes through ``core.xlsx.sheet_cell`` so no cell ever runs as a formula."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font

from chuangwen.core.xlsx import sheet_cell, sheet_row
from chuangwen.surveys.figures import Figure, Results, percent

HEADER_FONT = Font(bold=True)


def _percent(figure: Figure | None) -> list[Any]:
    """Rate, low and high in percent, n and the effective size (empty cells without a figure)."""
    if figure is None:
        return ["", "", "", "", ""]
    return [
        figure.percent(figure.rate),
        figure.percent(figure.low),
        figure.percent(figure.high),
        figure.n,
        round(figure.n_effective, 1),
    ]


RATE_HEADERS = (
    gettext_lazy("比率（%）"),
    gettext_lazy("95% 区间下限（%）"),
    gettext_lazy("95% 区间上限（%）"),
    gettext_lazy("答卷数 n"),
    gettext_lazy("有效样本量"),
)


def _rate_headers() -> list[str]:
    return [str(h) for h in RATE_HEADERS]


def _sheet(book: Workbook, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    ws = book.create_sheet(title)
    header = []
    for text in headers:
        cell = sheet_cell(ws, text)
        cell.font = HEADER_FONT
        header.append(cell)
    ws.append(header)
    for row in rows:
        ws.append(sheet_row(ws, row))


def _measure_rows(table: Results) -> list[list[Any]]:
    rows = []
    for unit in table.units:
        for cell in unit.cells:
            comparison = cell.comparison
            if unit.is_overall:
                compared, overlap = _("（总体）"), ""
            elif comparison is None:
                compared, overlap = "", ""
            else:
                compared = comparison.text
                overlap = _("重叠") if comparison.overlap else _("不重叠")
            rows.append([unit.code, unit.label, cell.label, *_percent(cell.figure), compared, overlap])
    return rows


def _indicator_rows(table: Results) -> list[list[Any]]:
    return [
        [row.code, row.name, unit.code, unit.label, *_percent(figure)]
        for row in table.indicators
        for unit, figure in row.cells
    ]


def _question_rows(table: Results) -> list[list[Any]]:
    rows = []
    for q in table.questions:
        rate = _percent(q.rate)[:3]
        for choice in q.choices:
            share = float(percent(choice.share)) if choice.share is not None else ""
            rows.append([q.code, q.text, q.measure, q.indicator, *rate, choice.label, share])
    return rows


def _about_rows(table: Results) -> list[list[Any]]:
    wave = table.wave
    counts = table.counts
    computed = timezone.localtime(table.computed_at).strftime("%Y-%m-%d %H:%M") if table.computed_at else ""
    state = _("已发布") if not table.live else _("未发布，实时计算")
    return [
        [_("调查轮次"), wave.name],
        [_("问卷"), str(wave.questionnaire)],
        [_("组织单位"), wave.owner_unit.name],
        [_("调查日期"), f"{wave.starts_on:%Y-%m-%d} — {wave.ends_on:%Y-%m-%d}"],
        [_("结果状态"), state],
        [_("计算时间"), computed],
        [_("加权方法"), table.method_name],
        [_("方法说明"), table.method_text],
        [_("计入结果的有效答卷"), counts.get("accepted", 0)],
        [_("待审核（不计入）"), counts.get("flagged", 0)],
        [_("已作废（不计入）"), counts.get("rejected", 0)],
        [_("应知应会排除（不计入）"), counts.get("excluded_coaching", 0)],
        [_("题目"), _("题目表为本轮全部有效答卷（总体）的结果")],
        [_("区间"), _("95% 置信区间：比率 ± 1.96 × 标准误（按权数线性化估计），截断在 0–100% 之间。")],
    ]


def results_workbook(table: Results) -> bytes:
    book = Workbook(write_only=True)
    rates = _rate_headers()
    _sheet(
        book,
        _("指标率"),
        [_("单位编码"), _("单位"), _("指标"), *rates, _("与总体比较"), _("置信区间与总体")],
        _measure_rows(table),
    )
    _sheet(
        book,
        _("测评标准"),
        [_("测评标准编号"), _("测评标准"), _("单位编码"), _("单位"), *rates],
        _indicator_rows(table),
    )
    _sheet(
        book,
        _("题目"),
        [_("题目编号"), _("题目"), _("计入指标"), _("测评标准编号"), *rates[:3], _("选项"), _("占比（%）")],
        _question_rows(table),
    )
    _sheet(book, _("说明"), [_("项目"), _("内容")], _about_rows(table))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
