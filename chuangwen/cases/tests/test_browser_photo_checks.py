"""In a real browser the case page's photo check state refreshes by itself: waiting while the worker has not
taken the task, then the result once it has run, without reloading the page (htmx polling, no inline script),
and the page fits a phone's width."""

from __future__ import annotations

from typing import Any

import pytest
from huey.contrib.djhuey import HUEY

from chuangwen.cases.models import PhotoCheck, PhotoCheckState
from chuangwen.cases.tasks import check_rectification_photos
from chuangwen.cases.tests.photo_fixtures import north_of
from conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(browser: Any, live_server: Any, username: str, **context: Any) -> Any:
    page = browser.new_context(locale="zh-CN", **context).new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


def test_it_refreshes_the_check_state_by_itself(people, west_case, upload, rectify, browser, live_server):
    photo = upload(people["west_handler"], "other", at=north_of(500))
    HUEY.immediate = False  # the worker has not taken the task yet
    try:
        event = rectify(west_case, people["west_handler"], [photo])
        assert PhotoCheck.objects.get(event=event).state == PhotoCheckState.PENDING
        page = sign_in(browser, live_server, "verifier")
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.goto(f"{live_server.url}/cases/{west_case.pk}/")
        photos = page.locator("#rectification-photos")
        assert "待检查" in photos.inner_text()
        assert "约 500 米" in photos.inner_text()  # where it was taken, before any check
        check_rectification_photos.call_local(event.pk)  # the worker runs it now
        page.wait_for_function(
            "() => document.querySelector('#rectification-photos [data-kind=far_from_site]') !== null",
            timeout=10_000,
        )
        assert "待检查" not in photos.inner_text()
        assert "发现 1 处疑点" in page.locator("#photo-flag-count").inner_text()
        assert not [text for text in errors if "Content Security Policy" in text]
    finally:
        HUEY.flush()
        HUEY.immediate = True


def test_it_fits_the_case_page_on_a_phone(people, west_case, browser, live_server):
    page = sign_in(browser, live_server, "west_handler", viewport={"width": 360, "height": 740})
    page.goto(f"{live_server.url}/cases/{west_case.pk}/")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    menu = page.locator("nav.cw-nav").evaluate("nav => nav.scrollWidth - nav.clientWidth")
    assert menu <= 1  # every menu item is on screen, none scrolled away
    assert page.get_by_role("link", name="API 令牌").is_visible()
    forms = page.locator("#case-actions form").evaluate_all("forms => forms.map(f => f.dataset.action)")
    assert forms[0] == "rectify"
