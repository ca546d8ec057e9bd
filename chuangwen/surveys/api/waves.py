"""Waves and their plans (strata, quota cells, margins), opening, closing, publishing; population figures."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Schema, Status
from ninja.errors import ValidationError
from pydantic import field_validator

from chuangwen.core.api_errors import ApiError, ErrorOut
from chuangwen.core.bounds import ID_MAX, IDS_MAX, Id, IdPath
from chuangwen.core.web import user_of
from chuangwen.org.models import Unit
from chuangwen.surveys import plan, population, results, services, spec
from chuangwen.surveys.api.common import (
    ERRORS,
    POPULATION_MAX,
    UnitRef,
    _body,
    _field_errors,
    _invalid,
    _openapi,
    _refused,
    _run_wave,
    _runner,
    _unit,
    _viewer,
    _wave,
    _within_bounds,
    router,
)
from chuangwen.surveys.models import (
    AgeBand,
    PopulationFigure,
    Questionnaire,
    QuotaCell,
    Sex,
    Wave,
    WaveState,
)

# --- waves and plans ----------------------------------------------------------------------------------------


class QuestionnaireRef(Schema):
    id: int = Field(description="问卷 ID")
    code: str = Field(description="问卷编号")
    version: int = Field(description="版本")
    title: str = Field(description="问卷名称")


class WaveOut(Schema):
    id: int = Field(description="调查轮次 ID")
    name: str = Field(description="调查轮次名称")
    questionnaire: QuestionnaireRef = Field(description="问卷")
    owner: UnitRef = Field(description="组织单位")
    state: str = Field(description="draft 筹备中 | fielding 调查中 | closed 已结束 | published 已发布")
    modes: list[str] = Field(description="调查方式：interviewer、self、phone")
    starts_on: date = Field(description="开始日期")
    ends_on: date = Field(description="结束日期")
    opened_at: datetime | None = Field(description="开始调查时间")
    closed_at: datetime | None = Field(description="结束调查时间")
    published_at: datetime | None = Field(description="发布时间")


class QualityOut(Schema):
    min_seconds: int = Field(description="最短用时（秒）")
    max_distance_m: int = Field(description="位置容差（米）")
    straightline_min: int = Field(description="连续同答判定题数")
    callback_percent: int = Field(description="回访抽取比例（%）")
    coaching_days: int = Field(description="应知应会排除期（天）")


class CellOut(Schema):
    id: int = Field(description="配额格 ID")
    age_band: str = Field(description="年龄段")
    sex: str = Field(description="性别：m、f")
    population: int = Field(description="人口数")
    target: int = Field(description="配额")
    filled: int = Field(description="已完成")
    full: bool = Field(description="已满")


class StratumOut(Schema):
    id: int = Field(description="样本层 ID")
    unit: UnitRef = Field(description="街道或社区")
    population: int = Field(description="人口数（18–65 岁常住）")
    target: int = Field(description="目标样本量")
    filled: int = Field(description="已完成")
    margin: float | None = Field(description="本层 95% 误差限（比例，0.05 即 ±5 个百分点）")
    full: bool = Field(description="已满")
    cells: list[CellOut] = Field(description="年龄段 × 性别配额格")


class PlanOut(Schema):
    target: int = Field(description="样本总量")
    filled: int = Field(description="已完成")
    population: int = Field(description="样本层人口合计")
    margin: float | None = Field(description="总体 95% 误差限（分层抽样，比例）")


class WaveDetailOut(WaveOut):
    quality: QualityOut = Field(description="质控设置")
    plan: PlanOut = Field(description="样本计划合计")
    strata: list[StratumOut] = Field(description="样本层")
    may_run: bool = Field(description="调用者可以管理本轮调查（计划、开始、结束、发布）")
    may_interview: bool = Field(description="调用者可以提交访问答卷")
    may_review: bool = Field(description="调用者可以审核答卷")


class WaveIn(Schema):
    questionnaire_id: int = Field(ge=1, le=ID_MAX, description="问卷 ID")
    name: str = Field(max_length=100, description="调查轮次名称")
    starts_on: date = Field(description="开始日期")
    ends_on: date = Field(description="结束日期（最长一年）")
    modes: list[Literal["interviewer", "self", "phone"]] = Field(
        max_length=3, description="调查方式：interviewer 入户/街访、self 自填（扫码）、phone 电话访问"
    )
    min_seconds: int = Field(120, ge=0, le=86_400, description="最短用时（秒）")
    max_distance_m: int = Field(300, ge=0, le=100_000, description="位置容差（米）")
    straightline_min: int = Field(8, ge=0, le=spec.MAX_QUESTIONS, description="连续同答判定题数（0 不判定）")
    callback_percent: int = Field(10, ge=0, le=100, description="回访抽取比例（%）")
    coaching_days: int = Field(30, ge=0, le=366, description="应知应会排除期（天）")

    _bounded = field_validator("starts_on", "ends_on")(_within_bounds)


class PlanIn(Schema):
    unit_ids: list[Id] = Field(max_length=IDS_MAX, description="样本街道或社区的单位 ID")
    total: int = Field(ge=0, le=plan.MAX_SAMPLE, description="样本总量")
    minimum: int = Field(0, ge=0, le=plan.MAX_SAMPLE, description="每层最少样本")


class CellIn(Schema):
    target: int = Field(ge=0, le=plan.MAX_SAMPLE, description="新的配额（不低于已完成数）")


def _wave_out(wave: Wave) -> dict[str, Any]:
    q = wave.questionnaire
    return {
        "id": wave.pk,
        "name": wave.name,
        "questionnaire": {"id": q.pk, "code": q.code, "version": q.version, "title": q.title},
        "owner": _unit(wave.owner_unit),
        "state": wave.state,
        "modes": list(wave.modes),
        "starts_on": wave.starts_on,
        "ends_on": wave.ends_on,
        "opened_at": wave.opened_at,
        "closed_at": wave.closed_at,
        "published_at": wave.published_at,
    }


def _cell_out(c: QuotaCell) -> dict[str, Any]:
    return {
        "id": c.pk,
        "age_band": c.age_band,
        "sex": c.sex,
        "population": c.population,
        "target": c.target,
        "filled": c.filled,
        "full": c.is_full,
    }


def _wave_detail(wave: Wave, user: Any) -> dict[str, Any]:
    figures = plan.plan_figures(wave)
    cells: dict[int, list[QuotaCell]] = {}
    for cell in QuotaCell.objects.filter(stratum__wave=wave):
        cells.setdefault(cell.stratum_id, []).append(cell)
    return {
        **_wave_out(wave),
        "quality": {
            "min_seconds": wave.min_seconds,
            "max_distance_m": wave.max_distance_m,
            "straightline_min": wave.straightline_min,
            "callback_percent": wave.callback_percent,
            "coaching_days": wave.coaching_days,
        },
        "plan": {
            "target": figures.target,
            "filled": figures.filled,
            "population": figures.population,
            "margin": figures.margin,
        },
        "strata": [
            {
                "id": s.pk,
                "unit": _unit(s.unit),
                "population": s.population,
                "target": s.target,
                "filled": s.filled,
                "margin": margin,
                "full": s.is_full,
                "cells": [_cell_out(c) for c in cells.get(s.pk, [])],
            }
            for s, margin in figures.strata
        ],
        "may_run": services.may_run(wave, user),
        "may_interview": services.may_interview(wave, user),
        "may_review": services.may_review(wave, user),
    }


class WaveFilters(Schema):
    state: Literal["draft", "fielding", "closed", "published"] | None = Field(None, description="状态")


@router.get("/waves", response={200: list[WaveOut], **ERRORS}, summary="可见的调查轮次（本单位及上级组织的）")
def list_waves(request: HttpRequest, filters: Query[WaveFilters]) -> list[dict[str, Any]]:
    user = _viewer(request)
    waves = Wave.objects.visible_to(user).select_related("questionnaire", "owner_unit")
    if filters.state:
        waves = waves.filter(state=filters.state)
    return [_wave_out(w) for w in waves]


@router.get(
    "/waves/{wave_id}",
    response={200: WaveDetailOut, **ERRORS},
    summary="一个调查轮次：质控设置、样本计划（目标、完成、人口、误差限）、各层配额",
)
def get_wave(request: HttpRequest, wave_id: IdPath) -> dict[str, Any]:
    user = _viewer(request)
    return _wave_detail(_wave(user, wave_id), user)


@router.post(
    "/waves",
    response={201: WaveDetailOut, 400: ErrorOut, **ERRORS},
    summary="新建调查轮次（本单位组织；问卷在开始调查时定稿）",
    openapi_extra=_openapi(WaveIn),
)
def create_wave(request: HttpRequest) -> Status[dict[str, Any]]:
    user = _runner(request)
    data = _body(request, WaveIn)
    questionnaire = Questionnaire.objects.visible_to(user).filter(pk=data.questionnaire_id).first()
    if questionnaire is None:
        raise ValidationError([_invalid(["questionnaire_id"], _("没有找到该问卷，或您无权使用"))])
    try:
        wave = plan.create_wave(
            questionnaire, user.unit, data.name, data.starts_on, data.ends_on, list(data.modes), user,
            min_seconds=data.min_seconds, max_distance_m=data.max_distance_m,
            straightline_min=data.straightline_min, callback_percent=data.callback_percent,
            coaching_days=data.coaching_days,
        )  # fmt: skip
    except services.Invalid as exc:
        raise _field_errors(exc.errors) from None
    return Status(201, _wave_detail(_wave(user, wave.pk), user))


@router.post(
    "/waves/{wave_id}/plan",
    response={200: WaveDetailOut, 400: ErrorOut, **ERRORS, 409: ErrorOut},
    summary="生成样本计划（筹备中）：按人口分配样本总量到各层、各配额格",
    openapi_extra=_openapi(PlanIn),
)
def build_plan(request: HttpRequest, wave_id: IdPath) -> dict[str, Any]:
    user = user_of(request)
    wave = _run_wave(user, wave_id)
    data = _body(request, PlanIn)
    wanted = list(dict.fromkeys(data.unit_ids))
    units = {u.pk: u for u in Unit.objects.filter(pk__in=wanted, path__startswith=wave.owner_unit.path)}
    missing = [str(pk) for pk in wanted if pk not in units]
    if missing:
        raise ValidationError(
            [
                _invalid(
                    ["unit_ids"],
                    _("以下单位不存在或不属于本单位：%(ids)s") % {"ids": "、".join(missing[:20])},
                )
            ]
        )
    try:
        plan.build_plan(wave, [units[pk] for pk in wanted], data.total, data.minimum, user)
    except services.Invalid as exc:
        raise _field_errors(exc.errors, {"units": "unit_ids"}) from None
    except services.Refused as exc:
        raise _refused(exc) from None
    return _wave_detail(_wave(user, wave_id), user)


@router.put(
    "/waves/{wave_id}/cells/{cell_id}",
    response={200: CellOut, 400: ErrorOut, **ERRORS, 409: ErrorOut},
    summary="调整一个配额格的配额（不低于已完成数；样本层目标随之调整）",
    openapi_extra=_openapi(CellIn),
)
def set_cell(request: HttpRequest, wave_id: IdPath, cell_id: IdPath) -> dict[str, Any]:
    user = user_of(request)
    wave = _run_wave(user, wave_id)
    cell = get_object_or_404(
        QuotaCell.objects.select_related("stratum__wave"), pk=cell_id, stratum__wave=wave
    )
    data = _body(request, CellIn)
    try:
        cell = plan.set_cell_target(cell, data.target, user)
    except services.Invalid as exc:
        raise _field_errors(exc.errors) from None
    except services.Refused as exc:
        raise _refused(exc) from None
    return _cell_out(cell)


@router.post(
    "/waves/{wave_id}/open",
    response={200: WaveDetailOut, **ERRORS, 409: ErrorOut},
    summary="开始调查（问卷随之定稿；已开始时 409 already_open）",
)
def open_wave(request: HttpRequest, wave_id: IdPath) -> dict[str, Any]:
    user = user_of(request)
    wave = _run_wave(user, wave_id)
    if wave.state == WaveState.FIELDING:
        raise ApiError(409, "already_open", _("本轮调查已经开始"))
    try:
        plan.open_wave(wave, user)
    except services.Refused as exc:
        raise _refused(exc) from None
    return _wave_detail(_wave(user, wave_id), user)


@router.post(
    "/waves/{wave_id}/close",
    response={200: WaveDetailOut, **ERRORS, 409: ErrorOut},
    summary="结束调查（不再接收答卷；已结束时 409 already_closed）",
)
def close_wave(request: HttpRequest, wave_id: IdPath) -> dict[str, Any]:
    user = user_of(request)
    wave = _run_wave(user, wave_id)
    if wave.state in (WaveState.CLOSED, WaveState.PUBLISHED):
        raise ApiError(409, "already_closed", _("本轮调查已经结束"))
    try:
        plan.close_wave(wave, user)
    except services.Refused as exc:
        raise _refused(exc) from None
    return _wave_detail(_wave(user, wave_id), user)


@router.post(
    "/waves/{wave_id}/publish",
    response={200: WaveDetailOut, **ERRORS, 409: ErrorOut},
    summary="发布结果（已结束且无待审核答卷；发布后不再改变；已发布时 409 already_published）",
)
def publish_wave(request: HttpRequest, wave_id: IdPath) -> dict[str, Any]:
    user = user_of(request)
    wave = _run_wave(user, wave_id)
    if wave.state == WaveState.PUBLISHED:
        raise ApiError(409, "already_published", _("本轮调查结果已经发布"))
    try:
        results.publish(wave, user)
    except services.Refused as exc:
        raise _refused(exc) from None
    return _wave_detail(_wave(user, wave_id), user)


# --- population figures -------------------------------------------------------------------------------------


class PopulationCellOut(Schema):
    age_band: str = Field(description="年龄段")
    sex: str = Field(description="性别：m、f")
    count: int | None = Field(description="人数；未录入为空")


class PopulationOut(Schema):
    unit: UnitRef = Field(description="单位")
    cells: list[PopulationCellOut] = Field(
        description="本单位录入的 10 个数：年龄段 × 性别的常住人口（18–65 岁）"
    )
    total: int = Field(description="本单位录入的合计")
    summed_cells: list[PopulationCellOut] = Field(
        description="本单位及下级的合计（街道按下属社区汇总；样本计划按此分配）"
    )
    summed_total: int = Field(description="本单位及下级的合计人数")
    updated_at: datetime | None = Field(description="最近更新时间")


class PopulationCellIn(Schema):
    age_band: Literal["18-29", "30-39", "40-49", "50-59", "60-65"] = Field(description="年龄段")
    sex: Literal["m", "f"] = Field(description="性别")
    count: int = Field(ge=0, le=POPULATION_MAX, description="人数")


class PopulationIn(Schema):
    cells: list[PopulationCellIn] = Field(
        min_length=10, max_length=10, description="10 个数：每个年龄段 × 性别各一个"
    )


def _population_unit(user: Any, unit_id: int) -> Unit:
    unit = user.unit if user.is_authenticated else None
    if unit is None:
        raise ApiError(404, "not_found", _("没有找到该单位"))
    return get_object_or_404(Unit.objects.filter(path__startswith=unit.path), pk=unit_id)


def _population_out(unit: Unit) -> dict[str, Any]:
    rows = {(f.age_band, f.sex): f for f in PopulationFigure.objects.filter(unit=unit)}
    cells = []
    for age in AgeBand.values:
        for sex in Sex.values:
            found = rows.get((age, sex))
            cells.append({"age_band": age, "sex": sex, "count": found.count if found else None})
    summed = plan.populations([unit], unit)[unit.pk]
    return {
        "unit": _unit(unit),
        "cells": cells,
        "total": sum(f.count for f in rows.values()),
        "summed_cells": [
            {"age_band": age, "sex": sex, "count": summed.get((age, sex), 0)}
            for age in AgeBand.values
            for sex in Sex.values
        ],
        "summed_total": sum(summed.values()),
        "updated_at": max((f.updated_at for f in rows.values()), default=None),
    }


@router.get(
    "/population/{unit_id}",
    response={200: PopulationOut, **ERRORS},
    summary="一个单位的常住人口（18–65 岁，年龄段 × 性别；本单位及下级）",
)
def get_population(request: HttpRequest, unit_id: IdPath) -> dict[str, Any]:
    user = _viewer(request)
    return _population_out(_population_unit(user, unit_id))


@router.put(
    "/population/{unit_id}",
    response={200: PopulationOut, 400: ErrorOut, **ERRORS},
    summary="录入一个单位的常住人口：10 个数（年龄段 × 性别），全部替换",
    openapi_extra=_openapi(PopulationIn),
)
def put_population(request: HttpRequest, unit_id: IdPath) -> dict[str, Any]:
    user = _runner(request)
    unit = _population_unit(user, unit_id)
    data = _body(request, PopulationIn)
    counts: dict[tuple[str, str], int] = {(c.age_band, c.sex): c.count for c in data.cells}
    if len(counts) != len(data.cells):
        raise ValidationError([_invalid(["cells"], _("每个年龄段 × 性别须各填一个数，不能重复"))])
    try:
        # The pages' rule too: streets and communities only, never the same residents at two levels.
        population.save_unit(unit, counts, user, request)
    except services.Invalid as exc:
        raise ValidationError(
            [
                {
                    "loc": ["path", "unit_id"] if field == "unit" else ["body", field],
                    "msg": "；".join(messages),
                    "type": "invalid",
                }
                for field, messages in exc.errors.items()
            ]
        ) from None
    return _population_out(unit)
