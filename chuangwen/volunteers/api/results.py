"""/api/v1/volunteers: results (docs/volunteers.md, "API")."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from chuangwen.accounts.capabilities import may_see_volunteer_work
from chuangwen.core.api_errors import ApiError, ErrorOut
from chuangwen.core.bounds import ID_MAX, Month, date_error
from chuangwen.core.web import user_of
from chuangwen.org.models import Unit
from chuangwen.volunteers import results

router = Router(tags=["志愿服务"])


class ResultsFilters(Schema):
    unit: int | None = Field(
        None, ge=1, le=ID_MAX, description="单位 ID（默认调用者本单位）；只能是本单位及下级"
    )
    month: Month | None = Field(None, description="月份 YYYY-MM（默认本月；在日期范围内）")


class FiguresOut(Schema):
    unit_id: int = Field(description="单位 ID")
    unit_code: str = Field(description="单位编码")
    unit_name: str = Field(description="单位名称")
    unit_kind: str = Field(description="单位类型")
    hours: Decimal = Field(description="组织服务时长（小时）：活动所属队伍在本单位（含下级）的已确认时长")
    minutes: int = Field(description="组织服务时长（分钟）")
    resident_hours: Decimal = Field(description="本单位（含下级）注册志愿者的已确认服务时长（小时）")
    resident_minutes: int = Field(description="本单位志愿者服务时长（分钟）")
    activities: int = Field(description="开展活动数：未取消、在本月内结束的活动")
    registered: int = Field(description="注册志愿者：月末（或现在）已注册且未注销")
    population: int | None = Field(description="18–65 岁常住人口（问卷调查人口数表；没有人口数为空）")
    share: Decimal | None = Field(
        description="注册率 = 注册志愿者 ÷ 18–65 岁常住人口（没有人口数为空，不是 0）"
    )
    active: int = Field(description="活跃志愿者：本月至少有一条已确认服务记录的注册志愿者")
    active_share: Decimal | None = Field(description="活跃志愿者 ÷ 注册志愿者")
    requests_done: int = Field(description="本月完成（待评价或已评价）的服务需求")
    rated: int = Field(description="其中已评价的件数")
    mean_rating: Decimal | None = Field(description="平均评价（1–5 星）")


class UnitOut(Schema):
    id: int
    code: str
    name: str


class ResultsOut(Schema):
    unit: UnitOut = Field(description="所查单位")
    period: str = Field(description="月份 YYYY-MM")
    start: datetime = Field(description="起（含）")
    end: datetime = Field(description="止（不含）")
    total: FiguresOut = Field(description="本单位（含全部下级）合计")
    rows: list[FiguresOut] = Field(description="各直属下级单位（含其下级）")


@router.get(
    "/results",
    response={200: ResultsOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="志愿服务成效：本单位及各直属下级单位某月的服务时长、活动、注册志愿者与注册率、活跃志愿者、服务需求",
)
def get_results(request: HttpRequest, filters: Query[ResultsFilters]) -> dict[str, Any]:
    user = user_of(request)
    if not may_see_volunteer_work(user) or user.unit is None:
        raise ApiError(
            403, "refused", _("只有文明办协调员、区领导和责任单位负责人、经办人可以查看志愿服务成效。")
        )
    unit = user.unit
    if filters.unit is not None:
        found = Unit.objects.visible_to(user).filter(pk=filters.unit).first()
        if found is None:
            raise ApiError(404, "not_found", _("单位不存在或不在本单位范围内"))
        unit = found
    month: date = timezone.localdate().replace(day=1)
    if filters.month:
        parsed = results.parse_month(filters.month)
        problem = date_error(parsed, _("月份")) if parsed is not None else _("月份应为 YYYY-MM")
        if parsed is None or problem:
            raise ApiError(422, "invalid", problem or _("月份应为 YYYY-MM"), field="month")
        month = parsed
    return results.table_for(user, unit, results.Window.for_month(month)).as_dict()
