"""API of the rankings: published rankings (public inside the system), the drill-down of a row (the unit and
those above it; 404 otherwise), the live preview and publication (coordinators), self-check reliability
(coordinators, leaders) and a unit's what-if."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from chuangwen.accounts.capabilities import may_publish_rankings, may_see_selfcheck
from chuangwen.core.api_errors import ApiError, ErrorOut
from chuangwen.core.bounds import IdPath, parse_ids
from chuangwen.core.web import user_of
from chuangwen.rankings import selfcheck, services, whatif
from chuangwen.rankings.compute import compute
from chuangwen.rankings.config import INDICATORS
from chuangwen.rankings.drilldown import drilldown, visible_row, visible_unit
from chuangwen.rankings.models import Ranking
from chuangwen.rankings.services import row_out
from chuangwen.rankings.views import (
    ONLY_COORDINATORS,
    ONLY_OVERSEERS,
    choice_errors,
    parse_level,
    parse_period,
)

router = Router(tags=["排名"])


class RankingOut(Schema):
    id: int = Field(description="排名 ID")
    title: str = Field(description="标题")
    period_kind: str = Field(description="周期类型：round（测评批次）或 month（月度）")
    period_key: str = Field(description="周期：round:<批次 ID> 或 month:YYYY-MM")
    level: str = Field(description="排名对象：street、community、department")
    as_of: datetime = Field(description="数据截至")
    published_at: datetime = Field(description="发布时间")
    previous_id: int | None = Field(description="上期排名 ID")


class RowOut(Schema):
    unit_id: int = Field(description="单位 ID")
    unit_name: str = Field(description="单位名称（发布时）")
    rank: int | None = Field(description="名次（并列共享名次）")
    rank_change: int | None = Field(None, description="名次变化，正数为上升（预览中为空）")
    composite: Decimal | None = Field(description="综合指数")
    composite_change: Decimal | None = Field(None, description="综合指数变化（预览中为空）")
    onsite: Decimal | None = Field(description="实地测评得分（收缩后）")
    onsite_raw: Decimal | None = Field(description="实地测评原始加权均分")
    visits: int = Field(description="计入的测评次数")
    weight_sum: Decimal = Field(description="权重合计")
    rectification: Decimal | None = Field(description="整改得分")
    cases: int = Field(description="计入的案卷数")
    indicators: dict[str, Decimal | None] = Field(description="六项整改指标（比率）")
    counts: dict[str, int] = Field(description="各指标的分子（案卷数）")
    materials: Decimal | None = Field(None, description="网上申报得分（没有分解任务时为空）")
    materials_counts: dict[str, int] = Field(
        default_factory=dict,
        description="网上申报计数：cells 任务数、passed 已通过、submissions 提交次数、returns 退回次数",
    )
    survey: Decimal | None = Field(
        None, description="问卷调查得分：100 × 最近一次已发布调查中本单位各指标率的平均（没有调查结果时为空）"
    )
    survey_wave_id: int | None = Field(None, description="问卷调查得分所取的调查轮次 ID")
    survey_detail: dict[str, Any] = Field(
        default_factory=dict,
        description="问卷调查明细：wave 调查轮次名称、rates 各指标率（0–1）、n 答卷数",
    )
    volunteer: Decimal | None = Field(
        None, description="志愿服务得分：注册率、人均服务时长、活跃率三项封顶分的平均（没有注册志愿者时为空）"
    )
    volunteer_detail: dict[str, Any] = Field(
        default_factory=dict,
        description="志愿服务明细：registered 注册志愿者、population 18–65 岁常住人口、share 注册率、"
        "resident_hours 服务时长、hours_per_volunteer 人均时长、active 活跃志愿者、active_share 活跃率、"
        "months 周期月数、parts 各分项得分",
    )
    penalty: Decimal = Field(description="扣分")
    penalty_events: dict[str, int] = Field(description="扣分事项次数")
    unranked_reason: str = Field("", description="不排名次的原因（样本不足），排名单位为空")


class RankingDetailOut(RankingOut):
    config: dict[str, Any] = Field(description="计算所用参数")
    rows: list[RowOut] = Field(description="各单位，名次在前")


class VisitLineOut(Schema):
    visit_id: int
    round: str = Field(description="测评批次")
    site_id: int
    site_code: str
    site_name: str
    visited_on: date | None = Field(description="测评日期")
    site_type_weight: Decimal
    declared: bool = Field(description="申报点位")
    revisit: bool = Field(description="回头看批次")
    weight: Decimal = Field(description="权重 = 类型权重 × 非申报系数 × 回头看系数")
    score: Decimal = Field(description="点位得分")
    photo_ids: list[int] = Field(description="照片 ID（/evidence/<id>/display）")


class CaseLineOut(Schema):
    case_id: int
    code: str
    title: str
    state: str
    deadline: datetime | None
    closed_at: datetime | None
    members: dict[str, bool] = Field(description="计入哪些指标的分子")
    photo_ids: list[int]


class DrilldownOut(Schema):
    ranking_id: int
    row: RowOut
    visits: list[VisitLineOut]
    weight_sum: Decimal = Field(description="Σ 权重")
    product_sum: Decimal = Field(description="Σ 权重 × 得分")
    onsite_raw: Decimal | None = Field(description="Σ 权重 × 得分 ÷ Σ 权重（与 row.onsite_raw 相同）")
    prior: Decimal | None = Field(description="同级加权均分（收缩目标）")
    min_sample: int = Field(description="收缩强度 k")
    cases: list[CaseLineOut]
    counts: dict[str, int] = Field(description="按所列案卷重新计数的分子")
    counts_match: bool = Field(description="重新计数与排名记载一致（案卷发布后有变动时为 false）")


# What ``parse_period`` reads; which rounds are published is the database's to say.
PERIOD_PATTERN = r"^(?:round:[0-9]{1,19}|month:[0-9]{4}-(?:0[1-9]|1[0-2]))$"
Level = Literal["street", "community", "department"]


class PublishIn(Schema):
    period: str = Field(
        pattern=PERIOD_PATTERN, max_length=25, description="round:<已发布批次 ID> 或 month:YYYY-MM"
    )
    level: Level = Field(description="street、community 或 department")


class MonthGapOut(Schema):
    month: date
    pairs: int = Field(description="配对点位数")
    gap: Decimal | None = Field(description="平均差值（自查 − 官方）")
    flagged: bool


class ReliabilityOut(Schema):
    unit_id: int
    unit_name: str
    rosier: bool = Field(description="最近 3 个有数据的月份中至少 2 个月预警")
    months: list[MonthGapOut]


class OutcomeOut(Schema):
    composite: Decimal | None
    rank: int | None
    onsite: Decimal | None
    onsite_raw: Decimal | None
    rectification: Decimal | None
    indicators: dict[str, Decimal | None]


class CaseCostOut(Schema):
    case_id: int
    code: str
    title: str
    deduction: Decimal = Field(description="该问题在点位得分中的扣分（仅供参考：办结不返还）")
    rectification_gain: Decimal = Field(description="现在办结后整改得分的变化（已超期的仍计超期）")
    composite_gain: Decimal = Field(description="单独现在办结后综合指数的变化")
    counted: bool = Field(description="本月已计入整改指标（已到期或已办结）")


class WhatIfOut(Schema):
    unit_id: int
    period: str = Field(description="本月：month:YYYY-MM")
    case_ids: list[int] = Field(description="实际计入的在办案卷")
    before: OutcomeOut
    after: OutcomeOut
    costs: list[CaseCostOut] = Field(description="在办案卷，按可挽回的综合指数从高到低")


def _local_date(value: datetime | None) -> date | None:
    return timezone.localtime(value).date() if value is not None else None


def ranking_out(ranking: Ranking) -> dict[str, Any]:
    return {
        "id": ranking.pk,
        "title": ranking.title,
        "period_kind": ranking.period_kind,
        "period_key": ranking.period_key,
        "level": ranking.level,
        "as_of": ranking.as_of,
        "published_at": ranking.published_at,
        "previous_id": ranking.previous_id,
    }


@router.get("", response=list[RankingOut], summary="已发布的排名（系统内所有用户可见）")
def list_rankings(request: HttpRequest) -> list[dict[str, Any]]:
    return [ranking_out(r) for r in Ranking.objects.order_by("-published_at", "level")]


@router.get(
    "/preview",
    response={200: list[RowOut], 400: ErrorOut, 403: ErrorOut},
    summary="实时计算预览（不保存；仅协调员）",
)
def preview(request: HttpRequest, choice: Query[PublishIn]) -> Any:
    period, level = choice.period, choice.level
    if not may_publish_rankings(user_of(request)):
        raise ApiError(403, "refused", str(ONLY_COORDINATORS))
    parsed, lvl = parse_period(period), parse_level(level)
    if parsed is None or lvl is None:
        raise ApiError(400, "invalid", choice_errors(parsed, lvl))
    return [row_out(score) for score in compute(parsed, lvl)]


@router.post(
    "/publish",
    response={201: RankingDetailOut, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut},
    summary="发布排名（仅协调员；同一周期和对象只能发布一次）",
)
def publish(request: HttpRequest, payload: PublishIn) -> Any:
    user = user_of(request)
    if not may_publish_rankings(user):
        raise ApiError(403, "refused", str(ONLY_COORDINATORS))
    parsed, lvl = parse_period(payload.period), parse_level(payload.level)
    if parsed is None or lvl is None:
        raise ApiError(400, "invalid", choice_errors(parsed, lvl))
    try:
        ranking = services.publish(parsed, lvl, user, request=request)
    except ValidationError as exc:
        raise ApiError(409, "conflict", "；".join(exc.messages)) from None
    return 201, ranking_detail_out(ranking)


def ranking_detail_out(ranking: Ranking) -> dict[str, Any]:
    return {
        **ranking_out(ranking),
        "config": ranking.config,
        "rows": [row_out(r) for r in ranking.rows.all()],
    }


@router.get(
    "/selfcheck", response={200: list[ReliabilityOut], 403: ErrorOut}, summary="自查可信度（协调员、领导）"
)
def selfcheck_api(request: HttpRequest, level: Level = "street") -> Any:
    if not may_see_selfcheck(user_of(request)):
        raise ApiError(403, "refused", str(ONLY_OVERSEERS))
    units = selfcheck.reliability(parse_level(level) or "street")
    return [
        {
            "unit_id": u.unit_id,
            "unit_name": u.unit_name,
            "rosier": u.rosier,
            "months": [
                {"month": g.month, "pairs": len(g.pairs), "gap": g.gap, "flagged": g.flagged}
                for g in u.months.values()
            ],
        }
        for u in units
    ]


def outcome_out(outcome: whatif.Outcome) -> dict[str, Any]:
    return {
        "composite": outcome.composite,
        "rank": outcome.rank,
        "onsite": outcome.onsite,
        "onsite_raw": outcome.onsite_raw,
        "rectification": outcome.rectification,
        "indicators": {k: outcome.indicators.get(k) for k in INDICATORS},
    }


@router.get(
    "/units/{int:unit_id}/whatif",
    response={200: WhatIfOut, 400: ErrorOut},
    summary="在办案卷的扣分代价，以及按期办结所选案卷（cases=1,2,3）后的综合指数（本单位及上级）",
)
def whatif_api(request: HttpRequest, unit_id: IdPath, cases: str = "") -> Any:
    unit = visible_unit(user_of(request), unit_id)
    ids = parse_ids(cases)
    try:
        result, costs = whatif.plan(unit, ids)
    except whatif.NotRanked as exc:
        raise ApiError(400, "invalid", str(exc)) from None
    return {
        "unit_id": unit.pk,
        "period": result.period.key,
        "case_ids": result.case_ids,
        "before": outcome_out(result.before),
        "after": outcome_out(result.after),
        "costs": [
            {
                "case_id": c.case.pk,
                "code": c.case.code,
                "title": c.case.title,
                "deduction": c.deduction,
                "counted": c.counted,
                "rectification_gain": c.rectification_gain,
                "composite_gain": c.composite_gain,
            }
            for c in costs
        ],
    }


@router.get("/{int:ranking_id}", response=RankingDetailOut, summary="一期排名及各单位的数字")
def get_ranking(request: HttpRequest, ranking_id: IdPath) -> dict[str, Any]:
    return ranking_detail_out(get_object_or_404(Ranking, pk=ranking_id))


@router.get(
    "/{int:ranking_id}/units/{int:unit_id}",
    response=DrilldownOut,
    summary="一个单位的得分构成：测评、案卷、照片（本单位及上级可见，其他返回 404）",
)
def get_drilldown(request: HttpRequest, ranking_id: IdPath, unit_id: IdPath) -> dict[str, Any]:
    ranking, row = visible_row(user_of(request), ranking_id, unit_id)
    d = drilldown(ranking, row)
    return {
        "ranking_id": ranking.pk,
        "row": row_out(row),
        "visits": [
            {
                "visit_id": v.visit.pk,
                "round": v.visit.round.name,
                "site_id": v.visit.site_id,
                "site_code": v.visit.site.code,
                "site_name": v.visit.site.name,
                "visited_on": _local_date(v.visit.finished_at or v.visit.received_at),
                "site_type_weight": v.site_type_weight,
                "declared": v.declared,
                "revisit": v.revisit,
                "weight": v.weight,
                "score": v.score,
                "photo_ids": [p.pk for p in v.photos],
            }
            for v in d.visits
        ],
        "weight_sum": d.weight_sum,
        "product_sum": d.product_sum,
        "onsite_raw": d.onsite_raw,
        "prior": d.prior,
        "min_sample": d.config.min_sample,
        "cases": [
            {
                "case_id": c.case.pk,
                "code": c.case.code,
                "title": c.case.title,
                "state": c.case.state,
                "deadline": c.case.deadline,
                "closed_at": c.case.closed_at,
                "members": c.members,
                "photo_ids": [p.pk for p in c.photos],
            }
            for c in d.cases
        ],
        "counts": d.counts,
        "counts_match": d.counts_match,
    }
