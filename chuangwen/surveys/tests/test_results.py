"""Results: weighted rates per measure and unit recomputed by hand, what counts and what is left out, and
the published snapshot that never changes."""

from __future__ import annotations

import math
from datetime import date

import pytest

from chuangwen.surveys import plan, results, services
from chuangwen.surveys.models import PopulationFigure, ResponseStatus, StaffRole, WaveStaff
from chuangwen.surveys.tests.fixtures import WAVE_DAYS, full_answers, submission


@pytest.fixture
def small_wave(org, survey_people, survey_questionnaire, survey_clock):
    """Residents only in the 30–39 women's cells: 600 west, 1 400 east; 10 interviews → 4 west, 6 east."""
    PopulationFigure.objects.create(unit=org["west_c"], age_band="30-39", sex="f", count=600)
    PopulationFigure.objects.create(unit=org["east_c"], age_band="30-39", sex="f", count=1400)
    coordinator = survey_people["coordinator"]
    wave = plan.create_wave(
        survey_questionnaire, org["district"], "小样本", *WAVE_DAYS, ["interviewer", "self"], coordinator,
        callback_percent=0,
    )  # fmt: skip
    plan.build_plan(wave, [org["west_c"], org["east_c"]], 10, 3, coordinator)
    WaveStaff.objects.create(wave=wave, user=survey_people["supervisor"], role=StaffRole.SUPERVISOR)
    plan.open_wave(wave, coordinator)
    return wave


def _answer(wave, code, **answers):
    stratum = wave.strata.get(unit__code=code)
    response, _ = services.submit(wave, submission(stratum, answers=full_answers(**answers)), "interviewer")
    return response


def _fill(wave):
    # West: all support; aware of the campaign 3 of 4. East: support 3 of 6.
    for aware in ("yes", "yes", "yes", "no"):
        _answer(wave, "S01C01", aw_campaign=aware)
    for support in ("yes", "yes", "yes", "no", "no", "neutral"):
        _answer(wave, "S02C01", sp_support=support)


def test_it_weights_by_post_stratification_and_matches_a_hand_computation(small_wave, org):
    assert [(s.unit.code, s.target) for s in small_wave.strata.all()] == [("S01C01", 4), ("S02C01", 6)]
    _fill(small_wave)
    snapshot = results.compute(small_wave)
    assert snapshot["method"] == "poststratification"
    district = snapshot["units"][str(org["district"].pk)]
    support = district["measures"]["support"]
    # Weights 600/4 = 150 (west) and 1 400/6 ≈ 233.3 (east): (600·1 + 700·1) / 2 000 = 0.65 (unweighted 0.7).
    assert support["rate"] == pytest.approx(0.65)
    spread = 4 * 150**2 * 0.35**2 + 3 * (1400 / 6) ** 2 * (0.35**2 + 0.65**2)
    half = 1.959964 * math.sqrt(spread) / 2000
    assert (support["low"], support["high"]) == pytest.approx((0.65 - half, 0.65 + half), rel=1e-5)
    assert support["n"] == 10
    west = snapshot["units"][str(org["west_c"].pk)]
    # Awareness items: campaign (1/0), values "all" 1, models "no" 0, sorting "partly" 0.5 → 0.625 or 0.375.
    assert west["measures"]["awareness"]["rate"] == pytest.approx((3 * 0.625 + 0.375) / 4)
    assert west["measures"]["support"]["rate"] == 1.0
    assert snapshot["units"][str(org["west"].pk)]["measures"] == west["measures"]  # the street of one stratum
    assert snapshot["units"][str(org["east_c"].pk)]["measures"]["support"]["rate"] == pytest.approx(0.5)
    # Satisfaction: 满意 and 基本满意 count, 不满意 not: 7 of 8 items in every answer.
    assert district["measures"]["satisfaction"]["rate"] == pytest.approx(7 / 8)
    assert district["indicators"]["07-06-02"]["rate"] == 0.0  # traffic: everybody dissatisfied


def test_it_counts_only_accepted_answers_and_says_what_it_left_out(small_wave, org, survey_people):
    _fill(small_wave)
    with pytest.raises(services.Refused):
        _answer(small_wave, "S02C01")  # a 7th east interview does not fit the quota
    services.record_coaching(org["east_c"], "13700137000", date(2026, 12, 5), survey_people["coordinator"])
    excluded, _ = services.submit(
        small_wave, submission(small_wave.strata.get(unit__code="S02C01"), phone="13700137000"), "interviewer"
    )
    assert excluded.status == ResponseStatus.EXCLUDED
    counts = results.compute(small_wave)["counts"]
    assert counts == {"accepted": 10, "flagged": 0, "rejected": 0, "excluded_coaching": 1}


def test_it_publishes_a_snapshot_that_later_changes_cannot_touch(small_wave, survey_people, org):
    _fill(small_wave)
    coordinator = survey_people["coordinator"]
    with pytest.raises(services.Refused):
        results.publish(small_wave, coordinator)  # still fielding
    plan.close_wave(small_wave, coordinator)
    published = results.publish(small_wave, coordinator)
    frozen = published.results
    response = published.responses.first()
    with pytest.raises(services.Refused) as caught:
        services.review(response, survey_people["supervisor"], "reject", "迟到的怀疑")
    assert caught.value.code == "published"
    PopulationFigure.objects.filter(unit=org["west_c"]).update(count=5)  # figures change later
    published.refresh_from_db()
    assert published.results == frozen and results.results_of(published) == frozen


def test_it_refuses_to_publish_while_flagged_interviews_wait(small_wave, survey_people):
    stratum = small_wave.strata.get(unit__code="S01C01")
    fast = submission(stratum, submitted_at=submission(stratum).started_at.replace(second=30))
    response, _ = services.submit(small_wave, fast, "interviewer")
    assert response.status == ResponseStatus.FLAGGED
    plan.close_wave(small_wave, survey_people["coordinator"])
    with pytest.raises(services.Refused) as caught:
        results.publish(small_wave, survey_people["coordinator"])
    assert caught.value.code == "pending" and "1 份待审核" in caught.value.message


def test_it_rakes_when_cells_are_too_thin_for_post_stratification(survey_wave, org):
    for code in ("S01C01", "S02C01"):
        _answer(survey_wave, code)
    snapshot = results.compute(survey_wave)
    assert snapshot["method"] == "raking"
    assert snapshot["units"][str(org["district"].pk)]["measures"]["support"]["rate"] == 1.0


def test_it_feeds_the_composite_from_the_latest_published_wave(small_wave, survey_people, org):
    _fill(small_wave)
    plan.close_wave(small_wave, survey_people["coordinator"])
    published = results.publish(small_wave, survey_people["coordinator"])
    assert published.published_at is not None
    scores = results.unit_scores(published.published_at)
    west_measures = published.results["units"][str(org["west"].pk)]["measures"]
    expected = sum(r["rate"] for r in west_measures.values()) / len(west_measures)
    assert scores[org["west"].pk] == (pytest.approx(expected), published.pk)
    assert results.unit_scores(published.published_at.replace(year=2025)) == {}
