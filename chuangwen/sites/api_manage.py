"""API of registering and editing sites (the pages /sites/new/ and /sites/<id>/edit/): the writes beside the
sites router's reads, through the same ``services.save_site`` (its checks, the area unit from the location,
its audit); coordinators only, as the pages; idempotent by ``client_id`` (``core/api_writes.py``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import ConfigDict
from pydantic import Field as PydanticField

from chuangwen.accounts import capabilities
from chuangwen.core.api_writes import WRITE_ERRORS, ClientId, Duplicate, forbidden, not_found, once, refuse
from chuangwen.core.bounds import ID_MAX, IdPath
from chuangwen.core.web import user_of
from chuangwen.org.models import Unit
from chuangwen.sites import services
from chuangwen.sites.api import SiteDetailOut, router, site_out
from chuangwen.sites.forms import site_type_names
from chuangwen.sites.models import Site

__all__ = ["router"]  # the operations join the sites router (``sites/api.py``)

# The values of ``RiskTag`` (tests/test_api_manage.py holds them equal).
Tag = Literal["老旧小区", "筒子楼", "农贸周边", "学校周边", "城乡结合部", "施工区域"]
Lng = Annotated[float, PydanticField(ge=-180, le=180, description="经度")]
Lat = Annotated[float, PydanticField(ge=-90, le=90, description="纬度")]
# The service's error keys → the body's field names.
BODY_FIELD = {"responsible_unit": "responsible_unit_id", "location": "lng"}


class SiteIn(Schema):
    model_config = ConfigDict(extra="forbid")
    client_id: ClientId
    code: str = Field(min_length=1, max_length=32, description="点位编码")
    name: str = Field(min_length=1, max_length=200, description="点位名称")
    site_type: str = Field(min_length=1, max_length=50, description="点位类型代码（现行测评标准的点位类型）")
    address: str = Field("", max_length=300, description="地址")
    lng: Lng
    lat: Lat
    coord_system: Literal["WGS-84", "GCJ-02"] = Field("WGS-84", description="坐标系")
    responsible_unit_id: int = Field(ge=1, le=ID_MAX, description="责任单位 ID（管辖范围内）")
    declared: bool = Field(False, description="是否申报点位")
    risk_tags: list[Tag] = Field(default_factory=list, max_length=6, description="风险标签")
    active: bool = Field(True, description="是否启用")


class SiteChangeIn(Schema):
    """Only the fields sent are changed (a location needs both lng and lat)."""

    model_config = ConfigDict(extra="forbid")
    client_id: ClientId
    code: str | None = Field(None, min_length=1, max_length=32, description="点位编码")
    name: str | None = Field(None, min_length=1, max_length=200, description="点位名称")
    site_type: str | None = Field(None, min_length=1, max_length=50, description="点位类型代码")
    address: str | None = Field(None, max_length=300, description="地址")
    lng: Lng | None = None
    lat: Lat | None = None
    coord_system: Literal["WGS-84", "GCJ-02"] = Field("WGS-84", description="坐标系")
    responsible_unit_id: int | None = Field(None, ge=1, le=ID_MAX, description="责任单位 ID")
    declared: bool | None = Field(None, description="是否申报点位")
    risk_tags: list[Tag] | None = Field(None, max_length=6, description="风险标签")
    active: bool | None = Field(None, description="是否启用")


class SiteWriteOut(SiteDetailOut):
    duplicate: Duplicate


def editor(request: HttpRequest) -> Any:
    user = user_of(request)
    if not capabilities.is_coordinator(user):
        raise forbidden(_("只有文明办协调员可以登记和修改点位。"))
    return user


def _data(user: Any, body: Schema, sent: set[str]) -> dict[str, Any]:
    data = {name: getattr(body, name) for name in sent if name != "client_id"}
    unit_id = data.pop("responsible_unit_id", None)
    if unit_id is not None:
        unit = Unit.objects.visible_to(user).filter(pk=unit_id).first()
        if unit is None:
            raise refuse(403, "forbidden", _("责任单位不在您的管辖范围内"), "responsible_unit_id")
        data["responsible_unit"] = unit
    if ("lng" in data) != ("lat" in data):
        raise refuse(400, "invalid", _("修改位置须同时给出经度和纬度"), "lat" if "lng" in data else "lng")
    return data


def _save(user: Any, data: dict[str, Any], site: Site | None, request: HttpRequest) -> str:
    try:
        saved = services.save_site(data, user, site=site, request=request)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise refuse(400, "invalid", "；".join(messages), BODY_FIELD.get(field, field)) from None
    return str(saved.pk)


def _written(user: Any, site_id: str, duplicate: bool) -> dict[str, Any]:
    sites = Site.objects.visible_to(user).select_related("area_unit", "responsible_unit")
    site = sites.filter(pk=int(site_id)).first()
    if site is None:
        raise not_found(_("没有找到该点位"))
    return {**site_out(site, site_type_names()), "duplicate": duplicate}


@router.post(
    "",
    response={201: SiteWriteOut, 200: SiteWriteOut, **WRITE_ERRORS},
    summary="登记点位（所在区域按位置判定；按 client_id 幂等）",
)
def create_site(request: HttpRequest, data: SiteIn) -> Any:
    user = editor(request)
    fields = _data(user, data, set(SiteIn.model_fields))
    site_id, duplicate = once(
        user.pk, data.client_id, "sites.create", lambda: _save(user, fields, None, request)
    )
    return (200 if duplicate else 201), _written(user, site_id, duplicate)


@router.patch(
    "/{site_id}",
    response={200: SiteWriteOut, **WRITE_ERRORS},
    summary="修改点位（仅调用者范围内；按 client_id 幂等）",
)
def change_site(request: HttpRequest, site_id: IdPath, data: SiteChangeIn) -> Any:
    user = editor(request)
    site = Site.objects.visible_to(user).filter(pk=site_id).first()
    if site is None:
        raise not_found(_("没有找到该点位"))
    sent = set(data.model_fields_set) | ({"coord_system"} if "lng" in data.model_fields_set else set())
    fields = {k: v for k, v in _data(user, data, sent).items() if v is not None}
    _id, duplicate = once(user.pk, data.client_id, "sites.change", lambda: _save(user, fields, site, request))
    return 200, _written(user, str(site.pk), duplicate)
