"""应知应会 入户宣传 records: recorded by the office and the streets' and communities' people, kept as a keyed
hash of the household's phone (never shown), listed and counted per community within the viewer's tree, and
keeping the household out of the survey's sample."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.urls import reverse

from chuangwen.surveys import services
from chuangwen.surveys.models import CoachingVisit, ResponseStatus
from chuangwen.surveys.tests.fixtures import submission
from conftest import client_for, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("survey_clock")]

PHONE = "13912345678"


def visit_data(unit: Any, **overrides: Any) -> dict[str, Any]:
    data = {"unit": unit.pk, "phone": PHONE, "visited_on": "2026-12-08", "note": "讲解核心价值观"}
    data.update(overrides)
    return data


def record(user: Any, data: dict[str, Any]) -> Any:
    return client_for(user).post(reverse("surveys:coaching"), data)


def test_it_records_a_visit_as_a_hash_and_never_shows_the_phone(org, users):
    response = record(users["west_handler"], visit_data(org["west_c"]))
    assert response.status_code == 302
    visit = CoachingVisit.objects.get()
    assert visit.unit == org["west_c"] and visit.visited_on == date(2026, 12, 8)
    assert visit.respondent_key == services.phone_key(PHONE) and PHONE not in visit.respondent_key
    assert visit.recorded_by == users["west_handler"]
    for who in ("west_handler", "coordinator"):
        html = client_for(users[who]).get(reverse("surveys:coaching")).content.decode()
        line = re.search(rf'<tr data-visit="{visit.pk}">(.*?)</tr>', html, re.S)
        assert line and "柳浪社区" in line.group(1) and "2026-12-08" in line.group(1)
        assert "west_handler" in line.group(1) and "讲解核心价值观" in line.group(1)
        assert PHONE not in html and "5678" not in html and visit.respondent_key not in html


def test_it_counts_the_visits_per_community(org, users):
    for phone, day in (("13900000001", "2026-12-01"), ("13900000002", "2026-10-01")):
        record(users["coordinator"], visit_data(org["west_c"], phone=phone, visited_on=day))
    record(users["coordinator"], visit_data(org["east_c"], phone="13900000003"))
    html = client_for(users["coordinator"]).get(reverse("surveys:coaching")).content.decode()
    west = re.search(rf'<tr data-unit="{org["west_c"].pk}">(.*?)</tr>', html, re.S)
    assert west and 'data-figure="recent">1<' in west.group(1) and 'data-figure="total">2<' in west.group(1)
    assert f'<tr data-unit="{org["east_c"].pk}">' in html


def test_it_says_that_a_coached_household_is_left_out_of_the_sample(survey_wave, org, users):
    html = client_for(users["west_handler"]).get(reverse("surveys:coaching")).content.decode()
    note = re.search(r'id="coaching-exclusion">(.*?)</div>', html, re.S)
    assert note and "不计入该街道、社区的调查样本" in note.group(1)
    assert "2026 年 12 月市民问卷：排除期 30 天" in note.group(1)
    record(users["west_handler"], visit_data(org["west_c"]))
    west = survey_wave.strata.get(unit__code="S01C01")
    response, _created = services.submit(survey_wave, submission(west, phone=PHONE), "phone")
    assert response.status == ResponseStatus.EXCLUDED


def test_it_names_the_bad_fields_of_a_visit_and_stores_nothing(org, users):
    bad = record(users["west_handler"], visit_data(org["west_c"], phone="12345", visited_on="2026-12-25"))
    html = bad.content.decode()
    assert bad.status_code == 400
    assert "居民手机号：手机号格式不正确，应为 11 位手机号码" in html
    assert "宣传日期：宣传日期应在过去一年内，且不晚于今天" in html
    long_note = record(users["west_handler"], visit_data(org["west_c"], note="长" * 301))
    assert long_note.status_code == 400 and "备注：" in long_note.content.decode()
    assert not CoachingVisit.objects.exists()


def test_it_keeps_the_visits_to_the_users_tree(org, users):
    outside = record(users["west_handler"], visit_data(org["east_c"]))
    assert outside.status_code == 400 and "社区：" in outside.content.decode()
    assert not CoachingVisit.objects.exists()
    record(users["east_handler"], visit_data(org["east_c"], note="东门社区的一户"))
    west = client_for(users["west_head"]).get(reverse("surveys:coaching")).content.decode()
    assert "东门社区的一户" not in west and 'data-visit="' not in west
    office = client_for(users["coordinator"]).get(reverse("surveys:coaching")).content.decode()
    assert "东门社区的一户" in office


def test_it_leaves_recording_to_the_office_and_the_units_own_people(org, users):
    for who in ("inspector", "verifier", "leader"):
        page = client_for(users[who]).get(reverse("surveys:coaching"))
        assert page.status_code == 200 and 'id="coaching-form"' not in page.content.decode()
        assert record(users[who], visit_data(org["west_c"])).status_code == 403, who
    volunteer = make_user("vol", "volunteer", org["west"])
    assert client_for(volunteer).get(reverse("surveys:coaching")).status_code == 403
    assert record(volunteer, visit_data(org["west_c"])).status_code == 403
    assert not CoachingVisit.objects.exists()
