"""What the round management API's modules share (docs/rounds.md, "API"): the shapes of a round, who may
see and run it, and the services' refusals as the API's errors.

A round the caller may not know of (``Round.objects.visible_to``) answers the same 404 as an id that does
not exist; one the caller sees but does not run answers 403, as the pages do.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.errors import ValidationError

from chuangwen.accounts.models import User
from chuangwen.core.api_errors import ApiError
from chuangwen.core.api_writes import forbidden, refuse
from chuangwen.core.bounds import date_error
from chuangwen.org.models import Unit
from chuangwen.rounds import services
from chuangwen.rounds.models import Round, RoundSite, RoundStatus, Team
from chuangwen.sites.models import Site

KINDS = Literal["unannounced", "revisit", "self_check", "peer_check"]
STATUSES = Literal["draft", "drawn", "in_progress", "published", "cancelled"]


class UnitRef(Schema):
    id: int = Field(description="单位 ID")
    name: str = Field(description="单位名称")


class StandardRef(Schema):
    id: int = Field(description="测评标准版本 ID")
    code: str = Field(description="标准编码")
    version: int = Field(description="版本号")


class CommitmentsOut(Schema):
    seed: str = Field(description="种子承诺值（抽样前为空）")
    sites: str = Field(description="候选点位承诺值")
    params: str = Field(description="参数承诺值")
    combined: str = Field(description="总承诺值")


class RoundOut(Schema):
    id: int = Field(description="测评批次 ID")
    public_id: str = Field(description="公开编号（发布后用于 /rounds/verify/<公开编号>/）")
    name: str = Field(description="批次名称")
    kind: KINDS = Field(description="unannounced 暗访 | revisit 回头看 | self_check 自查 | peer_check 互查")
    status: STATUSES = Field(
        description="draft 草稿 | drawn 已抽样 | in_progress 测评中 | published 已发布 | cancelled 已取消"
    )
    standard: StandardRef = Field(description="测评标准版本")
    owner_unit: UnitRef = Field(description="组织单位")
    target_unit: UnitRef = Field(description="被测评范围")
    inspecting_unit: UnitRef | None = Field(description="测评单位（仅互查）")
    period_start: date = Field(description="开始日期")
    period_end: date = Field(description="结束日期")
    params: dict[str, Any] = Field(description="抽样参数（见 docs/rounds.md“The draw, precisely”）")
    commitments: CommitmentsOut = Field(description="抽样承诺值（抽样时公示）")
    seed: str | None = Field(description="随机种子：发布后公开，此前为空")
    drawn_at: datetime | None = Field(description="抽样时间")
    published_at: datetime | None = Field(description="发布时间")
    created_at: datetime = Field(description="创建时间")


class MemberOut(Schema):
    id: int = Field(description="用户 ID")
    name: str = Field(description="姓名")


class TeamOut(Schema):
    id: int = Field(description="小组 ID")
    name: str = Field(description="小组名称")
    members: list[MemberOut] = Field(description="组员")


class EntryOut(Schema):
    id: int = Field(description="抽中点位 ID（改派时使用）")
    site_id: int = Field(description="点位 ID")
    code: str = Field(description="点位编码")
    name: str = Field(description="点位名称")
    site_type: str = Field(description="点位类型编码")
    draw_order: int = Field(description="抽中顺序")
    reason: str = Field(description="入选原因：random 随机 | failed_before 以往有问题")
    team_id: int | None = Field(description="测评小组 ID（未分组为空）")
    route_order: int = Field(description="路线顺序")


class RoundDetailOut(RoundOut):
    whole: bool = Field(description="调用者能看到整个批次（否则只列本单位的点位，不列小组）")
    can_manage: bool = Field(description="调用者是组织该批次的协调员，可以执行操作")
    entries: list[EntryOut] = Field(description="抽中点位（按抽中顺序）")
    teams: list[TeamOut] = Field(description="测评小组（只对能看到整个批次的人列出）")
    missing: list[str] = Field(description="测评中批次尚无已采纳测评的点位编码（仅协调员）")


def unit_ref(unit: Unit | None) -> dict[str, Any] | None:
    return {"id": unit.pk, "name": unit.name} if unit is not None else None


def round_out(round_: Round) -> dict[str, Any]:
    return {
        "id": round_.pk,
        "public_id": str(round_.public_id),
        "name": round_.name,
        "kind": round_.kind,
        "status": round_.status,
        "standard": {
            "id": round_.standard.pk,
            "code": round_.standard.code,
            "version": round_.standard.version,
        },
        "owner_unit": unit_ref(round_.owner_unit),
        "target_unit": unit_ref(round_.target_unit),
        "inspecting_unit": unit_ref(round_.inspecting_unit),
        "period_start": round_.period_start,
        "period_end": round_.period_end,
        "params": round_.params or {},
        "commitments": {
            "seed": round_.seed_commitment,
            "sites": round_.sites_commitment,
            "params": round_.params_commitment,
            "combined": round_.commitment,
        },
        # The seed is the secret of the draw until publication (docs/rounds.md).
        "seed": round_.seed if round_.status == RoundStatus.PUBLISHED else None,
        "drawn_at": round_.drawn_at,
        "published_at": round_.published_at,
        "created_at": round_.created_at,
    }


def _team_out(team: Team) -> dict[str, Any]:
    members = [{"id": m.pk, "name": m.display_name} for m in team.members.order_by("username")]
    return {"id": team.pk, "name": team.name, "members": members}


def _entry_out(entry: RoundSite) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "site_id": entry.site_id,
        "code": entry.site.code,
        "name": entry.site.name,
        "site_type": entry.site.site_type,
        "draw_order": entry.draw_order,
        "reason": entry.reason,
        "team_id": entry.team_id,
        "route_order": entry.route_order,
    }


def round_detail_out(round_: Round, user: User) -> dict[str, Any]:
    """The round as its page shows it to ``user``: a street sees only its own sites of a published round."""
    whole = Round.objects.fully_visible_to(user).filter(pk=round_.pk).exists()
    entries = round_.entries.select_related("site")
    if not whole:
        entries = entries.filter(site__in=Site.objects.visible_to(user))
    can_manage = services.is_coordinator_of(user, round_)
    missing = []
    if can_manage and round_.status == RoundStatus.IN_PROGRESS:
        missing = [entry.site.code for entry in services.missing_entries(round_)]
    teams = round_.teams.order_by("name").prefetch_related("members") if whole else []
    return {
        **round_out(round_),
        "whole": whole,
        "can_manage": can_manage,
        "entries": [_entry_out(entry) for entry in entries.order_by("draw_order")],
        "teams": [_team_out(team) for team in teams],
        "missing": missing,
    }


# --- finding and running a round ------------------------------------------------------------------------


def round_not_found() -> ApiError:
    # The same words whether the round does not exist or is secret to the caller: nothing may leak.
    return ApiError(404, "not_found", _("测评批次不存在"))


def visible_round(user: User, round_id: int) -> Round:
    found = (
        Round.objects.visible_to(user)
        .select_related("standard", "owner_unit", "target_unit", "inspecting_unit")
        .filter(pk=round_id)
        .first()
    )
    if found is None:
        raise round_not_found()
    return found


def managed_round(user: User, round_id: int) -> Round:
    """A round the caller runs (the pages' ``managed_round``): unknown 404, known but not run 403."""
    round_ = visible_round(user, round_id)
    if not services.is_coordinator_of(user, round_):
        raise forbidden(_("只有组织该批次的文明办协调员可以执行此操作。"))
    return round_


def round_refused(exc: services.RoundError) -> ApiError:
    """A refusal of the round's rules (its state, the teams, missing visits) as a 409."""
    if isinstance(exc, services.MissingVisits):
        missing = [entry.site.code for entry in exc.entries]
        return ApiError(409, "missing_visits", exc.message, field="confirm_missing", missing=missing)
    return refuse(409, "refused", exc.message)


def field_errors(exc: DjangoValidationError, names: dict[str, list[str | int]]) -> ValidationError:
    """The services' ``ValidationError`` (keyed by model field) as a 422 naming the body's fields."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return ValidationError(
        [
            {"loc": ["body", "body", *names.get(name, [name])], "msg": message, "type": "value_error"}
            for name, messages in errors.items()
            for message in messages
        ]
    )


def within_bounds(value: date, label: str) -> date:
    """A date outside core/bounds' window is refused like any other date of the API (422 naming it)."""
    reason = date_error(value, label)
    if reason is not None:
        raise ValueError(reason)
    return value
