"""Rounds for the coordinator's systems under /api/v1/rounds: the list, one round, creating, editing and
deleting a draft, the people who may be put on teams (docs/rounds.md, "API").

Every operation calls the services the round pages call (``rounds/services.py``, ``rounds/drafts.py``); the
services check who acts, keep the rules and write the audit log. Writes are idempotent by ``client_id``
(``core/api_writes.py``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import ValidationError
from pydantic import StringConstraints, field_validator

from chuangwen.accounts import capabilities
from chuangwen.accounts.models import User
from chuangwen.core.api_writes import READ_ERRORS, WRITE_ERRORS, ClientId, forbidden, once
from chuangwen.core.bounds import COUNT_MAX, OFFSET_MAX, Id, IdPath
from chuangwen.core.web import user_of
from chuangwen.org.models import Unit
from chuangwen.rounds import drafts, services
from chuangwen.rounds.api_shapes import (
    KINDS,
    STATUSES,
    RoundDetailOut,
    RoundOut,
    field_errors,
    managed_round,
    round_detail_out,
    round_out,
    round_refused,
    visible_round,
    within_bounds,
)
from chuangwen.rounds.models import Round
from chuangwen.rounds.visits import DEFAULT_MAX_DISTANCE_M
from chuangwen.standards.models import Standard

router = Router(tags=["测评批次"])

PAGE_SIZE = 50
Count = Annotated[int, Field(ge=0, le=COUNT_MAX)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=32)]
Share = Annotated[str, StringConstraints(min_length=1, max_length=12, pattern=r"^[0-9.]+$")]
# Where each service field's refusal points in the body.
FIELD_NAMES: dict[str, list[str | int]] = {
    "standard": ["standard_id"],
    "target_unit": ["target_unit_id"],
    "inspecting_unit": ["inspecting_unit_id"],
    "declared_cap": ["declared_cap"],
    "__all__": [],
}


class ParamsIn(Schema):
    """The draw parameters, flat in the body as on the page's form."""

    type_quotas: dict[Code, Count] = Field(
        default_factory=dict,
        max_length=200,
        description="各点位类型抽取数 {类型编码: 数量}（回头看：额外点位的上限）",
    )
    street_quotas: dict[Code, Count] = Field(
        default_factory=dict, max_length=500, description="各街道最多抽取数 {街道编码: 数量}"
    )
    street_max: Count | None = Field(None, description="其他街道每个最多抽取数；为空不限")
    declared_cap: Share | None = Field(
        None, description='申报点位占比上限（0–1 的小数字符串，如 "0.3"）；暗访默认且不超过标准规定值'
    )
    failed_share: Share | None = Field(None, description="回头看：以往问题点位的复查比例（0–1 的小数字符串）")
    random_extra: Count = Field(0, description="回头看：另随机抽取的其他点位数")
    max_distance_m: int = Field(
        DEFAULT_MAX_DISTANCE_M,
        ge=10,
        le=services.MAX_DISTANCE_M,
        description="到场距离上限（米，10–100 000）",
    )


class RoundIn(ParamsIn):
    client_id: ClientId
    name: str = Field(min_length=1, max_length=200, description="批次名称")
    kind: KINDS = Field(description="unannounced 暗访 | revisit 回头看 | self_check 自查 | peer_check 互查")
    standard_id: Id | None = Field(None, description="测评标准版本 ID；为空取当前启用的版本（同页面）")
    period_start: date = Field(description="开始日期")
    period_end: date = Field(description="结束日期")
    target_unit_id: Id | None = Field(
        None, description="被测评范围（市、区或街道；暗访、回头看默认本单位；互查为被查街道）"
    )
    inspecting_unit_id: Id | None = Field(None, description="测评单位（仅互查：本辖区内另一街道）")

    @field_validator("period_start", "period_end")
    @classmethod
    def _bounded(cls, value: date) -> date:
        return within_bounds(value, _("测评期间"))


class ClientIdIn(Schema):
    client_id: ClientId


class ListFilters(Schema):
    status: STATUSES | None = Field(None, description="状态")
    kind: KINDS | None = Field(None, description="批次类型")
    limit: int = Field(PAGE_SIZE, ge=1, le=PAGE_SIZE, description="每页条数（1–50）")
    offset: int = Field(0, ge=0, le=OFFSET_MAX, description="跳过的条数（0–10 000 000）")


class RoundPage(Schema):
    count: int = Field(description="符合条件的批次总数")
    limit: int = Field(description="本页最多条数")
    offset: int = Field(description="本页起始位置")
    items: list[RoundOut] = Field(description="本页批次（开始日期新的在前）")


class DeletedOut(Schema):
    id: int = Field(description="已删除的批次 ID")
    deleted: bool = Field(description="总是 true")


class InspectorOut(Schema):
    id: int = Field(description="用户 ID")
    name: str = Field(description="姓名")
    unit: str = Field(description="所在单位")
    on_team: bool = Field(description="已在本批次的测评小组中")


def _unit_field(user: User, unit_id: int | None, field: str, message: str) -> Unit | None:
    """A unit named in the body, looked up in the caller's scope (the page's list of choices)."""
    if unit_id is None:
        return None
    unit = Unit.objects.visible_to(user).filter(pk=unit_id).first()
    if unit is None:
        raise ValidationError([{"loc": ["body", "body", field], "msg": message, "type": "value_error"}])
    return unit


def service_data(user: User, body: RoundIn) -> dict[str, Any]:
    """The body as ``create_round`` / ``update_round`` take it (what ``RoundForm.service_data`` gives)."""
    standard = (
        Standard.objects.filter(pk=body.standard_id).first()
        if body.standard_id is not None
        else services.default_standard()
    )
    outside = _("被测评范围必须在您的管辖范围内")
    return {
        "name": body.name,
        "kind": body.kind,
        "standard": standard,
        "period_start": body.period_start,
        "period_end": body.period_end,
        "target_unit": _unit_field(user, body.target_unit_id, "target_unit_id", outside),
        "inspecting_unit": _unit_field(
            user,
            body.inspecting_unit_id,
            "inspecting_unit_id",
            _("互查的测评单位和被测评单位都必须是本辖区内的街道"),
        ),
        "params": {name: getattr(body, name) for name in ParamsIn.model_fields},
    }


@router.get(
    "",
    response={200: RoundPage, **READ_ERRORS},
    summary="测评批次列表（调用者知道的批次）",
    url_name="api_rounds",
)
def list_rounds(request: HttpRequest, filters: Query[ListFilters]) -> dict[str, Any]:
    user = user_of(request)
    if not capabilities.may_see_rounds(user):
        raise forbidden(_("您的角色不使用测评批次。"))
    rounds = Round.objects.visible_to(user).select_related(
        "standard", "owner_unit", "target_unit", "inspecting_unit"
    )
    if filters.status:
        rounds = rounds.filter(status=filters.status)
    if filters.kind:
        rounds = rounds.filter(kind=filters.kind)
    page = rounds[filters.offset : filters.offset + filters.limit]
    return {
        "count": rounds.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [round_out(round_) for round_ in page],
    }


@router.get("/{int:round_id}", response={200: RoundDetailOut, **READ_ERRORS}, summary="一个测评批次")
def get_round(request: HttpRequest, round_id: IdPath) -> dict[str, Any]:
    user = user_of(request)
    return round_detail_out(visible_round(user, round_id), user)


@router.post(
    "", response={201: RoundDetailOut, 200: RoundDetailOut, **WRITE_ERRORS}, summary="创建测评批次（草稿）"
)
def create_round(request: HttpRequest, body: RoundIn) -> Any:
    user = user_of(request)
    if not capabilities.may_create_rounds(user):
        raise forbidden(_("只有文明办协调员可以创建测评批次。"))

    def apply() -> str:
        try:
            round_ = services.create_round(service_data(user, body), user)
        except DjangoValidationError as exc:
            raise field_errors(exc, FIELD_NAMES) from None
        return str(round_.pk)

    pk, duplicate = once(user.pk, body.client_id, "round.create", apply)
    return (200 if duplicate else 201), round_detail_out(visible_round(user, int(pk)), user)


@router.put("/{int:round_id}", response={200: RoundDetailOut, **WRITE_ERRORS}, summary="修改草稿批次")
def update_round(request: HttpRequest, round_id: IdPath, body: RoundIn) -> dict[str, Any]:
    user = user_of(request)
    round_ = managed_round(user, round_id)

    def apply() -> str:
        try:
            drafts.update_round(round_, service_data(user, body), user)
        except DjangoValidationError as exc:
            raise field_errors(exc, FIELD_NAMES) from None
        except services.RoundError as exc:
            raise round_refused(exc) from None
        return str(round_id)

    once(user.pk, body.client_id, f"round.update:{round_id}", apply)
    return round_detail_out(visible_round(user, round_id), user)


@router.post(
    "/{int:round_id}/delete", response={200: DeletedOut, **WRITE_ERRORS}, summary="删除草稿批次（不可撤销）"
)
def delete_round(request: HttpRequest, round_id: IdPath, body: ClientIdIn) -> dict[str, Any]:
    user = user_of(request)
    answer = {"id": round_id, "deleted": True}

    def apply() -> str:
        round_ = managed_round(user, round_id)  # inside: a resend finds the round gone and answers the same
        try:
            drafts.delete_round(round_, user)
        except services.RoundError as exc:
            raise round_refused(exc) from None
        return str(round_id)

    once(user.pk, body.client_id, f"round.delete:{round_id}", apply)
    return answer


@router.get(
    "/{int:round_id}/inspectors",
    response={200: list[InspectorOut], **READ_ERRORS},
    summary="可编入测评小组的人员（分组时选择）",
)
def inspectors(request: HttpRequest, round_id: IdPath) -> list[dict[str, Any]]:
    round_ = managed_round(user_of(request), round_id)
    on_team = set(User.objects.filter(teams__round=round_).values_list("pk", flat=True))
    people = services.eligible_inspectors(round_).select_related("unit")
    return [
        {
            "id": p.pk,
            "name": p.display_name,
            "unit": p.unit.name if p.unit else "",
            "on_team": p.pk in on_team,
        }
        for p in people
    ]


def _routers() -> tuple[Router, ...]:
    from chuangwen.rounds import api_lifecycle, api_review

    return (router, api_lifecycle.router, api_review.router)


# Mounted together at /api/v1/rounds (chuangwen/api.py).
ROUTERS = _routers()
