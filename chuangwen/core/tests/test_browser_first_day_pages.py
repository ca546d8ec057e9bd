"""In a real browser, what users saw on the first day on the accounts and core pages:

- a handler who opens a case of another street, or an address that does not exist, gets the Chinese 404 page
  inside the site's frame (header and navigation), with a link back to the home page and without the address
  echoed; a page his role may not use (creating a round) gets the Chinese 403 page saying why, in the frame;
- on 「API 令牌」 a user issues a named token with a chosen lifetime and sees the key once (not on the next
  visit); the key opens the API until the user revokes it on the page, then the API answers 401; an
  administrator revokes another user's token from the list of everyone's tokens;
- the standard's page says the site-score formula in Chinese words, never as the raw expression;
- the coordinator's home page offers 大屏 and 问题热力图 as links of their own, without a stray 「（」,
  「、」 or 「）」 around them.

No page throws and the console stays free of errors (except the browser's note on the status of a page opened
on purpose to get its 403 or 404).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from chuangwen.cases.tests.case_fixtures import make_case
from conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

# Friday 20 November 2026, morning: tokens issued now expire days later at the same hour.
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
FORMULA = "max(0, 100 - sum(min(cap, deduct * count)))"
FORMULA_WORDS = (
    "满分 100 分；每个测评项目扣“单次扣分 × 问题次数”，但不超过该项目的扣分上限；"
    "各项目扣分相加后从 100 分中减去，最低 0 分。"
)


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    """Sign-in, issue and expiry all inside one fixed, ticking clock."""
    with time_machine.travel(NOW, tick=True):
        yield


@dataclass
class Visitor:
    """One signed-in browser page, the console errors and page errors seen on it, and the addresses opened
    on purpose to get an error status (the browser notes that status in the console: no fault of the page)."""

    page: Any
    problems: list[str] = field(default_factory=list)
    error_documents: set[str] = field(default_factory=set)

    def on_console(self, message: Any) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "")
        if message.text.startswith("Failed to load resource") and url in self.error_documents:
            return
        self.problems.append(f"console: {message.text} ({url})")

    def open_refused(self, url: str) -> Any:
        """Open a page expected to answer with an error status; return the response."""
        self.error_documents.add(url)
        return self.page.goto(url)


def sign_in(browser: Any, live_server: Any, username: str) -> Visitor:
    page = browser.new_context(locale="zh-CN").new_page()
    page.set_default_timeout(15_000)
    seen = Visitor(page)
    page.on("pageerror", lambda error: seen.problems.append(f"pageerror: {error}"))
    page.on("console", seen.on_console)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return seen


def api_status(live_server: Any, key: str) -> int:
    """The status the live server's API answers a program calling it with this key."""
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/sites", headers={"Authorization": f"Token {key}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return int(response.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


def assert_framed_error(page: Any, heading: str) -> None:
    """The error page in Chinese inside the site's frame: brand, the signed-in user's menu, a way home."""
    assert page.locator("#cw-error-title").inner_text() == heading
    assert page.locator(".cw-top .cw-brand").inner_text().split() == ["创文", "文明城市创建管理平台"]
    nav = page.locator("nav.cw-nav")
    assert nav.is_visible()
    assert nav.get_by_role("link", name="首页").get_attribute("href") == "/"
    assert nav.get_by_role("link", name="案卷").is_visible()  # the handler's own menu, not a bare page
    home = page.locator(".cw-error").get_by_role("link", name="返回首页")
    assert home.get_attribute("href") == "/"
    assert page.locator(".cw-footer").count() == 1
    text = page.locator("body").inner_text()
    for english in ("Not Found", "Forbidden", "Page not found", "Server Error"):
        assert english not in text


# --- 1. error pages -----------------------------------------------------------------------------------------


def test_it_shows_a_handler_the_chinese_404_and_403_pages_in_the_frame(
    browser: Any, live_server: Any, org: Any, users: Any
) -> None:
    own = make_case("dispatched", org["east"], area=org["east_c"])
    other = make_case("dispatched", org["west"], area=org["west_c"])
    seen = sign_in(browser, live_server, "east_handler")
    page = seen.page

    # His own street's case opens: the address form is right, only the scope differs below.
    assert page.goto(f"{live_server.url}/cases/{own.pk}/").status == 200
    assert own.code in page.locator("main").inner_text()

    other_path = f"/cases/{other.pk}/"
    missing_path = "/no-such-page-7f3a/"
    for path in (other_path, missing_path):
        response = seen.open_refused(f"{live_server.url}{path}")
        assert response.status == 404
        assert page.title() == "页面不存在 · 文明城市创建管理平台"
        assert_framed_error(page, "找不到这个页面")
        assert "您访问的地址不存在" in page.locator(".cw-error").inner_text()
        assert path not in page.content()  # neither the address nor the case's number is echoed
        assert other.code not in page.content()

    # The way back works.
    page.locator(".cw-error").get_by_role("link", name="返回首页").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("h1").first.inner_text() == "您好，east_handler"

    # A coordinator's page: creating a round.
    response = seen.open_refused(f"{live_server.url}/rounds/new/")
    assert response.status == 403
    assert page.title() == "无权访问 · 文明城市创建管理平台"
    assert_framed_error(page, "您没有访问这个页面的权限")
    why = page.locator(".cw-error").inner_text()
    assert "只有文明办协调员可以创建测评批次。" in why
    assert "请联系本单位的创文联络员或系统管理员" in why
    assert page.locator(".cw-error").get_by_role("link", name="登录").count() == 0  # he is signed in
    assert page.locator(".cw-user__name").inner_text() == "east_handler"
    assert seen.problems == []


# --- 2. API tokens ------------------------------------------------------------------------------------------


def issue_in_page(page: Any, name: str, days: int) -> str:
    """Fill the token form as a user does; return the key the page shows."""
    page.get_by_label("名称").fill(name)
    page.get_by_label("有效天数").fill(str(days))
    page.get_by_role("button", name="申请令牌").click()
    shown = page.locator("#token-key")
    shown.wait_for()
    assert "新令牌（只显示这一次）" in shown.inner_text()
    return str(page.locator("#token-key code.cw-token-key").inner_text()).strip()


def token_row(page: Any, section: str, name: str) -> Any:
    return page.locator(f"{section} tbody tr").filter(has_text=name)


def cells(row: Any) -> list[str]:
    found = row.locator("td")
    return [" ".join(found.nth(i).inner_text().split()) for i in range(found.count())]


def test_it_issues_a_token_shows_it_once_and_revokes_it(browser: Any, live_server: Any, users: Any) -> None:
    seen = sign_in(browser, live_server, "west_handler")
    page = seen.page
    page.locator(".cw-user").get_by_role("link", name="API 令牌").click()
    page.wait_for_url(f"{live_server.url}/accounts/tokens/")
    assert page.locator("#my-tokens").inner_text().count("没有令牌。") == 1
    assert page.get_by_label("有效天数").input_value() == "90"  # API_TOKEN_DAYS, the longest allowed

    key = issue_in_page(page, "整改手机", 3)
    assert len(key) >= 20
    row = token_row(page, "#my-tokens", "整改手机")
    name, created, expires, used, state, _button = cells(row)
    assert (name, used, state) == ("整改手机", "—", "有效")
    assert created.startswith("2026-11-20 ")
    assert expires.startswith("2026-11-23 ")  # three days on

    assert api_status(live_server, key) == 200

    # The next visit of the page no longer shows the key; the token is listed, used just now.
    page.goto(f"{live_server.url}/accounts/tokens/")
    assert key not in page.content()
    assert page.locator("#token-key").count() == 0
    assert page.locator("#my-tokens tbody tr").count() == 1
    row = token_row(page, "#my-tokens", "整改手机")
    assert cells(row)[3].startswith("2026-11-20 ")  # 最近使用
    assert page.locator("#all-tokens").count() == 0  # a handler sees only his own

    row.get_by_role("button", name="吊销").click()
    page.wait_for_url(f"{live_server.url}/accounts/tokens/")
    assert "已吊销令牌“整改手机”。" in page.locator("main").inner_text()
    row = token_row(page, "#my-tokens", "整改手机")
    assert cells(row)[4] == "已吊销"
    assert row.get_by_role("button", name="吊销").count() == 0
    assert api_status(live_server, key) == 401
    assert seen.problems == []


def test_it_lets_an_admin_revoke_another_users_token_on_the_page(
    browser: Any, live_server: Any, users: Any
) -> None:
    handler = sign_in(browser, live_server, "west_handler")
    handler.page.goto(f"{live_server.url}/accounts/tokens/")
    key = issue_in_page(handler.page, "巡查平板", 7)
    assert api_status(live_server, key) == 200

    admin = sign_in(browser, live_server, "admin")
    page = admin.page
    page.goto(f"{live_server.url}/accounts/tokens/")
    assert page.locator("#all-tokens h2").inner_text() == "其他用户的有效令牌"
    assert key not in page.content()  # nobody else ever sees the key
    row = token_row(page, "#all-tokens", "巡查平板")
    assert cells(row)[:2] == ["west_handler（west_handler）", "巡查平板"]
    assert page.locator("#my-tokens").inner_text().count("没有令牌。") == 1

    row.get_by_role("button", name="吊销").click()
    page.wait_for_url(f"{live_server.url}/accounts/tokens/")
    assert "已吊销令牌“巡查平板”。" in page.locator("main").inner_text()
    assert token_row(page, "#all-tokens", "巡查平板").count() == 0  # only valid tokens are listed
    assert api_status(live_server, key) == 401

    # The owner sees it revoked on his own page.
    handler.page.goto(f"{live_server.url}/accounts/tokens/")
    assert cells(token_row(handler.page, "#my-tokens", "巡查平板"))[4] == "已吊销"
    assert handler.problems == [] and admin.problems == []


# --- 3. the standard's score formula in words -------------------------------------------------------------


def test_it_explains_the_site_score_formula_in_words(browser: Any, live_server: Any, users: Any) -> None:
    from chuangwen.standards.services import import_standard_yaml
    from chuangwen.standards.tests.conftest import STARTER

    standard = import_standard_yaml(STARTER.read_bytes())
    assert standard.site_score_formula == FORMULA  # the starter standard carries the raw expression
    seen = sign_in(browser, live_server, "inspector")
    page = seen.page
    page.locator("nav.cw-nav").get_by_role("link", name="测评体系").click()
    page.wait_for_url(f"{live_server.url}/standards/")
    page.locator("#standard-table").get_by_role("link", name=standard.name).click()
    page.wait_for_url(f"{live_server.url}/standards/{standard.pk}/")

    term = page.locator("dl.cw-dl dt", has_text="点位得分公式")
    explained = term.locator("xpath=following-sibling::dd[1]")
    assert explained.inner_text() == FORMULA_WORDS
    assert explained.locator("code").count() == 0
    html = page.content()
    for raw in (FORMULA, "max(0", "deduct * count", "min(cap"):
        assert raw not in html
    assert seen.problems == []


# --- 4. the coordinator's home page ------------------------------------------------------------------------


def test_it_gives_the_coordinator_the_big_screen_and_heat_map_without_stray_punctuation(
    browser: Any, live_server: Any, users: Any
) -> None:
    seen = sign_in(browser, live_server, "coord")
    page = seen.page
    card = page.locator("section.cw-card").filter(has=page.locator("h2", has_text="常用功能"))
    links = card.locator("ul.cw-links")
    screen = links.get_by_role("link", name="大屏", exact=True)
    heat = links.get_by_role("link", name="问题热力图", exact=True)
    assert screen.is_visible() and heat.is_visible()
    assert screen.get_attribute("href") == "/dashboards/screen/"
    assert heat.get_attribute("href") == "/dashboards/heatmap/"

    text = str(links.evaluate("(element) => element.textContent"))
    for stray in ("（", "、", "）"):
        assert stray not in text, text
    # Each is an item of its own, holding nothing but its link.
    for link in (screen, heat):
        item = link.locator("xpath=ancestor::li[1]")
        assert " ".join(item.inner_text().split()) == link.inner_text()

    screen.click()
    page.wait_for_url(f"{live_server.url}/dashboards/screen/")
    assert page.locator("h1").inner_text() == "文明区 · 文明城市创建数据大屏"
    page.go_back()
    page.wait_for_url(f"{live_server.url}/")
    page.locator("section.cw-card ul.cw-links").get_by_role("link", name="问题热力图", exact=True).click()
    page.wait_for_url(f"{live_server.url}/dashboards/heatmap/")
    assert page.locator("h1").inner_text() == "问题热力图"
    assert seen.problems == []
