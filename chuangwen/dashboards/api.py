"""API of the dashboards: the leader overview (the payload of /dashboards/data.json) and a unit's."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router

from chuangwen.accounts import capabilities
from chuangwen.core.api_errors import ApiError, ErrorOut
from chuangwen.core.bounds import IdPath
from chuangwen.core.web import user_of
from chuangwen.dashboards import services
from chuangwen.dashboards.cache import cached
from chuangwen.org.models import Unit

router = Router(tags=["数据看板"])


@router.get(
    "/overview",
    response={200: dict[str, Any], 403: ErrorOut},
    summary="领导总览：关键指标、近 12 个月趋势、最差点位、主要问题类别（协调员、领导，本单位及下级）",
)
def get_overview(request: HttpRequest) -> Any:
    user = user_of(request)
    if not capabilities.may_see_overview(user) or user.unit is None:
        raise ApiError(403, "refused", _("只有文明办协调员和区领导可以查看数据看板。"))
    return HttpResponse(services.overview_json(user, user.unit), content_type="application/json")


@router.get(
    "/units/{unit_id}",
    response={200: dict[str, Any], 404: ErrorOut},
    summary="单位看板：关键指标与月度趋势（本单位及下级单位可见）",
)
def get_unit(request: HttpRequest, unit_id: IdPath) -> Any:
    user = user_of(request)
    unit = get_object_or_404(Unit.objects.visible_to(user), pk=unit_id)
    now = timezone.now()
    return cached(
        "unit-api",
        user,
        unit,
        now,
        lambda: {
            "unit": {"id": unit.pk, "name": unit.name},
            "indicators": services.indicators(user, unit, now).as_dict(),
            "trend": services.trend(user, unit, now),
        },
    )
