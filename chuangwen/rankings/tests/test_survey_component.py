"""The 问卷调查 component of the composite index: 100 × the mean of a street's measure rates in the latest
survey wave published at or before the ranking's ``as_of``; a wave published later does not count, a unit
without a published figure has none and the composite renormalises; stored on the published row and shown on
the ranking, the unit's page, the method page and in the API."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal as D
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from chuangwen.rankings import services
from chuangwen.rankings.compute import Period, compute
from chuangwen.rankings.config import ranking_config
from chuangwen.rankings.models import RankingRow
from chuangwen.rankings.tests.page_fixtures import make_visit
from chuangwen.rounds.models import RoundStatus
from chuangwen.rounds.tests.visit_fixtures import make_round
from chuangwen.surveys.tests.fixtures import SURVEY_NOW
from chuangwen.surveys.tests.published import fill, published, small_wave
from conftest import client_for

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
DECEMBER = Period.for_month(date(2026, 12, 1))


@pytest.fixture
def visited(org: Any, users: Any, sites: Any, standard: Any, survey_clock: None) -> Any:
    """A published December round: every site scored 90, so both streets' on-site score is 90 whatever the
    weights and the shrinkage. No cases, no 网上申报 tasks: those components drop out."""
    round_ = make_round(org, users, standard, status=RoundStatus.PUBLISHED)
    when = datetime(2026, 12, 3, 10, tzinfo=SHANGHAI)
    for site in sites.values():
        make_visit(round_, site, users["inspector"], 90, when)
    # The hand computation below assumes the shipped weights.
    weights = ranking_config(standard).composite
    assert (weights["onsite"], weights["survey"]) == (D("0.4"), D("0.1"))
    return round_


def _streets(as_of: datetime) -> dict[str, Any]:
    return {s.unit_code: s for s in compute(DECEMBER, "street", as_of=as_of)}


def test_it_feeds_a_published_wave_into_the_composite_and_ignores_a_later_one(
    visited: Any, org: Any, survey_people: Any, survey_questionnaire: Any
) -> None:
    before = _streets(SURVEY_NOW)
    assert before["S01"].survey is None and before["S01"].composite == D("90.00")  # on-site alone
    wave = small_wave(org, survey_people, survey_questionnaire, "12 月市民问卷")
    fill(wave)
    first = published(wave, survey_people["coordinator"])
    assert first.published_at is not None
    after = _streets(first.published_at)
    west, east = after["S01"], after["S02"]
    # West's four respondents: awareness (3 × 0.625 + 0.375) / 4 = 0.5625, support 1, participation 1,
    # satisfaction 7/8 → mean 0.859375 → 85.94. East: awareness 0.625, support 3/6, participation 1,
    # satisfaction 7/8 → mean 0.75 → 75.00.
    assert (west.survey, east.survey) == (D("85.94"), D("75.00"))
    assert west.survey_wave_id == first.pk and west.survey_detail["wave"] == "12 月市民问卷"
    assert west.survey_detail["rates"]["support"] == 1.0 and west.survey_detail["n"] == 4
    # Composite: (0.4 × 90 + 0.1 × 85.94) / 0.5 = 89.188 → 89.19; east (36 + 7.5) / 0.5 = 87.00.
    assert (west.composite, east.composite) == (D("89.19"), D("87.00"))
    assert (west.rank, east.rank) == (1, 2)
    assert after["S01"].materials is None and after["S01"].rectification is None

    # A second wave, published ten days later, in which the west supports no more (support 0).
    later = SURVEY_NOW + timedelta(days=10)
    with time_machine.travel(later, tick=True):
        again = small_wave(org, survey_people, survey_questionnaire, "12 月复测")
        fill(again, west_support=("no",) * 4)
        second = published(again, survey_people["coordinator"])
    assert second.published_at is not None
    # A ranking as of a moment between the two publications still takes the first wave.
    between = _streets(first.published_at + timedelta(days=5))
    assert between["S01"].survey == D("85.94") and between["S01"].survey_wave_id == first.pk
    # Once it is published, the second counts: (0.5625 + 0 + 1 + 0.875) / 4 = 0.609375 → 60.94,
    # composite (36 + 6.094) / 0.5 = 84.188 → 84.19.
    now = _streets(second.published_at)
    assert (now["S01"].survey, now["S01"].composite, now["S01"].survey_wave_id) == (
        D("60.94"),
        D("84.19"),
        second.pk,
    )


def test_it_stores_and_shows_the_component_and_its_wave(
    visited: Any, org: Any, users: Any, survey_people: Any, survey_questionnaire: Any
) -> None:
    wave = small_wave(org, survey_people, survey_questionnaire, "12 月市民问卷")
    fill(wave)
    published(wave, survey_people["coordinator"])
    ranking = services.publish(DECEMBER, "street", users["coordinator"])
    row = RankingRow.objects.get(ranking=ranking, unit=org["west"])
    assert (row.survey, row.survey_wave_id, row.composite) == (D("85.94"), wave.pk, D("89.19"))
    assert row.survey_detail["wave"] == "12 月市民问卷"

    client = client_for(users["west_head"])
    detail = client.get(reverse("rankings:detail", args=[ranking.pk])).content.decode()
    assert "问卷调查" in detail and 'data-survey="85.94"' in detail and "12 月市民问卷（4 份答卷）" in detail
    unit = client.get(reverse("rankings:unit", args=[ranking.pk, org["west"].pk])).content.decode()
    assert 'id="survey-source"' in unit and "取自“12 月市民问卷”" in unit
    assert "知晓率 56.3%" in unit and "支持率 100.0%" in unit and "满意度 87.5%" in unit
    method = client.get(reverse("rankings:method")).content.decode()
    assert 'id="rule-survey"' in method and "文明区“12 月市民问卷”" in method
    rows = {r["unit_id"]: r for r in client.get(f"/api/v1/rankings/{ranking.pk}").json()["rows"]}
    west = rows[org["west"].pk]
    assert D(str(west["survey"])) == D("85.94") and west["survey_wave_id"] == wave.pk
    export = client.get(reverse("rankings:export", args=[ranking.pk, "csv"])).content.decode("utf-8-sig")
    assert "问卷调查得分" in export.splitlines()[0] and "12 月市民问卷" in export


def test_it_leaves_the_component_out_for_a_unit_no_wave_covers(
    visited: Any, org: Any, users: Any, survey_people: Any, survey_questionnaire: Any
) -> None:
    wave = small_wave(org, survey_people, survey_questionnaire)
    fill(wave)
    first = published(wave, survey_people["coordinator"])
    assert first.published_at is not None
    (dept,) = compute(DECEMBER, "department", as_of=first.published_at)
    assert dept.survey is None and dept.survey_detail == {}
    ranking = services.publish(DECEMBER, "department", users["coordinator"])
    row = ranking.rows.get()
    unit = client_for(users["coordinator"]).get(reverse("rankings:unit", args=[ranking.pk, row.unit_id]))
    assert "问卷调查分项不参与计算" in unit.content.decode()
