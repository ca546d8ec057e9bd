"""The inspection API for phones (docs/inspection-api.md §1 and §3), mounted at /api/v1/inspect.

A round the user may not see does not exist here: 404 with the same words as a round that was never made.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import ValidationError

from chuangwen.accounts.models import Role, User
from chuangwen.core.api_errors import ApiError, ErrorOut
from chuangwen.core.bounds import IdPath
from chuangwen.core.web import user_of
from chuangwen.evidence import capture
from chuangwen.rounds.models import Round, RoundSite, Team, Visit
from chuangwen.rounds.visit_payload import VisitIn, VisitInvalid, error, inline_schema
from chuangwen.rounds.visits import OPEN_STATUSES, VisitRefused, max_distance_m, not_found, submit_visit
from chuangwen.standards.models import SiteType

router = Router(tags=["实地测评"])


class PhotosMissingOut(ErrorOut):
    missing: list[str] = Field(
        default_factory=list, description="尚未上传的照片 client_id（仅 photos_missing）"
    )


class TeamOut(Schema):
    id: int = Field(description="小组 ID")
    name: str = Field(description="小组名称")
    members: list[str] = Field(description="组员姓名")


class VisitRef(Schema):
    client_id: str = Field(description="测评的 client_id")
    status: str = Field(description="审核状态：submitted 待审核、accepted 已采纳、sent_back 退回重测")
    outcome: str = Field(description="测评结果：done、refused、not_possible")


class SiteEntryOut(Schema):
    entry_id: int = Field(description="抽中点位 ID")
    site_id: int = Field(description="点位 ID")
    code: str = Field(description="点位编码")
    name: str = Field(description="点位名称")
    site_type: str = Field(description="点位类型编码")
    address: str = Field(description="地址")
    lat: float = Field(description="纬度（WGS-84）")
    lng: float = Field(description="经度（WGS-84）")
    route_order: int = Field(description="路线顺序")
    visit: VisitRef | None = Field(description="本批次该点位最近一次测评；退回后可重测")
    capture_token: str = Field(description="该点位现场照片的拍摄凭据（随每张照片上传，见 docs/evidence.md）")


class ItemOut(Schema):
    code: str = Field(description="指标编码")
    category: str = Field(description="问题类别")
    text: str = Field(description="测评内容")
    mode: str = Field(description="计分方式：binary、per_occurrence、veto")
    deduct: str = Field(description="单次扣分")
    cap: str | None = Field(description="扣分上限；为空表示不设上限")
    unit_label: str = Field(description="计数单位")


class SiteTypeOut(Schema):
    name: str = Field(description="点位类型名称")
    protocol: str = Field(description="测评方法")
    items: list[ItemOut] = Field(description="测评指标")


class RoundOut(Schema):
    id: int = Field(description="测评批次 ID")
    name: str = Field(description="批次名称")
    kind: str = Field(description="批次类型")
    period_start: str = Field(description="开始日期")
    period_end: str = Field(description="结束日期")
    max_distance_m: float = Field(description="允许的最大距离（米），超出须说明原因")
    team: TeamOut | None = Field(description="本人所在小组；协调员查看时为空（列出全部点位）")
    sites: list[SiteEntryOut] = Field(description="小组路线上的点位，按路线顺序")
    site_types: dict[str, SiteTypeOut] = Field(description="这些点位类型的测评指标（按类型编码）")


class AssignmentsOut(Schema):
    rounds: list[RoundOut] = Field(description="进行中、本人在测评小组中的批次")


class VisitOut(Schema):
    id: int = Field(description="测评 ID")
    client_id: str = Field(description="提交时的 client_id")
    status: str = Field(description="审核状态")
    score: str | None = Field(description="点位得分（拒访、无法调查时为空）")
    score_rate: str | None = Field(description="得分率（没有适用指标时为空）")
    duplicate: bool = Field(description="是否为重复提交（返回已保存的结果）")


def _team_out(team: Team) -> dict[str, Any]:
    members = [member.display_name for member in team.members.order_by("full_name", "username")]
    return {"id": team.pk, "name": team.name, "members": members}


def _latest_visits(round_: Round, user: User, site_ids: list[int]) -> dict[int, Visit]:
    latest: dict[int, Visit] = {}
    visits = Visit.objects.visible_to(user).filter(round=round_, site_id__in=site_ids)
    for visit in visits.order_by("received_at", "pk"):
        latest[visit.site_id] = visit
    return latest


def _site_types(round_: Round, codes: set[str]) -> dict[str, dict[str, Any]]:
    types = SiteType.objects.filter(standard=round_.standard, code__in=codes).prefetch_related("items")
    return {
        site_type.code: {
            "name": site_type.name,
            "protocol": site_type.protocol,
            "items": [
                {
                    "code": item.code,
                    "category": item.category,
                    "text": item.text,
                    "mode": item.mode,
                    "deduct": str(item.deduct),
                    "cap": str(item.cap) if item.cap is not None else None,
                    "unit_label": item.unit_label,
                }
                for item in site_type.items.all()
            ],
        }
        for site_type in types
    }


def _entry_out(entry: RoundSite, visit: Visit | None, user: User) -> dict[str, Any]:
    site = entry.site
    ref = None
    if visit is not None:
        ref = {"client_id": str(visit.client_id), "status": visit.status, "outcome": visit.outcome}
    return {
        "entry_id": entry.pk,
        "site_id": site.pk,
        "code": site.code,
        "name": site.name,
        "site_type": site.site_type,
        "address": site.address,
        "lat": site.lat,
        "lng": site.lng,
        "route_order": entry.route_order,
        "visit": ref,
        "capture_token": capture.issue(user, capture.visit_target(entry.round_id, site.pk))["token"],
    }


def round_assignment(round_: Round, team: Team | None, user: User) -> dict[str, Any]:
    """One round as the phone needs it: the team's route (every site for a coordinator) and checklists."""
    entries = RoundSite.objects.filter(round=round_).select_related("site")
    if team is not None:
        entries = entries.filter(team=team)
    rows = list(entries.order_by("route_order", "draw_order"))
    visits = _latest_visits(round_, user, [entry.site_id for entry in rows])
    return {
        "id": round_.pk,
        "name": round_.name,
        "kind": round_.kind,
        "period_start": round_.period_start.isoformat(),
        "period_end": round_.period_end.isoformat(),
        "max_distance_m": max_distance_m(round_),
        "team": _team_out(team) if team is not None else None,
        "sites": [_entry_out(entry, visits.get(entry.site_id), user) for entry in rows],
        "site_types": _site_types(round_, {entry.site.site_type for entry in rows}),
    }


def _my_team(round_: Round, user: User) -> Team | None:
    return Team.objects.filter(round=round_, members=user).order_by("name", "pk").first()


@router.get("/assignments", response=AssignmentsOut, summary="今日任务：本人所在测评小组的进行中批次")
def assignments(request: HttpRequest) -> dict[str, Any]:
    user = user_of(request)
    rounds = (
        Round.objects.visible_to(user)
        .filter(status__in=OPEN_STATUSES, teams__members=user)
        .distinct()
        .select_related("standard")
    )
    out = []
    for round_ in rounds.order_by("period_start", "pk"):
        out.append(round_assignment(round_, _my_team(round_, user), user))
    return {"rounds": out}


@router.get(
    "/assignments/{round_id}",
    response={200: RoundOut, 404: ErrorOut},
    summary="一个批次的任务（组员看本组路线，协调员看全部点位；其他人 404）",
)
def round_assignments(request: HttpRequest, round_id: IdPath) -> Any:
    user = user_of(request)
    round_ = Round.objects.visible_to(user).filter(pk=round_id, status__in=OPEN_STATUSES).first()
    team = _my_team(round_, user) if round_ is not None else None
    coordinator = (
        round_ is not None
        and user.role == Role.COORDINATOR
        and Round.objects.fully_visible_to(user).filter(pk=round_.pk).exists()
    )
    if round_ is None or (team is None and not coordinator):
        return 404, not_found().body()
    return round_assignment(round_, team, user)


def _visit_out(visit: Visit, created: bool) -> dict[str, Any]:
    return {
        "id": visit.pk,
        "client_id": str(visit.client_id),
        "status": visit.status,
        "score": str(visit.score) if visit.score is not None else None,
        "score_rate": str(visit.score_rate) if visit.score_rate is not None else None,
        "duplicate": not created,
    }


def _json_body(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ValidationError([error([], _("请求体不是有效的 JSON"), "json_invalid")]) from None


_VISIT_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": inline_schema(VisitIn)}},
    }
}


@router.post(
    "/visits",
    response={200: VisitOut, 201: VisitOut, 403: ErrorOut, 404: ErrorOut, 409: PhotosMissingOut},
    summary="提交一次实地测评（按 client_id 幂等）",
    openapi_extra=_VISIT_BODY,
)
def post_visit(request: HttpRequest) -> Any:
    try:
        visit, created = submit_visit(_json_body(request), user_of(request), request=request)
    except VisitInvalid as exc:
        raise ValidationError(exc.errors) from None
    except VisitRefused as exc:
        raise ApiError(exc.status, exc.code, exc.detail, **exc.extra) from None
    return (201 if created else 200), _visit_out(visit, created)
