"""The phone-interview (CATI) script page of a wave: for its interviewers, supervisors and office only; the
opening script, the respondent's community (full ones disabled), age band, sex and phone; interviews stored
once with the interviewer, field errors by name, refusals with their reason, today's count."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from chuangwen.org.models import Unit, UnitKind
from chuangwen.surveys import plan, services
from chuangwen.surveys.models import QuotaCell, Response, Stratum
from chuangwen.surveys.tests.fixtures import SURVEY_NOW, full_answers
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db


def west(wave: Any) -> Stratum:
    return wave.strata.get(unit__code="S01C01")


def body(where: Stratum, **overrides: Any) -> dict[str, Any]:
    started = SURVEY_NOW - timedelta(minutes=9)
    data: dict[str, Any] = {
        "client_id": str(uuid.uuid4()),
        "stratum": str(where.pk),
        "age_band": "50-59",
        "sex": "m",
        "resident": True,
        "answers": full_answers(),
        "started_at": started.isoformat(),
        "submitted_at": (started + timedelta(minutes=7)).isoformat(),
        "paradata": {"seconds": {"aw_campaign": 6.0}},
        "phone": "13912345678",
    }
    data.update(overrides)
    return data


def page_url(wave: Any) -> str:
    return f"/surveys/waves/{wave.pk}/phone/"


def post(client: Client, wave: Any, data: dict[str, Any]) -> Any:
    return client.post(
        f"/surveys/waves/{wave.pk}/phone/submit", json.dumps(data), content_type="application/json"
    )


def page_json(html: str, element_id: str) -> Any:
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert found, element_id
    return json.loads(found.group(1))


def test_it_gives_an_interviewer_the_script_and_the_form(survey_wave, survey_people):
    response = client_for(survey_people["interviewer"]).get(page_url(survey_wave))
    html = response.content.decode()
    assert response.status_code == 200
    assert (
        "电话访问：2026 年 12 月市民问卷" in html
        and "开场白" in html
        and "文明区文明城市创建市民问卷调查的访问员" in html
    )
    assert "请问您的年龄在 18 到 65 岁之间吗？" in html and "请问您在本地居住满半年了吗？" in html
    assert "问卷不记录姓名和身份证号" in html  # the questionnaire's own introduction is read out
    assert ">柳浪社区</option>" in html and ">东门社区</option>" in html
    assert "受访者手机号（必填）" in html and 'id="done-count">0<' in html
    definition = page_json(html, "cati-definition")
    assert "scores" not in definition and len(definition["sections"]) == 4
    config = page_json(html, "cati-config")
    assert config["submit_url"] == f"/surveys/waves/{survey_wave.pk}/phone/submit"
    assert "50-59|m" in config["strata"][str(west(survey_wave).pk)]["open"]
    assert 'type="module" src="/static/surveys/cati.js"' in html


def test_it_disables_a_full_community(survey_wave, survey_people):
    stratum = west(survey_wave)
    Stratum.objects.filter(pk=stratum.pk).update(filled=stratum.target)
    html = client_for(survey_people["interviewer"]).get(page_url(survey_wave)).content.decode()
    assert f'<option value="{stratum.pk}" disabled>柳浪社区（已满）</option>' in html
    assert page_json(html, "cati-config")["strata"][str(stratum.pk)]["open"] == []


def test_it_keeps_the_page_from_everyone_but_the_waves_staff_and_office(survey_wave, survey_people, org):
    other_district = Unit.objects.create(
        code="D02", name="开发区", kind=UnitKind.DISTRICT, parent=org["city"]
    )
    far = make_user("far_coord", "coordinator", other_district)
    data = body(west(survey_wave))
    for user, status in (
        (survey_people["other_inspector"], 403),  # same district, not the survey's staff
        (survey_people["street"], 403),  # a street's head sees the wave, not its interviews
        (far, 404),  # another district does not see the wave at all
    ):
        client = client_for(user)
        assert client.get(page_url(survey_wave)).status_code == status, user
        assert post(client, survey_wave, data).status_code == status, user
    anonymous = Client()
    assert anonymous.get(page_url(survey_wave)).status_code == 302
    assert post(anonymous, survey_wave, data).status_code == 401
    assert client_for(survey_people["coordinator"]).get(page_url(survey_wave)).status_code == 200
    assert not Response.objects.exists()


def test_it_stores_a_phone_interview_once_with_its_interviewer_and_counts_today(survey_wave, survey_people):
    client = client_for(survey_people["interviewer"])
    data = body(west(survey_wave))
    first = post(client, survey_wave, data)
    assert first.status_code == 201
    assert first.json() == {"status": "received", "client_id": data["client_id"], "done_today": 1}
    stored = Response.objects.get()
    assert stored.mode == "phone" and stored.interviewer == survey_people["interviewer"]
    assert stored.respondent_key == services.phone_key("13912345678")
    again = post(client, survey_wave, data)
    assert again.status_code == 200 and again.json()["done_today"] == 1
    assert Response.objects.count() == 1
    east = survey_wave.strata.get(unit__code="S02C01")
    by_supervisor = post(
        client_for(survey_people["supervisor"]), survey_wave, body(east, phone="13912345679")
    )
    assert by_supervisor.status_code == 201 and by_supervisor.json()["done_today"] == 1
    assert Response.objects.count() == 2
    html = client.get(page_url(survey_wave)).content.decode()
    assert 'id="done-count">1<' in html  # the supervisor's call is not the interviewer's


def test_it_names_each_bad_field_and_stores_nothing(survey_wave, survey_people):
    client = client_for(survey_people["interviewer"])
    response = post(
        client, survey_wave, body(west(survey_wave), phone="", sex="x", answers=full_answers(pa_times=0))
    )
    errors = response.json()["errors"]
    assert response.status_code == 422
    assert errors["phone"] == ["电话访问须记录受访者手机号（只保存不可逆的哈希）"]
    assert errors["sex"] == ["请选择受访者性别"] and "1 到 365" in errors["answers.pa_times"][0]
    assert post(client, survey_wave, body(west(survey_wave), stratum="")).json()["errors"] == {
        "stratum": ["请选择受访者所在的社区"]
    }
    foreign = post(client, survey_wave, body(west(survey_wave), stratum=999_999))
    assert foreign.json()["errors"]["stratum"] == ["样本社区不属于本轮调查"]
    assert not Response.objects.exists()


def test_it_refuses_an_interview_in_a_full_cell_and_tells_the_open_ones(survey_wave, survey_people):
    stratum = west(survey_wave)
    QuotaCell.objects.filter(stratum=stratum, age_band="50-59", sex="m").update(filled=999)
    response = post(client_for(survey_people["interviewer"]), survey_wave, body(stratum))
    assert response.status_code == 409 and response.json()["code"] == "quota_full"
    assert "50-59|m" not in response.json()["open_cells"] and "50-59|f" in response.json()["open_cells"]
    assert not Response.objects.exists()


def test_it_refuses_interviews_once_the_wave_is_closed(survey_wave, survey_people):
    client = client_for(survey_people["interviewer"])
    plan.close_wave(survey_wave, survey_people["coordinator"])
    html = client.get(page_url(survey_wave)).content.decode()
    assert "本轮调查未在进行中" in html and 'id="cati-form"' not in html
    response = post(client, survey_wave, body(west(survey_wave)))
    assert response.status_code == 409 and response.json()["code"] == "closed"


def test_it_says_when_a_wave_takes_no_phone_interviews(survey_wave, survey_people):
    survey_wave.modes = ["interviewer", "self"]
    survey_wave.save()
    client = client_for(survey_people["interviewer"])
    assert "本轮调查不接受电话访问" in client.get(page_url(survey_wave)).content.decode()
    response = post(client, survey_wave, body(west(survey_wave)))
    assert response.status_code == 409 and response.json()["code"] == "mode"


def test_it_enforces_csrf_on_the_submit(survey_wave, survey_people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(survey_people["interviewer"])
    assert post(client, survey_wave, body(west(survey_wave))).status_code == 403
    assert not Response.objects.exists()
