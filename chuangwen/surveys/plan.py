"""Waves and their sample plans: strata (streets or communities) with target counts allocated by population,
quota cells by age band × sex, the margin of error the plan achieves; opening (which freezes the
questionnaire), closing (docs/surveys.md, "Sample plans")."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.audit.services import record
from chuangwen.surveys import weighting
from chuangwen.surveys.definition import build
from chuangwen.surveys.models import (
    AgeBand,
    Mode,
    PopulationFigure,
    Questionnaire,
    QuestionnaireState,
    QuotaCell,
    Sex,
    Stratum,
    Wave,
    WaveState,
)
from chuangwen.surveys.services import Invalid, Refused

if TYPE_CHECKING:
    from chuangwen.accounts.models import User
    from chuangwen.org.models import Unit

MAX_SAMPLE = 100_000
MAX_WAVE_DAYS = 366
CELLS = [(a, s) for a in AgeBand.values for s in Sex.values]


def freeze(questionnaire: Questionnaire, user: User | None = None) -> Questionnaire:
    """定稿: the definition is written once; from now on only a new version can change the questions."""
    if questionnaire.is_frozen:
        return questionnaire
    if not questionnaire.questions.exists():
        raise Refused("empty", _("问卷还没有题目，不能定稿"))
    questionnaire.compiled = build(questionnaire)
    questionnaire.state = QuestionnaireState.FROZEN
    questionnaire.frozen_at = timezone.now()
    questionnaire.save(update_fields=["compiled", "state", "frozen_at"])
    record(None, "survey.questionnaire.freeze", obj=questionnaire, actor=user)
    return questionnaire


def check_wave_fields(name: str, starts_on: date, ends_on: date, modes: list[str]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not name.strip() or len(name) > 100:
        errors["name"] = [_("请填写调查轮次名称（最多 100 个字）")]
    if ends_on < starts_on:
        errors["ends_on"] = [_("结束日期早于开始日期")]
    elif (ends_on - starts_on).days > MAX_WAVE_DAYS:
        errors["ends_on"] = [_("一轮调查最长一年")]
    if not modes or any(m not in Mode.values for m in modes):
        errors["modes"] = [_("请至少选择一种调查方式（入户/街访、自填、电话访问）")]
    return errors


def create_wave(
    questionnaire: Questionnaire, owner: Unit, name: str, starts_on: date, ends_on: date, modes: list[str],
    user: User, **quality: int,
) -> Wave:  # fmt: skip
    errors = check_wave_fields(name, starts_on, ends_on, modes)
    if errors:
        raise Invalid(errors)
    with transaction.atomic():
        wave = Wave.objects.create(
            name=name.strip(), questionnaire=questionnaire, owner_unit=owner, starts_on=starts_on,
            ends_on=ends_on, modes=list(dict.fromkeys(modes)), created_by=user, **quality,
        )  # fmt: skip
        record(None, "survey.wave.create", obj=wave, actor=user)
    return wave


def populations(units: list[Unit], within: Unit) -> dict[int, dict[tuple[str, str], int]]:
    """Unit id → (age band, sex) → residents, summed over each unit's subtree (figures under ``within``)."""
    out: dict[int, dict[tuple[str, str], int]] = {u.pk: defaultdict(int) for u in units}
    rows = PopulationFigure.objects.filter(unit__path__startswith=within.path).values_list(
        "unit__path", "age_band", "sex", "count"
    )
    for path, age, sex, count in rows:
        for pk in path.strip("/").split("/"):
            cells = out.get(int(pk))
            if cells is not None:
                cells[(age, sex)] += count
    return out


def build_plan(wave: Wave, units: list[Unit], total: int, minimum: int, user: User) -> list[Stratum]:
    """Replace the plan of a wave in preparation: ``total`` interviews over ``units`` in proportion to their
    residents (at least ``minimum`` each), each stratum's target split over its age × sex cells likewise."""
    if wave.state != WaveState.DRAFT:
        raise Refused("state", _("调查已开始，样本计划只能调整配额，不能重新生成"))
    errors: dict[str, list[str]] = {}
    if not units:
        errors["units"] = [_("请选择样本街道或社区")]
    if not 1 <= total <= MAX_SAMPLE:
        errors["total"] = [_("样本总量应在 1 到 %(n)s 之间") % {"n": MAX_SAMPLE}]
    if not 0 <= minimum <= total:
        errors["minimum"] = [_("每层最少样本应在 0 到样本总量之间")]
    outside = [u.name for u in units if not u.path.startswith(wave.owner_unit.path)]
    if outside:
        errors["units"] = [_("不属于本单位的单位：%(names)s") % {"names": "、".join(outside)}]
    figures = populations(units, wave.owner_unit)
    empty = [u.name for u in units if sum(figures[u.pk].values()) == 0]
    if empty:
        errors["units"] = [_("以下单位还没有人口数，请先录入或导入：%(names)s") % {"names": "、".join(empty)}]
    if errors:
        raise Invalid(errors)
    targets = weighting.allocate(total, {u.pk: sum(figures[u.pk].values()) for u in units}, minimum)
    with transaction.atomic():
        wave.strata.all().delete()
        strata = []
        for unit in units:
            cells = figures[unit.pk]
            stratum = Stratum.objects.create(
                wave=wave, unit=unit, population=sum(cells.values()), target=targets[unit.pk]
            )
            split = weighting.allocate(targets[unit.pk], {c: cells.get(c, 0) for c in CELLS})
            QuotaCell.objects.bulk_create(
                QuotaCell(
                    stratum=stratum, age_band=a, sex=s, population=cells.get((a, s), 0), target=split[(a, s)]
                )
                for a, s in CELLS
            )
            strata.append(stratum)
        record(None, "survey.wave.plan", obj=wave, actor=user, detail={"total": total, "strata": len(units)})
    return strata


def set_cell_target(cell: QuotaCell, target: int, user: User) -> QuotaCell:
    """Change one cell's quota (never below what it holds); the stratum's target is the sum of its cells."""
    wave = cell.stratum.wave
    if wave.state not in (WaveState.DRAFT, WaveState.FIELDING):
        raise Refused("state", _("调查已结束，配额不能再改"))
    if not cell.filled <= target <= MAX_SAMPLE:
        raise Invalid(
            {"target": [_("配额应在已完成数 %(n)s 到 %(max)s 之间") % {"n": cell.filled, "max": MAX_SAMPLE}]}
        )
    with transaction.atomic():
        QuotaCell.objects.filter(pk=cell.pk).update(target=target)
        stratum_target = sum(
            QuotaCell.objects.filter(stratum_id=cell.stratum_id).values_list("target", flat=True)
        )
        Stratum.objects.filter(pk=cell.stratum_id).update(target=stratum_target)
        record(None, "survey.wave.quota", obj=wave, actor=user, detail={"cell": cell.pk, "target": target})
    cell.refresh_from_db()
    return cell


@dataclass(frozen=True)
class PlanFigures:
    """What a plan achieves: sample, population, the 95 % margin of error (p = 0.5) overall, per stratum."""

    target: int
    filled: int
    population: int
    margin: float | None
    strata: list[tuple[Stratum, float | None]]


def plan_figures(wave: Wave) -> PlanFigures:
    strata = list(wave.strata.select_related("unit"))
    per = [(s, weighting.margin_of_error(s.target, s.population)) for s in strata]
    return PlanFigures(
        target=sum(s.target for s in strata),
        filled=sum(s.filled for s in strata),
        population=sum(s.population for s in strata),
        margin=weighting.stratified_margin([(s.population, s.target) for s in strata]),
        strata=per,
    )


def open_wave(wave: Wave, user: User) -> Wave:
    """开始调查: freezes the questionnaire; the plan must have at least one place."""
    if wave.state != WaveState.DRAFT:
        raise Refused("state", _("只有筹备中的调查可以开始"))
    if not wave.strata.filter(target__gt=0).exists():
        raise Refused("plan", _("请先生成样本计划"))
    with transaction.atomic():
        freeze(wave.questionnaire, user)
        wave.state, wave.opened_at = WaveState.FIELDING, timezone.now()
        wave.save(update_fields=["state", "opened_at"])
        record(None, "survey.wave.open", obj=wave, actor=user)
    return wave


def close_wave(wave: Wave, user: User) -> Wave:
    if wave.state != WaveState.FIELDING:
        raise Refused("state", _("只有调查中的轮次可以结束"))
    with transaction.atomic():
        wave.state, wave.closed_at = WaveState.CLOSED, timezone.now()
        wave.save(update_fields=["state", "closed_at"])
        record(None, "survey.wave.close", obj=wave, actor=user)
    return wave
