"""The API's one error type: every refusal under /api/v1/ is an ``ApiError`` answered by one handler
(``chuangwen/api.py``) as ``{"detail": "<中文原因>", "code": "<machine code>", …}``
(docs/inspection-api.md, first paragraph).

422 field errors stay ninja's ``ValidationError`` (``detail`` is then a list of ``loc``/``msg``/``type``).
"""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse
from ninja import Field, Schema


class ErrorOut(Schema):
    """The body of every API error other than a 422."""

    detail: str = Field(description="中文原因")
    code: str = Field(
        description="机器可读的原因代码：not_found、refused、conflict、invalid、token_expired、too_large …"
    )


class ApiError(Exception):
    """Raise from an endpoint to answer ``status`` with ``code`` and the Chinese ``detail`` (``extra`` keys
    are added to the body; ``headers`` to the response)."""

    def __init__(
        self, status: int, code: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, str(detail)
        self.headers, self.extra = headers or {}, extra

    def response(self) -> JsonResponse:
        body = {"detail": self.detail, "code": self.code, **self.extra}
        return JsonResponse(
            body, status=self.status, headers=self.headers, json_dumps_params={"ensure_ascii": False}
        )
