"""What the bulletin API's modules share: the router, who may call, refusals as structured errors, small
shapes (docs/bulletins.md, "API")."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.security import SessionAuth

from chuangwen.accounts.capabilities import may_oversee, may_see_bulletins
from chuangwen.accounts.models import User
from chuangwen.accounts.token_auth import TokenAuth
from chuangwen.bulletins import services
from chuangwen.bulletins.models import Bulletin
from chuangwen.core.api_errors import ApiError, ErrorOut
from chuangwen.core.bounds import OFFSET_MAX, date_error

# Token first, as for the other APIs: a token-only POST must not fail the session's CSRF check.
router = Router(tags=["通报"], auth=[TokenAuth(), SessionAuth()])

PAGE_SIZE = 50

# A refusal about what was sent is a 400; one about the bulletin's state or version a 409; one about who
# is asking a 403.
STATUS_OF = {"invalid": 400, "conflict": 409, "state": 409, "frozen": 409, "forbidden": 403}
# The services name the model's fields; the API's bodies name ids.
BODY_FIELD = {
    "ranking": "ranking_id",
    "round": "round_id",
    "wave": "wave_id",
    "materials_period": "materials_period_id",
    "corrects": "corrects_id",
    "typical": "picks",
    "photos": "photo_ids",
    "unit": "unit_id",
    "bulletin": "bulletin_id",
}


class RefusedOut(ErrorOut):
    """A refusal of the bulletin rules: ``field`` names the body field concerned (empty when none)."""

    field: str = Field(description="相关字段（无则为空）")
    message: str = Field(description="中文原因（同 detail）")


ERRORS: dict[int, Any] = {403: RefusedOut, 404: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {400: RefusedOut, 403: RefusedOut, 404: ErrorOut, 409: RefusedOut}


def refused(exc: services.Refused) -> ApiError:
    """``services.Refused`` as the API's error: 400, 403 or 409 with the code, the field and the message."""
    field = BODY_FIELD.get(exc.field, exc.field)
    return ApiError(STATUS_OF.get(exc.code, 400), exc.code, exc.message, field=field, message=exc.message)


def forbidden(message: str) -> ApiError:
    return ApiError(403, "forbidden", message, field="", message=message)


def invalid(field: str, message: str) -> ApiError:
    return ApiError(400, "invalid", message, field=field, message=message)


def not_found() -> ApiError:
    return ApiError(404, "not_found", _("没有找到该通报"))


def member(request: HttpRequest) -> User:
    """The caller, who must be of a role that reads or writes bulletins and belong to a unit."""
    from chuangwen.core.web import user_of

    user = user_of(request)
    if not may_see_bulletins(user):
        raise forbidden(_("您的角色不使用通报"))
    return user


def office(request: HttpRequest) -> User:
    """The caller, who must be of a civilisation office (coordinator or leader) with a unit."""
    user = member(request)
    if not may_oversee(user):
        raise forbidden(_("只有文明办可以进行此操作"))
    return user


def bulletin_of(user: User, bulletin_id: int) -> Bulletin:
    """A bulletin the user may see (404 otherwise)."""
    found = (
        Bulletin.objects.visible_to(user)
        .select_related("owner_unit", "template", "created_by", "reviewed_by", "signed_by", "issued_by")
        .filter(pk=bulletin_id)
        .first()
    )
    if found is None:
        raise not_found()
    return found


def require_office_of(user: User, bulletin: Bulletin) -> None:
    """403 for someone who sees the bulletin but is not of the office that issues it."""
    if not services.is_office_of(user, bulletin.owner_unit_id):
        raise forbidden(_("只有发文单位文明办可以办理该通报"))


def within_bounds(value: date | None, label: str) -> date | None:
    """A date outside core/bounds' window is refused like any other date in the API."""
    if value is not None:
        reason = date_error(value, label)
        if reason is not None:
            raise ValueError(reason)
    return value


class UnitRef(Schema):
    id: int = Field(description="单位 ID")
    name: str = Field(description="单位名称")


class PageIn(Schema):
    limit: int = Field(PAGE_SIZE, ge=1, le=PAGE_SIZE, description="每页条数（1–50）")
    offset: int = Field(0, ge=0, le=OFFSET_MAX, description="跳过的条数（0–10 000 000）")


def unit_ref(unit: Any) -> dict[str, Any] | None:
    return {"id": unit.pk, "name": unit.name} if unit is not None else None


def person(user: Any) -> str:
    return user.display_name if user is not None else ""
