"""Idempotent writes of the administrative API (units, users, holidays, notice settings, Open311 keys).

These records carry no ``client_id`` column of their own (unlike visits, photos or materials), so each write
is remembered here by the client's UUID: the row is created in the same transaction as the write, so a write
that fails leaves no row and a resend after a lost answer is answered from what was done, never done twice.
The same UUID sent by someone else, or for another operation, is refused with 409 ``client_id_conflict``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from ninja import Field
from pydantic import Field as PydanticField

from chuangwen.core.api_errors import ApiError, ErrorOut, ValidationErrorOut
from chuangwen.core.models import ApiWrite

# Every idempotent write's answer says whether it was a resend.
Duplicate = Annotated[bool, PydanticField(description="true：同一 client_id 已执行过，本次未再执行")]
ClientId = Annotated[
    uuid.UUID, PydanticField(description="客户端生成的 UUID：同一编号重发只执行一次，返回已执行的结果")
]


class ApiRefusedOut(ErrorOut):
    """A refusal of a rule: ``field`` names the body field concerned (empty when none)."""

    field: str = Field("", description="相关字段（无则为空）")


# The status codes every administrative read and write answers besides its success.
READ_ERRORS: dict[int, Any] = {403: ApiRefusedOut, 404: ErrorOut, 422: ValidationErrorOut}
WRITE_ERRORS: dict[int, Any] = {
    400: ApiRefusedOut,
    403: ApiRefusedOut,
    404: ErrorOut,
    409: ApiRefusedOut,
    422: ValidationErrorOut,
}


def refuse(status: int, code: str, message: str, field: str = "") -> ApiError:
    return ApiError(status, code, message, field=field)


def forbidden(message: str) -> ApiError:
    return refuse(403, "forbidden", message)


def not_found(message: str | None = None) -> ApiError:
    return ApiError(404, "not_found", message or _("没有找到该对象"))


def _earlier(client_id: uuid.UUID, user_id: int, operation: str) -> ApiWrite | None:
    row = ApiWrite.objects.filter(client_id=client_id).first()
    if row is None:
        return None
    if row.user_id != user_id or row.operation != operation:
        message = _("该客户端编号已用于另一次操作，请换一个新的 UUID")
        raise refuse(409, "client_id_conflict", message, "client_id")
    return row


def once(user_id: int, client_id: uuid.UUID, operation: str, apply: Callable[[], str]) -> tuple[str, bool]:
    """Run ``apply`` (which writes and returns the id of what it wrote) unless ``client_id`` was applied
    before. Returns (object id, duplicate): on a resend the id of what the first send wrote."""
    row = _earlier(client_id, user_id, operation)
    if row is not None:
        return row.object_id, True
    try:
        with transaction.atomic():
            object_id = apply()
            ApiWrite.objects.create(
                client_id=client_id, user_id=user_id, operation=operation, object_id=object_id[:64]
            )
    except IntegrityError:
        # Two sends of one id at once: the loser's transaction rolled back; answer from the winner's.
        row = _earlier(client_id, user_id, operation)
        if row is None:
            raise
        return row.object_id, True
    return object_id, False


def claim(user_id: int, client_id: uuid.UUID, operation: str) -> tuple[ApiWrite, bool]:
    """For a write whose refusal must itself stay written (a wrong second factor counts toward lockout), so
    it cannot run inside ``once``'s transaction: claim the id first, ``settle`` it after, or ``release`` it
    on refusal. Returns (row, duplicate); a claim still open from a concurrent send is a 409."""
    try:
        with transaction.atomic():
            return ApiWrite.objects.create(client_id=client_id, user_id=user_id, operation=operation), False
    except IntegrityError:
        row = _earlier(client_id, user_id, operation)
        if row is None:
            raise
        if not row.object_id:
            raise refuse(
                409, "in_progress", _("同一客户端编号的请求正在处理，请稍后重发"), "client_id"
            ) from None
        return row, True


def settle(row: ApiWrite, object_id: str) -> None:
    ApiWrite.objects.filter(pk=row.pk).update(object_id=object_id[:64])


def release(row: ApiWrite) -> None:
    ApiWrite.objects.filter(pk=row.pk).delete()
