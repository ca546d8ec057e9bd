"""The registry in a real browser: login form, Leaflet map with boundaries and site markers, htmx filters."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from chuangwen.standards.tests.test_views_standards import standard  # noqa: F401  (fixture)
from conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOT_DIR = Path(os.environ.get("CHUANGWEN_VAR_DIR", "/tmp"))
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def open_page(
    browser: Any, live_server: Any, username: str, viewport: dict[str, int] = DESKTOP
) -> tuple[Any, list[str], list[str]]:
    """A fresh page signed in through the login form, with its page errors and requests to other hosts."""
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    outside: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "request",
        lambda request: (
            None if request.url.startswith((live_server.url, "data:")) else outside.append(request.url)
        ),
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page, errors, outside


def wait_for_map(page: Any) -> Any:
    page.wait_for_selector("#site-map[data-state=ready]", timeout=15000)
    return page.locator("#site-map")


def test_registry_map_for_coordinator(browser: Any, live_server: Any, users: Any, sites: Any) -> None:
    page, errors, outside = open_page(browser, live_server, "coord")
    page.goto(f"{live_server.url}/sites/")
    site_map = wait_for_map(page)
    assert site_map.get_attribute("data-site-count") == "3"
    assert site_map.get_attribute("data-boundary-count") == "3"
    assert page.locator("#site-map path.cw-site").count() == 3
    assert page.locator("#site-map path.cw-boundary").count() == 3
    assert page.locator("#site-map .leaflet-tile").count() == 0  # no tile layer by default
    page.screenshot(path=str(SCREENSHOT_DIR / "map.png"), full_page=True)

    # A filter changes the list through htmx and the map follows.
    page.select_option("#id_declared", "1")
    page.wait_for_selector("#site-results [data-count='1']")
    page.wait_for_function("() => document.querySelectorAll('#site-map path.cw-site').length === 1")
    assert site_map.get_attribute("data-site-count") == "1"
    assert "declared=1" in page.url

    # Back restores the unfiltered registry and its map.
    page.go_back()
    page.wait_for_selector("#site-results [data-count='3']")
    page.wait_for_function("() => document.querySelectorAll('#site-map path.cw-site').length === 3")
    page.go_forward()
    page.wait_for_selector("#site-results [data-count='1']")
    wait_for_map(page)
    assert page.locator("#site-map path.cw-site").count() == 1

    # A marker's popup links to the site page.
    page.locator("#site-map path.cw-site").first.click()
    page.locator(".leaflet-popup-content a").click()
    page.wait_for_selector("#site-fields")
    assert "西湖大道" in page.content()
    page.wait_for_selector("#site-map[data-state=ready]")
    assert page.locator("#site-map path.cw-site").count() == 1
    page.screenshot(path=str(SCREENSHOT_DIR / "site.png"), full_page=True)
    assert errors == []
    assert outside == []


def test_registry_map_of_street_handler(browser: Any, live_server: Any, users: Any, sites: Any) -> None:
    page, errors, outside = open_page(browser, live_server, "west_handler", PHONE)
    page.goto(f"{live_server.url}/sites/")
    site_map = wait_for_map(page)
    assert site_map.get_attribute("data-site-count") == "2"
    assert site_map.get_attribute("data-boundary-count") == "1"
    assert "东门老旧小区" not in page.content()
    # nothing wider than the phone's screen
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(SCREENSHOT_DIR / "map-phone.png"), full_page=True)
    assert errors == [] and outside == []


def test_pages_render_without_script_errors(
    browser: Any,
    live_server: Any,
    users: Any,
    sites: Any,
    standard: Any,  # noqa: F811
) -> None:
    page, errors, outside = open_page(browser, live_server, "coord")
    page.screenshot(path=str(SCREENSHOT_DIR / "home.png"), full_page=True)
    for path, shot in (("/org/", "tree"), ("/sites/new/", "site-form"), ("/standards/", "standards")):
        page.goto(f"{live_server.url}{path}")
        page.screenshot(path=str(SCREENSHOT_DIR / f"{shot}.png"), full_page=True)
    page.goto(f"{live_server.url}/standards/{standard.pk}/")
    page.screenshot(path=str(SCREENSHOT_DIR / "standard.png"), full_page=True)
    page.goto(f"{live_server.url}/org/")
    page.click("#unit-tree a:text('西湖街道')")
    page.wait_for_selector("#unit-map[data-state=ready]", timeout=15000)
    assert page.locator("#unit-map").get_attribute("data-boundary-count") == "1"
    assert page.locator("#unit-map path.cw-site").count() == 2
    page.goto(f"{live_server.url}/api/v1/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=15000)
    assert errors == [] and outside == []
