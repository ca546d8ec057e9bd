"""In a real browser, what users saw on the first day of work:

- a coordinator accepts a round's visits without problems in one click from the round's visit list (the others
  stay to review) and walks the visits waiting for review with 上一条 / 下一条 on the visit page;
- the new-round form lists its errors at the top as well as beside the fields, and prefills the declared-site
  cap with the active standard's share;
- on the ranking preview a street without any counted visit comes after the ranked ones, without a rank,
  marked 样本不足;
- a unit head chooses per kind of notice between 即时通知 and 并入每日汇总, sees the choice kept after a
  reload, and a dispatch to the unit then reaches the handler's inbox at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from chuangwen.rounds.tests.visit_fixtures import done_payload, make_photo
from conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

# Wednesday 2 December 2026, a working day inside visit_round's period (1–5 December).
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


def sign_in(browser: Any, live_server: Any, username: str) -> tuple[Any, list[str]]:
    """A fresh Chinese page signed in through the login form, and the list its console errors and page
    errors go to."""
    page = browser.new_context(locale="zh-CN").new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    page.on("console", lambda msg: problems.append(f"console: {msg.text}") if msg.type == "error" else None)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page, problems


def row_texts(page: Any, selector: str) -> list[str]:
    rows = page.locator(selector)
    return [" ".join(rows.nth(i).inner_text().split()) for i in range(rows.count())]


# --- 1. visit review ----------------------------------------------------------------------------------------


@pytest.fixture
def three(users: Any, sites: Any, visit_round: Any) -> dict[str, Any]:
    """Three submitted visits, received in this order: 西湖大道 clean, 柳浪农贸市场 with a problem
    photographed, 东门老旧小区 with one check item left unjudged."""
    from chuangwen.rounds.models import Judgement
    from chuangwen.rounds.visits import submit_visit

    inspector = users["inspector"]
    clean, _ = submit_visit(done_payload(visit_round, sites["west_road"]), inspector)
    failing = done_payload(visit_round, sites["west_market"])
    failing["judgements"][0].update(
        result="not_conforming", count=1, photo_ids=[str(make_photo(inspector).client_id)]
    )
    found, _ = submit_visit(failing, inspector)
    partial, _ = submit_visit(done_payload(visit_round, sites["east_estate"]), inspector)
    Judgement.objects.filter(visit=partial).order_by("pk").first().delete()  # type: ignore[union-attr]
    return {"clean": clean, "found": found, "partial": partial}


def test_it_accepts_the_visits_without_problems_in_one_click_from_the_round_page(
    browser: Any, live_server: Any, users: Any, visit_round: Any, three: dict[str, Any]
) -> None:
    page, problems = sign_in(browser, live_server, "coord")
    page.goto(f"{live_server.url}/rounds/{visit_round.pk}/")
    page.click("#round-visits-link")
    page.wait_for_url(f"{live_server.url}/visits/round/{visit_round.pk}/")
    # Newest first; all three wait for review.
    assert row_texts(page, "#visit-table tbody tr td:first-child") == [
        "P0003 东门老旧小区",
        "P0002 柳浪农贸市场",
        "P0001 西湖大道",
    ]
    assert row_texts(page, "#visit-table tbody tr td:last-child") == ["待审核", "待审核", "待审核"]
    button = page.locator("#accept-clean button")
    assert button.inner_text() == "一键采纳 1 条无问题的测评" and button.is_enabled()

    button.click()
    page.wait_for_selector(".cw-messages")
    assert "已采纳 1 条无问题的测评" in page.inner_text(".cw-messages")
    # Only the clean one is accepted; the one with a problem and the unfinished one stay to review.
    assert row_texts(page, "#visit-table tbody tr td:last-child") == ["待审核", "待审核", "已采纳"]
    assert "已采纳（1）" in page.inner_text(".cw-visit-filters")
    assert "待审核（2）" in page.inner_text(".cw-visit-filters")
    button = page.locator("#accept-clean button")
    assert button.inner_text() == "一键采纳 0 条无问题的测评" and button.is_disabled()

    # What is left to review: the two, walked with 下一条 / 上一条; the accepted visit is not on the way.
    page.click(".cw-visit-filters >> text=待审核（2）")
    page.wait_for_url(f"{live_server.url}/visits/round/{visit_round.pk}/?status=submitted")
    assert row_texts(page, "#visit-table tbody tr td:first-child") == [
        "P0003 东门老旧小区",
        "P0002 柳浪农贸市场",
    ]
    page.click("#visit-table tbody tr:first-child a")
    page.wait_for_url(f"{live_server.url}/visits/{three['partial'].pk}/?status=submitted")
    assert "东门老旧小区" in page.inner_text("h1")
    assert page.locator("#visit-previous").count() == 0
    page.click("#visit-next")
    page.wait_for_url(f"{live_server.url}/visits/{three['found'].pk}/?status=submitted")
    assert "柳浪农贸市场" in page.inner_text("h1") and "待审核" in page.inner_text("#visit-status")
    assert page.locator("#visit-next").count() == 0
    assert page.inner_text("#visit-previous") == "← 上一条：P0003"
    assert problems == []


def test_it_walks_the_rounds_visits_in_list_order_with_previous_and_next(
    browser: Any, live_server: Any, users: Any, visit_round: Any, three: dict[str, Any]
) -> None:
    page, problems = sign_in(browser, live_server, "coord")
    page.goto(f"{live_server.url}/visits/round/{visit_round.pk}/")
    with page.expect_navigation():
        page.click("#visit-table tbody tr:first-child a")
    seen = []
    while True:
        seen.append(page.inner_text("h1").split()[0])
        if page.locator("#visit-next").count() == 0:
            break
        with page.expect_navigation():
            page.click("#visit-next")
    assert seen == ["东门老旧小区", "柳浪农贸市场", "西湖大道"]
    assert page.url == f"{live_server.url}/visits/{three['clean'].pk}/"
    back = []
    while page.locator("#visit-previous").count():
        with page.expect_navigation():
            page.click("#visit-previous")
        back.append(page.inner_text("h1").split()[0])
    assert back == ["柳浪农贸市场", "东门老旧小区"]
    # 返回列表 takes the coordinator back to the list.
    page.click("#visit-pager >> text=返回列表")
    page.wait_for_url(f"{live_server.url}/visits/round/{visit_round.pk}/")
    assert problems == []


# --- 2. the new-round form ----------------------------------------------------------------------------------


def test_it_sums_up_the_new_round_forms_errors_at_the_top_and_prefills_the_standards_cap(
    browser: Any, live_server: Any, users: Any, standard: Any
) -> None:
    from chuangwen.rounds.models import Round
    from chuangwen.standards.services.versions import activate, derive_new_version, update_parameters

    page, problems = sign_in(browser, live_server, "coord")
    page.goto(f"{live_server.url}/rounds/new/")
    assert page.input_value("#id_declared_cap") == "0.3"  # the starter standard's max_declared_share
    assert page.locator("#form-errors").count() == 0

    # Sent without name and dates: the summary at the top names each field, and each field says it too.
    page.click("#round-form button[type=submit]")
    page.wait_for_selector("#form-errors")
    summary = page.locator("#form-errors")
    assert "有 3 处需要修改" in summary.inner_text()
    assert row_texts(page, "#form-errors li a") == ["批次名称", "开始日期", "结束日期"]
    assert summary.bounding_box()["y"] < page.locator("#id_name").bounding_box()["y"]
    for field in ("#id_name", "#id_period_start", "#id_period_end"):
        beside = page.locator(".cw-field", has=page.locator(field)).locator(".errorlist")
        assert beside.inner_text().strip() != "", field
    assert page.locator(".cw-field", has=page.locator("#id_kind")).locator(".errorlist").count() == 0
    assert page.input_value("#id_declared_cap") == "0.3"  # still there after the failed send

    # Basics right but a looser cap than the standard allows: the rule's message, at the top and beside.
    page.fill("#id_name", "12月第二轮暗访")
    page.fill("#id_period_start", "2026-12-07")
    page.fill("#id_period_end", "2026-12-11")
    page.fill("#id_quota_ZD", "2")
    page.fill("#id_declared_cap", "0.5")
    page.click("#round-form button[type=submit]")
    page.wait_for_selector("#form-errors >> text=申报点位占比上限")
    assert "有 1 处需要修改" in page.inner_text("#form-errors")
    assert "不能超过测评标准规定的 0.3" in page.inner_text("#form-errors")
    beside = page.locator(".cw-field", has=page.locator("#id_declared_cap")).locator(".errorlist")
    assert "不能超过测评标准规定的 0.3" in beside.inner_text()
    assert page.input_value("#id_name") == "12月第二轮暗访"
    assert not Round.objects.exists()

    # The office activates a new version whose share is 0.25: a new form starts from that.
    newer = derive_new_version(standard)
    update_parameters(newer, {"max_declared_share": 0.25})
    activate(newer)
    page.goto(f"{live_server.url}/rounds/new/")
    assert page.input_value("#id_declared_cap") == "0.25"
    assert problems == []


# --- 3. rankings --------------------------------------------------------------------------------------------


def test_it_lists_a_street_without_counted_visits_after_the_ranked_ones_marked_sample_too_small(
    browser: Any, live_server: Any, org: Any, users: Any, sites: Any, standard: Any
) -> None:
    from chuangwen.cases.tests.case_fixtures import make_case
    from chuangwen.rankings.tests.page_fixtures import make_visit
    from chuangwen.rounds.models import Round

    round_ = Round.objects.create(
        name="12月暗访",
        kind="unannounced",
        standard=standard,
        owner_unit=org["district"],
        target_unit=org["district"],
        period_start=NOW.date().replace(day=1),
        period_end=NOW.date(),
        status="published",
        created_by=users["coordinator"],
        published_at=NOW - timedelta(hours=1),
    )
    # Only 东门老旧小区 (east) was visited, and it scored poorly. 西湖街道 (west) was never visited but closed
    # its one case on time: by its cases alone (and by its code, S01) it would come first.
    make_visit(round_, sites["east_estate"], users["inspector"], 70, NOW - timedelta(hours=2))
    make_case("closed", org["west"], area=org["west_c"], deadline=NOW, closed_at=NOW - timedelta(hours=3))

    page, problems = sign_in(browser, live_server, "coord")
    page.goto(f"{live_server.url}/rankings/")
    page.click("text=计算与发布")
    page.wait_for_url(f"{live_server.url}/rankings/compute/")
    for period_label in ("2026年12月", "12月暗访（暗访）"):
        for level_label, ranked, unranked in (
            ("街道", "东城街道", "西湖街道"),
            ("社区", "东门社区", "柳浪社区"),
        ):
            page.select_option("#id_period", label=period_label)
            page.select_option("#id_level", label=level_label)
            with page.expect_navigation():
                page.click("#compute-form button[type=submit]")
            rows = page.locator("#preview-table tbody tr")
            assert rows.count() == 2, (period_label, level_label)
            first, second = rows.nth(0).locator("td"), rows.nth(1).locator("td")
            assert (first.nth(0).inner_text(), first.nth(1).inner_text()) == ("1", ranked)
            assert first.nth(2).inner_text() != "—"
            assert second.nth(1).inner_text() == unranked
            assert second.nth(0).inner_text().startswith("样本不足"), (period_label, level_label)
            assert second.nth(2).inner_text() == "—"  # no composite index either
            assert rows.nth(1).get_attribute("data-rank") == ""
    assert problems == []


# --- 4. notice preferences ----------------------------------------------------------------------------------


def test_it_keeps_a_unit_heads_notice_choices_and_tells_the_handler_of_a_dispatch_at_once(
    browser: Any, live_server: Any, org: Any, users: Any
) -> None:
    from chuangwen.cases import services
    from chuangwen.cases.tests.case_fixtures import make_case
    from chuangwen.notify.preferences import set_mode

    set_mode(org["west"], "case.dispatch", "digest")  # chosen earlier: dispatches held for the digest

    page, problems = sign_in(browser, live_server, "west_head")
    page.click("#main >> text=通知方式")
    page.wait_for_url(f"{live_server.url}/inbox/preferences/")
    assert "西湖街道" in page.inner_text(".cw-page-head")
    legends = row_texts(page, "#notice-preferences fieldset legend")
    assert legends == ["新案卷派到本单位", "整改完成待核查", "测评批次的点位全部提交"]

    def chosen(kind: str) -> str:
        box = page.locator(f"fieldset[data-kind={kind}] input:checked")
        return " ".join(box.locator("xpath=..").inner_text().split())

    assert [chosen(k) for k in ("case_dispatch", "case_rectified", "round_visits_in")] == [
        "并入每日汇总",
        "即时通知",
        "即时通知",
    ]
    page.locator("fieldset[data-kind=case_dispatch]").get_by_label("即时通知").check()
    page.locator("fieldset[data-kind=case_rectified]").get_by_label("并入每日汇总").check()
    page.locator("fieldset[data-kind=round_visits_in]").get_by_label("并入每日汇总").check()
    page.click("#notice-preferences button[type=submit]")
    page.wait_for_selector(".cw-messages")
    assert "已保存西湖街道的通知方式" in page.inner_text(".cw-messages")

    page.reload()
    page.wait_for_selector("#notice-preferences")
    assert [chosen(k) for k in ("case_dispatch", "case_rectified", "round_visits_in")] == [
        "即时通知",
        "并入每日汇总",
        "并入每日汇总",
    ]

    # The office dispatches a citizen's report to the street: its handler has it in the inbox at once.
    case = make_case("new", None, area=org["west_c"])
    services.apply(case, "triage_accept", users["coordinator"], unit=org["west"])
    handler, handler_problems = sign_in(browser, live_server, "west_handler")
    assert handler.inner_text("#nav-inbox-unread") == "1"
    handler.click("#nav-inbox")
    handler.wait_for_url(f"{live_server.url}/inbox/")
    (notice,) = row_texts(handler, "#inbox .cw-inbox-item strong")
    assert notice.endswith(f"新案卷派到本单位：{case.code}") and notice.startswith("未读")
    handler.click("#inbox .cw-inbox-item button")
    handler.wait_for_url(f"{live_server.url}/cases/{case.pk}/")
    assert case.code in handler.content()
    assert problems == [] and handler_problems == []
