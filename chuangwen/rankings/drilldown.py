"""Drill-down of one row of a published ranking: the visits and cases behind every number, with arithmetic.

Everything starts from the snapshot: the row's stored ``visit_ids`` and ``case_ids`` and the configuration the
ranking was computed with (``Ranking.config``), so the on-site part always adds up to the stored
``onsite_raw``: Σ weight·score / Σ weight over the listed visits. The case list shows, for each case, which
indicator numerators it belongs to; it is evaluated from the case records at the ranking's ``as_of``, and when
a case has changed since publication the stored numerators are shown beside the recount (``counts_match``).

Scoping: the ranking table is public inside the system, a unit's internals are not. ``may_see_unit`` lets
through the unit's own people and everyone whose unit lies above it (coordinators, leaders of the district);
everyone else gets 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.http import Http404
from django.shortcuts import get_object_or_404

from chuangwen.cases.models import Case
from chuangwen.evidence.models import Evidence
from chuangwen.org.models import Unit
from chuangwen.rankings import formulas
from chuangwen.rankings.compute import Weigher, case_counts, case_row, components, weighted_scores
from chuangwen.rankings.config import (
    COMPONENT_NAMES,
    INDICATOR_NAMES,
    INDICATORS,
    NEGATIVE,
    PENALTY_NAMES,
    VOLUNTEER_PART_NAMES,
    VOLUNTEER_TARGETS,
    RankingConfig,
    from_snapshot,
)
from chuangwen.rankings.models import Ranking, RankingRow
from chuangwen.rounds.models import RoundKind, Visit
from chuangwen.surveys.figures import pct
from chuangwen.surveys.models import Measure

if TYPE_CHECKING:
    from chuangwen.accounts.models import User


def may_see_unit(user: User, unit: Unit) -> bool:
    """The unit's own people and those whose unit lies above it."""
    mine = user.unit if user.is_authenticated and user.unit_id is not None else None
    return mine is not None and unit.path.startswith(mine.path)


def visible_unit(user: User, unit_id: int) -> Unit:
    unit = Unit.objects.filter(pk=unit_id).first()
    if unit is None or not may_see_unit(user, unit):
        raise Http404
    return unit


@dataclass
class VisitLine:
    visit: Visit
    site_type_weight: Decimal
    declared: bool
    revisit: bool
    weight: Decimal
    score: Decimal
    product: Decimal  # weight × score
    photos: list[Evidence] = field(default_factory=list)


@dataclass
class CaseLine:
    case: Case
    members: dict[str, bool]  # indicator → counted in its numerator
    photos: list[Evidence] = field(default_factory=list)


@dataclass
class Drilldown:
    ranking: Ranking
    row: RankingRow
    config: RankingConfig
    visits: list[VisitLine]
    weight_sum: Decimal
    product_sum: Decimal
    onsite_raw: Decimal | None  # Σ weight·score / Σ weight, rounded as on the ranking
    prior: Decimal | None  # the level's weighted mean the row was shrunk toward
    onsite: Decimal | None
    cases: list[CaseLine]
    counts: dict[str, int]  # recounted from the listed cases
    stored_counts: dict[str, int]
    indicators: list[dict[str, Any]]
    components: list[dict[str, Any]]
    penalties: list[dict[str, Any]]
    # The 问卷调查 component's wave and the measure rates it averages ((label, "62.5%")), if the row has one.
    survey_rates: list[tuple[str, str]] = field(default_factory=list)
    # The 志愿服务 component's sub-scores: label, the unit's value, the target (for the period) and the part.
    volunteer_parts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def counts_match(self) -> bool:
        return all(self.counts.get(k, 0) == self.stored_counts.get(k, 0) for k in INDICATORS)

    @property
    def adds_up(self) -> bool:
        return self.onsite_raw == self.row.onsite_raw


def visible_row(user: User, ranking_id: int, unit_id: int) -> tuple[Ranking, RankingRow]:
    """The row of a published ranking whose internals ``user`` may open (404 otherwise)."""
    ranking = get_object_or_404(Ranking, pk=ranking_id)
    row = get_object_or_404(RankingRow.objects.select_related("unit"), ranking=ranking, unit_id=unit_id)
    if not may_see_unit(user, row.unit):
        raise Http404
    return ranking, row


def _visit_lines(visit_ids: list[int], weigh: Weigher) -> list[VisitLine]:
    visits = Visit.objects.filter(pk__in=visit_ids).select_related("site", "round", "inspector")
    lines = []
    for visit in visits:
        site, round_ = visit.site, visit.round
        weight = weigh(round_.standard_id, site.site_type, site.declared, round_.kind)
        type_weight = weigh.type_weight(round_.standard_id, site.site_type)
        score = Decimal(visit.score or 0)
        revisit = round_.kind == RoundKind.REVISIT
        lines.append(VisitLine(visit, type_weight, site.declared, revisit, weight, score, weight * score))
    lines.sort(key=lambda line: (line.visit.finished_at or line.visit.received_at, line.visit.pk))
    return lines


def case_members(case: Case, as_of: datetime) -> dict[str, bool]:
    """Which numerators one case counts in (the same rule as the ranking, one case at a time)."""
    return {name: bool(n) for name, n in case_counts([case_row(case)], as_of).items()}


def _photos(
    visit_ids: list[int], case_ids: list[int]
) -> tuple[dict[int, list[Evidence]], dict[int, list[Evidence]]]:
    by_visit: dict[int, list[Evidence]] = {}
    for photo in Evidence.objects.filter(visit_id__in=visit_ids).order_by("received_at"):
        assert photo.visit_id is not None
        by_visit.setdefault(photo.visit_id, []).append(photo)
    by_case: dict[int, list[Evidence]] = {}
    problem = Evidence.objects.filter(judgement__finding__case__in=case_ids).values_list(
        "judgement__finding__case", "pk"
    )
    fixes = Evidence.objects.filter(case_events__case__in=case_ids).values_list("case_events__case", "pk")
    pairs = [*problem, *fixes]
    photos = Evidence.objects.in_bulk({pk for _case, pk in pairs})
    for case_id, pk in pairs:
        if photos[pk] not in by_case.setdefault(case_id, []):
            by_case[case_id].append(photos[pk])
    return by_visit, by_case


def survey_rates(row: RankingRow) -> list[tuple[str, str]]:
    """The measure rates the row's 问卷调查 score averages, labelled, as percentages with one decimal."""
    rates = (row.survey_detail or {}).get("rates", {})
    return [(str(label), pct(float(rates[code]))) for code, label in Measure.choices if code in rates]


def volunteer_parts(row: RankingRow, config: RankingConfig) -> list[dict[str, Any]]:
    """The sub-scores the row's 志愿服务 score averages, from the figures stored with it and the snapshot's
    targets (the hours target × the period's months)."""
    detail = row.volunteer_detail or {}
    if not detail:
        return []
    months = Decimal(str(detail.get("months") or 1))
    values = {
        "registration_share": detail.get("share"),
        "hours_per_volunteer": detail.get("hours_per_volunteer"),
        "active_share": detail.get("active_share"),
    }
    parts = detail.get("parts") or {}
    out = []
    for name in VOLUNTEER_TARGETS:
        target = config.volunteer.get(name, Decimal(0))
        if name == "hours_per_volunteer":
            target = formulas.q_score(target * months)
        out.append(
            {
                "name": name,
                "label": VOLUNTEER_PART_NAMES[name],
                "value": values[name],
                "target": target,
                "score": parts.get(name),
                "share": name != "hours_per_volunteer",
            }
        )
    return out


def drilldown(ranking: Ranking, row: RankingRow) -> Drilldown:
    config = from_snapshot(ranking.config)
    weigh = Weigher(config)
    lines = _visit_lines(list(row.visit_ids), weigh)
    weight_sum = sum((line.weight for line in lines), Decimal(0))
    product_sum = sum((line.product for line in lines), Decimal(0))
    raw = formulas.weighted_mean((line.score, line.weight) for line in lines)
    all_ids = [pk for ids in ranking.rows.values_list("visit_ids", flat=True) for pk in ids]
    prior = formulas.weighted_mean(weighted_scores(all_ids, weigh))
    cases = list(
        Case.objects.filter(pk__in=row.case_ids)
        .select_related("site", "check_item", "finding")
        .order_by("pk")
    )
    by_visit, by_case = _photos(list(row.visit_ids), list(row.case_ids))
    for line in lines:
        line.photos = by_visit.get(line.visit.pk, [])
    case_lines = [
        CaseLine(case, case_members(case, ranking.as_of), by_case.get(case.pk, [])) for case in cases
    ]
    counts = {name: sum(line.members[name] for line in case_lines) for name in INDICATORS}
    stored = {name: int(row.counts.get(name, 0)) for name in INDICATORS}
    indicators = []
    for name in INDICATORS:
        value = row.indicators.get(name)
        indicators.append(
            {
                "name": name,
                "label": INDICATOR_NAMES[name],
                "count": stored[name],
                "recount": counts[name],
                "cases": row.cases,
                "value": Decimal(value) if value is not None else None,
                "negative": name in NEGATIVE,
                "weight": config.rectification.get(name, Decimal(0)),
            }
        )
    values = components(row)
    parts = [
        {
            "name": name,
            "label": COMPONENT_NAMES[name],
            "weight": config.composite.get(name, Decimal(0)),
            "value": values.get(name),
        }
        for name in config.composite
    ]
    penalties = [
        {
            "name": name,
            "label": PENALTY_NAMES.get(name, name),
            "events": int(row.penalty_events.get(name, 0)),
            "points": points,
        }
        for name, points in config.penalties.items()
    ]
    return Drilldown(
        ranking=ranking,
        row=row,
        config=config,
        visits=lines,
        weight_sum=weight_sum,
        product_sum=product_sum,
        onsite_raw=formulas.q_score(raw) if raw is not None else None,
        prior=formulas.q_score(prior) if prior is not None else None,
        onsite=row.onsite,
        cases=case_lines,
        counts=counts,
        stored_counts=stored,
        indicators=indicators,
        components=parts,
        penalties=penalties,
        survey_rates=survey_rates(row),
        volunteer_parts=volunteer_parts(row, config),
    )
