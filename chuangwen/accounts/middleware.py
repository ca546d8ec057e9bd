"""Idle and absolute session timeouts, and the second-factor gate."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

SESSION_STARTED = "cw_started"
SESSION_SEEN = "cw_seen"
SESSION_2FA_PENDING = "cw_2fa_pending"
# Set after a timeout logout so that the login page can say why the user is there.
SESSION_EXPIRED = "cw_expired"
# A one-shot notice for the next account page (lockout after wrong codes, "password changed" …).
SESSION_NOTICE = "cw_notice"


def _seen_granularity() -> float:
    # Writing the session on every request would cost a database write per page view; a last-seen time
    # that is at most this stale changes the idle timeout by no more than this.
    return min(60.0, settings.SESSION_IDLE_SECONDS / 10)


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            started = request.session.get(SESSION_STARTED, now)
            seen = request.session.get(SESSION_SEEN, now)
            if (
                now - seen > settings.SESSION_IDLE_SECONDS
                or now - started > settings.SESSION_ABSOLUTE_SECONDS
            ):
                from chuangwen.audit.services import record

                record(
                    request,
                    "session_expired",
                    obj=request.user,
                    detail={"idle_seconds": round(now - seen), "age_seconds": round(now - started)},
                )
                logout(request)
                request.session[SESSION_EXPIRED] = True
            else:
                if SESSION_STARTED not in request.session:
                    request.session[SESSION_STARTED] = started
                if SESSION_SEEN not in request.session or now - seen >= _seen_granularity():
                    request.session[SESSION_SEEN] = now
        return self.get_response(request)


class SecondFactorMiddleware:
    """A user whose password was right but whose TOTP is still due may only reach the second-factor pages."""

    ALLOWED_PREFIXES = ("/accounts/", "/static/", "/healthz", "/csp-report/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.user.is_authenticated
            and request.session.get(SESSION_2FA_PENDING)
            and not request.path.startswith(self.ALLOWED_PREFIXES)
        ):
            return HttpResponseRedirect(reverse("accounts:totp"))
        return self.get_response(request)
