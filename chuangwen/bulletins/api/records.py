"""Commendations (表彰) and accountability talks (约谈 / 通报批评): listed within the caller's scope, written
by the office through ``bulletins.records``."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Schema, Status
from pydantic import field_validator

from chuangwen.accounts.models import User
from chuangwen.bulletins import services
from chuangwen.bulletins.api.common import (
    ERRORS,
    WRITE_ERRORS,
    PageIn,
    UnitRef,
    member,
    office,
    refused,
    router,
    unit_ref,
    within_bounds,
)
from chuangwen.bulletins.api.sources import citable_rankings
from chuangwen.bulletins.models import AccountabilityTalk, Bulletin, Commendation
from chuangwen.core.api_errors import ApiError
from chuangwen.core.bounds import Id, IdPath
from chuangwen.org.models import Unit


class CommendationOut(Schema):
    id: int = Field(description="表彰 ID")
    owner: UnitRef = Field(description="表彰机关")
    unit: UnitRef = Field(description="受表彰单位")
    person_name: str = Field(description="受表彰个人（可为空）")
    title: str = Field(description="表彰名称")
    reason: str = Field(description="表彰事由")
    date: dt.date = Field(description="表彰日期")
    bulletin_id: int | None = Field(description="表彰决定（通报 ID）")
    ranking_id: int | None = Field(description="依据排名 ID")


class CommendationPage(Schema):
    count: int = Field(description="总数")
    limit: int = Field(description="本页最多条数")
    offset: int = Field(description="本页起始位置")
    items: list[CommendationOut] = Field(description="本页表彰（新的在前）")


class TalkOut(Schema):
    id: int = Field(description="约谈记录 ID")
    owner: UnitRef = Field(description="约谈机关")
    unit: UnitRef = Field(description="被约谈单位")
    kind: Literal["talk", "criticism"] = Field(description="talk 约谈 | criticism 通报批评")
    kind_label: str = Field(description="类型名称")
    reason: str = Field(description="事由")
    meeting_date: dt.date = Field(description="约谈日期")
    follow_up_due: dt.date = Field(description="整改跟踪期限")
    state: Literal["planned", "following", "closed"] = Field(
        description="planned 待约谈 | following 整改跟踪中 | closed 已办结"
    )
    state_label: str = Field(description="状态名称")
    outcome: str = Field(description="整改结果")
    closed_at: dt.datetime | None = Field(description="办结时间")
    bulletin_id: int | None = Field(description="所在通报 ID")
    ranking_id: int | None = Field(description="依据排名 ID")


class TalkPage(Schema):
    count: int = Field(description="总数")
    limit: int = Field(description="本页最多条数")
    offset: int = Field(description="本页起始位置")
    items: list[TalkOut] = Field(description="本页约谈记录（新的在前）")


class CommendationIn(Schema):
    unit_id: Id = Field(description="受表彰单位 ID")
    title: str = Field(max_length=100, description="表彰名称")
    reason: str = Field(max_length=5000, description="表彰事由")
    date: dt.date = Field(description="表彰日期")
    person_name: str = Field("", max_length=50, description="受表彰个人（可空）")
    bulletin_id: Id | None = Field(None, description="表彰决定（通报 ID）")
    ranking_id: Id | None = Field(None, description="依据排名 ID")

    @field_validator("date")
    @classmethod
    def _bounded(cls, value: dt.date) -> dt.date | None:
        return within_bounds(value, _("表彰日期"))


class TalkIn(Schema):
    unit_id: Id = Field(description="被约谈单位 ID")
    kind: Literal["talk", "criticism"] = Field("talk", description="talk 约谈 | criticism 通报批评")
    reason: str = Field(max_length=5000, description="事由")
    meeting_date: dt.date = Field(description="约谈日期")
    follow_up_due: dt.date = Field(description="整改跟踪期限")
    bulletin_id: Id | None = Field(None, description="所在通报 ID")
    ranking_id: Id | None = Field(None, description="依据排名 ID")

    @field_validator("meeting_date", "follow_up_due")
    @classmethod
    def _bounded(cls, value: dt.date) -> dt.date | None:
        return within_bounds(value, _("日期"))


class FollowUpIn(Schema):
    outcome: str = Field(max_length=5000, description="整改结果")
    close: bool = Field(False, description="true 办结")


def commendation_out(c: Commendation) -> dict[str, Any]:
    return {
        "id": c.pk,
        "owner": unit_ref(c.owner_unit),
        "unit": unit_ref(c.unit),
        "person_name": c.person_name,
        "title": c.title,
        "reason": c.reason,
        "date": c.date,
        "bulletin_id": c.bulletin_id,
        "ranking_id": c.ranking_id,
    }


def talk_out(t: AccountabilityTalk) -> dict[str, Any]:
    return {
        "id": t.pk,
        "owner": unit_ref(t.owner_unit),
        "unit": unit_ref(t.unit),
        "kind": t.kind,
        "kind_label": t.get_kind_display(),
        "reason": t.reason,
        "meeting_date": t.meeting_date,
        "follow_up_due": t.follow_up_due,
        "state": t.state,
        "state_label": t.get_state_display(),
        "outcome": t.outcome,
        "closed_at": t.closed_at,
        "bulletin_id": t.bulletin_id,
        "ranking_id": t.ranking_id,
    }


def _links(user: User, body: CommendationIn | TalkIn) -> dict[str, Any]:
    """The unit, bulletin and ranking the body names, in the caller's scope (400 naming the field)."""
    unit = Unit.objects.visible_to(user).filter(pk=body.unit_id).first()
    if unit is None:
        raise services.Refused("invalid", _("没有找到该单位，或不属于本单位"), "unit")
    bulletin = None
    if body.bulletin_id is not None:
        bulletin = Bulletin.objects.visible_to(user).filter(pk=body.bulletin_id).first()
        if bulletin is None:
            raise services.Refused("invalid", _("没有找到该通报"), "bulletin")
    ranking = None
    if body.ranking_id is not None:
        ranking = citable_rankings(user).filter(pk=body.ranking_id).first()
        if ranking is None:
            raise services.Refused("invalid", _("没有找到该排名，或不含本单位下属单位"), "ranking_id")
    return {"unit": unit, "bulletin": bulletin, "ranking": ranking}


def _page(queryset: Any, page: PageIn, out: Any) -> dict[str, Any]:
    rows = queryset[page.offset : page.offset + page.limit]
    return {
        "count": queryset.count(),
        "limit": page.limit,
        "offset": page.offset,
        "items": [out(r) for r in rows],
    }


@router.get("/commendations", response={200: CommendationPage, **ERRORS}, summary="表彰记录（分页）")
def list_commendations(request: HttpRequest, page: Query[PageIn]) -> dict[str, Any]:
    user = member(request)
    rows = Commendation.objects.visible_to(user).select_related("owner_unit", "unit")
    return _page(rows, page, commendation_out)


@router.post(
    "/commendations", response={201: CommendationOut, **WRITE_ERRORS}, summary="登记表彰（文明办协调员）"
)
def commend(request: HttpRequest, body: CommendationIn) -> Status[dict[str, Any]]:
    from chuangwen.bulletins import records

    user = office(request)
    assert user.unit is not None  # office() requires a unit
    try:
        made = records.commend(
            user.unit,
            user,
            title=body.title,
            reason=body.reason,
            date=body.date,
            person_name=body.person_name,
            **_links(user, body),
        )
    except services.Refused as exc:
        raise refused(exc) from None
    return Status(201, commendation_out(made))


@router.get("/talks", response={200: TalkPage, **ERRORS}, summary="约谈及通报批评记录（分页）")
def list_talks(request: HttpRequest, page: Query[PageIn]) -> dict[str, Any]:
    user = member(request)
    rows = AccountabilityTalk.objects.visible_to(user).select_related("owner_unit", "unit")
    return _page(rows, page, talk_out)


@router.post("/talks", response={201: TalkOut, **WRITE_ERRORS}, summary="登记约谈或通报批评（文明办协调员）")
def schedule_talk(request: HttpRequest, body: TalkIn) -> Status[dict[str, Any]]:
    from chuangwen.bulletins import records

    user = office(request)
    assert user.unit is not None  # office() requires a unit
    try:
        made = records.schedule_talk(
            user.unit,
            user,
            kind=body.kind,
            reason=body.reason,
            meeting_date=body.meeting_date,
            follow_up_due=body.follow_up_due,
            **_links(user, body),
        )
    except services.Refused as exc:
        raise refused(exc) from None
    return Status(201, talk_out(made))


@router.post(
    "/talks/{talk_id}/follow-up",
    response={200: TalkOut, **WRITE_ERRORS},
    summary="记录约谈后的整改跟踪结果，可办结",
)
def follow_up(request: HttpRequest, talk_id: IdPath, body: FollowUpIn) -> dict[str, Any]:
    from chuangwen.bulletins import records

    user = member(request)
    talk = AccountabilityTalk.objects.visible_to(user).select_related("owner_unit", "unit").filter(pk=talk_id)
    found = talk.first()
    if found is None:
        raise ApiError(404, "not_found", _("没有找到该约谈记录"))
    if not services.is_office_of(user, found.owner_unit_id):
        raise refused(services.Refused("forbidden", _("只有约谈机关文明办可以记录整改跟踪结果")))
    try:
        done = records.follow_up(found, user, outcome=body.outcome, close=body.close)
    except services.Refused as exc:
        raise refused(exc) from None
    return talk_out(done)
