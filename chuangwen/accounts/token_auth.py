"""API authentication by token: phones and integrations send ``Authorization: Token <key>``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import APIKeyHeader

from chuangwen.accounts.services import TokenExpired, TooManyAttempts, user_for_token
from chuangwen.core.api_errors import ApiError


class ExpiredTokenError(AuthenticationError):
    """A token past its expiry: answered 401 with a reason, not the bare "Unauthorized" of a wrong key."""

    def __init__(self, message: str) -> None:
        super().__init__(401, message)


def too_many_attempts(retry_after: int) -> ApiError:
    """429 in the API's error shape, with ``Retry-After``: the same lockout the web login applies."""
    exc = TooManyAttempts(retry_after)
    return ApiError(429, "too_many_attempts", str(exc), headers={"Retry-After": str(exc.retry_after)})


class TokenAuth(APIKeyHeader):
    """``Authorization: Token <key>``; the owner becomes ``request.user``. A key that opens nothing counts
    toward the lockout of the client's address; a locked address is answered 429 whatever key it sends."""

    param_name = "Authorization"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if not key or not key.startswith("Token "):
            return None
        try:
            user = user_for_token(key.removeprefix("Token ").strip(), request)
        except TokenExpired as exc:
            raise ExpiredTokenError(str(exc)) from None
        except TooManyAttempts as exc:
            raise too_many_attempts(exc.retry_after) from None
        if user is not None:
            request.user = user
        return user
