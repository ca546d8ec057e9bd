"""Taking responses: stored once per client id and per respondent, validated by field, counted against quotas
that close when full (also under concurrent submissions), coaching contacts kept out of the sample."""

from __future__ import annotations

import threading
import uuid
from datetime import date, timedelta

import pytest
from django.db import connections

from chuangwen.surveys import services
from chuangwen.surveys.models import CoachingVisit, QuotaCell, Response, ResponseStatus, Stratum
from chuangwen.surveys.tests.fixtures import SURVEY_NOW, full_answers, submission


def _west(wave):
    return wave.strata.get(unit__code="S01C01")


def test_it_stores_a_valid_interview_and_counts_it_in_its_cell_and_stratum(survey_wave, survey_people):
    stratum = _west(survey_wave)
    response, created = services.submit(
        survey_wave, submission(stratum, phone="13800138000"), "interviewer", survey_people["interviewer"]
    )
    assert created and response.status == ResponseStatus.ACCEPTED and response.flags == []
    assert response.respondent_key and "13800138000" not in response.respondent_key
    assert response.duration_seconds == 600
    cell = QuotaCell.objects.get(stratum=stratum, age_band="30-39", sex="f")
    assert cell.filled == 1 and Stratum.objects.get(pk=stratum.pk).filled == 1


def test_it_returns_the_stored_response_for_a_resend(survey_wave, survey_people):
    sub = submission(_west(survey_wave))
    first, created = services.submit(survey_wave, sub, "interviewer", survey_people["interviewer"])
    again, created_again = services.submit(survey_wave, sub, "interviewer", survey_people["interviewer"])
    assert created and not created_again and again.pk == first.pk
    assert Response.objects.count() == 1 and Stratum.objects.get(pk=sub.stratum_id).filled == 1


def test_it_refuses_a_second_response_from_the_same_phone(survey_wave):
    stratum = _west(survey_wave)
    services.submit(survey_wave, submission(stratum, phone="13800138000"), "self")
    with pytest.raises(services.Refused) as caught:
        services.submit(survey_wave, submission(stratum, phone="138 0013 8000"), "self")
    assert caught.value.code == "answered" and "已经答过" in caught.value.message
    assert Response.objects.count() == 1


def test_it_names_each_bad_field_and_stores_nothing(survey_wave):
    stratum = _west(survey_wave)
    bad = submission(
        stratum,
        age_band="70-79",
        resident=False,
        answers=full_answers(aw_values="maybe", sp_support=None, pa_times=900),
        phone="12345",
    )
    with pytest.raises(services.Invalid) as caught:
        services.submit(survey_wave, bad, "self")
    errors = caught.value.errors
    assert set(errors) >= {
        "age_band",
        "resident",
        "phone",
        "answers.aw_values",
        "answers.sp_support",
        "answers.pa_times",
    }
    assert "不在选项中" in errors["answers.aw_values"][0] and "必答" in errors["answers.sp_support"][0]
    assert "1 到 365" in errors["answers.pa_times"][0]
    assert Response.objects.count() == 0 and Stratum.objects.get(pk=stratum.pk).filled == 0


def test_it_drops_answers_to_questions_hidden_by_skip_logic(survey_wave):
    answers = full_answers(aw_campaign="no", pa_volunteer="no")  # aw_channel and pa_times are then hidden
    response, _ = services.submit(
        survey_wave, submission(_west(survey_wave), answers=answers), "interviewer", None
    )
    assert "aw_channel" not in response.answers and "pa_times" not in response.answers


def test_it_closes_a_full_cell_with_a_clear_error(survey_wave):
    stratum = _west(survey_wave)
    cell = QuotaCell.objects.get(stratum=stratum, age_band="30-39", sex="f")
    for _ in range(cell.target):
        services.submit(survey_wave, submission(stratum, device=uuid.uuid4().hex), "self")
    with pytest.raises(services.Refused) as caught:
        services.submit(survey_wave, submission(stratum, device=uuid.uuid4().hex), "self")
    assert caught.value.code == "quota_full"
    assert caught.value.message == "柳浪社区 30–39 岁女的配额已满，请访问其他受访者"
    assert QuotaCell.objects.get(pk=cell.pk).filled == cell.target


def test_it_keeps_a_coached_household_out_of_the_sample(survey_wave, org, survey_people):
    stratum = _west(survey_wave)
    services.record_coaching(org["west_c"], "13900139000", date(2026, 12, 1), survey_people["coordinator"])
    response, _ = services.submit(survey_wave, submission(stratum, phone="13900139000"), "interviewer", None)
    assert response.status == ResponseStatus.EXCLUDED
    assert Stratum.objects.get(pk=stratum.pk).filled == 0
    assert CoachingVisit.objects.get().respondent_key == response.respondent_key


def test_it_counts_a_household_coached_before_the_exclusion_period(survey_wave, org, survey_people):
    stratum = _west(survey_wave)
    old = SURVEY_NOW.date() - timedelta(days=survey_wave.coaching_days + 1)
    services.record_coaching(org["west_c"], "13900139000", old, survey_people["coordinator"])
    response, _ = services.submit(survey_wave, submission(stratum, phone="13900139000"), "interviewer", None)
    assert response.status == ResponseStatus.ACCEPTED


def test_it_flags_a_too_fast_interview_and_a_supervisor_rejects_it(survey_wave, survey_people):
    stratum = _west(survey_wave)
    started = SURVEY_NOW - timedelta(minutes=5)
    fast = submission(stratum, started_at=started, submitted_at=started + timedelta(seconds=45))
    response, _ = services.submit(survey_wave, fast, "interviewer", survey_people["interviewer"])
    assert response.status == ResponseStatus.FLAGGED and response.flags == ["too_fast"]
    with pytest.raises(services.Invalid):
        services.review(response, survey_people["supervisor"], "reject")  # a rejection needs its reason
    rejected = services.review(response, survey_people["supervisor"], "reject", "45 秒完成 17 题，不可能")
    assert rejected.status == ResponseStatus.REJECTED
    assert Stratum.objects.get(pk=stratum.pk).filled == 0  # its place opens again


def test_it_flags_the_same_interview_entered_twice(survey_wave, survey_people):
    stratum = _west(survey_wave)
    interviewer = survey_people["interviewer"]
    services.submit(survey_wave, submission(stratum), "interviewer", interviewer)
    second, _ = services.submit(survey_wave, submission(stratum), "interviewer", interviewer)
    assert "duplicate" in second.flags and second.status == ResponseStatus.FLAGGED
    # The same answers from the next household, a whole interview later, are not a duplicate.
    later = submission(stratum, age_band="40-49", started_at=SURVEY_NOW - timedelta(minutes=8))
    third, _ = services.submit(survey_wave, later, "interviewer", interviewer)
    assert third.flags == [] and third.status == ResponseStatus.ACCEPTED


def test_it_flags_an_interview_outside_its_community(survey_wave, survey_people, org):
    from conftest import WEST_POLY

    org["west_c"].boundary = WEST_POLY
    org["west_c"].save()
    stratum = _west(survey_wave)
    far = submission(stratum, lat=30.05, lng=120.09)  # in the east street, ≈ 3.8 km from the west one
    response, _ = services.submit(survey_wave, far, "interviewer", survey_people["interviewer"])
    assert "outside_area" in response.flags


def test_it_refuses_a_response_after_the_wave_closed(survey_wave, survey_people):
    from chuangwen.surveys import plan

    plan.close_wave(survey_wave, survey_people["coordinator"])
    with pytest.raises(services.Refused) as caught:
        services.submit(survey_wave, submission(_west(survey_wave)), "self")
    assert caught.value.code == "closed"


@pytest.mark.django_db(transaction=True)
def test_it_never_overshoots_a_quota_under_concurrent_submissions(survey_wave):
    stratum = _west(survey_wave)
    cell = QuotaCell.objects.get(stratum=stratum, age_band="30-39", sex="f")
    attempts = cell.target + 6
    start = threading.Barrier(attempts)
    outcomes: list[object] = []

    def send() -> None:
        try:
            start.wait()
            services.submit(survey_wave, submission(stratum, device=uuid.uuid4().hex), "self")
            outcomes.append("stored")
        except services.Refused as exc:
            outcomes.append(exc.code)
        except Exception as exc:  # a database that refused the concurrent write shows here
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("stored") == cell.target, outcomes
    assert outcomes.count("quota_full") == 6, outcomes
    assert QuotaCell.objects.get(pk=cell.pk).filled == cell.target
    assert Response.objects.filter(cell=cell).count() == cell.target


def test_it_picks_a_steady_share_for_call_backs_by_a_keyed_hash(survey_wave):
    from chuangwen.surveys import quality

    survey_wave.callback_percent = 10
    ids = [str(uuid.UUID(int=n)) for n in range(2000)]
    picked = [i for i in ids if quality.picked_for_callback(survey_wave, i)]
    assert 150 <= len(picked) <= 250  # ≈ 10 %
    assert picked == [i for i in ids if quality.picked_for_callback(survey_wave, i)]  # a resend: the same
    survey_wave.callback_percent = 0
    assert not any(quality.picked_for_callback(survey_wave, i) for i in ids[:100])
