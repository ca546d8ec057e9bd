"""/api/v1/privacy: the citizen's own report by tracking code + phone (no account; the same limits as the
page, a wrong pair answers 404 exactly like an unknown code), and the coordinator's export of one person's
data (docs/privacy.md, "API")."""

from __future__ import annotations

from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import ValidationError as NinjaValidationError

from chuangwen.audit.services import client_address
from chuangwen.core.api_errors import ApiError, ErrorOut
from chuangwen.core.web import user_of
from chuangwen.privacy import export, services
from chuangwen.reports import limits
from chuangwen.reports.limits import device_id
from chuangwen.reports.models import CitizenReport

router = Router(tags=["个人信息保护"])


# The schema says what the services accept, so a request it allows is never refused for its form.
CODE_PATTERN = r"^[A-Za-z0-9]{1,16}$"
PHONE_PATTERN = r"^(\+86)?1[3-9][0-9]{9}$"


class OwnIn(Schema):
    tracking_code: str = Field(pattern=CODE_PATTERN, description="随手拍查询码（如 SP2345ABCD，不分大小写）")
    phone: str = Field(pattern=PHONE_PATTERN, description="提交时留下的 11 位手机号（可带 +86）")


class OwnOut(Schema):
    tracking_code: str = Field(description="查询码")
    category: str = Field(description="问题类别")
    submitted_at: str = Field(description="提交时间")
    description: str = Field(description="问题描述")
    address: str = Field(description="问题地址")
    phone: str = Field(description="手机号")
    channel: str = Field(description="提交渠道")
    sender_address_hash_kept: bool = Field(description="是否保存了来源网络地址的摘要（不可还原）")
    rating: int | None = Field(description="评价（1–5）")
    rating_comment: str = Field(description="评价意见")
    supporters: int = Field(description="“我也遇到”人数")
    photos: int = Field(description="照片数")
    open311_account_id: str = Field(description="Open311 接入方账号")


class DeletedOut(Schema):
    tracking_code: str = Field(description="查询码")
    deleted: bool = Field(description="已删除手机号、评价意见和来源网络摘要")


class ExportIn(Schema):
    phone: str = Field("", pattern=r"^((\+86)?1[3-9][0-9]{9})?$", description="手机号（与身份证号二选一）")
    id_number: str = Field("", pattern=r"^([0-9]{17}[0-9Xx])?$", description="身份证号（仅查志愿者）")
    format: Literal["json", "xlsx"] = Field("json", description="文件格式：json 或 xlsx")


def _invalid(exc: ValidationError) -> NinjaValidationError:
    """A service's field errors as the API's 422, each naming its field (loc) in Chinese."""
    return NinjaValidationError(
        [
            {"loc": ["body", "body", field], "msg": message, "type": "invalid"}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    )


def _own(request: HttpRequest, body: OwnIn) -> CitizenReport:
    try:
        return services.find_own(
            body.tracking_code, body.phone, ip=client_address(request), device=device_id(request)
        )
    except ValidationError as exc:
        raise _invalid(exc) from None
    except limits.RateLimited as exc:
        seconds = exc.retry_after_seconds
        raise ApiError(
            429, "limited", exc.message, headers={"Retry-After": str(seconds)}, retry_after=seconds
        ) from None
    except services.NotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None


REFUSALS = {404: ErrorOut, 429: ErrorOut}


@router.post(
    "/citizen/lookup", auth=None, response={200: OwnOut, **REFUSALS}, summary="查阅本人随手拍中的个人信息"
)
def citizen_lookup(request: HttpRequest, body: OwnIn) -> dict[str, Any]:
    report = _own(request, body)
    services.viewed(report, request)
    return services.own_data(report)


@router.post(
    "/citizen/delete", auth=None, response={200: DeletedOut, **REFUSALS}, summary="删除本人随手拍中的个人信息"
)
def citizen_delete(request: HttpRequest, body: OwnIn) -> dict[str, Any]:
    report = _own(request, body)
    done = services.forget(report, request)
    return {"tracking_code": done.tracking_code, "deleted": True}


@router.post(
    "/export", response={200: None, 403: ErrorOut}, summary="导出某人的全部个人信息（JSON 或 xlsx 附件）"
)
def export_person(request: HttpRequest, body: ExportIn) -> HttpResponse:
    officer = user_of(request)
    if not export.may_export(officer):
        raise ApiError(403, "forbidden", _("只有文明办协调员可以导出个人信息"))
    try:
        search = export.parse_search(body.phone, body.id_number, body.format)
    except ValidationError as exc:
        raise _invalid(exc) from None
    made = export.export(officer, search, body.format, request)
    response = HttpResponse(made.content, content_type=made.content_type)
    response["Content-Disposition"] = f'attachment; filename="{made.filename}"'
    return response
