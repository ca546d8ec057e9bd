"""API of the staff page 发布活动 (docs/volunteers.md, "API"): a team the caller manages posts an activity,
beside the activities router's reads, through the same ``services.post_activity`` and its checks; idempotent
by ``client_id`` (``core/api_writes.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import AwareDatetime, ConfigDict
from pydantic import Field as PydanticField

from chuangwen.core.api_writes import WRITE_ERRORS, ClientId, Duplicate, not_found, once, refuse
from chuangwen.core.bounds import ID_MAX, date_error
from chuangwen.core.web import user_of
from chuangwen.volunteers import services
from chuangwen.volunteers.api.activities import ActivityOut, activity_out, router
from chuangwen.volunteers.models import Activity

__all__ = ["router"]  # the operation joins the activities router (``volunteers/api/activities.py``)

STATUS_OF = {"invalid": 400, "forbidden": 403, "conflict": 409, "state": 409}
Skill = Annotated[str, PydanticField(min_length=1, max_length=50)]


class ActivityIn(Schema):
    model_config = ConfigDict(extra="forbid")
    client_id: ClientId
    team_id: int = Field(ge=1, le=ID_MAX, description="组织队伍 ID（调用者管理的队伍）")
    title: str = Field(min_length=1, max_length=100, description="活动名称")
    description: str = Field("", max_length=services.TEXT_MAX, description="活动内容")
    place: str = Field(min_length=1, max_length=services.PLACE_MAX, description="活动地点")
    lat: float = Field(ge=-90, le=90, description="纬度（WGS-84）")
    lng: float = Field(ge=-180, le=180, description="经度（WGS-84）")
    radius_m: int = Field(
        200, ge=services.RADIUS_RANGE[0], le=services.RADIUS_RANGE[1], description="签到范围（米）"
    )
    starts_at: AwareDatetime = Field(description="开始时间（带时区）")
    ends_at: AwareDatetime = Field(description="结束时间（带时区）")
    places: int = Field(ge=1, le=services.PLACES_MAX, description="招募人数")
    skills: list[Skill] = Field(default_factory=list, max_length=20, description="所需技能")
    cancel_until: AwareDatetime | None = Field(None, description="可取消报名截止时间（默认开始前 2 小时）")
    site_id: int | None = Field(None, ge=1, le=ID_MAX, description="关联点位 ID")


class ActivityWriteOut(ActivityOut):
    duplicate: Duplicate


def _bounded(data: ActivityIn) -> None:
    labels = {"starts_at": _("开始时间"), "ends_at": _("结束时间"), "cancel_until": _("可取消报名截止时间")}
    for name, label in labels.items():
        value: datetime | None = getattr(data, name)
        reason = date_error(value, str(label)) if value is not None else None
        if reason is not None:
            raise refuse(400, "invalid", reason, name)


@router.post(
    "/activities",
    response={201: ActivityWriteOut, 200: ActivityWriteOut, **WRITE_ERRORS},
    summary="发布志愿服务活动（调用者管理的队伍；按 client_id 幂等）",
)
def post_activity(request: HttpRequest, data: ActivityIn) -> Any:
    user = user_of(request)
    team = services.managed_teams(user).filter(active=True, pk=data.team_id).first()
    if team is None:
        raise not_found(_("没有找到您管理的该队伍"))
    _bounded(data)
    draft = services.ActivityDraft(
        title=data.title, place=data.place, lat=data.lat, lng=data.lng, starts_at=data.starts_at,
        ends_at=data.ends_at, places=data.places, description=data.description, radius_m=data.radius_m,
        skills=list(data.skills), cancel_until=data.cancel_until, site_id=data.site_id,
    )  # fmt: skip

    def apply() -> str:
        try:
            return str(services.post_activity(team, user, draft).pk)
        except services.Refused as exc:
            raise refuse(STATUS_OF.get(exc.code, 400), exc.code, exc.message, exc.field) from None

    activity_id, duplicate = once(user.pk, data.client_id, "volunteers.activity_post", apply)
    activity = Activity.objects.select_related("team", "site").get(pk=int(activity_id))
    return (200 if duplicate else 201), {**activity_out(activity, user), "duplicate": duplicate}
