"""API of the coordinator's views over many cases: the dispatch board, disputes between units and the case
map as GeoJSON.

A router of its own, mounted at /api/v1/cases beside ``cases.py`` (``cases/api/__init__.py``); the case
paths there take an integer id, so "/board", "/disputes" and "/geojson" never reach them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, P, Query, QueryEx, Router, Schema

from chuangwen.accounts.capabilities import may_oversee
from chuangwen.cases import board, casemap, disputes
from chuangwen.cases.api.cases import CaseFilters, UnitRef, _ref, form_data
from chuangwen.cases.forms import CaseFilterForm
from chuangwen.cases.models import Case
from chuangwen.core.api_errors import ApiError, ErrorOut
from chuangwen.core.bounds import COUNT_MAX
from chuangwen.core.web import user_of

router = Router(tags=["案卷"])


class TriageOut(Schema):
    id: int = Field(description="案卷 ID")
    code: str = Field(description="案卷编号")
    title: str = Field(description="标题")
    state: str = Field(description="状态编码：new（待分拣）或 returned（已退回）")
    unit: UnitRef | None = Field(description="责任单位（待分拣时为空；已退回时为退回的单位）")
    area_unit: UnitRef | None = Field(description="所在区域")
    action: str = Field(description="派遣所用的操作：triage_accept 或 redispatch")
    suggested_unit: UnitRef | None = Field(description="分派规则建议的责任单位（无点位或指标时为空）")
    suggestion_usable: bool = Field(description="建议单位已启用且在调用者范围内，可直接派遣")
    explanation: str = Field(description="建议的依据")
    return_reason: str = Field(description="最近一次申请退回的理由")
    version: int = Field(description="版本号（派遣时作为 expected_version 回传）")


class UnitLightsOut(Schema):
    unit: UnitRef = Field(description="责任单位")
    green: int = Field(description="绿灯（正常）案卷数，含下级单位")
    yellow: int = Field(description="黄灯（临期）案卷数，含下级单位")
    red: int = Field(description="红灯（超期）案卷数，含下级单位")


class PendingOut(Schema):
    id: int = Field(description="案卷 ID")
    code: str = Field(description="案卷编号")
    kind: str = Field(description="申请类型：return（申请退回）或 extension（申请延期）")
    requested_until: datetime | None = Field(description="申请延期至（申请退回时为空）")
    reason: str = Field(description="申请退回的理由（申请延期时为空）")


class BoardOut(Schema):
    triage_total: int = Field(description="待分拣和已退回的案卷总数")
    triage: list[TriageOut] = Field(description="待分拣和已退回的案卷，最早立案在前（最多 200 件）")
    unit_lights: list[UnitLightsOut] = Field(description="各责任单位在办案卷的红黄绿灯，红灯多者在前")
    pending: list[PendingOut] = Field(description="待单位负责人审批的退回和延期申请")


def pending_out(item: board.PendingRequest) -> list[dict[str, Any]]:
    case = item.case
    rows = []
    if case.return_requested:
        rows.append({"id": case.pk, "code": case.code, "kind": "return", "requested_until": None,
                     "reason": item.return_reason})  # fmt: skip
    if case.extension_requested_until is not None:
        rows.append({"id": case.pk, "code": case.code, "kind": "extension",
                     "requested_until": case.extension_requested_until, "reason": ""})  # fmt: skip
    return rows


@router.get(
    "/board",
    response={200: BoardOut, 403: ErrorOut},
    summary="派遣台：待分拣和已退回的案卷及建议单位、各单位红黄绿灯、待审批申请（协调员、领导）",
)
def get_board(request: HttpRequest) -> Any:
    user = user_of(request)
    if not may_oversee(user):
        raise ApiError(403, "refused", _("只有文明办协调员和区领导可以查看派遣台"))
    rows, total = board.triage_rows(user)
    return {
        "triage_total": total,
        "triage": [
            {
                "id": row.case.pk, "code": row.case.code, "title": row.case.title, "state": row.case.state,
                "unit": _ref(row.case.unit), "area_unit": _ref(row.case.area_unit), "action": row.action,
                "suggested_unit": _ref(row.suggestion.unit) if row.suggestion else None,
                "suggestion_usable": row.suggestion_usable,
                "explanation": row.suggestion.explanation if row.suggestion else "",
                "return_reason": row.return_reason, "version": row.case.version,
            }
            for row in rows
        ],
        "unit_lights": [
            {"unit": _ref(row.unit), "green": row.green, "yellow": row.yellow, "red": row.red}
            for row in board.unit_lights(user, timezone.now())
        ],
        "pending": [out for item in board.pending_requests(user) for out in pending_out(item)],
    }  # fmt: skip


class CaseRefOut(Schema):
    id: int = Field(description="案卷 ID")
    code: str = Field(description="案卷编号")
    title: str = Field(description="标题")
    check_item: str = Field(description="测评指标（编码与内容）")


class UnitPairOut(Schema):
    unit_ids: list[int] = Field(description="两个单位的 ID")
    unit_names: list[str] = Field(description="两个单位的名称")
    count: int = Field(description="在两单位之间往返的案卷数")
    check_items: list[str] = Field(description="涉及的测评指标")
    cases: list[CaseRefOut] = Field(description="往返的案卷")


class UnitReturnsOut(Schema):
    unit_id: int = Field(description="单位 ID")
    unit_name: str = Field(description="单位名称")
    returns: int = Field(description="批准退回次数")
    cases: int = Field(description="涉及案卷数")


class DisputesOut(Schema):
    min: int = Field(description="单位对至少往返的案卷数")
    pairs: list[UnitPairOut] = Field(description="反复互相退回的单位对，往返案卷多者在前")
    returns: list[UnitReturnsOut] = Field(description="各单位的退回次数，多者在前")


@router.get(
    "/disputes",
    response={200: DisputesOut, 403: ErrorOut},
    summary="推诿分析：反复互相退回的单位对与各单位退回次数（协调员、领导；调用者范围内的案卷）",
)
def get_disputes(
    request: HttpRequest, min: QueryEx[int, P(ge=1, le=COUNT_MAX)] = disputes.DEFAULT_MIN_CASES
) -> Any:
    user = user_of(request)
    if not may_oversee(user):
        raise ApiError(403, "refused", _("只有文明办协调员和区领导可以查看推诿分析"))
    result = disputes.disputes_for(user, max(1, min))
    return {
        "min": result.min_cases,
        "pairs": [
            {
                "unit_ids": list(pair.units),
                "unit_names": list(pair.names),
                "count": pair.count,
                "check_items": pair.check_items,
                "cases": [vars(case) for case in pair.cases],
            }
            for pair in result.pairs
        ],
        "returns": [
            {"unit_id": row.unit_id, "unit_name": row.name, "returns": row.returns, "cases": row.cases}
            for row in result.returns
        ],
    }


class FeatureCollectionOut(Schema):
    type: str = Field(description="FeatureCollection")
    features: list[dict[str, Any]] = Field(description="在办案卷的位置（点），properties.light 为红黄绿灯")
    total: int = Field(description="符合条件且有位置的在办案卷总数")
    truncated: bool = Field(description="是否超过 5000 件而只返回了期限最早的 5000 件")


@router.get(
    "/geojson",
    response=FeatureCollectionOut,
    summary="案卷地图：调用者范围内在办案卷的 GeoJSON（筛选同案卷列表，最多 5000 个点）",
)
def get_geojson(request: HttpRequest, filters: Query[CaseFilters]) -> dict[str, Any]:
    user = user_of(request)
    form = CaseFilterForm(form_data(filters), user=user)
    return casemap.feature_collection(form.filter(Case.objects.visible_to(user)), timezone.now())
