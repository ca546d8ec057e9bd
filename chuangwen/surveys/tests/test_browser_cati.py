"""A signed-in interviewer completes a phone interview from the script page; the form then resets for the next
call and today's count goes up."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from chuangwen.surveys.models import Response
from chuangwen.surveys.tests.fixtures import full_answers

pytestmark = pytest.mark.django_db(transaction=True)


def signed_in_page(browser: Any, live_server: Any, user: Any, errors: list[str]) -> Any:
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return page


def answer(page: Any, answers: dict[str, Any]) -> None:
    for code, value in answers.items():
        block = page.locator(f"fieldset.cw-q[data-code={code}]")
        if isinstance(value, int):
            block.locator("input").fill(str(value))
        else:
            for one in value if isinstance(value, list) else [value]:
                block.locator(f"input[value='{one}']").check()


def test_it_lets_an_interviewer_complete_a_phone_interview(browser, live_server, survey_wave, survey_people):
    errors: list[str] = []
    page = signed_in_page(browser, live_server, survey_people["interviewer"], errors)
    page.goto(f"{live_server.url}/surveys/waves/{survey_wave.pk}/phone/")
    assert "请问您在本地居住满半年了吗？" in page.locator("#opening-script").inner_text()
    assert page.locator("#done-count").inner_text() == "0"

    page.select_option("#stratum", label="柳浪社区")
    page.select_option("#age_band", "50-59")
    page.check("#sex-m")
    page.check("#resident")
    answer(page, full_answers(aw_campaign="no", aw_channel=None))
    page.click("#submit")  # the phone number is missing
    assert page.locator("#error-phone").inner_text() == "电话访问须记录受访者手机号（只保存不可逆的哈希）"
    assert not Response.objects.exists()

    page.fill("#phone", "139 1234 5678")
    page.click("#submit")
    page.wait_for_selector("#form-ok", state="visible")
    assert "可以开始下一个电话访问" in page.locator("#form-ok").inner_text()
    assert page.locator("#done-count").inner_text() == "1"
    stored = Response.objects.get()
    assert stored.mode == "phone" and stored.interviewer == survey_people["interviewer"]
    assert stored.stratum.unit.name == "柳浪社区" and (stored.cell.age_band, stored.cell.sex) == (
        "50-59",
        "m",
    )
    assert stored.answers["aw_campaign"] == "no" and "aw_channel" not in stored.answers

    # ready for the next call: an empty form and a fresh questionnaire
    assert page.locator("#phone").input_value() == "" and page.locator("#stratum").input_value() == ""
    assert page.locator("fieldset.cw-q[data-code=aw_campaign] input:checked").count() == 0
    assert page.locator("fieldset.cw-q[data-code=aw_campaign]").count() == 1
    assert errors == []
