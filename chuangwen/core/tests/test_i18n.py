"""English works end to end: a complete catalogue, compiled, and chosen by the language cookie."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from conftest import PASSWORD

LC_MESSAGES = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES"
PO_FILE = LC_MESSAGES / "django.po"
MO_FILE = LC_MESSAGES / "django.mo"

# The main navigation and the login page, in both languages.
NAV_ZH = ["首页", "组织机构", "测评体系", "退出"]
NAV_EN = ["Home", "Organization", "Sites", "Evaluation Standards", "Log out"]
PLACEHOLDER = re.compile(r"%\(\w+\)[-+ #0]*\d*(?:\.\d+)?[sdif]")


def parse_po(path: Path) -> list[dict[str, Any]]:
    """The entries of a .po file: msgid, msgid_plural, msgstr or msgstr[n], and flags (no header)."""
    entries: list[dict[str, Any]] = []
    entry: dict[str, Any] = {}
    key = ""

    def close() -> None:
        if "msgid" in entry and entry["msgid"] != "":
            entries.append(dict(entry))
        entry.clear()

    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            close()
        elif line.startswith("#,"):
            if "msgid" in entry:
                close()
            entry["flags"] = [flag.strip() for flag in line[2:].split(",")]
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[key] += ast.literal_eval(line)
        else:
            key, _, value = line.partition(" ")
            if key == "msgid" and "msgid" in entry:
                close()
            entry[key] = ast.literal_eval(value)
    close()
    return entries


def translations(entry: dict[str, Any]) -> list[str]:
    if "msgid_plural" in entry:
        return [value for key, value in sorted(entry.items()) if key.startswith("msgstr[")]
    return [entry["msgstr"]]


def english_client() -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def logged_in(client: Client) -> Client:
    assert client.login(username="coord", password=PASSWORD)
    return client


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_it_translates_every_message() -> None:
    entries = parse_po(PO_FILE)
    assert len(entries) > 300
    for entry in entries:
        assert "fuzzy" not in entry.get("flags", []), entry["msgid"]
        values = translations(entry)
        assert len(values) == (2 if "msgid_plural" in entry else 1), entry["msgid"]
        for value in values:
            assert value.strip(), f"untranslated: {entry['msgid']}"
            if "python-format" in entry.get("flags", []):
                assert set(PLACEHOLDER.findall(value)) == set(PLACEHOLDER.findall(entry["msgid"])), value
    header = PO_FILE.read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert "#, fuzzy" not in header
    assert '"Language: en\\n"' in header


def test_it_ships_a_compiled_catalogue_matching_the_po() -> None:
    with MO_FILE.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    for entry in parse_po(PO_FILE):
        if "msgid_plural" in entry:
            assert catalogue.ngettext(entry["msgid"], entry["msgid_plural"], 1) == entry["msgstr[0]"]
            assert catalogue.ngettext(entry["msgid"], entry["msgid_plural"], 2) == entry["msgstr[1]"]
        else:
            assert catalogue.gettext(entry["msgid"]) == entry["msgstr"], entry["msgid"]


@pytest.mark.django_db
def test_it_shows_english_pages_with_the_language_cookie(users: dict[str, Any]) -> None:
    client = logged_in(english_client())
    home = page(client, "/")
    assert '<html lang="en">' in home
    for word in [*NAV_EN, "Civilized City Campaign Management Platform", "Quick links"]:
        assert word in home
    for word in NAV_ZH:
        assert word not in home

    sites = page(client, "/sites/")
    for word in ["Site register", "Site type", "Responsible unit", "Search", "Reset", "Site map"]:
        assert word in sites
    for word in [*NAV_ZH, "点位登记", "点位类型", "责任单位", "查询"]:
        assert word not in sites


@pytest.mark.django_db
def test_it_shows_the_english_login_page(users: dict[str, Any]) -> None:
    login = page(english_client(), "/accounts/login/")
    assert '<html lang="en">' in login
    for word in ["Log in", "Username", "Password", "temporarily locked"]:
        assert word in login
    for word in ["登录", "用户名", "密码"]:
        assert word not in login


@pytest.mark.django_db
def test_it_stays_chinese_without_the_cookie(users: dict[str, Any]) -> None:
    client = logged_in(Client())
    home = page(client, "/")
    assert '<html lang="zh-hans">' in home
    for word in NAV_ZH:
        assert word in home
    assert "Organization" not in home

    sites = page(client, "/sites/")
    assert "点位登记" in sites
    assert "Site register" not in sites

    login = page(Client(), "/accounts/login/")
    assert "登录" in login
    assert "Username" not in login


def test_it_shows_chinese_to_a_browser_that_asks_for_english(users):
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    client.force_login(users["coordinator"])
    html = client.get("/").content.decode()
    assert "组织机构" in html
    client.cookies["django_language"] = "en"
    assert "组织机构" not in client.get("/").content.decode()
