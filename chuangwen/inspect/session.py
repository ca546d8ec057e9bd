"""What binds the phone app's offline data to the session that fetched it (docs/security.md,
"Phone app data after logout").

The shell gives the app a per-session key and the session's absolute end; the app stores both with the round
it downloads and shows that copy offline only while the key still matches and the end has not passed. The same
key goes into a cookie the page can read (the session cookie itself is HttpOnly): logout deletes it, so an app
opened offline from the service worker's cache can tell that the session is over even where the browser
ignores Clear-Site-Data.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.crypto import salted_hmac

from chuangwen.accounts.middleware import SESSION_STARTED

APP_SESSION_COOKIE = "cw_m_session"
# On logout the browser drops this origin's caches (the app shell) and storage (IndexedDB, service worker).
# Not "cookies": that would also clear cookies of every subdomain of the registrable domain, and Django
# deletes the session cookie on logout anyway.
CLEAR_SITE_DATA = '"cache", "storage"'


@dataclass(frozen=True)
class AppSession:
    key: str
    expires_at: float  # Unix time of the session's absolute end (SESSION_ABSOLUTE_SECONDS after login)

    def as_config(self) -> dict[str, str | int]:
        return {"key": self.key, "expires_at": int(self.expires_at * 1000), "cookie": APP_SESSION_COOKIE}


def app_session(request: HttpRequest) -> AppSession:
    # Derived from the session key (new at every login), so it needs no storage and says nothing about it.
    key = salted_hmac("chuangwen.inspect.app-session", request.session.session_key or "").hexdigest()[:32]
    started = float(request.session.get(SESSION_STARTED, time.time()))
    return AppSession(key=key, expires_at=started + settings.SESSION_ABSOLUTE_SECONDS)


def set_session_cookie(response: HttpResponse, session: AppSession) -> None:
    response.set_cookie(
        APP_SESSION_COOKIE,
        session.key,
        max_age=max(0, int(session.expires_at - time.time())),
        path=reverse("inspect:app"),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=False,  # read by the app's JavaScript, offline
        samesite="Lax",
    )


def forget_app_data(response: HttpResponse) -> None:
    """On the logout response: the browser wipes the app's data, and the app's session cookie goes."""
    response["Clear-Site-Data"] = CLEAR_SITE_DATA
    response.delete_cookie(APP_SESSION_COOKIE, path=reverse("inspect:app"), samesite="Lax")
