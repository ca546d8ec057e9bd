"""API authentication by token: phones and integrations send ``Authorization: Token <key>``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import APIKeyHeader

from chuangwen.accounts.services import TokenExpired, user_for_token


class ExpiredTokenError(AuthenticationError):
    """A token past its expiry: answered 401 with a reason, not the bare "Unauthorized" of a wrong key."""

    def __init__(self, message: str) -> None:
        super().__init__(401, message)


class TokenAuth(APIKeyHeader):
    """``Authorization: Token <key>``; the owner becomes ``request.user``."""

    param_name = "Authorization"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if not key or not key.startswith("Token "):
            return None
        try:
            user = user_for_token(key.removeprefix("Token ").strip())
        except TokenExpired as exc:
            raise ExpiredTokenError(str(exc)) from None
        if user is not None:
            request.user = user
        return user
