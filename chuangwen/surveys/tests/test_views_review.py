"""Quality control pages: the supervisor's queue of flagged interviews (filtered by flag) and call-backs, one
response read against its questionnaire, accepting, rejecting (the quota place opens again) and recording
call-backs — and respondents' answers shown to nobody outside the survey's staff and office."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from chuangwen.surveys import plan, results, services
from chuangwen.surveys.models import Callback, QuotaCell, Response, ResponseStatus
from chuangwen.surveys.tests.fixtures import SURVEY_NOW, submission
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db


def _west(wave: Any) -> Any:
    return wave.strata.get(unit__code="S01C01")


@pytest.fixture
def flagged(survey_wave: Any, survey_people: dict[str, Any]) -> dict[str, Response]:
    """Three interviews in the west community: one too fast, one without a position, one clean (picked for
    call-back), each with the seconds per question the phone recorded."""
    stratum = _west(survey_wave)
    interviewer = survey_people["interviewer"]
    start = SURVEY_NOW - timedelta(minutes=30)
    seconds = {"seconds": {"aw_campaign": 4.5, "aw_channel": 12.0}}
    fast, _ = services.submit(
        survey_wave,
        submission(stratum, started_at=start, submitted_at=start + timedelta(seconds=50), paradata=seconds),
        "interviewer",
        interviewer,
    )
    blind, _ = services.submit(
        survey_wave,
        submission(stratum, lat=None, lng=None, accuracy_m=None, age_band="40-49", phone="13900139000"),
        "interviewer",
        interviewer,
    )
    earlier = SURVEY_NOW - timedelta(minutes=45)  # identical answers minutes apart would look duplicated
    clean, _ = services.submit(
        survey_wave, submission(stratum, age_band="50-59", started_at=earlier), "interviewer", interviewer
    )
    Response.objects.filter(pk=clean.pk).update(callback=Callback.PICKED)
    Response.objects.filter(pk=blind.pk).update(callback=Callback.PICKED)
    return {"fast": fast, "blind": blind, "clean": Response.objects.get(pk=clean.pk)}


def html_of(response: Any) -> str:
    return response.content.decode()


def test_it_queues_flagged_interviews_with_their_flags_for_the_supervisor(
    survey_wave, survey_people, flagged
) -> None:
    page = client_for(survey_people["supervisor"]).get(reverse("surveys:review_queue", args=[survey_wave.pk]))
    assert page.status_code == 200
    html = html_of(page)
    fast, blind, clean = flagged["fast"], flagged["blind"], flagged["clean"]
    assert fast.flags == ["too_fast"] and blind.flags == ["no_position"] and clean.flags == []
    assert f'data-response="{fast.pk}"' in html and f'data-response="{blind.pk}"' in html
    assert f'data-response="{clean.pk}"' not in html
    assert "用时过短" in html and "无定位" in html and "柳浪社区" in html
    assert "30–39 岁 女" in html and "入户/街访" in html and "interviewer" in html and "50 秒" in html
    only_fast = html_of(
        client_for(survey_people["supervisor"]).get(
            reverse("surveys:review_queue", args=[survey_wave.pk]), {"flag": "too_fast"}
        )
    )
    assert f'data-response="{fast.pk}"' in only_fast and f'data-response="{blind.pk}"' not in only_fast


def test_it_lists_the_interviews_picked_for_call_back(survey_wave, survey_people, flagged) -> None:
    html = html_of(
        client_for(survey_people["coordinator"]).get(
            reverse("surveys:review_queue", args=[survey_wave.pk]), {"tab": "callbacks"}
        )
    )
    assert (
        f'data-response="{flagged["clean"].pk}"' in html and f'data-response="{flagged["blind"].pk}"' in html
    )
    assert f'data-response="{flagged["fast"].pk}"' not in html
    assert 'data-figure="picked">2<' in html


def test_it_keeps_the_queue_from_everyone_but_supervisors_and_the_office(
    survey_wave, survey_people, users, org, flagged
) -> None:
    url = reverse("surveys:review_queue", args=[survey_wave.pk])
    for who in ("street", "other_inspector", "interviewer"):
        assert client_for(survey_people[who]).get(url).status_code == 403
    assert client_for(users["leader"]).get(url).status_code == 403
    assert client_for(make_user("vol", "volunteer", org["district"])).get(url).status_code == 403
    from chuangwen.org.models import Unit, UnitKind

    elsewhere = Unit.objects.create(code="D02", name="邻区", kind=UnitKind.DISTRICT, parent=org["city"])
    assert client_for(make_user("other_coord", "coordinator", elsewhere)).get(url).status_code == 404


def test_it_shows_a_response_against_its_questionnaire(survey_wave, survey_people, flagged) -> None:
    fast = flagged["fast"]
    page = client_for(survey_people["supervisor"]).get(reverse("surveys:response", args=[fast.pk]))
    assert page.status_code == 200
    html = html_of(page)
    assert "您是否知道我们城市正在创建全国文明城市？" in html
    assert '<tr data-question="aw_campaign" data-state="answered">' in html
    assert "微信、网站、短视频、社区宣传、志愿者" in html  # the chosen labels of a multiple choice
    assert "4.5 秒" in html and "12 秒" in html  # seconds per question
    assert '<tr data-question="sp_reason" data-state="skipped">' in html  # hidden by its skip logic
    assert 'data-flag="too_fast"' in html and "50 秒" in html
    assert "30.05000, 120.02000" in html
    assert 'id="review-form"' in html and 'value="accept"' in html
    assert "13900139000" not in html_of(
        client_for(survey_people["supervisor"]).get(reverse("surveys:response", args=[flagged["blind"].pk]))
    )


def test_it_hides_answers_from_anyone_outside_the_survey(survey_wave, survey_people, users, flagged) -> None:
    url = reverse("surveys:response", args=[flagged["fast"].pk])
    for who in ("street", "other_inspector"):
        assert client_for(survey_people[who]).get(url).status_code == 404
        assert (
            client_for(survey_people[who])
            .post(reverse("surveys:response_review", args=[flagged["fast"].pk]), {"action": "accept"})
            .status_code
            == 404
        )
        callback = reverse("surveys:response_callback", args=[flagged["clean"].pk])
        assert client_for(survey_people[who]).post(callback, {"outcome": "failed"}).status_code == 404
    assert client_for(users["leader"]).get(url).status_code == 404
    interviewer_view = client_for(survey_people["interviewer"]).get(url)
    assert interviewer_view.status_code == 200 and 'id="review-form"' not in html_of(interviewer_view)


def test_it_accepts_a_flagged_interview(survey_wave, survey_people, flagged) -> None:
    fast = flagged["fast"]
    answer = client_for(survey_people["supervisor"]).post(
        reverse("surveys:response_review", args=[fast.pk]),
        {"action": "accept", "note": "电话核实，用时短因受访者熟悉"},
    )
    assert answer.status_code == 302 and answer["Location"] == reverse(
        "surveys:review_queue", args=[survey_wave.pk]
    )
    stored = Response.objects.get(pk=fast.pk)
    assert stored.status == ResponseStatus.ACCEPTED and stored.reviewed_by == survey_people["supervisor"]
    html = html_of(client_for(survey_people["coordinator"]).get(reverse("surveys:response", args=[fast.pk])))
    assert 'id="review-history"' in html and "确认有效" in html and "supervisor" in html
    assert "电话核实，用时短因受访者熟悉" in html and 'value="accept"' not in html


def test_it_rejects_only_with_a_reason_and_opens_the_quota_place(survey_wave, survey_people, flagged) -> None:
    blind = flagged["blind"]
    client = client_for(survey_people["supervisor"])
    url = reverse("surveys:response_review", args=[blind.pk])
    cell = QuotaCell.objects.get(pk=blind.cell_id)
    refused = client.post(url, {"action": "reject", "note": "  "})
    assert refused.status_code == 400 and "意见：作废答卷须写明理由" in html_of(refused)
    assert Response.objects.get(pk=blind.pk).status == ResponseStatus.FLAGGED
    unknown = client.post(url, {"action": "delete", "note": "x"})
    assert unknown.status_code == 400 and "审核结果：" in html_of(unknown)
    assert client.post(url, {"action": "reject", "note": "定位缺失，调查员无法说明"}).status_code == 302
    assert Response.objects.get(pk=blind.pk).status == ResponseStatus.REJECTED
    assert QuotaCell.objects.get(pk=cell.pk).filled == cell.filled - 1
    again = client.post(url, {"action": "reject", "note": "再次作废"})
    assert again.status_code == 400 and "该答卷已作废或已排除" in html_of(again)


def test_it_lets_only_reviewers_act(survey_wave, survey_people, flagged) -> None:
    fast = flagged["fast"]
    interviewer = client_for(survey_people["interviewer"])
    assert (
        interviewer.post(reverse("surveys:response_review", args=[fast.pk]), {"action": "accept"}).status_code
        == 403
    )
    assert (
        interviewer.post(
            reverse("surveys:response_callback", args=[flagged["clean"].pk]), {"outcome": "confirmed"}
        ).status_code
        == 403
    )
    assert Response.objects.get(pk=fast.pk).status == ResponseStatus.FLAGGED
    assert (
        client_for(survey_people["supervisor"])
        .get(reverse("surveys:response_review", args=[fast.pk]))
        .status_code
        == 405
    )


def test_it_records_call_backs(survey_wave, survey_people, flagged) -> None:
    client = client_for(survey_people["supervisor"])
    clean, blind = flagged["clean"], flagged["blind"]
    page = html_of(client.get(reverse("surveys:response", args=[clean.pk])))
    assert 'id="callback-form"' in page
    bad = client.post(reverse("surveys:response_callback", args=[clean.pk]), {"outcome": "maybe"})
    assert bad.status_code == 400 and "回访结果：" in html_of(bad)
    bad_phone = client.post(
        reverse("surveys:response_callback", args=[clean.pk]), {"outcome": "confirmed", "phone": "123"}
    )
    assert bad_phone.status_code == 400 and "手机号：手机号格式不正确" in html_of(bad_phone)
    assert Response.objects.get(pk=clean.pk).callback == Callback.PICKED
    done = client.post(
        reverse("surveys:response_callback", args=[clean.pk]), {"outcome": "confirmed", "note": "本人确认"}
    )
    assert done.status_code == 302 and done["Location"].endswith("?tab=callbacks")
    assert Response.objects.get(pk=clean.pk).callback == Callback.CONFIRMED
    # The number told in the call-back is not the one the interview recorded: failed, and rejected.
    client.post(
        reverse("surveys:response_callback", args=[blind.pk]),
        {"outcome": "confirmed", "phone": "13700137000"},
    )
    stored = Response.objects.get(pk=blind.pk)
    assert stored.callback == Callback.FAILED and stored.status == ResponseStatus.REJECTED
    assert "回访所得手机号与访问记录不符" in stored.callback_note
    html = html_of(client.get(reverse("surveys:response", args=[blind.pk])))
    assert "回访：回访不符" in html and "13700137000" not in html


def test_it_changes_nothing_once_results_are_published(survey_wave, survey_people, flagged) -> None:
    coordinator = survey_people["coordinator"]
    for response in (flagged["fast"], flagged["blind"]):
        services.review(response, coordinator, "accept")
    plan.close_wave(survey_wave, coordinator)
    results.publish(survey_wave, coordinator)
    client = client_for(survey_people["supervisor"])
    page = html_of(client.get(reverse("surveys:response", args=[flagged["fast"].pk])))
    assert (
        'id="published-note"' in page and 'id="review-form"' not in page and 'id="callback-form"' not in page
    )
    refused = client.post(
        reverse("surveys:response_review", args=[flagged["fast"].pk]), {"action": "reject", "note": "迟到"}
    )
    assert refused.status_code == 400 and "本轮调查结果已发布" in html_of(refused)
    assert Response.objects.get(pk=flagged["fast"].pk).status == ResponseStatus.ACCEPTED
