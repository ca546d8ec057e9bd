"""One monthly bulletin through the pages in a real browser: the coordinator drafts it from the monthly
template, edits the opening and picks a typical problem, and submits it; the second coordinator approves,
the leader signs, the coordinator issues. The east street's head sees it unread in the list, opens it (the
office sees the read receipt) and reports the rectification; the coordinator sees 已报待审 and accepts it.
No page throws and the console stays free of errors (a Content-Security-Policy refusal would show there)."""

from __future__ import annotations

from typing import Any

import pytest

from chuangwen.bulletins.models import Bulletin, BulletinState, Recipient, ReplyState
from chuangwen.core.tests.test_browser_map import SCREENSHOT_DIR
from conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(browser: Any, live_server: Any, username: str, problems: list[str]) -> Any:
    page = browser.new_context(locale="zh-CN").new_page()
    page.set_default_timeout(20_000)
    page.on("pageerror", lambda error: problems.append(f"{username} pageerror: {error}"))
    page.on(
        "console", lambda m: problems.append(f"{username} console: {m.text}") if m.type == "error" else None
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


def step(page: Any, url: str, action: str) -> None:
    """Press one workflow button on the bulletin's page and wait for the confirmation."""
    page.goto(url)
    page.click(f"#workflow form[data-action={action}] button[type=submit]")
    page.wait_for_selector(".cw-message--success")


def test_it_takes_a_bulletin_from_draft_to_an_accepted_report(
    browser: Any, live_server: Any, bulletin_world: dict[str, Any], users: dict[str, Any], org: Any
) -> None:
    make_user("east_head", "unit_head", org["east"])
    problems: list[str] = []
    coordinator = sign_in(browser, live_server, "coord", problems)
    coordinator.click("nav.cw-nav >> text=通报")
    coordinator.click("#new-bulletin")
    coordinator.select_option("#id_template", str(bulletin_world["monthly"].pk))
    coordinator.select_option("#id_ranking", str(bulletin_world["ranking"].pk))
    coordinator.click("#new-form button[type=submit]")
    coordinator.wait_for_selector("#edit-form")
    coordinator.fill("#wording_opening", "三月份全区测评情况通报如下。")
    road = bulletin_world["findings"][bulletin_world["road"].pk]
    coordinator.check(f"#typical_{road.pk}")
    coordinator.fill(f"input[name=caption_{road.pk}]", "路面坑洼积水")
    coordinator.click("#save-draft")
    coordinator.wait_for_selector("#bulletin-body")
    assert "三月份全区测评情况通报如下。" in coordinator.inner_text("#wording-opening")
    assert "路面坑洼积水" in coordinator.inner_text("[data-section=typical]")
    bulletin = Bulletin.objects.get()
    detail = f"{live_server.url}/bulletins/{bulletin.pk}/"
    step(coordinator, detail, "submit")

    step(sign_in(browser, live_server, "coord2", problems), detail, "approve")
    step(sign_in(browser, live_server, "leader", problems), detail, "sign")
    step(coordinator, detail, "issue")
    assert coordinator.inner_text("#document-number").endswith("〔2026〕1号")
    assert Bulletin.objects.get().state == BulletinState.ISSUED

    head = sign_in(browser, live_server, "east_head", problems)
    head.goto(f"{live_server.url}/bulletins/")
    row = head.locator(f"#received tr[data-bulletin='{bulletin.pk}']")
    assert row.get_attribute("data-read") == "no" and "未读" in row.inner_text()
    row.locator("a").click()
    head.wait_for_selector("#reply-form")
    coordinator.goto(detail)
    east = coordinator.locator(f"#recipients tr[data-recipient='{org['east'].pk}']")
    assert east.locator("[data-read]").get_attribute("data-read") == "yes"

    head.fill("#reply-text", "已修复破损路面，清理积水，并建立每日巡查制度。")
    head.click("#reply-form button[type=submit]")
    head.wait_for_selector(".cw-message--success")
    coordinator.goto(detail)
    assert east.locator("[data-reply]").inner_text() == "已报待审"
    coordinator.screenshot(path=str(SCREENSHOT_DIR / "bulletin-detail.png"), full_page=True)
    assert "建立每日巡查制度" in east.inner_text()
    east.locator("button[value=accept]").click()
    coordinator.wait_for_selector(".cw-message--success")
    assert east.locator("[data-reply]").inner_text() == "已认可"
    assert Recipient.objects.get(bulletin=bulletin, unit=org["east"]).reply_state == ReplyState.ACCEPTED
    assert problems == []
