"""Responses through the API: the wave's list (staff and the office only, filtered, paginated), one response
with its answers, the supervisor's review and call-back record; and that nobody else sees answers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chuangwen.org.models import Unit, UnitKind
from chuangwen.surveys import services
from chuangwen.surveys.models import QuotaCell, Response
from chuangwen.surveys.tests.fixtures import full_answers, submission
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db
BASE = "/api/v1/surveys"


def send(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def answered(survey_wave: Any, survey_people: Any) -> dict[str, Response]:
    """Three interviews in the west community: one clean, one without position, one too fast."""
    west = survey_wave.strata.get(unit__code="S01C01")
    interviewer = survey_people["interviewer"]
    clean, _ = services.submit(survey_wave, submission(west), "interviewer", interviewer)
    other = full_answers(aw_models="yes")  # other answers: not the same interview entered twice
    no_gps, _ = services.submit(
        survey_wave, submission(west, lat=None, lng=None, answers=other), "interviewer", interviewer
    )
    started = submission(west).started_at
    fast, _ = services.submit(
        survey_wave,
        submission(
            west,
            age_band="18-29",
            submitted_at=started.replace(second=30),
            answers=full_answers(aw_values="no"),
        ),
        "interviewer",
        interviewer,
    )
    return {"clean": clean, "no_gps": no_gps, "fast": fast}


def test_it_lists_the_waves_responses_with_filters_and_pages(
    survey_wave: Any, survey_people: Any, answered: dict[str, Response]
) -> None:
    supervisor = client_for(survey_people["supervisor"])
    url = f"{BASE}/waves/{survey_wave.pk}/responses"
    everything = supervisor.get(url)
    assert everything.status_code == 200
    assert everything.json()["count"] == 3 and len(everything.json()["items"]) == 3
    flagged = supervisor.get(f"{url}?status=flagged").json()
    assert flagged["count"] == 2
    gps = supervisor.get(f"{url}?flag=no_position").json()
    assert [i["id"] for i in gps["items"]] == [answered["no_gps"].pk]
    item = gps["items"][0]
    assert item["flag_names"] == ["无定位"] and item["status_name"] == "待审核"
    assert (
        item["stratum"]["unit"]["name"] == "柳浪社区" and item["age_band"] == "30-39" and item["sex"] == "f"
    )
    assert item["interviewer"] == "interviewer" and "answers" not in item
    page = supervisor.get(f"{url}?limit=2&offset=2").json()
    assert page["count"] == 3 and len(page["items"]) == 1 and page["offset"] == 2
    bad = supervisor.get(f"{url}?flag=whatever&limit=500")
    assert bad.status_code == 422 and {e["loc"][-1] for e in bad.json()["detail"]} == {"flag", "limit"}


def test_it_shows_answers_only_to_the_survey_staff_and_office(
    survey_wave: Any, survey_people: Any, answered: dict[str, Response], org: Any
) -> None:
    url = f"{BASE}/waves/{survey_wave.pk}/responses"
    one = f"{BASE}/responses/{answered['clean'].pk}"
    for who in ("coordinator", "interviewer", "supervisor"):
        assert client_for(survey_people[who]).get(one).status_code == 200, who
    detail = client_for(survey_people["coordinator"]).get(one).json()
    assert detail["answers"]["aw_campaign"] == "yes" and detail["lat"] == 30.05
    assert "respondent_key" not in detail and detail["may_review"] is True
    for who in ("street", "other_inspector"):
        client = client_for(survey_people[who])
        assert client.get(url).status_code == 403, who
        assert client.get(one).status_code == 404, who
    other = Unit.objects.create(code="D02", name="邻区", kind=UnitKind.DISTRICT, parent=org["city"])
    outsider = client_for(make_user("outsider", "coordinator", other))
    assert outsider.get(url).status_code == 404 and outsider.get(one).status_code == 404


def test_it_lets_a_supervisor_accept_and_reject(
    survey_wave: Any, survey_people: Any, answered: dict[str, Response]
) -> None:
    supervisor = client_for(survey_people["supervisor"])
    accepted = send(supervisor, f"{BASE}/responses/{answered['no_gps'].pk}/review", {"action": "accept"})
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert accepted.json()["reviewed_by"] == "supervisor"
    again = send(supervisor, f"{BASE}/responses/{answered['no_gps'].pk}/review", {"action": "accept"})
    assert again.status_code == 409 and again.json()["code"] == "state"
    fast = f"{BASE}/responses/{answered['fast'].pk}/review"
    no_reason = send(supervisor, fast, {"action": "reject", "note": "  "})
    assert no_reason.status_code == 422 and no_reason.json()["detail"][0]["loc"] == ["body", "note"]
    bad_action = send(supervisor, fast, {"action": "delete"})
    assert bad_action.status_code == 422 and bad_action.json()["detail"][0]["loc"] == ["body", "action"]
    rejected = send(supervisor, fast, {"action": "reject", "note": "用时 30 秒，不可能完成"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert QuotaCell.objects.get(pk=answered["fast"].cell_id).filled == 0


def test_it_lets_only_reviewers_review(
    survey_wave: Any, survey_people: Any, answered: dict[str, Response]
) -> None:
    url = f"{BASE}/responses/{answered['no_gps'].pk}/review"
    refused = send(client_for(survey_people["interviewer"]), url, {"action": "accept"})
    assert refused.status_code == 403 and refused.json()["code"] == "refused"
    assert send(client_for(survey_people["street"]), url, {"action": "accept"}).status_code == 404
    assert Response.objects.get(pk=answered["no_gps"].pk).status == "flagged"


def test_it_records_a_call_back_and_rejects_a_failed_one(survey_wave: Any, survey_people: Any) -> None:
    survey_wave.callback_percent = 100
    survey_wave.save(update_fields=["callback_percent"])
    west = survey_wave.strata.get(unit__code="S01C01")
    interviewer = survey_people["interviewer"]
    one, _ = services.submit(survey_wave, submission(west, phone="13800138000"), "interviewer", interviewer)
    two, _ = services.submit(survey_wave, submission(west, phone="13900139000"), "interviewer", interviewer)
    assert one.callback == "picked"
    picked = client_for(survey_people["coordinator"]).get(
        f"{BASE}/waves/{survey_wave.pk}/responses?callback=picked"
    )
    assert picked.json()["count"] == 2
    supervisor = client_for(survey_people["supervisor"])
    confirmed = send(
        supervisor, f"{BASE}/responses/{one.pk}/callback", {"outcome": "confirmed", "note": "属实"}
    )
    assert confirmed.status_code == 200 and confirmed.json()["callback"] == "confirmed"
    assert confirmed.json()["status"] == "accepted"
    repeat = send(supervisor, f"{BASE}/responses/{one.pk}/callback", {"outcome": "confirmed"})
    assert repeat.status_code == 409 and repeat.json()["code"] == "state"
    wrong_phone = send(
        supervisor, f"{BASE}/responses/{two.pk}/callback", {"outcome": "confirmed", "phone": "13700137000"}
    )
    assert wrong_phone.json()["callback"] == "failed" and wrong_phone.json()["status"] == "rejected"
    bad = send(supervisor, f"{BASE}/responses/{two.pk}/callback", {"outcome": "confirmed", "phone": "x" * 99})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "phone"]
    refused = send(client_for(interviewer), f"{BASE}/responses/{two.pk}/callback", {"outcome": "confirmed"})
    assert refused.status_code == 403
