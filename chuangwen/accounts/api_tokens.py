"""API of API tokens (docs/security.md, "API: managing users and tokens"): what the page /accounts/tokens/
does — list one's tokens (an administrator also those of the subtree), issue one (the key is answered once,
the same second factor as the page), revoke one; through ``accounts.services`` and ``accounts.people``,
idempotent by ``client_id``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from pydantic import ConfigDict

from chuangwen.accounts import people, services
from chuangwen.accounts.models import ApiToken
from chuangwen.core.api_errors import ApiError
from chuangwen.core.api_writes import (
    READ_ERRORS,
    WRITE_ERRORS,
    ApiRefusedOut,
    ClientId,
    Duplicate,
    claim,
    not_found,
    once,
    refuse,
    release,
    settle,
)
from chuangwen.core.bounds import IdPath
from chuangwen.core.web import user_of

router = Router(tags=["用户与令牌"])

# The page's limit (API_TOKEN_DAYS) in the schema as the process started; the service checks it again.
DAYS_MAX = max(1, int(settings.API_TOKEN_DAYS))


class TokenOut(Schema):
    id: int = Field(description="令牌 ID")
    name: str = Field(description="名称")
    user_id: int = Field(description="所属用户 ID")
    username: str = Field(description="所属用户名")
    created_at: datetime = Field(description="签发时间")
    expires_at: datetime = Field(description="过期时间")
    last_used_at: datetime | None = Field(description="最近使用")
    revoked_at: datetime | None = Field(description="吊销时间")
    usable: bool = Field(description="是否仍可使用（未吊销且未过期）")


class TokenIssuedOut(TokenOut):
    key: str | None = Field(description="令牌本身，只在首次签发时返回一次；重发同一 client_id 时为空")
    duplicate: Duplicate


class TokenRevokedOut(TokenOut):
    changed: bool = Field(description="true 本次吊销；false 此前已吊销")
    duplicate: Duplicate


class TokenIn(Schema):
    model_config = ConfigDict(extra="forbid")
    client_id: ClientId
    name: str = Field(min_length=1, max_length=100, description="名称，如“整改手机”")
    days: int | None = Field(None, ge=1, le=DAYS_MAX, description="有效天数（1 至 API_TOKEN_DAYS，默认最长）")
    totp_code: str | None = Field(None, max_length=12, description="动态口令（已启用或须使用动态口令时必填）")


class RevokeIn(Schema):
    model_config = ConfigDict(extra="forbid")
    client_id: ClientId


def token_out(token: ApiToken) -> dict[str, Any]:
    usable = token.revoked_at is None and token.expires_at > timezone.now()
    return {
        "id": token.pk, "name": token.name, "user_id": token.user_id, "username": token.user.get_username(),
        "created_at": token.created_at, "expires_at": token.expires_at, "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at, "usable": usable,
    }  # fmt: skip


@router.get(
    "/tokens",
    response={200: list[TokenOut], **READ_ERRORS},
    summary="令牌列表（自己的；系统管理员另见管辖范围内他人仍有效的令牌）",
)
def list_tokens(request: HttpRequest) -> list[dict[str, Any]]:
    user = user_of(request)
    now = timezone.now()
    tokens = people.revocable_tokens(user).exclude(user=user).filter(revoked_at=None, expires_at__gt=now)
    mine = people.revocable_tokens(user).filter(user=user)
    rows = [*mine.order_by("-created_at", "-pk"), *tokens.order_by("user__username", "-created_at")]
    return [token_out(token) for token in rows]


@router.post(
    "/tokens",
    response={201: TokenIssuedOut, 200: TokenIssuedOut, 429: ApiRefusedOut, **WRITE_ERRORS},
    summary="为自己签发令牌（令牌只返回一次；按 client_id 幂等）",
)
def issue_token(request: HttpRequest, data: TokenIn) -> Any:
    user = user_of(request)
    limit = int(settings.API_TOKEN_DAYS)
    if data.days is not None and data.days > limit:
        message = _("有效天数须在 1 到 %(limit)d 之间。") % {"limit": limit}
        raise refuse(400, "invalid", message, "days")
    row, duplicate = claim(user.pk, data.client_id, "accounts.token_issue")
    key = None
    if not duplicate:
        # Not inside a transaction: a wrong second factor must stay counted toward the lockout.
        try:
            key = services.issue_token(
                user, data.name, totp_code=data.totp_code, days=data.days, request=request
            )
        except services.TokenRefused as exc:
            release(row)
            retry_after = int(getattr(exc, "retry_after", 0) or 0)  # locked out: 429, as the page answers
            if retry_after:
                headers = {"Retry-After": str(retry_after)}
                raise ApiError(429, "locked", str(exc), headers=headers, field="totp_code") from None
            raise refuse(403, "refused", str(exc), "totp_code") from None
        settle(row, str(ApiToken.objects.get(key_hash=services.token_digest(key)).pk))
        row.refresh_from_db()
    token_id = row.object_id
    token = ApiToken.objects.select_related("user").get(pk=int(token_id))
    body = {**token_out(token), "key": key, "duplicate": duplicate}
    return (200 if duplicate else 201), body


@router.post(
    "/tokens/{token_id}/revoke",
    response={200: TokenRevokedOut, **WRITE_ERRORS},
    summary="吊销令牌（自己的；系统管理员可吊销管辖范围内他人的；按 client_id 幂等）",
)
def revoke_token(request: HttpRequest, token_id: IdPath, data: RevokeIn) -> dict[str, Any]:
    user = user_of(request)
    token = people.revocable_tokens(user).filter(pk=token_id).first()
    if token is None:
        raise not_found(_("没有找到该令牌"))
    changed: list[bool] = []

    def apply() -> str:
        changed.append(services.revoke_token(token, request=request))
        return str(token.pk)

    _id, duplicate = once(user.pk, data.client_id, "accounts.token_revoke", apply)
    token.refresh_from_db()
    return {**token_out(token), "changed": bool(changed and changed[0]), "duplicate": duplicate}
