"""API of the holiday table (docs/deadlines.md, "API"): read a year's holidays and make-up workdays with
their source, set a day or remove its local row — what the admin's 节假日与调休 and ``chuangwen workdays`` do,
through ``workdays.table``; writes idempotent by ``client_id``."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema
from pydantic import ConfigDict

from chuangwen.core.api_writes import READ_ERRORS, WRITE_ERRORS, ClientId, Duplicate, forbidden, once, refuse
from chuangwen.core.bounds import date_error
from chuangwen.core.web import user_of
from chuangwen.workdays import services, table
from chuangwen.workdays.models import CalendarDay

router = Router(tags=["工作日历"])


class DayOut(Schema):
    date: dt.date = Field(description="日期")
    workday: bool = Field(description="true 工作日（含调休上班）；false 休息日")
    name: str = Field(description="名称，如 春节、调休上班")
    source: str = Field(description="来源：local 本地维护、package 官方日历、weekend_rule 默认周末规则")
    source_label: str = Field(description="来源（中文）")
    note: str = Field(description="依据（本地维护的记录才有）")


class YearOut(Schema):
    year: int = Field(description="年份")
    warning: str | None = Field(description="该年节假日尚未维护时的提示")
    days: list[DayOut] = Field(description="节假日与调休上班日（不含普通周末）")


class YearQuery(Schema):
    year: int = Field(ge=1900, le=2200, description="年份")


class DayPath(Schema):
    day: dt.date = Field(description="日期（YYYY-MM-DD）")


class DayIn(Schema):
    model_config = ConfigDict(extra="forbid")
    client_id: ClientId
    kind: Literal["workday", "holiday"] = Field(description="workday 工作日（调休上班）；holiday 休息日")
    name: str = Field("", max_length=50, description="名称，如 春节、调休上班")
    note: str = Field("", max_length=200, description="依据，如通知文号")


class DayWriteOut(DayOut):
    changed: bool = Field(description="true 本次改变了日历；false 没有可删除的本地记录")
    duplicate: Duplicate


class UnsetQuery(Schema):
    client_id: ClientId


def day_out(day: dt.date) -> dict[str, Any]:
    info = services.day_info(day)
    row = CalendarDay.objects.filter(date=day).first()
    return {
        "date": day, "workday": info.workday, "name": info.name, "source": str(info.source),
        "source_label": str(info.source_label), "note": row.note if row else "",
    }  # fmt: skip


def editor(request: HttpRequest) -> Any:
    user = user_of(request)
    if not table.may_edit(user):
        raise forbidden(_("只有文明办协调员和系统管理员可以维护节假日与调休"))
    return user


@router.get("/years", response={200: YearOut, **READ_ERRORS}, summary="某年的节假日与调休上班日及其来源")
def year_days(request: HttpRequest, query: Query[YearQuery]) -> dict[str, Any]:
    days = services.special_days(query.year)
    return {
        "year": query.year,
        "warning": services.unmaintained_warning(query.year),
        "days": [day_out(info.date) for info in days],
    }


@router.put(
    "/days/{day}",
    response={200: DayWriteOut, **WRITE_ERRORS},
    summary="把某天设为工作日或休息日（本地维护，优先于官方日历；按 client_id 幂等）",
)
def set_day(request: HttpRequest, path: Path[DayPath], data: DayIn) -> dict[str, Any]:
    user = editor(request)
    reason = date_error(path.day, _("日期"))
    if reason is not None:
        raise refuse(400, "invalid", reason, "day")

    def apply() -> str:
        table.set_day(path.day, data.kind, data.name, data.note, action="workdays.calendar_day.api_set",
                      user=user, request=request)  # fmt: skip
        return path.day.isoformat()

    _id, duplicate = once(user.pk, data.client_id, "workdays.day_set", apply)
    return {**day_out(path.day), "changed": not duplicate, "duplicate": duplicate}


@router.delete(
    "/days/{day}",
    response={200: DayWriteOut, **WRITE_ERRORS},
    summary="删除某天的本地维护记录，恢复官方日历（按 client_id 幂等）",
)
def unset_day(request: HttpRequest, path: Path[DayPath], query: Query[UnsetQuery]) -> dict[str, Any]:
    user = editor(request)
    removed: list[bool] = []

    def apply() -> str:
        removed.append(table.unset_day(path.day, action="workdays.calendar_day.api_unset", request=request))
        return path.day.isoformat()

    _id, duplicate = once(user.pk, query.client_id, "workdays.day_unset", apply)
    return {**day_out(path.day), "changed": bool(removed and removed[0]), "duplicate": duplicate}
