"""The citizen's page /s/privacy/: look, then remove; a wrong pair reads like an unknown code; limits answer
429; the captcha after a few attempts; removal needs a fresh check in the same session."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from chuangwen.audit.models import AuditEntry
from chuangwen.privacy.tests.conftest import OTHER_PHONE, PHONE
from chuangwen.reports import captcha
from chuangwen.reports.models import CitizenReport

URL = "/s/privacy/"


def _body(response: Any) -> str:
    """The page without what differs between two requests anyway (the CSRF token)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def test_it_shows_the_form_in_chinese_on_a_phone_page(client: Client, db: Any) -> None:
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "查阅和删除我的个人信息" in page and 'name="viewport"' in page and "reports/public.css" in page


def test_it_is_linked_from_every_report_page(client: Client, db: Any) -> None:
    assert f'href="{URL}"' in client.get("/s/").content.decode()


def test_it_shows_then_deletes_that_reports_data(client: Client, reports: dict[str, CitizenReport]) -> None:
    mine = reports["mine"]
    shown = client.post(URL, {"action": "view", "tracking_code": mine.tracking_code, "phone": PHONE})
    assert shown.status_code == 200
    page = shown.content.decode()
    assert PHONE in page and "西湖大道 1 号门口" in page and "privacy-delete-form" in page
    assert AuditEntry.objects.filter(action="privacy.citizen_view", object_id=str(mine.pk)).exists()

    unconfirmed = client.post(URL, {"action": "delete"})
    assert unconfirmed.status_code == 400 and "我确认删除" in unconfirmed.content.decode()
    done = client.post(URL, {"action": "delete", "confirm": "yes"})
    assert done.status_code == 200 and "privacy-done" in done.content.decode()
    assert CitizenReport.objects.get(pk=mine.pk).phone == ""
    assert CitizenReport.objects.get(pk=reports["mine_east"].pk).phone == PHONE
    assert AuditEntry.objects.filter(action="privacy.citizen_delete", object_id=str(mine.pk)).count() == 1
    # The check was used up: another removal needs a new look.
    again = client.post(URL, {"action": "delete", "confirm": "yes"})
    assert again.status_code == 400 and "核验已失效" in again.content.decode()


def test_it_refuses_removal_without_a_check_in_this_session(reports: dict[str, CitizenReport]) -> None:
    response = Client().post(URL, {"action": "delete", "confirm": "yes"})
    assert response.status_code == 400
    assert CitizenReport.objects.get(pk=reports["mine"].pk).phone == PHONE


def test_it_answers_a_wrong_pair_like_an_unknown_code(reports: dict[str, CitizenReport]) -> None:
    code = reports["mine"].tracking_code
    wrong = Client().post(URL, {"action": "view", "tracking_code": code, "phone": OTHER_PHONE})
    unknown = Client().post(URL, {"action": "view", "tracking_code": code[:-1] + "2", "phone": OTHER_PHONE})
    if unknown.status_code != 404:  # the one code in 10¹² that exists: try another
        unknown = Client().post(URL, {"action": "view", "tracking_code": "SPZZZZZZZZ", "phone": OTHER_PHONE})
    assert wrong.status_code == unknown.status_code == 404
    wrong_page = _body(wrong).replace(code, "CODE")
    unknown_page = _body(unknown).replace(code[:-1] + "2", "CODE").replace("SPZZZZZZZZ", "CODE")
    assert wrong_page == unknown_page
    assert "未找到与该查询码和手机号相符的随手拍" in wrong_page and PHONE not in wrong_page


def test_it_names_the_field_of_bad_input(client: Client, reports: dict[str, CitizenReport]) -> None:
    response = client.post(URL, {"action": "view", "tracking_code": "", "phone": "123"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "请填写查询码" in page and "手机号格式不正确" in page


def test_it_answers_429_past_the_address_limit(
    client: Client, reports: dict[str, CitizenReport], settings: Any
) -> None:
    settings.PRIVACY_REQUEST_ADDRESS_LIMIT = 3
    for _n in range(3):
        client.post(URL, {"action": "view", "tracking_code": "SPZZZZZZZZ", "phone": PHONE})
    limited = client.post(
        URL, {"action": "view", "tracking_code": reports["mine"].tracking_code, "phone": PHONE}
    )
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert "查询过于频繁" in limited.content.decode() and PHONE not in _body(limited).split("privacy-form")[0]


def test_it_asks_for_the_captcha_after_a_few_attempts(
    client: Client, reports: dict[str, CitizenReport], settings: Any
) -> None:
    settings.PRIVACY_REQUEST_CAPTCHA_AFTER = 1
    client.post(URL, {"action": "view", "tracking_code": "SPZZZZZZZZ", "phone": PHONE})
    page = client.get(URL).content.decode()
    assert "验证码" in page and "data:image/png;base64," in page
    mine = {"action": "view", "tracking_code": reports["mine"].tracking_code, "phone": PHONE}
    refused = client.post(URL, {**mine, "captcha": "WRONG"})
    assert refused.status_code == 400 and "验证码不正确" in refused.content.decode()
    session = client.session
    captcha.answer_for_tests(session, "ACDE")
    session.save()
    passed = client.post(URL, {**mine, "captcha": "acde"})
    assert passed.status_code == 200 and PHONE in passed.content.decode()
