"""The login with a second factor in a real browser: enrolment QR code, code entry, timeout message."""

import os
from pathlib import Path

import pyotp
import pytest

from chuangwen.accounts.models import User
from conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOT_DIR = Path(os.environ.get("CHUANGWEN_VAR_DIR", "/tmp"))


def test_it_enrols_a_coordinator_and_then_asks_for_codes(browser, live_server, org, settings):
    settings.REQUIRE_2FA_ROLES = ["coordinator"]
    make_user("coord", "coordinator", org["district"])
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "coord")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/accounts/totp/**")
    assert page.locator(".cw-qr svg").is_visible()
    box = page.locator(".cw-qr svg").bounding_box()
    assert box["width"] > 100 and box["height"] > 100
    page.screenshot(path=str(SCREENSHOT_DIR / "totp-enrol.png"), full_page=True)
    secret = page.locator("[data-testid=totp-secret]").inner_text().strip()
    assert secret == User.objects.get(username="coord").totp_secret
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert User.objects.get(username="coord").totp_enabled
    page.close()


def test_it_tells_the_user_why_the_session_ended(browser, live_server, org, settings):
    from importlib import import_module

    from chuangwen.accounts.middleware import SESSION_SEEN

    make_user("west_handler", "handler", org["west"])
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "west_handler")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    # Age the session on the server instead of waiting for the idle timeout.
    key = next(c["value"] for c in context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)
    session[SESSION_SEEN] = session[SESSION_SEEN] - settings.SESSION_IDLE_SECONDS - 10
    session.save()
    page.goto(f"{live_server.url}/")
    page.wait_for_url(f"{live_server.url}/accounts/login/**")
    assert page.locator("[data-testid=session-expired]").inner_text() == "会话已超时，请重新登录"
    page.screenshot(path=str(SCREENSHOT_DIR / "session-expired.png"), full_page=True)
    context.close()
