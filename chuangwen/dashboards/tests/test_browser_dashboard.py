"""The leader dashboard and its big screen in a real browser: the charts and the map really drew."""

from __future__ import annotations

from typing import Any

import pytest

from chuangwen.core.tests.test_browser_map import SCREENSHOT_DIR, open_page

pytestmark = pytest.mark.django_db(transaction=True)

# chart element → series it must have
CHARTS = {"chart-score": 2, "chart-cases": 2, "chart-categories": 1}
OPEN_CASES_WITH_POSITION = 4  # c1, c2, c3, c5 of world.py

DREW = """(id) => {
  const el = document.getElementById(id);
  const chart = window.echarts.getInstanceByDom(el);
  const canvas = el.querySelector("canvas");
  const ctx = canvas.getContext("2d");
  const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) painted++; }
  const series = chart.getOption().series.length;
  return {series: series, painted: painted, width: canvas.width, height: canvas.height};
}"""


def check_dashboard(page: Any) -> None:
    for chart_id, series in CHARTS.items():
        page.wait_for_selector(f"#{chart_id}[data-state=ready]", timeout=15000)
        drew = page.evaluate(DREW, chart_id)
        assert drew["series"] == series, chart_id
        assert drew["width"] > 100 and drew["height"] > 100, chart_id
        assert drew["painted"] > 1000, chart_id  # lines, bars, axes and labels, not an empty canvas
    page.wait_for_selector("#dash-map[data-state=ready]", timeout=15000)
    assert page.locator("#dash-map").get_attribute("data-site-count") == str(OPEN_CASES_WITH_POSITION)
    assert page.locator("#dash-map path.cw-site").count() == OPEN_CASES_WITH_POSITION
    assert page.locator("#dash-map path.cw-boundary").count() == 3  # district and its two streets


def test_it_draws_the_leader_dashboard_and_the_big_screen(
    browser: Any, live_server: Any, world: dict[str, Any]
) -> None:
    page, errors, outside = open_page(browser, live_server, "leader")
    page.click("nav.cw-nav a[href='/dashboards/']")
    page.wait_for_url(f"{live_server.url}/dashboards/")
    check_dashboard(page)
    assert page.locator("[data-figure=mean_score]").inner_text() == "86.67"
    page.screenshot(path=str(SCREENSHOT_DIR / "dashboard.png"), full_page=True)

    page.set_viewport_size({"width": 1920, "height": 1080})
    page.click("#open-screen")
    page.wait_for_url(f"{live_server.url}/dashboards/screen/")
    check_dashboard(page)
    assert page.evaluate("document.body.dataset.refreshSeconds") == "300"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(7, 18, 31)"  # the dark wall display
    assert page.evaluate("getComputedStyle(document.querySelector('.cw-figure__value')).fontSize") == "48px"
    page.wait_for_function("() => document.getElementById('screen-clock').textContent.length > 0")
    page.screenshot(path=str(SCREENSHOT_DIR / "dashboard-screen.png"), full_page=True)

    page.goto(f"{live_server.url}/dashboards/?screen=1")
    check_dashboard(page)
    assert errors == [] and outside == []


def test_it_draws_the_heat_map_and_a_unit_page(
    browser: Any, live_server: Any, world: dict[str, Any], org: Any
) -> None:
    page, errors, outside = open_page(browser, live_server, "coord")
    page.goto(f"{live_server.url}/dashboards/heatmap/")
    page.wait_for_selector("#heat-map[data-state=ready]", timeout=15000)
    assert page.locator("#heat-map").get_attribute("data-cell-count") == "3"
    assert page.locator("#heat-map path.cw-heat-cell").count() == 3
    assert page.locator("#heat-map path.cw-heat-point").count() == 8
    page.select_option("#id_category", "交通秩序")
    page.click("#heat-filters button[type=submit]")
    page.wait_for_selector("#heat-map[data-state=ready]", timeout=15000)
    assert page.locator("#heat-map path.cw-heat-point").count() == 2
    page.screenshot(path=str(SCREENSHOT_DIR / "heatmap.png"), full_page=True)

    page.goto(f"{live_server.url}/dashboards/unit/{org['west'].pk}/")
    for chart_id in ("chart-score", "chart-cases"):
        page.wait_for_selector(f"#{chart_id}[data-state=ready]", timeout=15000)
        assert page.evaluate(DREW, chart_id)["series"] == 2
    assert errors == [] and outside == []
