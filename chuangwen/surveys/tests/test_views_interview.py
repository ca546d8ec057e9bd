"""The interviewer's phone app (入户/街访) as the server serves it: the shell with the waves a user may
interview for, the refusal for everyone else, and the service worker that keeps the app for offline use."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from chuangwen.surveys.views.interview import ASSETS, MODULES, js_strings
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db

URL = "/surveys/interview/"


def script_json(html: str, element_id: str) -> Any:
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert match, element_id
    return json.loads(match.group(1))


def test_it_serves_the_app_shell_to_an_interviewer(survey_wave: Any, survey_people: dict[str, Any]) -> None:
    response = client_for(survey_people["interviewer"]).get(URL)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert "<title>入户/街访 · 问卷调查</title>" in html
    assert '<script type="module" src="/static/surveys/interview/app.js">' in html
    assert "立即同步" in html
    config = script_json(html, "config")
    assert config["user"]["id"] == survey_people["interviewer"].pk
    assert config["waves"] == [
        {
            "id": survey_wave.pk,
            "name": "2026 年 12 月市民问卷",
            "starts_on": "2026-12-01",
            "ends_on": "2026-12-31",
        }
    ]
    assert config["urls"]["fieldwork"] == "/api/v1/surveys/waves/{id}/fieldwork"
    assert config["urls"]["responses"] == "/api/v1/surveys/waves/{id}/responses"
    assert config["urls"]["sw"] == "/surveys/interview/sw.js"
    assert config["urls"]["scope"] == URL
    assert ["30-39", "30–39 岁"] in config["choices"]["age_bands"]
    assert config["flags"]["too_fast"] == "用时过短"
    strings = script_json(html, "i18n")
    assert strings["pending"] == "待上传 {n}"
    assert strings["sent_today"] == "今日已上传 {n}"
    assert "不保存号码本身" in strings["phone_hint"]
    # The app reads the CSRF cookie for its POSTs.
    assert response.cookies["csrftoken"].value


def test_it_lets_the_supervisor_and_the_coordinator_in(
    survey_wave: Any, survey_people: dict[str, Any]
) -> None:
    for who in ("supervisor", "coordinator"):
        response = client_for(survey_people[who]).get(URL)
        assert response.status_code == 200, who
        assert [w["id"] for w in script_json(response.content.decode(), "config")["waves"]] == [
            survey_wave.pk
        ]


@pytest.mark.parametrize("who", ["other_inspector", "street"])
def test_it_refuses_a_user_who_is_not_on_the_survey_staff(
    survey_wave: Any, survey_people: dict[str, Any], who: str
) -> None:
    response = client_for(survey_people[who]).get(URL)
    assert response.status_code == 403
    html = response.content.decode()
    assert 'data-testid="not-interviewer"' in html
    assert "您目前不是任何进行中调查的调查员或督导" in html
    assert "surveys/interview/app.js" not in html
    assert survey_wave.name not in html


def test_it_sends_a_visitor_to_the_login_page(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/surveys/interview/")


def test_it_lists_only_fielding_waves_that_take_interviews_and_the_users_own(
    survey_wave: Any, survey_people: dict[str, Any], org: dict[str, Any], survey_questionnaire: Any
) -> None:
    from chuangwen.surveys import plan
    from chuangwen.surveys.models import StaffRole, WaveStaff

    coordinator = survey_people["coordinator"]
    days = (survey_wave.starts_on, survey_wave.ends_on)
    self_only = plan.create_wave(
        survey_questionnaire, org["district"], "扫码自填", *days, ["self"], coordinator
    )
    plan.build_plan(self_only, [org["west_c"]], 10, 5, coordinator)
    plan.open_wave(self_only, coordinator)
    WaveStaff.objects.create(wave=self_only, user=survey_people["interviewer"], role=StaffRole.INTERVIEWER)
    # Another wave's interviewer (of another street) sees that wave only, and none of this one.
    other = plan.create_wave(
        survey_questionnaire, org["district"], "东城街道专项", *days, ["interviewer"], coordinator
    )
    plan.build_plan(other, [org["east_c"]], 10, 5, coordinator)
    plan.open_wave(other, coordinator)
    east_interviewer = make_user("east_interviewer", "inspector", org["east"])
    WaveStaff.objects.create(wave=other, user=east_interviewer, role=StaffRole.INTERVIEWER)

    mine = script_json(client_for(survey_people["interviewer"]).get(URL).content.decode(), "config")
    assert [w["id"] for w in mine["waves"]] == [survey_wave.pk]
    theirs = client_for(east_interviewer).get(URL).content.decode()
    assert [w["name"] for w in script_json(theirs, "config")["waves"]] == ["东城街道专项"]
    assert survey_wave.name not in theirs

    plan.close_wave(survey_wave, coordinator)
    assert client_for(survey_people["interviewer"]).get(URL).status_code == 403
    # A coordinator may always open the app (and sees the wave list, now empty of closed waves).
    page = client_for(coordinator).get(URL)
    assert page.status_code == 200
    assert [w["name"] for w in script_json(page.content.decode(), "config")["waves"]] == ["东城街道专项"]


def test_the_service_worker_precaches_the_shell_and_every_asset(client: Client) -> None:
    response = client.get("/surveys/interview/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    match = re.search(r"const PRECACHE = (\[.*?\]);", body)
    assert match
    precache = json.loads(match.group(1))
    assert precache[0] == URL
    assert set(precache[1:]) == {f"/static/{name}" for name in ASSETS}
    for url in precache[1:]:
        assert client.get(url).status_code == 200, url
    assert re.search(r'const VERSION = "[0-9a-f]{16}";', body)
    assert f'const SHELL = "{URL}";' in body
    assert client.get("/surveys/interview/sw.js").content == response.content


def test_every_js_string_is_used_and_every_used_key_exists() -> None:
    source = ""
    for name in MODULES:
        if not name.startswith("surveys/interview/"):
            continue
        found = finders.find(name)
        assert isinstance(found, str)
        source += Path(found).read_text(encoding="utf-8")
    strings = js_strings()
    used = set(re.findall(r'\bt\(\s*"(\w+)"', source))
    # Reached through variables: record states, sync messages, geolocation errors.
    indirect = {key for key in strings if key.startswith("state_")}
    indirect |= {
        "syncing",
        "synced_at",
        "sync_failed",
        "login_expired",
        "update",
        "download",
        "start",
        "resume",
    }
    assert used - set(strings) == set()
    assert set(strings) - used - indirect == set()
