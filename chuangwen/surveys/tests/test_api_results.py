"""Results and coaching visits through the API: live results for the office, the published snapshot cut to
the caller's units, the trend across published waves; coaching visits recorded with the phone kept only as a
hash and listed without it."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from chuangwen.org.models import Unit, UnitKind
from chuangwen.surveys import plan, results, services
from chuangwen.surveys.models import CoachingVisit
from chuangwen.surveys.tests.fixtures import full_answers, submission
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db
BASE = "/api/v1/surveys"


def send(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def interviewed(survey_wave: Any, survey_people: Any) -> Any:
    """Two accepted self-completions in each community (aware in the west, unaware in the east)."""
    for code, aware in (("S01C01", "yes"), ("S02C01", "no")):
        stratum = survey_wave.strata.get(unit__code=code)
        for phone in ("13800138001", "13800138002"):
            sub = submission(stratum, phone=phone if code == "S01C01" else "139" + phone[3:])
            sub.answers = full_answers(aw_campaign=aware, aw_channel=None if aware == "no" else ["net"])
            response, _ = services.submit(survey_wave, sub, "self")
            assert response.status == "accepted"
    return survey_wave


@pytest.fixture
def outsider(org: Any) -> Any:
    other = Unit.objects.create(code="D02", name="邻区", kind=UnitKind.DISTRICT, parent=org["city"])
    return make_user("outsider", "coordinator", other)


def test_it_shows_the_office_live_results_of_a_running_wave(
    interviewed: Any, survey_people: Any, org: Any
) -> None:
    got = client_for(survey_people["coordinator"]).get(f"{BASE}/waves/{interviewed.pk}/results")
    assert got.status_code == 200, got.content
    body = got.json()
    assert body["published"] is False and body["counts"]["accepted"] == 4
    assert "awareness" in body["measures"]
    units = body["units"]
    assert {str(org[k].pk) for k in ("district", "west", "east", "west_c", "east_c")} == set(units)
    assert units[str(org["west_c"].pk)]["name"] == "柳浪社区" and units[str(org["west_c"].pk)]["measures"]
    assert any(q["code"] == "aw_campaign" for q in body["questions"])


def test_it_gives_others_only_published_results_cut_to_their_units(
    interviewed: Any, survey_people: Any, org: Any, outsider: Any
) -> None:
    url = f"{BASE}/waves/{interviewed.pk}/results"
    street = client_for(survey_people["street"])
    waiting = street.get(url)
    assert waiting.status_code == 409 and waiting.json()["code"] == "not_published"
    coordinator = survey_people["coordinator"]
    plan.close_wave(interviewed, coordinator)
    results.publish(interviewed, coordinator)
    got = street.get(url)
    assert got.status_code == 200 and got.json()["published"] is True
    assert set(got.json()["units"]) == {str(org[k].pk) for k in ("district", "west", "west_c")}
    assert client_for(outsider).get(url).status_code == 404
    volunteer = make_user("vol", "volunteer", org["west_c"])
    assert client_for(volunteer).get(url).status_code == 403


def test_it_traces_the_rates_of_the_callers_units_across_published_waves(
    interviewed: Any, survey_people: Any, org: Any, outsider: Any
) -> None:
    coordinator = survey_people["coordinator"]
    plan.close_wave(interviewed, coordinator)
    results.publish(interviewed, coordinator)
    street = client_for(survey_people["street"])
    got = street.get(f"{BASE}/results/trend")
    assert got.status_code == 200
    body = got.json()
    assert "awareness" in body["measures"]
    [wave] = body["waves"]
    assert wave["id"] == interviewed.pk and wave["published_at"]
    by_name = {u["name"]: u for u in wave["units"]}
    assert set(by_name) == {"文明区", "西湖街道", "柳浪社区"}
    assert (
        by_name["柳浪社区"]["measures"]["awareness"]["rate"]
        > by_name["文明区"]["measures"]["awareness"]["rate"]
    )
    one = street.get(f"{BASE}/results/trend?unit_id={org['west_c'].pk}").json()
    assert [u["name"] for u in one["waves"][0]["units"]] == ["柳浪社区"]
    hidden = street.get(f"{BASE}/results/trend?unit_id={org['east_c'].pk}").json()
    assert hidden["waves"][0]["units"] == []
    assert client_for(outsider).get(f"{BASE}/results/trend").json() == {"measures": [], "waves": []}


def test_it_records_a_coaching_visit_keeping_only_the_phones_hash(
    survey_people: Any, org: Any, survey_clock: None
) -> None:
    coordinator = client_for(survey_people["coordinator"])
    body = {
        "unit_id": org["west_c"].pk,
        "phone": "138 0013 8000",
        "visited_on": "2026-12-05",
        "note": "上门宣传",
    }
    got = send(coordinator, f"{BASE}/coaching", body)
    assert got.status_code == 201, got.content
    assert got.json()["unit"]["name"] == "柳浪社区" and got.json()["visited_on"] == "2026-12-05"
    assert "13800138000" not in got.content.decode() and "phone" not in got.json()
    visit = CoachingVisit.objects.get()
    assert visit.respondent_key == services.phone_key("13800138000")
    listed = coordinator.get(f"{BASE}/coaching").json()
    assert listed["count"] == 1 and visit.respondent_key not in json.dumps(listed)
    assert listed["items"][0]["recorded_by"] == "coord"


def test_it_names_bad_coaching_fields_and_stores_nothing(
    survey_people: Any, org: Any, survey_clock: None
) -> None:
    coordinator = client_for(survey_people["coordinator"])
    base = {"unit_id": org["west_c"].pk, "phone": "13800138000", "visited_on": "2026-12-05"}
    for override, field in (
        ({"phone": "12345"}, "phone"),
        ({"visited_on": "2026-12-25"}, "visited_on"),
        ({"visited_on": "9999-01-01"}, "visited_on"),
        ({"note": "长" * 301}, "note"),
    ):
        got = send(coordinator, f"{BASE}/coaching", {**base, **override})
        assert got.status_code == 422, override
        assert got.json()["detail"][0]["loc"] == ["body", field], got.json()
    foreign = Unit.objects.create(code="D02", name="邻区", kind=UnitKind.DISTRICT, parent=org["city"])
    outside = send(coordinator, f"{BASE}/coaching", {**base, "unit_id": foreign.pk})
    assert outside.status_code == 422 and outside.json()["detail"][0]["loc"] == ["body", "unit_id"]
    assert CoachingVisit.objects.count() == 0


def test_it_keeps_coaching_visits_to_the_callers_subtree(
    survey_people: Any, org: Any, outsider: Any, survey_clock: None
) -> None:
    coordinator = survey_people["coordinator"]
    services.record_coaching(org["west_c"], "13800138000", date(2026, 12, 5), coordinator)
    services.record_coaching(org["east_c"], "13900139000", date(2026, 12, 6), coordinator)
    street = client_for(survey_people["street"])
    listed = street.get(f"{BASE}/coaching").json()
    assert [i["unit"]["name"] for i in listed["items"]] == ["柳浪社区"]
    assert street.get(f"{BASE}/coaching?unit_id={org['east_c'].pk}").json()["count"] == 0
    assert client_for(outsider).get(f"{BASE}/coaching").json()["count"] == 0
    body = {"unit_id": org["west_c"].pk, "phone": "13700137000", "visited_on": "2026-12-05"}
    assert send(street, f"{BASE}/coaching", body).status_code == 403
    assert CoachingVisit.objects.count() == 2
