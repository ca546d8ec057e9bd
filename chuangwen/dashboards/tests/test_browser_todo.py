"""In a real browser: a handler clicks a 待办 number on the home page and sees as many cases in the list."""

from __future__ import annotations

from typing import Any

import pytest

from chuangwen.cases.tests.case_fixtures import make_case
from conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_takes_a_handler_from_the_count_to_as_many_rows(
    browser: Any, live_server: Any, org: Any, users: Any
) -> None:
    # No deadlines: nothing here depends on the clock.
    for _n in range(3):
        make_case("dispatched", org["east"], area=org["east_c"])
    make_case("accepted", org["east"], area=org["east_c"])
    make_case("dispatched", org["west"], area=org["west_c"])  # another street: not his
    page = browser.new_context(locale="zh-CN").new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "east_handler")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    link = page.locator('[data-todo="dispatched"] a')
    shown = int(link.locator("[data-count]").inner_text())
    assert shown == 3
    link.click()
    page.wait_for_url(f"{live_server.url}/cases/?state=dispatched")
    assert page.locator("#case-table tbody tr").count() == shown
    assert page.locator("#id_state").input_value() == "dispatched"
