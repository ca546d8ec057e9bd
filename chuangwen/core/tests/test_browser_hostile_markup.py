"""Script injection, in a real browser: every text a person can write holds markup that would set
``window.__pwned``; every role opens every page it has, hovers the map markers and opens their popups.

Nothing may run (``window.__pwned`` unset, no dialog), the Content-Security-Policy must refuse nothing (no
``securitypolicyviolation`` event: the pages themselves need no inline script or style) and no page may
throw. The first wall (text is inserted as text) is proven on its own with the policy switched off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone

from chuangwen.core.tests.hostile_world import SHORT
from conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

# Installed before any page script: what the policy refused, and whether a payload ran.
GUARD = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__violations.push(`${e.effectiveDirective} ${e.blockedURI} ${where} ${e.sample}`);
});
"""
MAP_SELECTOR = ".cw-map[data-map], #heat-map"
MARKERS = "path.cw-site, path.cw-heat-point, path.cw-heat-cell"
HOVERS_PER_MAP = 4


@dataclass
class Visitor:
    """One signed-in browser context and what went wrong in it."""

    role: str
    page: Any
    problems: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    documents: set[str] = field(default_factory=set)  # the pages opened (their own status is no error)
    shown: int = 0  # pages that showed a payload as text


def console_error(seen: Visitor, message: Any) -> None:
    """Console errors, except the browser's note on the status of the page itself (a role's 403 or 404 page)
    and of the favicon that Django's plain 404 page makes the browser look for."""
    if message.type != "error":
        return
    url = message.location.get("url", "")
    if message.text.startswith("Failed to load resource") and (
        url in seen.documents or url.endswith("/favicon.ico")
    ):
        return
    seen.errors.append(f"{seen.page.url}: {message.text} ({message.location.get('url')})")


def visitor(browser: Any, live_server: Any, username: str | None, phone: bool = False) -> Visitor:
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 390, "height": 844} if phone else {"width": 1366, "height": 900},
        geolocation={"latitude": 30.0504, "longitude": 120.0202, "accuracy": 12},
        permissions=["geolocation"],
    )
    context.add_init_script(GUARD)
    # The browser's clock reads the server's (travelled) time: the phone app compares them.
    context.clock.install(time=timezone.now())
    page = context.new_page()
    page.set_default_timeout(15_000)
    seen = Visitor(username or "anonymous", page)

    def on_dialog(dialog: Any) -> None:
        seen.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: seen.errors.append(f"{page.url}: {error}"))
    page.on("console", lambda message: console_error(seen, message))
    if username:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{live_server.url}/**")
    return seen


def exercise_maps(page: Any) -> int:
    """Wait for each map's data, hover its first markers (tooltips) and open a marker's popup; the number of
    markers hovered."""
    used = 0
    for map_id in page.eval_on_selector_all(MAP_SELECTOR, "maps => maps.map(m => m.id)"):
        page.locator(f"#{map_id}[data-state=ready]").wait_for()
        markers = page.locator(f"#{map_id}").locator(MARKERS)
        for n in range(min(markers.count(), HOVERS_PER_MAP)):
            markers.nth(n).hover(force=True)
            used += 1
        clickable = page.locator(f"#{map_id}").locator("path.cw-site, path.cw-heat-point")
        if clickable.count():
            page.mouse.move(0, 0)  # close the last tooltip, which may cover the marker
            clickable.first.click(force=True)
            page.locator(f"#{map_id} .leaflet-popup-content").wait_for(timeout=5000)
    return used


def exercise_charts(page: Any) -> None:
    """Hover the middle of each chart once its data is set (its tooltip names months, units, categories)."""
    for chart in page.locator(".cw-chart[data-chart]").all():
        chart.scroll_into_view_if_needed()
        kind = chart.get_attribute("data-chart")
        page.locator(f".cw-chart[data-chart={kind}][data-series-count]").first.wait_for(state="attached")
        box = chart.bounding_box()
        if box:
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def check(seen: Visitor, path: str) -> None:
    page = seen.page
    page.wait_for_timeout(50)  # let a payload's onerror/onload fire if it was ever parsed
    ran, violations, shown = page.evaluate(
        "() => [window.__pwned !== undefined, window.__violations,"
        " (document.body || document.documentElement).innerText.includes('__pwned')]"
    )
    if ran:
        seen.problems.append(f"{seen.role} {path}: a payload ran")
    seen.problems += [f"{seen.role} {path}: CSP refused {violation}" for violation in violations]
    seen.shown += int(shown)  # the payload is on the page, as text


def open_page(seen: Visitor, live_server: Any, path: str) -> None:
    page = seen.page
    seen.documents.add(f"{live_server.url}{path}")
    response = page.goto(f"{live_server.url}{path}", wait_until="load")
    if response is not None and response.status >= 500:
        seen.problems.append(f"{seen.role} {path}: HTTP {response.status}")
    exercise_maps(page)
    exercise_charts(page)
    check(seen, path)


def nav_links(seen: Visitor) -> list[str]:
    hrefs = seen.page.eval_on_selector_all(
        ".cw-nav a[href]", "links => links.map(a => a.getAttribute('href'))"
    )
    return [href for href in hrefs if href.startswith("/")]


def finish(seen: Visitor, least_shown: int = 1) -> list[str]:
    problems = [*seen.problems, *(f"{seen.role}: dialog {d}" for d in seen.dialogs)]
    if seen.shown < least_shown:  # the walk must really have met the hostile texts
        problems.append(f"{seen.role}: only {seen.shown} pages showed a payload")
    problems += [f"{seen.role}: {e}" for e in seen.errors]
    seen.page.context.close()
    return problems


def staff_pages(w: dict[str, Any], org: dict[str, Any], sites: dict[str, Any]) -> dict[str, list[str]]:
    """The detail pages of the hostile objects, by role (the nav links are walked on top of these)."""
    cases, reports, west = w["cases"], w["reports"], org["west"].pk
    road, visit = sites["west_road"].pk, w["visits"]["west_road"].pk
    case_pages = [f"/cases/{c.pk}/" for c in (*cases.values(), w["hotline"], reports["web"][0].case)]
    overseer = [
        "/cases/map/", "/cases/board/", "/cases/disputes/", f"/org/{west}/", f"/sites/{road}/",
        f"/rounds/{w['published'].pk}/", f"/rounds/{w['running'].pk}/", f"/visits/round/{w['published'].pk}/",
        f"/visits/{visit}/", "/dashboards/screen/", f"/dashboards/unit/{west}/", f"/dashboards/site/{road}/",
        "/dashboards/heatmap/", f"/reports/triage/{reports['web'][2].pk}/",
        f"/reports/triage/{reports['open311'].pk}/", f"/rankings/{w['ranking'].pk}/",
        f"/rankings/{w['ranking'].pk}/unit/{west}/", f"/rankings/unit/{west}/act/",
        f"/standards/{w['standard'].pk}/", "/inbox/", *case_pages,
    ]  # fmt: skip
    return {
        "coord": [*overseer, "/cases/hotline/", "/api/v1/docs"],
        "leader": overseer,
        "admin": [
            "/admin/",
            "/admin/accounts/user/",
            "/admin/core/cspreport/",
            "/admin/sites/site/",
            "/inbox/",
        ],
        "verifier": [*case_pages, f"/sites/{road}/", "/inbox/"],
        "west_head": [
            *case_pages,
            f"/sites/{road}/",
            f"/org/{west}/",
            f"/rankings/unit/{west}/act/",
            "/inbox/",
        ],
        "west_handler": [*case_pages, f"/sites/{road}/", "/inbox/"],
        "inspector": ["/rounds/", "/inbox/"],
    }


def walk_phone_app(seen: Visitor, live_server: Any, w: dict[str, Any], sites: dict[str, Any]) -> None:
    page = seen.page
    page.goto(f"{live_server.url}/m/")
    page.wait_for_selector("#app[data-view=today][data-state=ready] .m-site")
    assert SHORT in page.locator(".m-round").first.inner_text()  # the team's name, shown as text
    check(seen, "/m/")
    page.goto(f"{live_server.url}/m/#/r/{w['running'].pk}/s/{sites['west_road'].pk}")
    page.wait_for_selector(".m-item")
    assert "onerror" in page.locator(".m-item__text").first.inner_text()
    check(seen, "/m/ visit")


def walk_public(browser: Any, live_server: Any, w: dict[str, Any]) -> list[str]:
    seen = visitor(browser, live_server, None, phone=True)
    reports = w["reports"]
    paths = ["/s/", *(f"/s/t/{r.tracking_code}/" for r in (*reports["web"], reports["open311"]))]
    paths += ["/open311/v2/services.json", "/open311/v2/requests.json"]
    paths += [
        f"/open311/v2/requests/{reports['open311'].pk}.json",
        f"/rounds/verify/{w['published'].public_id}/",
    ]
    for path in paths:
        seen.page.goto(f"{live_server.url}{path}")
        check(seen, path)
    return finish(seen, least_shown=len(paths) - 1)


def test_it_runs_no_hostile_markup_for_any_role(
    browser: Any, live_server: Any, hostile_world: dict[str, Any], org: Any, sites: Any
) -> None:
    extra = staff_pages(hostile_world, org, sites)
    problems: list[str] = []
    for username, pages in extra.items():
        seen = visitor(browser, live_server, username)
        paths = list(dict.fromkeys([*nav_links(seen), *pages]))
        for path in paths:
            open_page(seen, live_server, path)
        if username == "inspector":
            walk_phone_app(seen, live_server, hostile_world, sites)
        problems += finish(seen, least_shown=len(paths) // 2)
    problems += walk_public(browser, live_server, hostile_world)
    assert not problems, "\n".join(problems)


def test_it_escapes_names_in_map_tooltips_and_popups(
    browser: Any, live_server: Any, hostile_world: dict[str, Any], org: Any, sites: Any, settings: Any
) -> None:
    """The first wall alone: with no Content-Security-Policy at all, names in tooltips and popups are text."""
    settings.CONTENT_SECURITY_POLICY = None
    seen = visitor(browser, live_server, "coord")
    road = sites["west_road"].pk
    for path in (
        "/sites/",
        "/cases/map/",
        "/dashboards/heatmap/",
        f"/sites/{road}/",
        f"/org/{org['west'].pk}/",
    ):
        response = seen.page.goto(f"{live_server.url}{path}")
        assert response is not None and "Content-Security-Policy" not in response.headers
        assert exercise_maps(seen.page) > 0, path
        shown = seen.page.locator(".leaflet-tooltip, .leaflet-popup-content").all_inner_texts()
        assert any("onerror" in text for text in shown), (path, shown)  # the markup is shown, as text
        check(seen, path)
    assert finish(seen) == []
