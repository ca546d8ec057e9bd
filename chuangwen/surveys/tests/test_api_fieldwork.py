"""The interviewer's API: the fieldwork download (definition without scores, strata and quotas) and the
response intake — idempotent by client_id, field errors named, refusals with a code, everything bounded at the
edge; and who may use either."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest

from chuangwen.org.models import Unit, UnitKind
from chuangwen.surveys.models import QuotaCell, Response, Stratum
from chuangwen.surveys.tests.fixtures import SURVEY_NOW, full_answers
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db
BASE = "/api/v1/surveys"


def _west(wave: Any) -> Stratum:
    return wave.strata.get(unit__code="S01C01")


def payload(stratum: Stratum, **overrides: Any) -> dict[str, Any]:
    started = SURVEY_NOW - timedelta(minutes=20)
    body: dict[str, Any] = {
        "client_id": str(uuid.uuid4()),
        "mode": "interviewer",
        "stratum_id": stratum.pk,
        "age_band": "30-39",
        "sex": "f",
        "resident": True,
        "answers": full_answers(),
        "started_at": started.isoformat(),
        "submitted_at": (started + timedelta(minutes=10)).isoformat(),
        "paradata": {"seconds": {"aw_campaign": 12.5}},
        "lat": 30.05,
        "lng": 120.02,
        "accuracy_m": 8.0,
    }
    body.update(overrides)
    return body


def post(client: Any, wave: Any, body: Any) -> Any:
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(f"{BASE}/waves/{wave.pk}/responses", data, content_type="application/json")


def test_it_downloads_the_fieldwork_without_scores(survey_wave: Any, survey_people: Any) -> None:
    got = client_for(survey_people["interviewer"]).get(f"{BASE}/waves/{survey_wave.pk}/fieldwork")
    assert got.status_code == 200, got.content
    body = got.json()
    assert body["wave"] == {
        "id": survey_wave.pk,
        "name": "2026 年 12 月市民问卷",
        "modes": ["interviewer", "self", "phone"],
        "starts_on": "2026-12-01",
        "ends_on": "2026-12-31",
        "state": "fielding",
    }
    assert "scores" not in body["definition"] and body["definition"]["code"] == "WM_RESIDENT"
    assert "score" not in json.dumps(body["definition"])
    names = {s["unit"]["name"]: s for s in body["strata"]}
    assert set(names) == {"柳浪社区", "东门社区"}
    assert names["柳浪社区"]["target"] == 12 and names["东门社区"]["target"] == 28
    cells = names["柳浪社区"]["cells"]
    assert len(cells) == 10 and set(cells[0]) == {"age_band", "sex", "target", "filled"}
    assert sum(c["target"] for c in cells) == 12


def test_it_lets_only_the_waves_staff_and_office_download(
    survey_wave: Any, survey_people: Any, org: Any
) -> None:
    url = f"{BASE}/waves/{survey_wave.pk}/fieldwork"
    assert client_for(survey_people["supervisor"]).get(url).status_code == 200
    assert client_for(survey_people["coordinator"]).get(url).status_code == 200
    refused = client_for(survey_people["other_inspector"]).get(url)
    assert refused.status_code == 403 and refused.json()["code"] == "refused"
    assert client_for(survey_people["street"]).get(url).status_code == 403
    other = Unit.objects.create(code="D02", name="邻区", kind=UnitKind.DISTRICT, parent=org["city"])
    outsider = make_user("outsider", "coordinator", other)
    assert client_for(outsider).get(url).status_code == 404
    assert client_for(survey_people["interviewer"]).get(f"{BASE}/waves/999999/fieldwork").status_code == 404


def test_it_stores_an_interview_once_and_answers_a_resend_with_the_stored_result(
    survey_wave: Any, survey_people: Any
) -> None:
    interviewer = client_for(survey_people["interviewer"])
    body = payload(_west(survey_wave))
    first = post(interviewer, survey_wave, body)
    assert first.status_code == 201, first.content
    ack = first.json()
    assert ack["client_id"] == body["client_id"] and ack["status"] == "accepted" and ack["created"] is True
    assert ack["flags"] == [] and ack["callback"] == ""
    again = post(interviewer, survey_wave, body)
    assert again.status_code == 200
    assert again.json() == {**ack, "created": False}
    assert Response.objects.count() == 1
    stored = Response.objects.get()
    assert stored.interviewer == survey_people["interviewer"] and stored.mode == "interviewer"
    assert stored.paradata == {"seconds": {"aw_campaign": 12.5}} and stored.lat == 30.05
    assert QuotaCell.objects.get(stratum=_west(survey_wave), age_band="30-39", sex="f").filled == 1


def test_it_flags_a_too_fast_interview_without_position(survey_wave: Any, survey_people: Any) -> None:
    started = SURVEY_NOW - timedelta(minutes=5)
    body = payload(
        _west(survey_wave),
        started_at=started.isoformat(),
        submitted_at=(started + timedelta(seconds=40)).isoformat(),
        lat=None,
        lng=None,
    )
    got = post(client_for(survey_people["interviewer"]), survey_wave, body)
    assert got.status_code == 201 and got.json()["status"] == "flagged"
    assert set(got.json()["flags"]) == {"too_fast", "no_position"}


def test_it_names_each_bad_field_and_stores_nothing(survey_wave: Any, survey_people: Any) -> None:
    body = payload(
        _west(survey_wave),
        age_band="70-79",
        resident=False,
        answers=full_answers(aw_values="maybe", sp_support=None),
    )
    got = post(client_for(survey_people["interviewer"]), survey_wave, body)
    assert got.status_code == 422
    errors = {tuple(e["loc"]): e for e in got.json()["detail"]}
    assert {("body", "age_band"), ("body", "resident"), ("body", "answers.aw_values")} <= set(errors)
    assert ("body", "answers.sp_support") in errors and "必答" in errors[("body", "answers.sp_support")][
        "msg"
    ]
    assert "不在选项中" in errors[("body", "answers.aw_values")]["msg"]
    assert all(e["type"] == "invalid" for e in errors.values())
    assert Response.objects.count() == 0 and Stratum.objects.get(pk=_west(survey_wave).pk).filled == 0


def test_it_names_a_stratum_of_another_wave_as_stratum_id(survey_wave: Any, survey_people: Any) -> None:
    body = payload(_west(survey_wave), stratum_id=987654)
    got = post(client_for(survey_people["interviewer"]), survey_wave, body)
    assert got.status_code == 422
    assert ["body", "stratum_id"] in [e["loc"] for e in got.json()["detail"]]


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"mode": "self"}, "mode", "取值无效"),
        ({"client_id": "not-a-uuid"}, "client_id", "UUID"),
        ({"started_at": "2026-12-10T09:40:00"}, "started_at", "时区"),
        ({"submitted_at": "9956-01-01T00:00:00+08:00"}, "submitted_at", "须在"),
        ({"lat": 91}, "lat", "不能大于"),
        ({"phone": "1" * 40}, "phone", "过长"),
        ({"age_band": "x" * 100}, "age_band", "过长"),
        ({"stratum_id": 2**70}, "stratum_id", "不能大于"),
    ],
)
def test_it_bounds_every_field_at_the_edge(
    survey_wave: Any, survey_people: Any, overrides: dict[str, Any], field: str, words: str
) -> None:
    got = post(
        client_for(survey_people["interviewer"]), survey_wave, payload(_west(survey_wave), **overrides)
    )
    assert got.status_code == 422, got.content
    detail = got.json()["detail"]
    assert detail[0]["loc"] == ["body", field] and words in detail[0]["msg"], detail
    assert Response.objects.count() == 0


def test_it_bounds_the_answers_and_paradata_objects(survey_wave: Any, survey_people: Any) -> None:
    interviewer = client_for(survey_people["interviewer"])
    stratum = _west(survey_wave)
    many = {f"q{i}": "x" for i in range(301)}
    got = post(interviewer, survey_wave, payload(stratum, answers=many))
    assert got.status_code == 422 and got.json()["detail"][0]["loc"] == ["body", "answers"]
    nested = post(interviewer, survey_wave, payload(stratum, answers=full_answers(aw_campaign={"a": [1]})))
    assert nested.status_code == 422
    assert nested.json()["detail"][0]["loc"] == ["body", "answers.aw_campaign"]
    long_text = post(
        interviewer, survey_wave, payload(stratum, answers=full_answers(aw_campaign="长" * 3000))
    )
    assert long_text.status_code == 422 and "过长" in long_text.json()["detail"][0]["msg"]
    huge = post(interviewer, survey_wave, payload(stratum, paradata={"seconds": {"a": "x" * 70_000}}))
    assert huge.status_code == 422 and huge.json()["detail"][0]["loc"] == ["body", "paradata"]
    not_finite = post(interviewer, survey_wave, json.dumps(payload(stratum)).replace("30.05", "NaN", 1))
    assert not_finite.status_code == 422 and not_finite.json()["detail"][0]["type"] == "json_invalid"
    too_big = post(interviewer, survey_wave, payload(stratum, pad="x" * 1_100_000))
    assert too_big.status_code == 400 and too_big.json()["code"] == "too_large"
    assert post(interviewer, survey_wave, "[1, 2]").status_code == 422
    assert Response.objects.count() == 0


def test_it_refuses_with_a_code_when_the_respondent_answered_already(
    survey_wave: Any, survey_people: Any
) -> None:
    interviewer = client_for(survey_people["interviewer"])
    stratum = _west(survey_wave)
    assert post(interviewer, survey_wave, payload(stratum, phone="13800138000")).status_code == 201
    again = post(interviewer, survey_wave, payload(stratum, phone="138 0013 8000"))
    assert again.status_code == 409
    assert again.json()["code"] == "answered" and "已经答过" in again.json()["detail"]
    assert Response.objects.count() == 1


def test_it_refuses_a_full_quota_and_a_closed_wave_with_codes(survey_wave: Any, survey_people: Any) -> None:
    interviewer = client_for(survey_people["interviewer"])
    stratum = _west(survey_wave)
    QuotaCell.objects.filter(stratum=stratum, age_band="30-39", sex="f").update(target=0)
    full = post(interviewer, survey_wave, payload(stratum))
    assert (
        full.status_code == 409
        and full.json()["code"] == "quota_full"
        and "配额已满" in full.json()["detail"]
    )
    survey_wave.state = "closed"
    survey_wave.save(update_fields=["state"])
    closed = post(interviewer, survey_wave, payload(stratum, age_band="18-29"))
    assert closed.status_code == 409 and closed.json()["code"] == "closed"
    assert Response.objects.count() == 0


def test_it_takes_a_phone_interview_only_with_the_number(survey_wave: Any, survey_people: Any) -> None:
    interviewer = client_for(survey_people["interviewer"])
    stratum = _west(survey_wave)
    missing = post(interviewer, survey_wave, payload(stratum, mode="phone", lat=None, lng=None))
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "phone"]
    made = post(interviewer, survey_wave, payload(stratum, mode="phone", phone="13900139000"))
    assert made.status_code == 201 and Response.objects.get().mode == "phone"
    assert "13900139000" not in Response.objects.get().respondent_key


def test_it_lets_only_the_waves_staff_submit(survey_wave: Any, survey_people: Any, org: Any) -> None:
    body = payload(_west(survey_wave))
    refused = post(client_for(survey_people["other_inspector"]), survey_wave, body)
    assert refused.status_code == 403 and refused.json()["code"] == "refused"
    assert post(client_for(survey_people["street"]), survey_wave, body).status_code == 403
    other = Unit.objects.create(code="D02", name="邻区", kind=UnitKind.DISTRICT, parent=org["city"])
    assert post(client_for(make_user("outsider", "coordinator", other)), survey_wave, body).status_code == 404
    assert Response.objects.count() == 0


def test_it_takes_a_token_without_a_csrf_check(survey_wave: Any, survey_people: Any) -> None:
    from django.test import Client

    from chuangwen.accounts.services import issue_token

    key = issue_token(survey_people["interviewer"], "手机")
    client = Client(enforce_csrf_checks=True)
    got = client.post(
        f"{BASE}/waves/{survey_wave.pk}/responses",
        json.dumps(payload(_west(survey_wave))),
        content_type="application/json",
        headers={"authorization": f"Token {key}"},
    )
    assert got.status_code == 201, got.content
