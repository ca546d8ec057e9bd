"""The home page's 问卷调查 panel: the latest published wave's four rates with their intervals for the user's
unit (or the office overall when the plan does not cover it), a link to the results; nothing before a wave
is published, nothing for roles or offices that do not see the wave."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from chuangwen.surveys.tests.published import fill, published, small_wave
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def wave(org: Any, survey_people: Any, survey_questionnaire: Any, survey_clock: None) -> Any:
    wave = small_wave(org, survey_people, survey_questionnaire, "12 月市民问卷")
    fill(wave)
    return wave


def _panel(user: Any) -> str:
    html = client_for(user).get(reverse("home")).content.decode()
    found = re.search(r'<section class="cw-card" id="home-survey"[^>]*>(.*?)</section>', html, re.S)
    return found.group(1) if found else ""


def _rate(panel: str, measure: str) -> str:
    found = re.search(
        rf'data-measure="{measure}">\s*<span class="cw-figure__value" data-rate="([^"]+)"', panel
    )
    assert found, measure
    return found.group(1)


def test_it_shows_the_latest_published_rates_for_the_users_unit(
    wave: Any, org: Any, survey_people: Any
) -> None:
    assert _panel(survey_people["coordinator"]) == ""  # still fielding: nothing published yet
    done = published(wave, survey_people["coordinator"])
    office = _panel(survey_people["coordinator"])
    assert "12 月市民问卷" in office and "文明区（总体）" in office
    assert _rate(office, "support") == "65.0%" and "[34.0%, 96.0%]" in office
    assert all(_rate(office, m) for m in ("awareness", "support", "participation", "satisfaction"))
    assert reverse("surveys:results", args=[done.pk]) in office
    street = _panel(survey_people["street"])
    assert "西湖街道" in street and _rate(street, "support") == "100.0%"
    assert 'data-direction="above"' in street and "高于总体 35.0 个百分点" in street


def test_it_falls_back_to_the_office_for_a_unit_outside_the_plan(
    wave: Any, org: Any, survey_people: Any, users: Any
) -> None:
    published(wave, survey_people["coordinator"])
    department = _panel(users["dept_handler"])
    assert "文明区（总体）" in department and 'id="home-survey-office"' in department
    assert _rate(department, "support") == "65.0%"


def test_it_shows_no_panel_to_roles_and_offices_that_do_not_see_the_wave(
    wave: Any, org: Any, survey_people: Any
) -> None:
    published(wave, survey_people["coordinator"])
    assert _panel(make_user("city_coord", "coordinator", org["city"])) == ""  # above the district
    assert _panel(make_user("vol", "volunteer", org["west"])) == ""
