"""The self-completion link /q/<token>/: the questionnaire of one community without an account, screening
first and full quota cells announced, answers taken once (a resend answers with the stored result), field
errors by name, refusals with a reason, limits and captcha as for citizen reports, the QR code for posters."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from chuangwen.reports import captcha
from chuangwen.surveys import limits, plan, services
from chuangwen.surveys.models import QuotaCell, Response, ResponseStatus, Stratum
from chuangwen.surveys.tests.fixtures import SURVEY_NOW, full_answers

pytestmark = pytest.mark.django_db


def west(wave: Any) -> Stratum:
    return wave.strata.select_related("unit").get(unit__code="S01C01")


def body(**overrides: Any) -> dict[str, Any]:
    started = SURVEY_NOW - timedelta(minutes=9)
    data: dict[str, Any] = {
        "client_id": str(uuid.uuid4()),
        "age_band": "30-39",
        "sex": "f",
        "resident": True,
        "answers": full_answers(),
        "started_at": started.isoformat(),
        "submitted_at": (started + timedelta(minutes=6)).isoformat(),
        "paradata": {"seconds": {"aw_campaign": 4.5, "sp_support": 3.0}, "clock_offset_s": -2.5},
    }
    data.update(overrides)
    return data


def respondent(stratum: Stratum) -> Client:
    """A phone that opened the link (and got its device cookie)."""
    client = Client()
    assert client.get(f"/q/{stratum.token}/").status_code == 200
    return client


def post(client: Client, stratum: Stratum, data: dict[str, Any]) -> Any:
    return client.post(f"/q/{stratum.token}/submit", json.dumps(data), content_type="application/json")


def page_json(html: str, element_id: str) -> Any:
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert found, element_id
    return json.loads(found.group(1))


def test_it_shows_the_questionnaire_of_the_community_without_an_account(survey_wave):
    stratum = west(survey_wave)
    response = Client().get(f"/q/{stratum.token}/")
    html = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"].startswith("max-age=0")
    assert "文明城市创建市民问卷" in html and "调查社区：柳浪社区" in html and "不记录姓名" in html
    assert "我在本地居住满半年" in html and "18–29 岁" in html and "60–65 岁" in html
    assert "不可逆的加密处理后保存，不保存号码本身" in html
    assert "csrfmiddlewaretoken" in html and "cw_device" in response.cookies
    definition = page_json(html, "survey-definition")
    assert (
        "scores" not in definition and '"score"' not in html
    )  # the "right" answers never reach a respondent
    assert [q["code"] for q in definition["sections"][0]["questions"]][:2] == ["aw_campaign", "aw_channel"]
    config = page_json(html, "survey-config")
    assert config["submit_url"] == f"/q/{stratum.token}/submit" and "30-39|f" in config["open_cells"]
    assert page_json(html, "survey-strings")["runner"]["required"] == "此题为必答题"
    assert 'type="module" src="/static/surveys/public.js"' in html and "<script>" not in html
    assert 'id="field-captcha" hidden' in html and "data:image/png" not in html  # no captcha yet


def test_it_answers_404_for_an_unknown_link(survey_wave):
    client = Client()
    assert client.get("/q/no-such-token/").status_code == 404
    assert client.get("/q/no-such-token/qr.svg").status_code == 404
    assert post(client, Stratum(token="no-such-token"), body()).status_code == 404


def test_it_stores_a_self_completed_questionnaire_once_and_thanks_without_echoing_it(survey_wave):
    stratum = west(survey_wave)
    client = respondent(stratum)
    data = body()
    first = post(client, stratum, data)
    assert first.status_code == 201 and first.json() == {"status": "received", "client_id": data["client_id"]}
    stored = Response.objects.get()
    assert stored.mode == "self" and stored.interviewer is None and stored.stratum == stratum
    assert stored.status == ResponseStatus.ACCEPTED and stored.answers["sa_traffic"] == "dissatisfied"
    assert stored.respondent_key and stored.paradata["clock_offset_s"] == -2.5
    again = post(client, stratum, data)  # the answer was lost on the way back: the phone sends it again
    assert again.status_code == 200 and again.json()["client_id"] == data["client_id"]
    assert Response.objects.count() == 1 and Stratum.objects.get(pk=stratum.pk).filled == 1


def test_it_names_each_bad_field_and_stores_nothing(survey_wave):
    stratum = west(survey_wave)
    data = body(
        age_band="70-79",
        resident=False,
        phone="12345",
        answers=full_answers(sp_support=None, aw_values="maybe"),
    )
    response = post(respondent(stratum), stratum, data)
    errors = response.json()["errors"]
    assert response.status_code == 422
    assert set(errors) >= {"age_band", "resident", "phone", "answers.sp_support", "answers.aw_values"}
    assert "必答" in errors["answers.sp_support"][0] and "居住满半年" in errors["resident"][0]
    assert errors["phone"] == ["手机号格式不正确，应为 11 位手机号码"]
    bad_times = post(respondent(stratum), stratum, body(started_at="昨天", client_id="x"))
    assert bad_times.status_code == 422 and "client_id" in bad_times.json()["errors"]
    bad_times = post(respondent(stratum), stratum, body(started_at="昨天"))
    assert bad_times.json()["errors"] == {"started_at": ["开始时间缺失或格式错误"]}
    assert not Response.objects.exists() and Stratum.objects.get(pk=stratum.pk).filled == 0


def test_it_refuses_a_body_that_is_not_a_json_object(survey_wave):
    stratum = west(survey_wave)
    client = respondent(stratum)
    url = f"/q/{stratum.token}/submit"
    assert client.post(url, "[1, 2]", content_type="application/json").status_code == 400
    assert client.post(url, "{not json", content_type="application/json").json()["detail"]
    huge = json.dumps(body(answers={"sa_suggest": "好" * 300_000}))
    assert client.post(url, huge, content_type="application/json").status_code == 413


def test_it_announces_a_full_cell_before_anyone_answers_and_refuses_it_on_submit(survey_wave):
    stratum = west(survey_wave)
    cell = QuotaCell.objects.get(stratum=stratum, age_band="30-39", sex="f")
    QuotaCell.objects.filter(pk=cell.pk).update(filled=cell.target)
    html = Client().get(f"/q/{stratum.token}/").content.decode()
    open_cells = page_json(html, "survey-config")["open_cells"]
    assert "30-39|f" not in open_cells and "30-39|m" in open_cells
    assert page_json(html, "survey-strings")["cell_full"].startswith(
        "感谢您的关注！本社区 %(group)s居民的问卷名额"
    )
    response = post(respondent(stratum), stratum, body())
    assert response.status_code == 409 and response.json()["code"] == "quota_full"
    assert response.json()["detail"] == "柳浪社区 30–39 岁女的配额已满，请访问其他受访者"
    assert "30-39|f" not in response.json()["open_cells"] and not Response.objects.exists()


def test_it_says_so_when_the_whole_community_is_full(survey_wave):
    stratum = west(survey_wave)
    Stratum.objects.filter(pk=stratum.pk).update(filled=stratum.target)
    html = Client().get(f"/q/{stratum.token}/").content.decode()
    assert "本社区的问卷已经收满" in html and 'id="survey-form"' not in html


def test_it_refuses_a_second_questionnaire_from_the_same_phone_or_browser(survey_wave):
    stratum = west(survey_wave)
    client = respondent(stratum)
    assert post(client, stratum, body()).status_code == 201
    same_browser = post(client, stratum, body(age_band="40-49"))
    assert same_browser.status_code == 409 and same_browser.json()["code"] == "answered"
    assert "请填写您本人的手机号" in same_browser.json()["detail"]
    assert (
        post(client, stratum, body(age_band="40-49", phone="13800138000")).status_code == 201
    )  # a family member
    other_browser = post(respondent(stratum), stratum, body(age_band="50-59", phone="138-0013-8000"))
    assert other_browser.status_code == 409
    assert other_browser.json()["detail"] == "该受访者（手机号或设备）已经答过本轮问卷"
    assert Response.objects.count() == 2


def test_it_asks_for_a_phone_number_when_the_browser_keeps_no_cookie(survey_wave):
    stratum = west(survey_wave)
    response = post(Client(), stratum, body())
    assert response.status_code == 422
    assert response.json()["errors"]["phone"] == ["请填写手机号（只用于防止重复作答，不保存号码）"]


def test_it_just_thanks_a_respondent_excluded_by_a_coaching_visit(survey_wave, org, survey_people):
    stratum = west(survey_wave)
    services.record_coaching(org["west_c"], "13900139000", SURVEY_NOW.date(), survey_people["coordinator"])
    response = post(respondent(stratum), stratum, body(phone="13900139000"))
    assert response.status_code == 201 and response.json()["status"] == "received"
    assert Response.objects.get().status == ResponseStatus.EXCLUDED


def test_it_shows_a_closed_wave_as_not_in_progress_and_refuses_its_answers(survey_wave, survey_people):
    stratum = west(survey_wave)
    client = respondent(stratum)
    plan.close_wave(survey_wave, survey_people["coordinator"])
    page = client.get(f"/q/{stratum.token}/").content.decode()
    assert "本轮调查未在进行中" in page and "本轮调查已经结束" in page and 'id="survey-form"' not in page
    response = post(client, stratum, body())
    assert response.status_code == 409 and response.json()["code"] == "closed"
    assert not Response.objects.exists()


def test_it_tells_when_a_wave_in_preparation_starts(survey_wave, org, survey_people, survey_questionnaire):
    draft = plan.create_wave(
        survey_questionnaire, org["district"], "2027 年 1 月市民问卷", SURVEY_NOW.date() + timedelta(days=30),
        SURVEY_NOW.date() + timedelta(days=50), ["self"], survey_people["coordinator"],
    )  # fmt: skip
    stratum = plan.build_plan(draft, [org["west_c"]], 10, 0, survey_people["coordinator"])[0]
    page = Client().get(f"/q/{stratum.token}/").content.decode()
    assert "本轮调查未在进行中" in page and "本轮调查将于 2027年1月9日 开始" in page


def test_it_refuses_self_completion_in_a_wave_that_takes_interviews_only(survey_wave):
    survey_wave.modes = ["interviewer"]
    survey_wave.save()
    stratum = west(survey_wave)
    assert "本轮调查不接受扫码自填" in Client().get(f"/q/{stratum.token}/").content.decode()
    response = post(Client(), stratum, body())
    assert response.status_code == 409 and response.json()["code"] == "mode"


def test_it_limits_answers_per_browser_and_says_when_to_try_again(survey_wave, monkeypatch):
    monkeypatch.setattr(limits, "DEVICE_LIMIT", 2)
    stratum = west(survey_wave)
    client = respondent(stratum)
    assert post(client, stratum, body(age_band="70-79")).status_code == 422  # refused attempts count too
    assert post(client, stratum, body()).status_code == 201
    response = post(client, stratum, body(phone="13700137000", age_band="40-49"))
    assert response.status_code == 429 and int(response["Retry-After"]) > 3000
    assert response.json()["detail"].startswith("提交过于频繁：同一设备 1 小时内最多提交 2 次问卷")
    assert Response.objects.count() == 1


def test_it_asks_for_a_captcha_beyond_the_threshold_of_an_address(survey_wave, monkeypatch):
    monkeypatch.setattr(limits, "CAPTCHA_AFTER", 1)
    stratum = west(survey_wave)
    client = respondent(stratum)
    first = post(client, stratum, body())
    assert first.status_code == 201
    page = client.get(f"/q/{stratum.token}/").content.decode()
    assert 'id="captcha-image" src="data:image/png;base64,' in page
    wrong = post(client, stratum, body(phone="13700137000", captcha="XXXX"))
    assert wrong.status_code == 422 and wrong.json()["errors"] == {
        "captcha": ["验证码不正确或已失效，请输入新的验证码"]
    }
    assert wrong.json()["captcha"].startswith("data:image/png;base64,")
    session = client.session
    captcha.answer_for_tests(session, "AC3K")
    session.save()
    assert post(client, stratum, body(phone="13700137000", captcha="ac3k")).status_code == 201
    assert Response.objects.count() == 2


def test_it_enforces_csrf_on_the_submit(survey_wave):
    stratum = west(survey_wave)
    client = Client(enforce_csrf_checks=True)
    html = client.get(f"/q/{stratum.token}/").content.decode()
    assert post(client, stratum, body()).status_code == 403
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert token
    response = client.post(
        f"/q/{stratum.token}/submit",
        json.dumps(body()),
        content_type="application/json",
        headers={"X-CSRFToken": token.group(1)},
    )
    assert response.status_code == 201 and Response.objects.count() == 1


def test_it_draws_the_qr_code_of_the_link_for_posters(survey_wave):
    stratum = west(survey_wave)
    response = Client().get(f"/q/{stratum.token}/qr.svg")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in response.content and "问卷调查二维码" in response.content.decode()
