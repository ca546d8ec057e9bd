"""Scores of every unit of a level for a period, from the records (the one place rankings are computed).

**Visits of a period**: accepted visits with a score, of published rounds only (a round's results count once
it is published), of the official kinds (暗访, 回头看, 互查; a unit's own 自查 never scores it — see
``selfcheck.py``). A round period takes that round's visits; a month takes the visits finished in the month.
A street or community is scored on the sites **located** in it (the site's area unit), a department on the
sites it is **responsible** for.

**Cases of a period** (``counts_in_period``): routed cases, not rejected, duplicate or cancelled, whose
deadline fell in the period up to ``as_of`` or that were closed in it; a case still inside its time never
counts, so a ranking published the day its round is published does not score the cases that round opened
seconds earlier.
A street or community answers for the cases **located** in it (the case's site's area unit, else the case's
area unit), whoever they were routed to; a department for the cases routed to it. Whether a case was closed
on time is decided by ``on_time`` alone (the ranking and the what-if both call it).

A unit without any case of the period takes the level's mean rectification score (``impute_rectification``);
a unit without any counted visit is not ranked (样本不足) and is listed after the ranked ones.

Every number is traceable: a ``UnitScore`` keeps the ids of the visits and cases it was made from, and a
published ranking stores them (drill-down adds up to the number shown).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy

from chuangwen.cases.models import OPEN_STATES, CaseEvent, CaseState
from chuangwen.materials.component import MaterialsTally
from chuangwen.materials.component import score as materials_score
from chuangwen.materials.component import tallies as materials_tallies
from chuangwen.org.models import Unit, UnitKind
from chuangwen.rankings import accountability, formulas
from chuangwen.rankings.caserules import (
    CASE_FIELDS,
    case_counts,
    case_owner,
    case_row,
    closed_by,
    counts_in_period,
    on_time,
    period_cases,
)
from chuangwen.rankings.config import INDICATORS, RankingConfig, ranking_config
from chuangwen.rounds.models import OFFICIAL_KINDS, Round, RoundKind, RoundStatus, Visit, VisitStatus
from chuangwen.standards.models import SiteType, Standard
from chuangwen.surveys.models import Wave
from chuangwen.surveys.results import unit_scores
from chuangwen.volunteers.results import Sources, Window, figures

if TYPE_CHECKING:
    from collections.abc import Iterable

TZ = ZoneInfo(settings.TIME_ZONE)  # the district's local time (settings)
LEVELS = (UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.DEPARTMENT)
INSUFFICIENT_SAMPLE = gettext_lazy("样本不足（本周期没有计入的实地测评）")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Period:
    kind: str  # "round" or "month"
    start: datetime
    end: datetime  # exclusive
    round_id: int | None = None
    month: date | None = None
    standard_id: int | None = None

    @classmethod
    def for_month(cls, day: date) -> Period:
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        start = datetime.combine(first, time(), tzinfo=TZ)
        return cls("month", start, datetime.combine(following, time(), tzinfo=TZ), month=first)

    @classmethod
    def for_round(cls, round_: Round) -> Period:
        start = datetime.combine(round_.period_start, time(), tzinfo=TZ)
        end = datetime.combine(round_.period_end + timedelta(days=1), time(), tzinfo=TZ)
        return cls("round", start, end, round_id=round_.pk, standard_id=round_.standard_id)

    @property
    def key(self) -> str:
        return f"round:{self.round_id}" if self.kind == "round" else f"month:{self.month:%Y-%m}"

    def previous(self) -> Period | None:
        """The month before; a round compares with the previous published official round."""
        if self.kind == "month":
            assert self.month is not None
            return Period.for_month(self.month - timedelta(days=1))
        current = Round.objects.filter(pk=self.round_id or 0).first()
        if current is None:
            return None
        earlier = (
            Round.objects.filter(
                status=RoundStatus.PUBLISHED, kind__in=OFFICIAL_KINDS, period_start__lt=current.period_start
            )
            .order_by("-period_start", "-pk")
            .first()
        )
        return Period.for_round(earlier) if earlier is not None else None


@dataclass
class UnitScore:
    unit_id: int
    unit_code: str
    unit_name: str
    level: str
    visits: int = 0
    weight_sum: Decimal = Decimal(0)
    onsite_raw: Decimal | None = None  # weighted mean before shrinkage
    onsite: Decimal | None = None  # after shrinkage toward the level's mean
    cases: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # numerators of the indicators
    indicators: dict[str, Decimal | None] = field(default_factory=dict)
    rectification: Decimal | None = None
    materials: Decimal | None = None  # the 网上申报 component (materials/component.py)
    materials_counts: dict[str, int] = field(default_factory=dict)
    survey: Decimal | None = None  # the 问卷调查 component (``SurveyScore``)
    survey_wave_id: int | None = None
    survey_detail: dict[str, Any] = field(default_factory=dict)
    volunteer: Decimal | None = None  # the 志愿服务 component (``VolunteerScore``)
    volunteer_detail: dict[str, Any] = field(default_factory=dict)
    penalty_events: dict[str, int] = field(default_factory=dict)
    penalty: Decimal = Decimal(0)
    composite: Decimal | None = None
    rank: int | None = None
    unranked_reason: str = ""  # why a unit has no rank (样本不足)
    visit_ids: list[int] = field(default_factory=list)
    case_ids: list[int] = field(default_factory=list)


# --- which unit of the level a record belongs to -----------------------------------------------------------


class LevelMap:
    """unit id → the unit of the level at or above it (a community's street, a grid's community …)."""

    def __init__(self, level: str, root: Unit | None = None) -> None:
        units = Unit.objects.filter(kind=level, active=True)
        if root is not None:
            units = units.filter(path__startswith=root.path)
        self.units = list(units.order_by("path"))
        level_ids = {unit.pk for unit in self.units}
        self.of: dict[int, int] = {}
        for pk, path in Unit.objects.values_list("pk", "path"):
            for part in path.strip("/").split("/"):
                if part and int(part) in level_ids:
                    self.of[pk] = int(part)
                    break

    def __call__(self, unit_id: int | None) -> int | None:
        return self.of.get(unit_id) if unit_id is not None else None


# --- the records of a period -------------------------------------------------------------------------------


def scored_visits(period: Period, kinds: Iterable[str] = OFFICIAL_KINDS) -> Any:
    """Accepted visits with a score, of published rounds of ``kinds``, in ``period`` (a round's own visits,
    or those finished in the month). ``selfcheck`` asks for the 自查 kind through the same door."""
    visits = Visit.objects.filter(
        status=VisitStatus.ACCEPTED,
        score__isnull=False,
        round__status=RoundStatus.PUBLISHED,
        round__kind__in=list(kinds),
    )
    if period.kind == "round":
        return visits.filter(round_id=period.round_id or 0)
    moment = Coalesce(F("finished_at"), F("received_at"))
    return visits.alias(moment=moment).filter(moment__gte=period.start, moment__lt=period.end)


def period_visits(period: Period) -> Any:
    """The visits a ranking of ``period`` counts: those of the official kinds."""
    return scored_visits(period, OFFICIAL_KINDS)


def owner_field(level: str) -> str:
    """The visit's site field that says which unit it scores: a department is scored on the sites it is
    responsible for, a street or community on the sites located in it."""
    return "site__responsible_unit_id" if level == UnitKind.DEPARTMENT else "site__area_unit_id"


class Weigher:
    """The weight of a visit (``formulas.visit_weight``): its site type's weight in its round's standard
    (1 for a type the standard does not list) × the declared or undeclared factor × the revisit factor.
    The site types are read once."""

    def __init__(self, config: RankingConfig) -> None:
        self.config = config
        self.types: dict[tuple[int, str], Decimal] = {
            (standard_id, code): weight
            for standard_id, code, weight in SiteType.objects.values_list("standard_id", "code", "weight")
        }

    def type_weight(self, standard_id: int, site_type: str) -> Decimal:
        return self.types.get((standard_id, site_type), Decimal(1))

    def __call__(self, standard_id: int, site_type: str, declared: bool, round_kind: str) -> Decimal:
        type_weight = self.type_weight(standard_id, site_type)
        return formulas.visit_weight(type_weight, declared, round_kind == RoundKind.REVISIT, self.config)


def weighted_scores(visit_ids: Iterable[int], weigh: Weigher) -> list[tuple[Decimal, Decimal]]:
    """(score, weight) of the given visits, as ``compute`` weighs them (the drill-down's level mean)."""
    rows = Visit.objects.filter(pk__in=list(visit_ids)).values_list(
        "score", "round__standard_id", "site__site_type", "site__declared", "round__kind"
    )
    return [
        (Decimal(score or 0), weigh(standard_id, site_type, declared, kind))
        for score, standard_id, site_type, declared, kind in rows.iterator(chunk_size=5000)
    ]


def active_standard() -> Standard | None:
    """The active version of the evaluation standard (the newest, should several be marked active)."""
    return Standard.objects.filter(is_active=True).order_by("-version").first()


def standard_of(period: Period) -> Standard | None:
    """The standard whose parameters score ``period``: a round's own, else the active one."""
    if period.standard_id is not None:
        return Standard.objects.filter(pk=period.standard_id).first()
    return active_standard()


_standard = standard_of  # the former private name (bench/scoring/run.py imports it)


# --- the computation: load the records once, evaluate them (again, for a what-if) --------------------------


@dataclass
class VisitRecord:
    pk: int
    score: Decimal
    weight: Decimal
    target: int  # the unit of the level it counts for


def components(score: Any) -> dict[str, Decimal | None]:
    """The composite's components of a ``UnitScore`` or a stored row."""
    return {
        "onsite": score.onsite,
        "rectification": score.rectification,
        "materials": score.materials,
        "survey": score.survey,
        "volunteer": score.volunteer,
    }


@dataclass(frozen=True)
class SurveyScore:
    """The 问卷调查 component of one unit: 100 × the mean of its measure rates (知晓率, 支持率, 参与率,
    满意度) in the latest survey wave published at or before the ranking's ``as_of`` that covers it
    (``surveys.results.unit_scores``); ``detail`` keeps the wave's name and the rates for the tables."""

    score: Decimal
    wave_id: int
    detail: dict[str, Any]


def survey_scores(wanted: Iterable[int], as_of: datetime) -> dict[int, SurveyScore]:
    """Ranked unit id → its survey component at ``as_of``; a unit no published wave covers has none. Only a
    wave's own rows count (a street from the respondents of its communities): a unit is never given the
    figure of the unit above it."""
    units = set(wanted)
    found = {pk: hit for pk, hit in unit_scores(as_of).items() if pk in units}
    if not found:
        return {}
    waves = Wave.objects.filter(pk__in={wave_id for _mean, wave_id in found.values()})
    snapshots: dict[int, tuple[str, dict[str, Any]]] = {
        pk: (name, results or {}) for pk, name, results in waves.values_list("pk", "name", "results")
    }
    out = {}
    for unit_id, (mean, wave_id) in found.items():
        name, snapshot = snapshots[wave_id]
        row = snapshot["units"][str(unit_id)]
        rates = {m: r["rate"] for m, r in row["measures"].items() if r}
        respondents = max((r["n"] for r in row["measures"].values() if r), default=0)
        detail = {"wave": name, "rates": rates, "n": respondents}
        out[unit_id] = SurveyScore(formulas.q_score(HUNDRED * Decimal(str(mean))), wave_id, detail)
    return out


@dataclass(frozen=True)
class VolunteerScore:
    """The 志愿服务 component of one unit (``formulas.volunteer_parts``/``volunteer_score``) and the figures
    behind it, as stored with a published row (``detail``)."""

    score: Decimal | None
    detail: dict[str, Any]


def period_months(period: Period) -> Decimal:
    """A month is one month; any other period counts its days ÷ 30 (the hours target scales with it)."""
    if period.kind == "month":
        return Decimal(1)
    return Decimal((period.end - period.start).days) / Decimal(30)


def volunteer_scores(
    period: Period, units: list[Unit], as_of: datetime, config: RankingConfig
) -> dict[int, VolunteerScore]:
    """Ranked unit id → its volunteer component at ``as_of``; a unit without any registered volunteer in its
    subtree has none (the composite renormalises). Figures come from ``volunteers.results`` over the unit's
    whole subtree: volunteers registered there (not left), the residents aged 18–65 of its population figures,
    and the confirmed hours its volunteers served in activities that ended in the period."""
    window = Window(period.start, period.end, period.month)
    found = figures(units, window, sources=Sources.everything(), as_of=as_of)
    months = period_months(period)
    out = {}
    for pk, f in found.items():
        if not f.registered:
            continue
        parts = formulas.volunteer_parts(
            f.registered, f.population, f.resident_minutes, f.active, months, config.volunteer
        )
        score = formulas.volunteer_score(parts)
        detail = {
            "registered": f.registered,
            "population": f.population,
            "share": _text(f.share),
            "resident_hours": str(f.resident_hours),
            "hours_per_volunteer": str(
                formulas.q_score(Decimal(f.resident_minutes) / 60 / Decimal(f.registered))
            ),
            "active": f.active,
            "active_share": _text(f.active_share),
            "months": str(months.quantize(Decimal("0.01"))),
            "parts": {name: _text(_rounded(value)) for name, value in parts.items()},
        }
        out[pk] = VolunteerScore(score, detail)
    return out


def _text(value: Decimal | None) -> str | None:
    return str(value) if value is not None else None


@dataclass
class Scene:
    """The records of one level for one period, loaded once: the weighted visits, the case rows and the
    penalised events, each already assigned to the unit of the level it counts for."""

    period: Period
    level: str
    config: RankingConfig
    as_of: datetime
    units: list[Unit]
    visits: list[VisitRecord]
    cases: dict[int, tuple[int, tuple[Any, ...]]]  # case id → (unit of the level, CASE_FIELDS values)
    penalty_events: dict[int, dict[str, int]]
    materials: dict[int, MaterialsTally] = field(default_factory=dict)  # unit of the level → 网上申报 tally
    surveys: dict[int, SurveyScore] = field(default_factory=dict)  # unit of the level → 问卷调查 component
    volunteers: dict[int, VolunteerScore] = field(default_factory=dict)  # unit of the level → 志愿服务

    @classmethod
    def load(
        cls,
        period: Period,
        level: str,
        *,
        root: Unit | None = None,
        config: RankingConfig | None = None,
        as_of: datetime | None = None,
    ) -> Scene:
        config = config or ranking_config(standard_of(period))
        as_of = as_of or min(timezone.now(), period.end)
        level_of = LevelMap(level, root)
        wanted = {unit.pk for unit in level_of.units}
        return cls(
            period, level, config, as_of, level_of.units,
            _load_visits(period, level, level_of, wanted, config),
            _load_cases(period, level, level_of, wanted),
            _load_penalties(period, level_of, wanted, as_of),
            materials_tallies(level_of, as_of),
            survey_scores(wanted, as_of),
            volunteer_scores(period, level_of.units, as_of, config),
        )  # fmt: skip

    def evaluate(self, closed: Iterable[int] = ()) -> dict[int, UnitScore]:
        """Every unit of the level scored and ranked; a what-if may close some cases now (``closed``: closed
        at ``as_of``, on time or late as ``on_time`` says). Visits keep their published scores: closing a case
        never gives back on-site points."""
        closed = set(closed)
        out = {
            u.pk: UnitScore(unit_id=u.pk, unit_code=u.code, unit_name=u.name, level=self.level)
            for u in self.units
        }
        pairs: dict[int, list[tuple[Decimal, Decimal]]] = defaultdict(list)
        for visit in self.visits:
            pairs[visit.target].append((visit.score, visit.weight))
            out[visit.target].visit_ids.append(visit.pk)
        self._onsite(out, pairs)
        grouped: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for pk, (target, row) in self.cases.items():
            row = self._closed_now(row) if pk in closed else row
            if counts_in_period(row, self.period.start, self.as_of):
                grouped[target].append(row)
                out[target].case_ids.append(pk)
        for pk, rows in grouped.items():
            out[pk].cases = len(rows)
            out[pk].counts = case_counts(rows, self.as_of)
            out[pk].indicators = {name: formulas.rate(n, len(rows)) for name, n in out[pk].counts.items()}
        for pk, score in out.items():
            self._rectify(score)
            tally = self.materials.get(pk)
            score.materials = _rounded(materials_score(tally, self.config.materials))
            score.materials_counts = tally.counts() if tally else {}
            survey = self.surveys.get(pk)
            if survey is not None:
                score.survey, score.survey_wave_id = survey.score, survey.wave_id
                score.survey_detail = survey.detail
            volunteer = self.volunteers.get(pk)
            if volunteer is not None:
                score.volunteer, score.volunteer_detail = volunteer.score, volunteer.detail
        impute_rectification(out.values())
        for pk, score in out.items():
            self._combine(score, self.penalty_events.get(pk, {}))
        ranks = formulas.competition_ranks({pk: score.composite for pk, score in out.items()})
        for pk, rank in ranks.items():
            out[pk].rank = rank
        return out

    def open_case_ids(self, unit_id: int) -> list[int]:
        """The open cases that count, or will count, for ``unit_id`` (what a what-if may close)."""
        return [pk for pk, (target, row) in self.cases.items() if target == unit_id and row[0] in OPEN_STATES]

    def _onsite(self, out: dict[int, UnitScore], pairs: dict[int, list[tuple[Decimal, Decimal]]]) -> None:
        config = self.config
        prior = formulas.weighted_mean(pair for unit_pairs in pairs.values() for pair in unit_pairs)
        for pk, unit_pairs in pairs.items():
            score = out[pk]
            score.visits = len(unit_pairs)
            score.weight_sum = sum((weight for _s, weight in unit_pairs), Decimal(0))
            raw = formulas.weighted_mean(unit_pairs)
            score.onsite_raw = _rounded(raw)
            score.onsite = _rounded(
                formulas.shrink(raw, score.visits, prior, config.shrinkage_k, config.min_sample)
            )

    def _rectify(self, score: UnitScore) -> None:
        score.indicators = {name: score.indicators.get(name) for name in INDICATORS}
        rectification = formulas.rectification_score(score.indicators, self.config.rectification)
        score.rectification = _rounded(rectification)

    def _combine(self, score: UnitScore, events: dict[str, int]) -> None:
        config = self.config
        score.penalty_events = dict(events)
        score.penalty = formulas.penalty_points(events, accountability.signed_points(config.penalties))
        if score.visits == 0:
            # No on-site sample: the unit is listed after the ranked ones, with the reason, never ranked.
            score.composite, score.unranked_reason = None, str(INSUFFICIENT_SAMPLE)
            return
        score.composite = formulas.composite(components(score), config.composite, score.penalty)

    def _closed_now(self, row: tuple[Any, ...]) -> tuple[Any, ...]:
        """The case closed at ``as_of`` (what closing it for real now records); on time or not is
        ``on_time``'s call, as in the ranking."""
        _state, _closed_at, deadline, rework, extension, recurrence = row
        return (CaseState.CLOSED, self.as_of, deadline, rework, extension, recurrence)


def impute_rectification(scores: Iterable[UnitScore]) -> None:
    """The one rule for a unit without any case in the period: it takes the level's mean rectification score
    (the plain mean over the units that have one), so it neither gains nor loses by having nothing due; when
    no unit of the level has one, the component is left out for all of them alike."""
    scores = list(scores)
    known = [s.rectification for s in scores if s.cases and s.rectification is not None]
    if not known:
        return
    mean = _rounded(sum(known, Decimal(0)) / len(known))
    for score in scores:
        if not score.cases:
            score.rectification = mean


def _load_visits(
    period: Period, level: str, level_of: LevelMap, wanted: set[int], config: RankingConfig
) -> list[VisitRecord]:
    weigh = Weigher(config)
    rows = period_visits(period).values_list(
        "pk",
        "score",
        owner_field(level),
        "round__standard_id",
        "site__site_type",
        "site__declared",
        "round__kind",
    )
    visits = []
    for pk, score, unit_id, *weighed in rows.iterator(chunk_size=5000):
        target = level_of(unit_id)
        if target is not None and target in wanted:
            visits.append(VisitRecord(pk, Decimal(score), weigh(*weighed), target))
    return visits


def _load_cases(
    period: Period, level: str, level_of: LevelMap, wanted: set[int]
) -> dict[int, tuple[int, tuple[Any, ...]]]:
    cases: dict[int, tuple[int, tuple[Any, ...]]] = {}
    rows = period_cases(period).annotate(owner=case_owner(level)).values_list("pk", "owner", *CASE_FIELDS)
    for pk, unit_id, *rest in rows.iterator(10000):
        target = level_of(unit_id)
        if target is not None and target in wanted:
            cases[pk] = (target, tuple(rest))
    return cases


def _load_penalties(
    period: Period, level_of: LevelMap, wanted: set[int], as_of: datetime
) -> dict[int, dict[str, int]]:
    """A falsified fix: a closed case that a random second check (抽查复核) found not fixed; and the talks and
    commendations of the period (``accountability``)."""
    events: dict[int, dict[str, int]] = defaultdict(dict)
    falsified = CaseEvent.objects.filter(action="reverify_fail", at__gte=period.start, at__lt=period.end)
    for unit_id in falsified.values_list("case__unit_id", flat=True):
        target = level_of(unit_id)
        if target is not None and target in wanted:
            events[target]["falsified_rectification"] = events[target].get("falsified_rectification", 0) + 1
    return accountability.merge(dict(events), accountability.record_events(period, as_of, level_of, wanted))


def compute(
    period: Period,
    level: str,
    *,
    root: Unit | None = None,
    config: RankingConfig | None = None,
    as_of: datetime | None = None,
) -> list[UnitScore]:
    """Every active unit of ``level`` (under ``root``), scored and ranked for ``period``, best first."""
    scores = Scene.load(period, level, root=root, config=config, as_of=as_of).evaluate()
    return sorted(scores.values(), key=lambda s: (s.rank is None, s.rank or 0, s.unit_code))


def _rounded(value: Decimal | None) -> Decimal | None:
    return formulas.q_score(value) if value is not None else None


def compute_all(
    period: Period, *, root: Unit | None = None, as_of: datetime | None = None
) -> dict[str, list[UnitScore]]:
    """Every level at once (what a ranking recompute does)."""
    config = ranking_config(standard_of(period))
    return {level: compute(period, level, root=root, config=config, as_of=as_of) for level in LEVELS}


__all__ = [
    "CASE_FIELDS",
    "LEVELS",
    "Period",
    "Scene",
    "SurveyScore",
    "UnitScore",
    "VolunteerScore",
    "Weigher",
    "active_standard",
    "case_counts",
    "case_owner",
    "case_row",
    "closed_by",
    "components",
    "compute",
    "compute_all",
    "counts_in_period",
    "impute_rectification",
    "on_time",
    "owner_field",
    "period_cases",
    "period_visits",
    "scored_visits",
    "standard_of",
    "survey_scores",
    "volunteer_scores",
    "weighted_scores",
]
