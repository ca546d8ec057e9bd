"""The inspector's phone app (/m/): one page shell, its web app manifest and its service worker.

Everything else (today's work, visits, photos) goes through the inspection API (docs/inspection-api.md);
the page keeps its data in IndexedDB so that it works offline (docs/phone.md).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import get_template
from django.templatetags.static import static
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from chuangwen.accounts.models import Role
from chuangwen.core.web import user_of
from chuangwen.inspect.session import AppSession, app_session, set_session_cookie
from chuangwen.inspect.strings import JS_STRINGS

# The app's JavaScript modules (loaded by app.js through relative imports, mapped to their static URLs).
MODULES = [
    "inspect/app.js",
    "inspect/ui.js",
    "inspect/session.js",
    "inspect/db.js",
    "inspect/geo.js",
    "inspect/photos.js",
    "inspect/sync.js",
    "inspect/today.js",
    "inspect/visit.js",
    "inspect/checklist.js",
]
ICONS = {
    "192": "inspect/icons/icon-192.png",
    "512": "inspect/icons/icon-512.png",
    "maskable": "inspect/icons/icon-maskable-512.png",
    "svg": "inspect/icons/icon.svg",
}
STYLES = ["core/tokens.css", "inspect/phone.css", "inspect/visit.css"]
ASSETS = [*STYLES, *MODULES, *ICONS.values()]
SYNC_INTERVAL_MS = 30_000
PHOTO_LONG_SIDE = 2000
PHOTO_QUALITY = 0.85
# A "camera" photo whose file is older than this was picked from the gallery.
STALE_PHOTO_MINUTES = 15

SW_TEMPLATE = Path(__file__).resolve().parent / "templates" / "inspect" / "sw.js"
_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def script_json(value: Any) -> SafeString:
    """JSON that is safe inside a <script> element (for the import map, which json_script cannot make)."""
    return mark_safe(json.dumps(value, ensure_ascii=False).translate(_JSON_SCRIPT_ESCAPES))


def import_map() -> dict[str, dict[str, str]]:
    """Relative imports resolve to the plain static URL; map each one to the stored (hashed) name."""
    return {"imports": {f"{settings.STATIC_URL}{name}": static(name) for name in MODULES}}


def app_config(request: HttpRequest, session: AppSession) -> dict[str, Any]:
    user = user_of(request)
    return {
        "user": {"id": user.pk, "name": user.display_name},
        "session": session.as_config(),
        "urls": {
            "assignments": "/api/v1/inspect/assignments",
            "evidence": "/api/v1/evidence",
            "visits": "/api/v1/inspect/visits",
            "login": f"{reverse('accounts:login')}?next={reverse('inspect:app')}",
            "logout": reverse("accounts:logout"),
            "home": reverse("home"),
            "sw": reverse("inspect:service_worker"),
            "scope": reverse("inspect:app"),
        },
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
        "sync_interval_ms": SYNC_INTERVAL_MS,
        "photo_long_side": PHOTO_LONG_SIDE,
        "photo_quality": PHOTO_QUALITY,
        "stale_photo_minutes": STALE_PHOTO_MINUTES,
    }


@never_cache
@login_required
@require_GET
def app_shell(request: HttpRequest) -> HttpResponse:
    """The single page of the phone app (for inspectors); everyone else gets a short explanation."""
    user = user_of(request)
    if user.role != Role.INSPECTOR:
        return render(request, "inspect/not_inspector.html", status=403)
    get_token(request)  # the app reads the CSRF cookie for its POSTs
    session = app_session(request)
    context = {
        "strings": {key: str(value) for key, value in JS_STRINGS.items()},
        "config": app_config(request, session),
        "import_map": script_json(import_map()),
        "icons": {key: static(path) for key, path in ICONS.items()},
    }
    response = render(request, "inspect/app.html", context)
    set_session_cookie(response, session)
    return response


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest (public: browsers fetch it without cookies)."""
    data = {
        "name": _("创文督查"),
        "short_name": _("创文督查"),
        "description": _("督查员现场测评：今日任务、逐项判定、拍照取证，离线可用。"),
        "lang": get_language(),
        "start_url": reverse("inspect:app"),
        "scope": reverse("inspect:app"),
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f3f5f8",
        "theme_color": "#17406d",
        "icons": [
            {"src": static(ICONS["192"]), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": static(ICONS["512"]), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {
                "src": static(ICONS["maskable"]),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
            {"src": static(ICONS["svg"]), "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json; charset=utf-8"
    return response


def precache_urls() -> list[str]:
    return [reverse("inspect:app"), reverse("inspect:manifest"), *[static(name) for name in ASSETS]]


def cache_version(urls: list[str]) -> str:
    """Changes whenever an asset, its URL or the worker itself changes, so phones pick up a new version."""
    digest = hashlib.sha256("\n".join(urls).encode())
    sources = [finders.find(name) for name in ASSETS]
    for path in [*sources, str(SW_TEMPLATE)]:
        if isinstance(path, str):
            digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:16]


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, served under /m/ so that its scope is the app (public, holds no data)."""
    urls = precache_urls()
    body = get_template("inspect/sw.js").render(
        {
            "version": cache_version(urls),
            "precache": script_json(urls),
            "shell": reverse("inspect:app"),
            "static_prefix": settings.STATIC_URL,
        }
    )
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response
