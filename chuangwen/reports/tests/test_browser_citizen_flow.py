"""The whole citizen flow in a phone-sized browser: report with a photo → tracking code → the
coordinator accepts on the triage page → the street rectifies → the verifier passes → the citizen
sees 已办结 and rates."""

from __future__ import annotations

from typing import Any

import pytest
from PIL import Image

from chuangwen.cases.models import CaseState
from chuangwen.reports.models import CitizenReport
from chuangwen.reports.tests.report_fixtures import WEST
from conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

PHONE_VIEWPORT = {"width": 390, "height": 844}


def jpeg(path: Any, colour: tuple[int, int, int]) -> str:
    Image.new("RGB", (640, 480), colour).save(path, "JPEG", quality=90)
    return str(path)


def sign_in(browser: Any, live_server: Any, username: str) -> Any:
    page = browser.new_context(locale="zh-CN").new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


def test_it_takes_a_citizen_report_from_the_phone_to_a_rating(
    browser, live_server, users, categories, tmp_path
):
    phone = browser.new_context(
        locale="zh-CN",
        viewport=PHONE_VIEWPORT,
        is_mobile=True,
        has_touch=True,
        geolocation={"latitude": WEST[0], "longitude": WEST[1], "accuracy": 12},
        permissions=["geolocation"],
    ).new_page()
    phone.goto(f"{live_server.url}/s/")
    phone.locator("label.sp-cat:has-text('垃圾堆放')").click()
    phone.locator("#photos").set_input_files(jpeg(tmp_path / "problem.jpg", (90, 90, 90)))
    phone.wait_for_selector("#photo-list img")
    phone.click("#locate")
    phone.wait_for_function("() => document.querySelector('input[name=lat]').value !== ''")
    assert "已获取位置" in phone.locator("#location-text").inner_text()
    phone.fill("#description", "柳浪社区门口垃圾堆放三天无人清理")
    phone.fill("#phone", "13812345678")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE_VIEWPORT["width"]
    phone.click("#submit")
    phone.wait_for_selector("#submitted")
    code = phone.locator("#tracking-code").inner_text().strip()
    assert code.startswith("SP")
    assert phone.locator("#status-label").inner_text() == "已收到，待分拣"
    # the QR code is an image of its own: wait until the browser has drawn it (it fails if it never loads)
    phone.wait_for_function(
        "() => { const img = document.querySelector('#qr img');"
        " return img !== null && img.complete && img.naturalWidth > 0; }",
        timeout=10_000,
    )
    report = CitizenReport.objects.get(tracking_code=code)
    assert report.case.area_unit.code == "S01" and report.case.events.get().photos.count() == 1

    coordinator = sign_in(browser, live_server, "coord")
    coordinator.goto(f"{live_server.url}/reports/triage/")
    assert coordinator.locator(f"tr[data-report={code}] .report-phone").inner_text() == "13812345678"
    coordinator.click(f"tr[data-report={code}] a")
    assert coordinator.locator("#accept-unit option:checked").inner_text().strip() == "西湖街道"
    coordinator.click("form[data-action=accept] button[type=submit]")
    coordinator.wait_for_selector("#report-state:has-text('已派遣')")

    phone.goto(f"{live_server.url}/s/t/{code}/")
    assert phone.locator("#status-label").inner_text() == "已受理，已派往责任单位"

    case_url = f"{live_server.url}/cases/{report.case.pk}/"
    handler = sign_in(browser, live_server, "west_handler")
    handler.goto(case_url)
    handler.locator("form[data-action=accept] button[type=submit]").click()
    handler.wait_for_selector(".cw-page-head h1:has-text('已受理')")
    form = handler.locator("form[data-action=rectify]")
    form.locator("textarea").fill("已清运垃圾并设置分类收集桶")
    form.locator("input[type=file]").set_input_files(jpeg(tmp_path / "after.jpg", (40, 160, 60)))
    form.locator("button[type=submit]").click()
    handler.wait_for_selector(".cw-page-head h1:has-text('已整改待核查')")

    verifier = sign_in(browser, live_server, "verifier")
    verifier.goto(case_url)
    verifier.locator("form[data-action=verify_pass] button[type=submit]").click()
    verifier.wait_for_selector(".cw-page-head h1:has-text('已结案')")

    phone.goto(f"{live_server.url}/s/t/{code}/")
    assert phone.locator("#status-label").inner_text() == "已办结"
    timeline = phone.locator("#timeline").inner_text()
    assert "核查通过，已办结" in timeline and "西湖街道" not in timeline
    assert "13812345678" not in phone.content()
    phone.locator("#rate-form label.sp-star:has-text('5')").click()
    phone.fill("#rating_comment", "处理及时")
    phone.locator("#rate-form button[type=submit]").click()
    phone.wait_for_selector("#rating")
    assert phone.locator("#rating").inner_text() == "5 / 5"
    assert phone.locator("#rate").count() == 0
    report.refresh_from_db()
    assert report.rating == 5 and report.rating_comment == "处理及时"
    assert report.case.state == CaseState.CLOSED
