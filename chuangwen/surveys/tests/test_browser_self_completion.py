"""Self-completion on a phone (390×844) from the public link: screening first, skip logic, a required question
left empty, a full quota cell announced before answering, thanks after submitting, and a resend after a lost
answer stored once."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from chuangwen.surveys.models import QuotaCell, Response, ResponseStatus
from chuangwen.surveys.tests.fixtures import SURVEY_NOW, full_answers

pytestmark = pytest.mark.django_db(transaction=True)

PHONE_VIEWPORT = {"width": 390, "height": 844}


def phone_page(browser: Any, errors: list[str]) -> Any:
    page = browser.new_context(
        locale="zh-CN", viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True
    ).new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return page


def question(page: Any, code: str) -> Any:
    return page.locator(f"fieldset.cw-q[data-code={code}]")


def answer(page: Any, answers: dict[str, Any]) -> None:
    for code, value in answers.items():
        block = question(page, code)
        if isinstance(value, int):
            block.locator("input").fill(str(value))
        else:
            for one in value if isinstance(value, list) else [value]:
                block.locator(f"input[value='{one}']").check()


def screen(page: Any, age: str = "30-39", sex: str = "f") -> None:
    page.select_option("#age_band", age)
    page.check(f"#sex-{sex}")
    page.check("#resident")


def west_token(wave: Any) -> str:
    return str(wave.strata.get(unit__code="S01C01").token)


def test_it_takes_a_questionnaire_on_a_phone_from_screening_to_thanks(browser, live_server, survey_wave):
    errors: list[str] = []
    page = phone_page(browser, errors)
    page.goto(f"{live_server.url}/q/{west_token(survey_wave)}/")
    assert page.locator("#survey-title").inner_text() == "文明城市创建市民问卷"
    assert "柳浪社区" in page.locator("#survey-unit").inner_text()
    assert page.locator("#questionnaire").is_hidden() and page.locator("#screening-hint").is_visible()
    screen(page)
    assert page.locator("#questionnaire").is_visible() and page.locator("#screening-hint").is_hidden()

    # skip logic: the channels are asked only of someone who knows about the campaign
    assert question(page, "aw_channel").is_hidden()
    answer(page, {"aw_campaign": "yes"})
    assert question(page, "aw_channel").is_visible()
    answer(page, {"aw_campaign": "no"})
    assert question(page, "aw_channel").is_hidden()
    answers = full_answers()
    support = answers.pop("sp_support")
    answer(page, answers)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_VIEWPORT["width"]

    # a required question left empty: the error under it, nothing sent
    page.click("#submit")
    error = question(page, "sp_support").locator(".cw-q-error")
    assert error.is_visible() and error.inner_text() == "此题为必答题"
    assert "请查看标红的提示" in page.locator("#form-error").inner_text()
    assert not Response.objects.exists()

    answer(page, {"sp_support": support})
    assert error.is_hidden()
    page.click("#submit")
    page.wait_for_selector("#thanks", state="visible")
    assert "感谢您的参与" in page.locator("#thanks").inner_text()
    assert page.locator("#survey-form").is_hidden()
    assert "交通" not in page.locator("#main").inner_text()  # no answer is echoed back
    stored = Response.objects.get()
    assert stored.mode == "self" and stored.status in (ResponseStatus.ACCEPTED, ResponseStatus.FLAGGED)
    assert set(stored.flags) <= {"too_fast"}  # a robot answers 17 questions in seconds; a supervisor looks
    assert stored.answers["aw_channel"] == ["net", "community"] and stored.answers["pa_times"] == 3
    assert stored.respondent_key and stored.duration_seconds >= 0
    # the phone's clock (the real day) is set right by the page: times are on the server's clock
    assert timezone.localtime(stored.submitted_at).date() == SURVEY_NOW.date()
    assert errors == []


def test_it_stores_a_resend_after_a_lost_answer_once(browser, live_server, survey_wave):
    errors: list[str] = []
    page = phone_page(browser, errors)
    token = west_token(survey_wave)
    sent: list[str] = []

    def lose_the_first_answer(route: Any) -> None:
        sent.append(route.request.post_data_json["client_id"])
        if len(sent) == 1:
            route.fetch()  # the server stores it…
            route.abort("connectionreset")  # …but the phone never hears back
        else:
            route.continue_()

    page.route(f"**/q/{token}/submit", lose_the_first_answer)
    page.goto(f"{live_server.url}/q/{token}/")
    screen(page, "40-49", "m")
    answer(page, full_answers())
    page.click("#submit")
    page.wait_for_selector("#form-error:has-text('网络异常')")
    assert Response.objects.count() == 1 and page.locator("#thanks").is_hidden()
    page.click("#submit")
    page.wait_for_selector("#thanks", state="visible")
    assert len(sent) == 2 and sent[0] == sent[1]
    assert Response.objects.count() == 1
    assert [e for e in errors if "ERR_CONNECTION_RESET" not in e and "Failed to load" not in e] == []


def test_it_tells_a_respondent_whose_group_is_full_before_any_question(browser, live_server, survey_wave):
    stratum = survey_wave.strata.get(unit__code="S01C01")
    cell = QuotaCell.objects.get(stratum=stratum, age_band="30-39", sex="f")
    QuotaCell.objects.filter(pk=cell.pk).update(filled=cell.target)
    errors: list[str] = []
    page = phone_page(browser, errors)
    page.goto(f"{live_server.url}/q/{stratum.token}/")
    screen(page, "30-39", "f")
    notice = page.locator("#cell-full")
    assert notice.is_visible()
    assert notice.inner_text() == "感谢您的关注！本社区 30–39 岁女性居民的问卷名额已经收满，您本次无需填写。"
    assert page.locator("#questionnaire").is_hidden() and page.locator("#submit").is_hidden()
    page.check("#sex-m")
    assert notice.is_hidden() and page.locator("#questionnaire").is_visible()
    assert errors == []
