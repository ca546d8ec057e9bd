"""A round's life through the API (/api/v1/rounds/{id}/…): draw, teams, reassigning a site, start, publish.

Each is the action of a button on the round page, calling the same service (``rounds/services.py``, which
checks the coordinator, the state, and writes the audit log). What the pages ask twice (draw, publish,
rebuilding teams) is one request here: the request is the confirmation, except that existing teams are only
replaced with ``replace: true``. Writes are idempotent by ``client_id`` (``core/api_writes.py``).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import ValidationError

from chuangwen.core.api_errors import ApiError
from chuangwen.core.api_writes import WRITE_ERRORS, ClientId, once, refuse
from chuangwen.core.bounds import IDS_MAX, Id, IdPath
from chuangwen.core.web import user_of
from chuangwen.rounds import services
from chuangwen.rounds.api_shapes import (
    RoundDetailOut,
    managed_round,
    round_detail_out,
    round_refused,
    visible_round,
)
from chuangwen.rounds.models import Round, RoundSite, Team

router = Router(tags=["测评批次"])

DETAIL = {200: RoundDetailOut, **WRITE_ERRORS}


class ClientIdIn(Schema):
    client_id: ClientId


class TeamsIn(Schema):
    client_id: ClientId
    inspector_ids: list[Id] = Field(
        min_length=1,
        max_length=IDS_MAX,
        description="编入小组的人员 ID（见 /{round_id}/inspectors），按此顺序两两分组",
    )
    team_size: int = Field(2, ge=1, le=10, description="每组人数（1–10）")
    replace: bool = Field(False, description="已有小组时须为 true：重新分组会替换现有小组和路线")


class PublishIn(Schema):
    client_id: ClientId
    confirm_missing: bool = Field(False, description="确认在缺少部分点位已采纳测评的情况下发布")


class ReassignIn(Schema):
    client_id: ClientId
    team_id: Id = Field(description="改派给本批次的哪个小组")


def _run(request: HttpRequest, round_id: int, client_id: Any, operation: str, action: Any) -> dict[str, Any]:
    """The shape of every action: a round the caller runs, once per client id, refusals as 409."""
    user = user_of(request)
    round_ = managed_round(user, round_id)

    def apply() -> str:
        try:
            action(round_, user)
        except services.RoundError as exc:
            raise round_refused(exc) from None
        return str(round_id)

    # A resend (applied once already) is answered like the first send: the round as it is now.
    once(user.pk, client_id, f"{operation}:{round_id}", apply)
    return round_detail_out(visible_round(user, round_id), user)


@router.post(
    "/{int:round_id}/draw", response=DETAIL, summary="抽样（不可撤销：生成秘密种子、公示承诺值、冻结标准）"
)
def draw(request: HttpRequest, round_id: IdPath, body: ClientIdIn) -> dict[str, Any]:
    return _run(request, round_id, body.client_id, "round.draw", services.draw_round)


def _people(round_: Round, ids: list[int]) -> list[Any]:
    """The chosen people in the order given; anyone not eligible for the round is a 422 on the field."""
    wanted = list(dict.fromkeys(ids))
    found = {p.pk: p for p in services.eligible_inspectors(round_).filter(pk__in=wanted)}
    if len(found) != len(wanted):
        message = _("所选人员中有人不是本批次可用的测评员。")
        raise ValidationError(
            [{"loc": ["body", "body", "inspector_ids"], "msg": message, "type": "value_error"}]
        )
    return [found[pk] for pk in wanted]


@router.post("/{int:round_id}/teams", response=DETAIL, summary="分组并排路线（已有小组时须 replace=true）")
def teams(request: HttpRequest, round_id: IdPath, body: TeamsIn) -> dict[str, Any]:
    def build(round_: Round, user: Any) -> None:
        if round_.teams.exists() and not body.replace:
            message = _("该批次已分组；重新分组会替换现有小组和路线，请确认（replace=true）。")
            raise refuse(409, "teams_exist", message, "replace")
        services.build_teams(round_, _people(round_, body.inspector_ids), body.team_size, actor=user)

    return _run(request, round_id, body.client_id, "round.teams", build)


@router.post("/{int:round_id}/start", response=DETAIL, summary="开始测评（每个抽中点位须已分组）")
def start(request: HttpRequest, round_id: IdPath, body: ClientIdIn) -> dict[str, Any]:
    return _run(request, round_id, body.client_id, "round.start", services.start_round)


@router.post(
    "/{int:round_id}/publish", response=DETAIL, summary="发布（不可撤销：公开种子，不符合项转入待派遣）"
)
def publish(request: HttpRequest, round_id: IdPath, body: PublishIn) -> dict[str, Any]:
    def act(round_: Round, user: Any) -> None:
        services.publish_round(round_, user, confirm_missing=body.confirm_missing)

    return _run(request, round_id, body.client_id, "round.publish", act)


@router.post(
    "/{int:round_id}/entries/{int:entry_id}/reassign", response=DETAIL, summary="把一个抽中点位改派给另一小组"
)
def reassign(request: HttpRequest, round_id: IdPath, entry_id: IdPath, body: ReassignIn) -> dict[str, Any]:
    def act(round_: Round, user: Any) -> None:
        entry = RoundSite.objects.filter(pk=entry_id, round=round_).first()
        if entry is None:
            raise ApiError(404, "not_found", _("抽中点位不存在"))
        team = Team.objects.filter(round=round_, pk=body.team_id).first()
        if team is None:
            message = _("请选择本批次的一个小组。")
            raise ValidationError(
                [{"loc": ["body", "body", "team_id"], "msg": message, "type": "value_error"}]
            )
        services.reassign_entry(entry, team, user)

    return _run(request, round_id, body.client_id, f"round.reassign:{entry_id}", act)
