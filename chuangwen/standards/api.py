"""API of the evaluation standard: versions, their site types and check items, and the indicator tree
(reference data)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Prefetch
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from chuangwen.core.api_errors import ApiError, ErrorOut
from chuangwen.core.bounds import IdPath
from chuangwen.standards.models import CheckItem, Indicator, SiteType, Standard
from chuangwen.standards.services.indicators import indicator_tree, tree_totals
from chuangwen.standards.views import sees_freeze

router = Router(tags=["测评体系"])


class StandardOut(Schema):
    id: int = Field(description="标准版本 ID")
    code: str = Field(description="标准编码")
    version: int = Field(description="版本号")
    name: str = Field(description="标准名称")
    is_active: bool = Field(description="是否当前生效版本")
    frozen: bool | None = Field(description="是否已冻结（被测评批次使用后不可修改）；仅协调员与管理员可见")
    frozen_at: datetime | None = Field(description="冻结时间；仅协调员与管理员可见")
    derived_from_id: int | None = Field(description="派生自哪个版本")
    created_at: datetime = Field(description="创建时间")
    site_type_count: int = Field(description="点位类型数")
    item_count: int = Field(description="测评指标数")


class CheckItemOut(Schema):
    code: str = Field(description="指标编码")
    category: str = Field(description="问题类别")
    text: str = Field(description="测评内容")
    mode: str = Field(description="计分方式：binary 符合/不符合、per_occurrence 按处扣分、veto 一票否决")
    mode_label: str = Field(description="计分方式（中文）")
    deduct: float = Field(description="单次扣分")
    cap: float | None = Field(description="扣分上限；为空表示不设上限")
    unit_label: str = Field(description="计数单位，如 处")
    severity: str = Field(description="严重程度：general 一般、serious 严重")
    severity_label: str = Field(description="严重程度（中文）")
    deadline_days: int = Field(description="整改时限（工作日）")
    duty: str = Field(description="责任类别（据此派遣到承担该职责的单位）")


class SiteTypeOut(Schema):
    code: str = Field(description="点位类型编码")
    name: str = Field(description="点位类型名称")
    protocol: str = Field(description="测评方法")
    weight: float = Field(description="权重")
    items: list[CheckItemOut] = Field(description="测评指标")


class StandardDetailOut(StandardOut):
    site_score_formula: str = Field(description="点位得分公式")
    parameters: dict[str, Any] = Field(description="计分参数（权重、惩罚等）")
    frozen_reason: str | None = Field(description="冻结原因；仅协调员与管理员可见")
    site_types: list[SiteTypeOut] = Field(description="点位类型及其测评指标")


class IndicatorOut(Schema):
    code: str = Field(description="标准编号（完整编号，如 01-03-02）")
    text: str = Field(description="测评标准")
    methods: list[str] = Field(
        description="测评方法：online 网上申报、field 实地考察、survey 问卷调查、negative 负面清单（可多项）"
    )
    method_labels: list[str] = Field(description="测评方法（中文）")
    points: float = Field(description="分值；负面清单为发生时扣减的分值")
    material_types: list[str] = Field(
        description="材料类型：document 规范文件、account 情况说明、photo 实景图片、table 统计表格"
    )
    window_months: int = Field(description="材料时限（月）：申报材料所记录的工作须在截止日前这么多个月内")
    guidance: str = Field(description="申报要求")
    check_items: list[str] = Field(description="对应实地测评指标的编码（同一版本）")


class IndicatorContentOut(Schema):
    code: str = Field(description="内容编号")
    name: str = Field(description="测评内容")
    indicators: list[IndicatorOut] = Field(description="测评标准")


class IndicatorProjectOut(Schema):
    code: str = Field(description="项目编号")
    name: str = Field(description="测评项目")
    points: float = Field(description="本项目计分测评标准的分值合计（不含负面清单）")
    contents: list[IndicatorContentOut] = Field(description="测评内容")


class IndicatorTreeOut(Schema):
    standard_id: int = Field(description="标准版本 ID")
    code: str = Field(description="标准编码")
    version: int = Field(description="版本号")
    full_points: float = Field(description="满分：计分测评标准的分值合计（不含负面清单）")
    projects: list[IndicatorProjectOut] = Field(description="测评项目 → 测评内容 → 测评标准；未设置时为空")


def standard_out(standard: Any, show_freeze: bool) -> dict[str, Any]:
    return {
        "id": standard.pk,
        "code": standard.code,
        "version": standard.version,
        "name": standard.name,
        "is_active": standard.is_active,
        "frozen": standard.frozen if show_freeze else None,
        "frozen_at": standard.frozen_at if show_freeze else None,
        "derived_from_id": standard.derived_from_id,
        "created_at": standard.created_at,
        "site_type_count": standard.site_type_count,
        "item_count": standard.item_count,
    }


def item_out(item: CheckItem) -> dict[str, Any]:
    return {
        "code": item.code,
        "category": item.category,
        "text": item.text,
        "mode": item.mode,
        "mode_label": str(item.get_mode_display()),
        "deduct": float(item.deduct),
        "cap": float(item.cap) if item.cap is not None else None,
        "unit_label": item.unit_label,
        "severity": item.severity,
        "severity_label": str(item.get_severity_display()),
        "deadline_days": item.deadline_days,
        "duty": item.duty,
    }


def counted_standards() -> Any:
    return Standard.objects.annotate(
        site_type_count=Count("site_types", distinct=True), item_count=Count("site_types__items")
    )


@router.get("", response=list[StandardOut], summary="测评标准版本列表")
def list_standards(request: HttpRequest) -> list[dict[str, Any]]:
    show = sees_freeze(request)
    return [standard_out(s, show) for s in counted_standards().order_by("code", "-version")]


@router.get("/{standard_id}", response=StandardDetailOut, summary="测评标准版本详情（含点位类型与测评指标）")
def get_standard(request: HttpRequest, standard_id: IdPath) -> dict[str, Any]:
    items = CheckItem.objects.order_by("sort_order", "code")
    site_types = SiteType.objects.order_by("sort_order", "code").prefetch_related(Prefetch("items", items))
    standard = get_object_or_404(
        counted_standards().prefetch_related(Prefetch("site_types", site_types)), pk=standard_id
    )
    show = sees_freeze(request)
    return {
        **standard_out(standard, show),
        "site_score_formula": standard.site_score_formula,
        "parameters": standard.parameters or {},
        "frozen_reason": standard.frozen_reason if show else None,
        "site_types": [
            {
                "code": t.code,
                "name": t.name,
                "protocol": t.protocol,
                "weight": float(t.weight),
                "items": [item_out(i) for i in t.items.all()],
            }
            for t in standard.site_types.all()
        ],
    }


def indicator_out(indicator: Indicator) -> dict[str, Any]:
    return {
        "code": indicator.code,
        "text": indicator.text,
        "methods": list(indicator.methods),
        "method_labels": [label for _value, label in indicator.method_labels],
        "points": float(indicator.points),
        "material_types": list(indicator.material_types),
        "window_months": indicator.window_months,
        "guidance": indicator.guidance,
        "check_items": [item.code for item in indicator.check_items.all()],
    }


@router.get(
    "/{standard_id}/indicators",
    response={200: IndicatorTreeOut, 404: ErrorOut},
    summary="测评体系：测评项目 → 测评内容 → 测评标准（含测评方法、分值、材料类型与对应实地测评指标）",
)
def get_indicators(request: HttpRequest, standard_id: IdPath) -> Any:
    standard = Standard.objects.filter(pk=standard_id).first()
    if standard is None:
        raise ApiError(404, "not_found", _("测评标准版本不存在。"))
    totals = tree_totals(indicator_tree(standard))
    return {
        "standard_id": standard.pk,
        "code": standard.code,
        "version": standard.version,
        "full_points": float(totals["full"]),
        "projects": [
            {
                "code": row["project"].code,
                "name": row["project"].name,
                "points": float(row["points"]),
                "contents": [
                    {
                        "code": ct.code,
                        "name": ct.name,
                        "indicators": [indicator_out(i) for i in ct.indicators.all()],
                    }
                    for ct in row["project"].contents.all()
                ],
            }
            for row in totals["projects"]
        ],
    }
