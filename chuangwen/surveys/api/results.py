"""Results of a wave cut to the caller's units, and trends across published waves."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Schema

from chuangwen.core.api_errors import ApiError, ErrorOut
from chuangwen.core.bounds import ID_MAX, IdPath
from chuangwen.surveys import results, services
from chuangwen.surveys.api.common import (
    ERRORS,
    _viewer,
    _wave,
    router,
)
from chuangwen.surveys.models import (
    Wave,
    WaveState,
)

# --- results ------------------------------------------------------------------------------------------------


class ResultsWaveOut(Schema):
    id: int = Field(description="调查轮次 ID")
    name: str = Field(description="调查轮次名称")
    state: str = Field(description="状态")
    published_at: datetime | None = Field(description="发布时间")


class ResultsOut(Schema):
    wave: ResultsWaveOut = Field(description="调查轮次")
    published: bool = Field(description="true 已发布的结果（不再改变）；false 当前数据的实时结果")
    questionnaire: dict[str, Any] = Field(description="问卷：code、version、title")
    computed_at: str = Field(description="计算时间")
    method: str = Field(
        description="加权方法：poststratification 事后分层 | raking 迭代比例 | unweighted 未加权"
    )
    measures: list[str] = Field(description="有结果的指标率：awareness、support、participation、satisfaction")
    indicators: list[str] = Field(description="有结果的测评标准编号")
    counts: dict[str, int] = Field(
        description="答卷数：accepted 计入、flagged 待审核、rejected 已作废、excluded_coaching 应知应会排除"
    )
    units: dict[str, Any] = Field(
        description="单位 ID → {name, code, depth, parent, stratum, target, measures{指标: {rate, low, "
        "high, n, n_effective}}, indicators{…}}；只含组织单位总体与调用者本单位及下级"
    )
    questions: list[dict[str, Any]] = Field(description="各题：总体得分率与各选项的加权占比")


class TrendUnitOut(Schema):
    id: int = Field(description="单位 ID")
    name: str = Field(description="单位名称")
    depth: int = Field(description="层级")
    measures: dict[str, Any] = Field(description="指标率 → {rate, low, high, n, n_effective}（无结果为空）")


class TrendWaveOut(Schema):
    id: int = Field(description="调查轮次 ID")
    name: str = Field(description="调查轮次名称")
    starts_on: date = Field(description="开始日期")
    ends_on: date = Field(description="结束日期")
    published_at: datetime | None = Field(description="发布时间")
    units: list[TrendUnitOut] = Field(description="调用者可见的单位")


class TrendOut(Schema):
    measures: list[str] = Field(description="出现过的指标率")
    waves: list[TrendWaveOut] = Field(description="已发布的调查轮次（按发布时间先后）")


class TrendFilters(Schema):
    unit_id: int | None = Field(None, ge=1, le=ID_MAX, description="只看一个单位（默认全部可见单位）")


@router.get(
    "/waves/{wave_id}/results",
    response={200: ResultsOut, **ERRORS, 409: ErrorOut},
    summary="调查结果：已发布的快照，或（组织单位和督导）进行中的实时结果；只含可见单位",
)
def wave_results(request: HttpRequest, wave_id: IdPath) -> dict[str, Any]:
    user = _viewer(request)
    wave = _wave(user, wave_id)
    published = wave.state == WaveState.PUBLISHED and wave.results is not None
    if not published and not services.may_review(wave, user):
        raise ApiError(409, "not_published", _("本轮调查结果尚未发布"))
    snapshot = results.results_of(wave)
    return {
        "wave": {"id": wave.pk, "name": wave.name, "state": wave.state, "published_at": wave.published_at},
        "published": published,
        "questionnaire": snapshot["questionnaire"],
        "computed_at": snapshot["computed_at"],
        "method": snapshot["method"],
        "measures": snapshot["measures"],
        "indicators": snapshot["indicators"],
        "counts": snapshot["counts"],
        "units": results.visible_units(snapshot, user),
        "questions": snapshot["questions"],
    }


@router.get(
    "/results/trend",
    response={200: TrendOut, **ERRORS},
    summary="趋势：各已发布调查轮次中可见单位的知晓率、支持率、参与率、满意度",
)
def results_trend(request: HttpRequest, filters: Query[TrendFilters]) -> dict[str, Any]:
    user = _viewer(request)
    waves = Wave.objects.visible_to(user).filter(state=WaveState.PUBLISHED).order_by("published_at", "pk")
    measures: list[str] = []
    out = []
    for wave in waves:
        snapshot = wave.results or {}
        if not snapshot:
            continue
        for m in snapshot.get("measures", []):
            if m not in measures:
                measures.append(m)
        rows = results.visible_units(snapshot, user)
        units = [
            {"id": int(pk), "name": row["name"], "depth": row["depth"], "measures": row["measures"]}
            for pk, row in rows.items()
            if filters.unit_id is None or int(pk) == filters.unit_id
        ]
        out.append(
            {
                "id": wave.pk,
                "name": wave.name,
                "starts_on": wave.starts_on,
                "ends_on": wave.ends_on,
                "published_at": wave.published_at,
                "units": units,
            }
        )
    return {"measures": measures, "waves": out}
