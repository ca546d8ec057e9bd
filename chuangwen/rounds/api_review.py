"""Reviewing a round's visits through the API (/api/v1/rounds/…/visits): the list, accepting, sending back,
and accepting at once every clean visit — the buttons of the review pages (``rounds/visit_views.py``),
calling the same functions (``rounds/visits.py``, ``rounds/review.py``), audited there.

A round or visit the caller may not know of is the same 404 as one that does not exist; a visit the caller
sees but may not review (not its coordinator, or the round published) is 403.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import StringConstraints

from chuangwen.core.api_errors import ApiError
from chuangwen.core.api_writes import READ_ERRORS, WRITE_ERRORS, ClientId, forbidden, once, refuse
from chuangwen.core.bounds import OFFSET_MAX, IdPath
from chuangwen.core.web import user_of
from chuangwen.rounds import review
from chuangwen.rounds.api_shapes import visible_round
from chuangwen.rounds.models import Visit, VisitStatus
from chuangwen.rounds.visits import ReviewRefused, accept_visit, can_review, send_back_visit

router = Router(tags=["测评批次"])

PAGE_SIZE = 50
VISIT_STATUSES = Literal["submitted", "accepted", "sent_back"]


class VisitOut(Schema):
    id: int = Field(description="测评 ID")
    round_id: int = Field(description="测评批次 ID")
    site_id: int = Field(description="点位 ID")
    site_code: str = Field(description="点位编码")
    team: str = Field(description="测评小组")
    inspector: str = Field(description="测评员")
    outcome: Literal["done", "refused", "not_possible"] = Field(description="测评结果")
    status: VISIT_STATUSES = Field(description="submitted 待审核 | accepted 已采纳 | sent_back 退回重测")
    score: str | None = Field(description="点位得分")
    score_rate: str | None = Field(description="得分率")
    distance_m: float | None = Field(description="距点位距离（米）")
    review_note: str = Field(description="退回原因")
    received_at: datetime = Field(description="接收时间")
    reviewed_at: datetime | None = Field(description="审核时间")


class VisitPage(Schema):
    count: int = Field(description="符合条件的测评总数")
    limit: int = Field(description="本页最多条数")
    offset: int = Field(description="本页起始位置")
    items: list[VisitOut] = Field(description="本页测评（新的在前）")


class VisitFilters(Schema):
    status: VISIT_STATUSES | None = Field(None, description="审核状态")
    limit: int = Field(PAGE_SIZE, ge=1, le=PAGE_SIZE, description="每页条数（1–50）")
    offset: int = Field(0, ge=0, le=OFFSET_MAX, description="跳过的条数（0–10 000 000）")


class ClientIdIn(Schema):
    client_id: ClientId


class SendBackIn(Schema):
    client_id: ClientId
    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)] = Field(
        description="退回原因（测评小组可见，1–500 字）"
    )


class AcceptedOut(Schema):
    accepted: list[int] = Field(description="本次采纳的测评 ID")


def visit_out(visit: Visit) -> dict[str, Any]:
    return {
        "id": visit.pk,
        "round_id": visit.round_id,
        "site_id": visit.site_id,
        "site_code": visit.site.code,
        "team": visit.team.name if visit.team else "",
        "inspector": visit.inspector.display_name,
        "outcome": visit.outcome,
        "status": visit.status,
        "score": str(visit.score) if visit.score is not None else None,
        "score_rate": str(visit.score_rate) if visit.score_rate is not None else None,
        "distance_m": visit.distance_m,
        "review_note": visit.review_note,
        "received_at": visit.received_at,
        "reviewed_at": visit.reviewed_at,
    }


def _visit(request: HttpRequest, visit_id: int) -> Visit:
    found = (
        Visit.objects.visible_to(user_of(request))
        .select_related("round", "site", "team", "inspector")
        .filter(pk=visit_id)
        .first()
    )
    if found is None:
        raise ApiError(404, "not_found", _("测评记录不存在"))
    return found


def _reviewable(request: HttpRequest, visit_id: int) -> Visit:
    visit = _visit(request, visit_id)
    if not can_review(visit, user_of(request)):
        raise forbidden(_("只有文明办协调员可以在批次发布前审核测评"))
    return visit


@router.get(
    "/{int:round_id}/visits", response={200: VisitPage, **READ_ERRORS}, summary="批次的测评（调用者可见的）"
)
def list_visits(request: HttpRequest, round_id: IdPath, filters: Query[VisitFilters]) -> dict[str, Any]:
    user = user_of(request)
    round_ = visible_round(user, round_id)
    visits = Visit.objects.visible_to(user).filter(round=round_)
    if filters.status:
        visits = visits.filter(status=filters.status)
    page = visits.select_related("site", "team", "inspector").order_by(*review.LIST_ORDER)
    return {
        "count": visits.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [visit_out(v) for v in page[filters.offset : filters.offset + filters.limit]],
    }


def _review(
    request: HttpRequest, visit_id: int, client_id: Any, operation: str, action: Any
) -> dict[str, Any]:
    user = user_of(request)
    visit = _reviewable(request, visit_id)

    def apply() -> str:
        try:
            action(visit, user)
        except ReviewRefused as exc:
            raise refuse(409, "refused", str(exc)) from None
        return str(visit_id)

    once(user.pk, client_id, f"{operation}:{visit_id}", apply)
    return visit_out(_visit(request, visit_id))


@router.post(
    "/visits/{int:visit_id}/accept", response={200: VisitOut, **WRITE_ERRORS}, summary="采纳一条测评"
)
def accept(request: HttpRequest, visit_id: IdPath, body: ClientIdIn) -> dict[str, Any]:
    def act(visit: Visit, user: Any) -> None:
        accept_visit(visit, user, request=request)

    return _review(request, visit_id, body.client_id, "visit.accept", act)


@router.post(
    "/visits/{int:visit_id}/send-back",
    response={200: VisitOut, **WRITE_ERRORS},
    summary="退回一条测评（须填原因）",
)
def send_back(request: HttpRequest, visit_id: IdPath, body: SendBackIn) -> dict[str, Any]:
    def act(visit: Visit, user: Any) -> None:
        send_back_visit(visit, body.note, user, request=request)

    return _review(request, visit_id, body.client_id, "visit.send_back", act)


@router.post(
    "/{int:round_id}/visits/accept-clean",
    response={200: AcceptedOut, **WRITE_ERRORS},
    summary="一键采纳全部无问题的测评",
)
def accept_clean(request: HttpRequest, round_id: IdPath, body: ClientIdIn) -> dict[str, Any]:
    user = user_of(request)
    round_ = visible_round(user, round_id)
    if not can_review(Visit(round=round_), user):
        raise forbidden(_("只有文明办协调员可以在批次发布前审核测评"))

    accepted: list[int] = []

    def apply() -> str:
        accepted.extend(visit.pk for visit in review.accept_clean(round_, user, request=request))
        return str(round_id)

    _pk, duplicate = once(user.pk, body.client_id, f"visit.accept_clean:{round_id}", apply)
    if duplicate:
        # The write's record keeps no list: a resend names the visits of the round the caller has
        # accepted (the first send's among them), accepting nothing more.
        mine = Visit.objects.filter(round=round_, status=VisitStatus.ACCEPTED, reviewed_by=user)
        accepted = list(mine.order_by(*review.LIST_ORDER).values_list("pk", flat=True))
    return {"accepted": accepted}
