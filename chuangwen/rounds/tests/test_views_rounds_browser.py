"""The round page in a real browser: the map shows the drawn sites over the target's boundary."""

from __future__ import annotations

from typing import Any

import pytest

from chuangwen.core.tests.test_browser_map import SCREENSHOT_DIR, open_page

pytestmark = pytest.mark.django_db(transaction=True)


def test_round_map_shows_the_sample(browser: Any, live_server: Any, users: Any, started_round: Any) -> None:
    page, errors, outside = open_page(browser, live_server, "coord")
    page.goto(f"{live_server.url}/rounds/{started_round.pk}/")
    page.wait_for_selector("#round-map[data-state=ready]", timeout=15000)
    site_map = page.locator("#round-map")
    assert site_map.get_attribute("data-site-count") == str(started_round.entries.count())
    assert site_map.get_attribute("data-boundary-count") == "1"
    page.screenshot(path=str(SCREENSHOT_DIR / "round.png"), full_page=True)
    assert errors == [] and outside == []
