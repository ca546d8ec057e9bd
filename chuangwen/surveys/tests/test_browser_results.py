"""The results and trend pages in a real browser under the Content-Security-Policy: the trend chart draws
(one line per measure for the office and, dashed, for the street), the results table shows the rates, and the
console stays free of errors (a refused inline script or style would show there)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine

from chuangwen.core.tests.test_browser_map import DESKTOP, SCREENSHOT_DIR
from chuangwen.surveys.tests.fixtures import SURVEY_NOW
from chuangwen.surveys.tests.published import fill, published, small_wave
from conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

DREW = """(el) => {
  const chart = window.echarts.getInstanceByDom(el);
  const canvas = el.querySelector("canvas");
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) painted++; }
  return {series: chart.getOption().series.length, painted: painted};
}"""


def test_it_draws_the_trend_and_shows_the_results(
    browser: Any,
    live_server: Any,
    org: Any,
    survey_people: Any,
    survey_questionnaire: Any,
    survey_clock: None,
) -> None:
    coordinator = survey_people["coordinator"]
    autumn = small_wave(
        org, survey_people, survey_questionnaire, "秋季问卷", (date(2026, 11, 1), date(2026, 12, 31))
    )
    fill(autumn, west_support=("yes", "yes", "no", "no"))
    published(autumn, coordinator)
    with time_machine.travel(SURVEY_NOW + timedelta(days=2), tick=True):
        december = small_wave(org, survey_people, survey_questionnaire, "12 月问卷")
        fill(december)
        published(december, coordinator)

    problems: list[str] = []
    page = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "west_head")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("#home-survey [data-measure=support] [data-rate]").inner_text() == "100.0%"

    page.goto(f"{live_server.url}/surveys/results/trend/")
    chart = page.locator("[data-trend-chart]")
    page.wait_for_selector("[data-trend-chart][data-state=ready]", timeout=15000)
    drew = chart.evaluate(DREW)
    assert drew["series"] == 8 and drew["painted"] > 1000  # four measures × (district, street)
    page.screenshot(path=str(SCREENSHOT_DIR / "survey-trend.png"), full_page=True)

    page.click(f"a[href='/surveys/waves/{december.pk}/results/']")
    page.wait_for_selector("#measure-table")
    west = page.locator(f"#measure-table tr[data-unit='{org['west'].pk}'] td[data-measure=support]")
    assert "100.0%" in west.inner_text() and "高于总体" in west.inner_text()
    page.screenshot(path=str(SCREENSHOT_DIR / "survey-results.png"), full_page=True)
    page.select_option("#id_unit", str(org["west_c"].pk))
    page.click("#indicator-unit button[type=submit]")
    page.wait_for_selector(f"#indicator-table th[data-focus='{org['west_c'].pk}']")
    assert problems == []
