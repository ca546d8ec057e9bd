"""The results page (published and live), cut to the viewer's units, with intervals and comparisons against
the office overall; the trend page across published waves; who may open them."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from chuangwen.surveys import plan, services
from chuangwen.surveys.models import ResponseStatus
from chuangwen.surveys.tests.fixtures import SURVEY_NOW, submission
from chuangwen.surveys.tests.published import answer, fill, published, small_wave
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def wave(org: Any, survey_people: Any, survey_questionnaire: Any, survey_clock: None) -> Any:
    return small_wave(org, survey_people, survey_questionnaire)


def _cell(html: str, unit: Any, measure: str) -> str:
    row = re.search(rf'<tr data-unit="{unit.pk}"[^>]*>(.*?)</tr>', html, re.S)
    assert row, f"no row for {unit.name}"
    cell = re.search(rf'<td class="cw-num" data-measure="{measure}"(.*?)</td>', row.group(1), re.S)
    assert cell, f"no {measure} cell for {unit.name}"
    return cell.group(1)


def test_it_shows_published_rates_with_intervals_counts_and_comparisons(
    wave: Any, org: Any, survey_people: Any
) -> None:
    fill(wave)
    services.record_coaching(org["east_c"], "13700137000", date(2026, 12, 5), survey_people["coordinator"])
    stratum = wave.strata.get(unit__code="S02C01")
    excluded, _ = services.submit(wave, submission(stratum, phone="13700137000"), "interviewer")
    assert excluded.status == ResponseStatus.EXCLUDED
    done = published(wave, survey_people["coordinator"])
    html = client_for(survey_people["coordinator"]).get(reverse("surveys:results", args=[done.pk]))
    assert html.status_code == 200
    page = html.content.decode()
    assert 'id="results-published"' in page and "未发布，实时计算" not in page
    assert 'data-tab="results" href="' in page and 'aria-current="page"' in page  # the wave's tab bar
    assert re.search(r'data-count="accepted">10<', page) and "应知应会排除 1 份" in page
    assert 'data-method="poststratification"' in page and "事后分层加权" in page
    # District support: (600·1 + 1 400·0.5) / 2 000 = 65.0 %, interval 65 % ± 1.96·√(100 041)/2 000 ≈ ±31.0
    district = _cell(page, org["district"], "support")
    assert 'data-rate="65.0%"' in district and 'data-interval="[34.0%, 96.0%]"' in district
    assert "n = 10" in district
    # West: all support (100 %, interval [100 %, 100 %]): above the district and outside its interval.
    west = _cell(page, org["west"], "support")
    assert 'data-rate="100.0%"' in west and 'data-direction="above"' in west and 'data-overlap="no"' in west
    assert "高于总体 35.0 个百分点" in west and "置信区间不重叠" in west
    # East: 3 of 6 (50 %, ± 40.0): below, but the intervals overlap.
    east = _cell(page, org["east_c"], "support")
    assert 'data-rate="50.0%"' in east and 'data-interval="[10.0%, 90.0%]"' in east
    assert 'data-direction="below"' in east and 'data-overlap="yes"' in east
    # Awareness in the west: (3 × 0.625 + 0.375) / 4 = 56.25 % → 56.3 %
    assert 'data-rate="56.3%"' in _cell(page, org["west_c"], "awareness")
    # Per question, the choices' weighted shares: support yes = (600 + 1 400 / 2) / 2 000 = 65 %.
    question = re.search(r'<tr data-question="sp_support">(.*?)</tr>', page, re.S)
    assert question and "65.0%" in question.group(1)
    assert 'id="indicator-table"' in page
    assert reverse("surveys:results_export", args=[done.pk]) in page


def test_it_marks_a_running_wave_as_live_and_counts_only_accepted_answers(
    wave: Any, org: Any, survey_people: Any
) -> None:
    answer(wave, "S01C01")
    answer(wave, "S02C01", sp_support="no")
    stratum = wave.strata.get(unit__code="S01C01")
    fast = submission(stratum, submitted_at=SURVEY_NOW - timedelta(minutes=20) + timedelta(seconds=30))
    flagged, _ = services.submit(wave, fast, "interviewer")
    assert flagged.status == ResponseStatus.FLAGGED
    page = client_for(survey_people["coordinator"]).get(reverse("surveys:results", args=[wave.pk]))
    html = page.content.decode()
    assert 'id="results-live"' in html and "未发布，实时计算" in html
    assert re.search(r'data-count="flagged">1<', html) and re.search(r'data-count="accepted">2<', html)
    assert 'data-method="raking"' in html  # two respondents cannot fill the cells: raked to the margins
    # Raked to the communities' residents: west's "yes" weighs 600, east's "no" 1 400 → 30 %, not 50 %.
    assert 'data-rate="30.0%"' in _cell(html, org["district"], "support")


def test_it_cuts_the_rows_to_the_overall_and_the_viewers_subtree(
    wave: Any, org: Any, survey_people: Any
) -> None:
    fill(wave)
    done = published(wave, survey_people["coordinator"])
    html = (
        client_for(survey_people["street"]).get(reverse("surveys:results", args=[done.pk])).content.decode()
    )
    units = set(re.findall(r'<tr data-unit="(\d+)"', html))
    assert units == {str(org["district"].pk), str(org["west"].pk), str(org["west_c"].pk)}
    assert "东门社区" not in html and "东城街道" not in html
    # The indicator table puts the street head's own street beside the overall by default …
    assert f'data-focus="{org["west"].pk}"' in html
    # … and another visible unit when asked, but never one outside the viewer's rows.
    url = reverse("surveys:results", args=[done.pk])
    client = client_for(survey_people["street"])
    assert f'data-focus="{org["west_c"].pk}"' in client.get(url, {"unit": org["west_c"].pk}).content.decode()
    outside = client.get(url, {"unit": org["east_c"].pk}).content.decode()
    assert f'data-focus="{org["west"].pk}"' in outside and "东门社区" not in outside
    assert client.get(url, {"unit": "x'--"}).status_code == 200
    # A community's own people: the overall and their community, hung under the overall.
    community = client_for(make_user("liulang", "handler", org["west_c"])).get(url).content.decode()
    assert re.findall(r'<tr data-unit="(\d+)"', community) == [str(org["district"].pk), str(org["west_c"].pk)]
    assert 'class="cw-survey-depth-1">柳浪社区' in community


def test_it_says_a_wave_in_preparation_has_no_results(
    org: Any, survey_people: Any, survey_questionnaire: Any, survey_clock: None
) -> None:
    draft = plan.create_wave(
        survey_questionnaire, org["district"], "筹备", date(2026, 12, 1), date(2026, 12, 31), ["self"],
        survey_people["coordinator"],
    )  # fmt: skip
    client = client_for(survey_people["coordinator"])
    html = client.get(reverse("surveys:results", args=[draft.pk])).content.decode()
    assert 'id="results-none"' in html and "调查尚未开始" in html
    export = client.get(reverse("surveys:results_export", args=[draft.pk]), follow=True)
    assert "还没有可以导出的结果" in export.content.decode()


def test_it_keeps_provisional_figures_to_the_office_and_supervisors(
    survey_wave: Any, survey_people: Any
) -> None:
    url = reverse("surveys:results", args=[survey_wave.pk])
    office = client_for(survey_people["coordinator"]).get(url).content.decode()
    assert 'id="results-live"' in office
    supervisor = client_for(survey_people["supervisor"]).get(url).content.decode()
    assert 'id="results-live"' in supervisor
    street = client_for(survey_people["street"]).get(url).content.decode()
    assert 'id="results-live"' not in street and "结果尚未发布" in street


def test_it_refuses_other_offices_and_roles_without_surveys(
    wave: Any, org: Any, survey_people: Any, users: Any, survey_questionnaire: Any
) -> None:
    coordinator = survey_people["coordinator"]
    street_wave = plan.create_wave(
        survey_questionnaire, org["west"], "西湖街道自查", date(2026, 12, 1), date(2026, 12, 31), ["self"],
        coordinator,
    )  # fmt: skip
    east = client_for(users["east_handler"])
    assert east.get(reverse("surveys:results", args=[street_wave.pk])).status_code == 404
    assert east.get(reverse("surveys:results_export", args=[street_wave.pk])).status_code == 404
    assert east.get(reverse("surveys:results", args=[wave.pk])).status_code == 200  # the district's wave
    volunteer = client_for(make_user("vol", "volunteer", org["west"]))
    assert volunteer.get(reverse("surveys:results", args=[wave.pk])).status_code == 403
    assert volunteer.get(reverse("surveys:results_export", args=[wave.pk])).status_code == 403
    assert volunteer.get(reverse("surveys:trend")).status_code == 403
    assert client_for(make_user("nounit", "handler", None)).get(reverse("surveys:trend")).status_code == 403
    anonymous = client_for(users["west_head"])
    anonymous.logout()
    assert anonymous.get(reverse("surveys:results", args=[wave.pk])).status_code == 302


def test_it_shows_the_trend_of_published_waves_with_the_change(
    org: Any, survey_people: Any, survey_questionnaire: Any, survey_clock: None
) -> None:
    coordinator = survey_people["coordinator"]
    autumn = small_wave(
        org, survey_people, survey_questionnaire, "秋季问卷", (date(2026, 11, 1), date(2026, 12, 31))
    )
    fill(autumn, west_support=("yes", "yes", "no", "no"))  # west 50 %
    published(autumn, coordinator)
    with time_machine.travel(SURVEY_NOW + timedelta(days=2), tick=True):
        december = small_wave(org, survey_people, survey_questionnaire, "12 月问卷")
        fill(december)  # west 100 %
        published(december, coordinator)
    html = client_for(survey_people["street"]).get(reverse("surveys:trend")).content.decode()
    waves = re.findall(r'<tr data-wave="(\d+)">', html)
    assert waves == [str(autumn.pk), str(december.pk)]  # in time order
    row = re.search(rf'<tr data-wave="{december.pk}">(.*?)</tr>', html, re.S)
    assert row
    mine = re.search(r'data-measure="support" data-row="mine" data-rate="100.0%" data-change="50.0"', row[1])
    assert mine and "较上轮 +50.0 个百分点" in row[1]
    # District: Autumn (600·0.5 + 700) / 2 000 = 50 %, December 65 %: +15.0.
    assert 'data-measure="support" data-row="overall" data-rate="65.0%" data-change="15.0"' in row[1]
    assert 'data-trend-chart="' in html and 'id="survey-trend-data"' in html
    assert "surveys/results.js" in html and "<script>" not in html
    empty = client_for(users_of(org)).get(reverse("surveys:trend")).content.decode()
    assert 'id="trend-none"' in empty


def users_of(org: Any) -> Any:
    """A user of a unit whose lineage runs no wave: the city."""
    return make_user("city_coord", "coordinator", org["city"])
