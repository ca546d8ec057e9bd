"""A wave's results as people read them: the snapshot of ``results`` (published, or computed now for a wave
still running) cut to the rows the viewer may see, with rates as percentages and 95 % intervals, each unit
compared with the office overall, and the trend across published waves. The results page, its workbook, the
trend page and the home page's panel all read these, so they always show the same figures."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chuangwen.surveys import results, services
from chuangwen.surveys.models import Measure, Wave, WaveState

if TYPE_CHECKING:
    from chuangwen.accounts.models import User

TENTH = Decimal("0.1")
METHOD_NAMES: dict[str, Promise] = {
    "poststratification": gettext_lazy("事后分层加权"),
    "raking": gettext_lazy("迭代加权（raking）"),
    "unweighted": gettext_lazy("未加权"),
}
METHOD_TEXTS: dict[str, Promise] = {
    "poststratification": gettext_lazy(
        "每个“社区 × 年龄段 × 性别”配额格的有效答卷都不少于 3 份，每份答卷的权数 = 该格 18–65 岁常住人口 ÷ "
        "该格有效答卷数，使样本结构与人口结构一致。"
    ),
    "raking": gettext_lazy(
        "部分配额格的有效答卷不足 3 份，权数依次按各样本层、各年龄段、各性别的常住人口反复调整（迭代加权），"
        "直到样本在这三个方面都与人口结构一致。"
    ),
    "unweighted": gettext_lazy("没有录入常住人口数，每份有效答卷的权数相同（未加权），结果只代表样本本身。"),
}


def percent(value: float) -> Decimal:
    """A rate (0–1) in percent with one decimal, rounded half up (0.5625 → 56.3)."""
    return Decimal(repr(100 * value)).quantize(TENTH, ROUND_HALF_UP)


def pct(value: float | None) -> str:
    """A rate (0–1) as a percentage with one decimal, or an em dash."""
    return "—" if value is None else f"{percent(value)}%"


@dataclass(frozen=True)
class Figure:
    """A weighted rate with its 95 % interval, the respondents behind it and the Kish effective size."""

    rate: float
    low: float
    high: float
    n: int
    n_effective: float

    @classmethod
    def of(cls, stored: dict[str, Any] | None) -> Figure | None:
        if not stored:
            return None
        return cls(
            float(stored["rate"]),
            float(stored["low"]),
            float(stored["high"]),
            int(stored["n"]),
            float(stored.get("n_effective") or 0),
        )

    @property
    def text(self) -> str:
        return pct(self.rate)

    @property
    def interval(self) -> str:
        return f"[{pct(self.low)}, {pct(self.high)}]"

    def percent(self, value: float) -> float:
        """``value`` (one of rate, low, high) in percent, one decimal, for spreadsheets and charts."""
        return float(percent(value))


@dataclass(frozen=True)
class Comparison:
    """A unit's rate beside the office overall: above or below, and whether the 95 % intervals overlap."""

    direction: str  # "above", "below" or "equal"
    points: float  # the difference in percentage points, one decimal
    overlap: bool

    @classmethod
    def between(cls, figure: Figure | None, overall: Figure | None) -> Comparison | None:
        if figure is None or overall is None:
            return None
        # From the percentages as shown, so that the difference always matches the two figures on the page.
        points = float(percent(figure.rate) - percent(overall.rate))
        direction = "above" if points > 0 else "below" if points < 0 else "equal"
        overlap = figure.low <= overall.high and overall.low <= figure.high
        return cls(direction, points, overlap)

    @property
    def text(self) -> str:
        if self.direction == "equal":
            return _("与总体持平")
        if self.direction == "above":
            return _("高于总体 %(p).1f 个百分点") % {"p": self.points}
        return _("低于总体 %(p).1f 个百分点") % {"p": -self.points}

    @property
    def overlap_text(self) -> str:
        if self.overlap:
            return _("置信区间重叠，差别可能来自抽样误差")
        return _("置信区间不重叠，差别明显")

    @property
    def summary(self) -> str:
        """What the page says: the direction and, when the rates differ, what the intervals tell."""
        if self.direction == "equal":
            return self.text
        return f"{self.text}；{self.overlap_text}"


@dataclass
class UnitRow:
    pk: int
    name: str
    code: str
    depth: int  # below the office (0 for the office's own row)
    is_overall: bool
    stratum: bool
    target: int | None
    measures: dict[str, Figure | None]
    comparisons: dict[str, Comparison | None]
    indicators: dict[str, Figure | None]

    order: list[tuple[str, str]] = field(default_factory=list)  # the measures (code, label) shown

    @property
    def label(self) -> str:
        return _("%(name)s（总体）") % {"name": self.name} if self.is_overall else self.name

    @property
    def cells(self) -> list[MeasureCell]:
        """One cell per measure, in the table's order."""
        return [
            MeasureCell(code, label, self.measures.get(code), self.comparisons.get(code))
            for code, label in self.order
        ]


@dataclass(frozen=True)
class MeasureCell:
    code: str
    label: str
    figure: Figure | None
    comparison: Comparison | None


@dataclass
class IndicatorRow:
    code: str
    name: str
    cells: list[tuple[UnitRow, Figure | None]]

    def of(self, unit: UnitRow) -> Figure | None:
        return unit.indicators.get(self.code)


@dataclass(frozen=True)
class IndicatorLine:
    """One indicator of the page's table: the office overall beside the unit chosen."""

    row: IndicatorRow
    overall: Figure | None
    unit: Figure | None
    comparison: Comparison | None


@dataclass
class ChoiceShare:
    label: str
    share: float | None

    @property
    def text(self) -> str:
        return pct(self.share)


@dataclass
class QuestionRow:
    code: str
    text: str
    measure: str  # its label, or empty
    indicator: str
    rate: Figure | None
    choices: list[ChoiceShare]


@dataclass
class Results:
    wave: Wave
    live: bool  # computed now (the wave is not published)
    computed_at: datetime | None
    method: str
    counts: dict[str, int]
    measures: list[tuple[str, str]]  # (code, label) in the order of ``Measure``
    units: list[UnitRow]
    indicators: list[IndicatorRow]
    questions: list[QuestionRow] = field(default_factory=list)

    @property
    def method_name(self) -> str:
        return str(METHOD_NAMES.get(self.method, self.method))

    @property
    def method_text(self) -> str:
        return str(METHOD_TEXTS.get(self.method, ""))

    @property
    def overall(self) -> UnitRow | None:
        return self.units[0] if self.units and self.units[0].is_overall else None

    @property
    def others(self) -> list[UnitRow]:
        return [row for row in self.units if not row.is_overall]

    def unit(self, pk: int | None) -> UnitRow | None:
        return next((row for row in self.units if row.pk == pk), None)

    def indicator_lines(self, focus: UnitRow | None) -> list[IndicatorLine]:
        """Each indicator for the office overall and, unless it is the overall, the unit ``focus``."""
        overall = self.overall
        lines = []
        for row in self.indicators:
            total = row.of(overall) if overall else None
            mine = row.of(focus) if focus is not None and not focus.is_overall else None
            lines.append(IndicatorLine(row, total, mine, Comparison.between(mine, total)))
        return lines


def measure_labels(codes: Iterable[str]) -> list[tuple[str, str]]:
    wanted = set(codes)
    return [(code, str(label)) for code, label in Measure.choices if code in wanted]


def _tree_order(rows: dict[str, Any], owner: str) -> list[tuple[str, int]]:
    """(unit id, depth below the office) in tree order: the office, then each unit followed by the units
    under it. A visible unit whose parent is not visible hangs under the office."""
    children: dict[str, list[str]] = {}
    for pk, row in rows.items():
        if pk == owner:
            continue
        parent = str(row.get("parent"))
        children.setdefault(parent if parent in rows else owner, []).append(pk)
    out: list[tuple[str, int]] = []
    stack = [(owner, 0)] if owner in rows else [(pk, 1) for pk in reversed(children.get(owner, []))]
    while stack:
        pk, depth = stack.pop()
        out.append((pk, depth))
        stack.extend((child, depth + 1) for child in reversed(children.get(pk, [])))
    return out


def _indicator_names(wave: Wave, codes: list[str], questions: list[dict[str, Any]]) -> dict[str, str]:
    """The text of each indicator in the questionnaire's standard, else the questions that serve it."""
    names: dict[str, str] = {}
    standard_id = wave.questionnaire.standard_id
    if standard_id is not None and codes:
        from chuangwen.standards.models import Indicator

        found = Indicator.objects.filter(content__project__standard_id=standard_id, code__in=codes)
        names = dict(found.values_list("code", "text"))
    for code in codes:
        if code not in names:
            texts = [q["text"] for q in questions if q.get("indicator") == code]
            names[code] = "；".join(texts)
    return names


def build(wave: Wave, snapshot: dict[str, Any], user: User) -> Results:
    """The snapshot cut to the rows ``user`` may see (``results.visible_units``): the office overall first."""
    visible = results.visible_units(snapshot, user)
    owner = str(snapshot["owner"])
    measures = measure_labels(snapshot.get("measures", []))
    overall = visible.get(owner)
    overall_figures = {m: Figure.of(overall["measures"].get(m)) for m, _l in measures} if overall else {}
    indicator_codes = list(snapshot.get("indicators", []))
    units: list[UnitRow] = []
    for pk, depth in _tree_order(visible, owner):
        row = visible[pk]
        figures = {m: Figure.of(row["measures"].get(m)) for m, _l in measures}
        is_overall = pk == owner
        units.append(
            UnitRow(
                pk=int(pk),
                name=row["name"],
                code=row.get("code", ""),
                depth=depth,
                is_overall=is_overall,
                stratum=bool(row.get("stratum")),
                target=row.get("target"),
                measures=figures,
                comparisons={
                    m: None if is_overall else Comparison.between(figures[m], overall_figures.get(m))
                    for m, _l in measures
                },
                indicators={i: Figure.of(row["indicators"].get(i)) for i in indicator_codes},
                order=measures,
            )
        )
    questions = snapshot.get("questions", [])
    names = _indicator_names(wave, indicator_codes, questions)
    indicators = [
        IndicatorRow(code, names.get(code, ""), [(unit, unit.indicators.get(code)) for unit in units])
        for code in indicator_codes
    ]
    measure_names = dict(Measure.choices)
    question_rows = [
        QuestionRow(
            code=q["code"],
            text=q["text"],
            measure=str(measure_names.get(q.get("measure") or "", "")),
            indicator=q.get("indicator") or "",
            rate=Figure.of(q.get("rate")),
            choices=[ChoiceShare(c["label"], c.get("share")) for c in q.get("choices", [])],
        )
        for q in questions
        if q.get("choices")
    ]
    computed = snapshot.get("computed_at")
    return Results(
        wave=wave,
        live=not (wave.state == WaveState.PUBLISHED and wave.results),
        computed_at=parse_datetime(computed) if computed else None,
        method=snapshot.get("method", ""),
        counts=dict(snapshot.get("counts", {})),
        measures=measures,
        units=units,
        indicators=indicators,
        questions=question_rows,
    )


def results_for(wave: Wave, user: User) -> Results | None:
    """The viewer's results of ``wave`` (found through ``Wave.objects.visible_to``), or None before the wave
    has started fielding, and for viewers who may not see provisional figures before it is published."""
    if wave.state == WaveState.DRAFT or not may_see_live(wave, user):
        return None
    return build(wave, results.results_of(wave), user)


def may_see_live(wave: Wave, user: User) -> bool:
    """Figures of a wave not yet published are provisional: only the office running it and its supervisors see
    them (the API answers the same); everybody else waits for the published results."""
    return wave.state == WaveState.PUBLISHED or services.may_review(wave, user)


# --- trends across published waves --------------------------------------------------------------------------


@dataclass
class TrendPoint:
    figure: Figure | None
    change: float | None  # percentage points since the previous wave that had this figure

    @property
    def change_text(self) -> str:
        if self.change is None:
            return ""
        if self.change > 0:
            return _("较上轮 +%(p).1f 个百分点") % {"p": self.change}
        if self.change < 0:
            return _("较上轮 −%(p).1f 个百分点") % {"p": -self.change}
        return _("与上轮持平")

    @property
    def direction(self) -> str:
        if not self.change:
            return "flat"
        return "up" if self.change > 0 else "down"


@dataclass(frozen=True)
class TrendCell:
    code: str
    overall: TrendPoint | None
    mine: TrendPoint | None


@dataclass
class TrendWave:
    wave: Wave
    overall: dict[str, TrendPoint]
    mine: dict[str, TrendPoint] | None  # None: the viewer's unit is the office, or not in this wave's plan
    order: list[str] = field(default_factory=list)

    @property
    def cells(self) -> list[TrendCell]:
        mine = self.mine or {}
        return [TrendCell(code, self.overall.get(code), mine.get(code)) for code in self.order]


@dataclass
class Trend:
    """The published waves of one office, oldest first."""

    owner_id: int
    owner_name: str
    measures: list[tuple[str, str]]
    waves: list[TrendWave]
    mine_name: str  # the viewer's unit when it differs from the office, else empty

    def chart(self) -> dict[str, Any]:
        """What static/surveys/results.js draws: wave names and one series per measure and row."""
        series = []
        for code, label in self.measures:
            series.append(
                {
                    "name": _("%(measure)s · %(unit)s") % {"measure": label, "unit": self.owner_name},
                    "data": [_chart_value(w.overall.get(code)) for w in self.waves],
                    "dashed": False,
                }
            )
            if self.mine_name:
                series.append(
                    {
                        "name": _("%(measure)s · %(unit)s") % {"measure": label, "unit": self.mine_name},
                        "data": [_chart_value((w.mine or {}).get(code)) for w in self.waves],
                        "dashed": True,
                    }
                )
        return {"id": self.owner_id, "waves": [w.wave.name for w in self.waves], "series": series}


def _chart_value(point: TrendPoint | None) -> float | None:
    return point.figure.percent(point.figure.rate) if point and point.figure else None


def _points(rows: list[dict[str, Any] | None], measure: str) -> list[TrendPoint]:
    out: list[TrendPoint] = []
    previous: Figure | None = None
    for row in rows:
        figure = Figure.of(row["measures"].get(measure)) if row else None
        change = None
        if figure is not None and previous is not None:
            change = float(percent(figure.rate) - percent(previous.rate))
        out.append(TrendPoint(figure, change))
        if figure is not None:
            previous = figure
    return out


def trends(user: User) -> list[Trend]:
    """Published waves of the offices in the user's lineage (``Wave.objects.visible_to``), per office in
    time order, with the office overall and the user's own unit where the wave's plan covers it."""
    waves = list(
        Wave.objects.visible_to(user)
        .filter(state=WaveState.PUBLISHED, results__isnull=False)
        .select_related("owner_unit")
        .order_by("starts_on", "published_at", "pk")
    )
    by_owner: dict[int, list[Wave]] = {}
    for wave in waves:
        by_owner.setdefault(wave.owner_unit_id, []).append(wave)
    mine_id = str(user.unit_id) if user.unit_id is not None else ""
    out = []
    for owner_id, owned in sorted(by_owner.items(), key=lambda kv: kv[1][0].owner_unit.path):
        owner_key = str(owner_id)
        snapshots: list[dict[str, Any]] = [w.results or {} for w in owned]
        overall_rows = [snap.get("units", {}).get(owner_key) for snap in snapshots]
        mine_rows: list[dict[str, Any] | None] = []
        mine_name = ""
        if mine_id and mine_id != owner_key:
            mine_rows = [snap.get("units", {}).get(mine_id) for snap in snapshots]
            names = [row["name"] for row in mine_rows if row]
            mine_name = names[-1] if names else ""
        codes = {m for snap in snapshots for m in snap.get("measures", [])}
        measures = measure_labels(codes)
        overall = {code: _points(overall_rows, code) for code, _l in measures}
        mine = {code: _points(mine_rows, code) for code, _l in measures} if mine_name else {}
        rows = [
            TrendWave(
                wave,
                {code: overall[code][i] for code, _l in measures},
                {code: mine[code][i] for code, _l in measures} if mine_name and mine_rows[i] else None,
                [code for code, _l in measures],
            )
            for i, wave in enumerate(owned)
        ]
        out.append(Trend(owner_id, owned[0].owner_unit.name, measures, rows, mine_name))
    return out


# --- the home page's panel ----------------------------------------------------------------------------------


@dataclass
class Panel:
    wave: Wave
    row: UnitRow  # the viewer's unit, or the office overall when the plan does not cover it
    overall: UnitRow | None  # the office overall beside it (None when ``row`` is the overall)
    measures: list[tuple[str, str]]


def latest_panel(user: User) -> Panel | None:
    """The latest published wave the user may see, with the rates of the user's unit (or the office's)."""
    wave = (
        Wave.objects.visible_to(user)
        .filter(state=WaveState.PUBLISHED, results__isnull=False)
        .select_related("questionnaire", "owner_unit")
        .order_by("-published_at", "-pk")
        .first()
    )
    if wave is None or not wave.results:
        return None
    table = build(wave, wave.results, user)
    overall = table.overall
    own = next((row for row in table.units if row.pk == user.unit_id), None)
    if own is None or own.is_overall:
        if overall is None:
            return None
        return Panel(wave, overall, None, table.measures)
    return Panel(wave, own, overall, table.measures)
