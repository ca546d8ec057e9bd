"""The phone app's shell, manifest and service worker as the server serves them."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from chuangwen.inspect.strings import JS_STRINGS
from chuangwen.inspect.views import ASSETS, MODULES
from conftest import client_for

pytestmark = pytest.mark.django_db


def script_json(html: str, element_id: str) -> Any:
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert match, element_id
    return json.loads(match.group(1))


def test_it_serves_the_app_shell_to_an_inspector(users: dict[str, Any]) -> None:
    response = client_for(users["inspector"]).get("/m/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "<title>创文督查</title>" in html
    assert 'rel="manifest" href="/m/manifest.webmanifest"' in html
    assert '<script type="module" src="/static/inspect/app.js">' in html
    assert "no-store" in response["Cache-Control"]
    strings = script_json(html, "i18n")
    assert set(strings) == set(JS_STRINGS)
    assert strings["not_conforming"] == "不符合"
    assert strings["pending"] == "待上传 {n}"
    config = script_json(html, "config")
    assert config["user"]["id"] == users["inspector"].pk
    assert config["urls"]["evidence"] == "/api/v1/evidence"
    assert config["urls"]["visits"] == "/api/v1/inspect/visits"
    assert config["urls"]["assignments"] == "/api/v1/inspect/assignments"
    assert config["urls"]["sw"] == "/m/sw.js"
    assert config["photo_long_side"] == 2000
    # The CSRF cookie is set for the app's POSTs.
    assert response.cookies["csrftoken"].value


def test_the_import_map_covers_every_module(users: dict[str, Any]) -> None:
    html = client_for(users["inspector"]).get("/m/").content.decode()
    match = re.search(r'<script type="importmap"[^>]*>(.*?)</script>', html, re.S)
    assert match
    imports = json.loads(match.group(1))["imports"]
    assert set(imports) == {f"/static/{name}" for name in MODULES}


def test_it_sends_anonymous_visitors_to_the_login_page() -> None:
    response = Client().get("/m/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/m/")


@pytest.mark.parametrize("role", ["coordinator", "leader", "verifier", "west_handler"])
def test_other_roles_get_a_polite_page(users: dict[str, Any], role: str) -> None:
    response = client_for(users[role]).get("/m/")
    assert response.status_code == 403
    html = response.content.decode()
    assert 'data-testid="not-inspector"' in html
    assert "这里是督查员现场测评用的手机页面" in html
    assert users[role].get_role_display() in html
    assert "返回首页" in html
    assert "inspect/app.js" not in html


def test_the_manifest_is_valid_json(client: Client) -> None:
    response = client.get("/m/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/manifest+json")
    data = json.loads(response.content)
    assert data["name"] == "创文督查"
    assert data["display"] == "standalone"
    assert data["start_url"] == "/m/"
    assert data["scope"] == "/m/"
    sizes = {icon["sizes"] for icon in data["icons"]}
    assert {"192x192", "512x512"} <= sizes
    assert any(icon["purpose"] == "maskable" for icon in data["icons"])
    for icon in data["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_the_service_worker_is_javascript_under_m(client: Client) -> None:
    response = client.get("/m/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    match = re.search(r"const PRECACHE = (\[.*?\]);", body)
    assert match
    precache = json.loads(match.group(1))
    assert "/m/" in precache
    assert "/m/manifest.webmanifest" in precache
    for name in ASSETS:
        assert f"/static/{name}" in precache
    for url in precache[2:]:
        assert client.get(url).status_code == 200, url
    assert re.search(r'const VERSION = "[0-9a-f]{16}";', body)
    assert 'const SHELL = "/m/";' in body


def test_the_cache_version_follows_the_assets(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    from chuangwen.inspect import views

    first = client.get("/m/sw.js").content
    assert client.get("/m/sw.js").content == first
    monkeypatch.setattr(views, "ASSETS", [*views.ASSETS[:-1]])
    assert client.get("/m/sw.js").content != first


def test_every_js_string_is_used_and_every_used_key_exists() -> None:
    from pathlib import Path

    from django.contrib.staticfiles import finders

    source = ""
    for name in MODULES:
        path = finders.find(name)
        assert isinstance(path, str)
        source += Path(path).read_text(encoding="utf-8")
    used = set(re.findall(r'\bt\(\s*"(\w+)"', source))
    dynamic_prefixes = ("kind_", "status_", "outcome_")
    dynamic = {key for key in JS_STRINGS if key.startswith(dynamic_prefixes)}
    # Keys reached through variables: results, outcomes, geolocation errors, sync messages.
    indirect = {
        "conforming",
        "not_conforming",
        "not_applicable",
        "refused",
        "not_possible",
        "photo_failed",
        "photo_stale",
        "syncing",
        "synced_at",
        "sync_failed",
        "login_expired",
        "geo_denied",
        "geo_unsupported",
        "no_position",
    }
    assert used - set(JS_STRINGS) == set()
    assert set(JS_STRINGS) - used - dynamic - indirect == set()


def test_it_speaks_english_with_the_language_cookie(users: dict[str, Any]) -> None:
    from django.conf import settings

    client = client_for(users["inspector"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/m/").content.decode()
    assert '<html lang="en">' in html
    assert "<title>Chuangwen Inspector</title>" in html
    strings = script_json(html, "i18n")
    assert strings["not_conforming"] == "Not conforming"
    assert strings["pending"] == "{n} to upload"
    manifest = json.loads(client.get("/m/manifest.webmanifest").content)
    assert (manifest["name"], manifest["lang"]) == ("Chuangwen Inspector", "en")


def test_the_app_catalogue_is_complete_and_keeps_placeholders() -> None:
    from pathlib import Path

    from chuangwen.core.tests.test_i18n import parse_po

    po = Path(__file__).resolve().parents[1] / "locale" / "en" / "LC_MESSAGES" / "django.po"
    entries = parse_po(po)
    with translation.override(None):  # the msgids themselves, whatever an earlier request activated
        msgids = {str(value) for value in JS_STRINGS.values()}
    assert msgids <= {entry["msgid"] for entry in entries}
    for entry in entries:
        assert entry["msgstr"].strip(), entry["msgid"]
        assert "fuzzy" not in entry.get("flags", [])
        braces = re.compile(r"\{\w+\}|%\(\w+\)s")
        assert sorted(braces.findall(entry["msgstr"])) == sorted(braces.findall(entry["msgid"])), entry[
            "msgid"
        ]
