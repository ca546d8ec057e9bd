"""Remember the request being served so that audit entries written deep inside services and signal handlers
(a role changed by a model save, a group added in the admin) still name the actor and the address."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

current_request: ContextVar[HttpRequest | None] = ContextVar("chuangwen_audit_request", default=None)


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            # Threads of the WSGI server are reused: never let one request's user leak into the next.
            current_request.reset(token)
