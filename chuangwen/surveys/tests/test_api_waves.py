"""Waves, plans and population figures through the API: the list and one wave with its plan figures
(target, done, residents, margin of error), creating a wave, building its plan, changing a cell's quota,
opening, closing and publishing (a repeat answers 409 with a code), the 10 population numbers of a unit;
and who may."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from chuangwen.audit.models import AuditEntry
from chuangwen.org.models import Unit, UnitKind
from chuangwen.surveys import plan, services
from chuangwen.surveys.models import PopulationFigure, QuotaCell, Stratum, Wave
from chuangwen.surveys.tests.fixtures import submission
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db
BASE = "/api/v1/surveys"


def send(client: Any, method: str, url: str, body: Any = None) -> Any:
    call = getattr(client, method)
    if body is None:
        return call(url)
    return call(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def draft_wave(survey_questionnaire: Any, population: Any, users: Any, org: Any, survey_clock: None) -> Wave:
    return plan.create_wave(
        survey_questionnaire, org["district"], "2027 年 1 月市民问卷", date(2027, 1, 4), date(2027, 1, 29),
        ["interviewer"], users["coordinator"],
    )  # fmt: skip


@pytest.fixture
def outsider(org: Any) -> Any:
    other = Unit.objects.create(code="D02", name="邻区", kind=UnitKind.DISTRICT, parent=org["city"])
    return make_user("outsider", "coordinator", other)


def test_it_lists_the_waves_of_the_lineage(survey_wave: Any, users: Any, outsider: Any) -> None:
    got = client_for(users["west_head"]).get(f"{BASE}/waves")
    assert got.status_code == 200
    [item] = got.json()
    assert item["name"] == "2026 年 12 月市民问卷" and item["state"] == "fielding"
    assert item["questionnaire"]["code"] == "WM_RESIDENT" and item["owner"]["name"] == "文明区"
    assert client_for(users["west_head"]).get(f"{BASE}/waves?state=draft").json() == []
    assert client_for(outsider).get(f"{BASE}/waves").json() == []


def test_it_shows_a_wave_with_its_plan_figures(survey_wave: Any, users: Any, outsider: Any) -> None:
    got = client_for(users["coordinator"]).get(f"{BASE}/waves/{survey_wave.pk}")
    assert got.status_code == 200
    body = got.json()
    assert body["plan"]["target"] == 40 and body["plan"]["filled"] == 0 and body["plan"]["population"] == 4000
    assert 0.14 < body["plan"]["margin"] < 0.16
    west = next(s for s in body["strata"] if s["unit"]["name"] == "柳浪社区")
    assert west["population"] == 1000 and west["target"] == 12 and round(west["margin"], 3) == 0.281
    assert len(west["cells"]) == 10 and {"id", "population", "target", "filled", "full"} <= set(
        west["cells"][0]
    )
    assert body["quality"]["min_seconds"] == 120 and body["may_run"] is True
    street = client_for(users["west_head"]).get(f"{BASE}/waves/{survey_wave.pk}").json()
    assert street["may_run"] is False and street["may_interview"] is False
    assert client_for(outsider).get(f"{BASE}/waves/{survey_wave.pk}").status_code == 404


def test_it_creates_a_wave_for_the_office(survey_questionnaire: Any, users: Any, survey_clock: None) -> None:
    body = {
        "questionnaire_id": survey_questionnaire.pk,
        "name": "2027 年 3 月市民问卷",
        "starts_on": "2027-03-01",
        "ends_on": "2027-03-31",
        "modes": ["interviewer", "phone"],
        "callback_percent": 20,
    }
    got = send(client_for(users["coordinator"]), "post", f"{BASE}/waves", body)
    assert got.status_code == 201, got.content
    made = got.json()
    assert made["state"] == "draft" and made["modes"] == ["interviewer", "phone"] and made["strata"] == []
    assert made["quality"]["callback_percent"] == 20 and made["owner"]["name"] == "文明区"
    assert Wave.objects.get(pk=made["id"]).created_by == users["coordinator"]


def test_it_names_the_bad_fields_of_a_new_wave(
    survey_questionnaire: Any, users: Any, survey_clock: None
) -> None:
    coordinator = client_for(users["coordinator"])
    body = {
        "questionnaire_id": survey_questionnaire.pk,
        "name": "二月",
        "starts_on": "2027-03-01",
        "ends_on": "2027-02-01",
        "modes": ["interviewer"],
    }
    backwards = send(coordinator, "post", f"{BASE}/waves", body)
    assert backwards.status_code == 422
    assert backwards.json()["detail"] == [
        {"loc": ["body", "ends_on"], "msg": "结束日期早于开始日期", "type": "invalid"}
    ]
    bad = send(coordinator, "post", f"{BASE}/waves", {**body, "ends_on": "9999-01-01", "modes": ["fax"]})
    locs = [e["loc"] for e in bad.json()["detail"]]
    assert bad.status_code == 422 and ["body", "ends_on"] in locs and ["body", "modes", 0] in locs
    unknown = send(
        coordinator, "post", f"{BASE}/waves", {**body, "ends_on": "2027-03-31", "questionnaire_id": 99}
    )
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["body", "questionnaire_id"]
    assert Wave.objects.count() == 0


def test_it_lets_only_coordinators_create_waves(survey_questionnaire: Any, users: Any) -> None:
    body = {"questionnaire_id": survey_questionnaire.pk, "name": "x", "starts_on": "2027-03-01",
            "ends_on": "2027-03-31", "modes": ["self"]}  # fmt: skip
    assert send(client_for(users["west_head"]), "post", f"{BASE}/waves", body).status_code == 403
    assert Wave.objects.count() == 0


def test_it_builds_the_plan_of_a_draft_wave(draft_wave: Wave, users: Any, org: Any, outsider: Any) -> None:
    url = f"{BASE}/waves/{draft_wave.pk}/plan"
    body = {"unit_ids": [org["west_c"].pk, org["east_c"].pk], "total": 100, "minimum": 10}
    assert send(client_for(users["west_head"]), "post", url, body).status_code == 403
    assert send(client_for(outsider), "post", url, body).status_code == 404
    got = send(client_for(users["coordinator"]), "post", url, body)
    assert got.status_code == 200, got.content
    targets = {s["unit"]["name"]: s["target"] for s in got.json()["strata"]}
    assert targets == {"柳浪社区": 30, "东门社区": 70} and got.json()["plan"]["target"] == 100


def test_it_names_bad_plan_fields(draft_wave: Wave, users: Any, org: Any) -> None:
    coordinator = client_for(users["coordinator"])
    url = f"{BASE}/waves/{draft_wave.pk}/plan"
    foreign = Unit.objects.create(code="D02", name="邻区", kind=UnitKind.DISTRICT, parent=org["city"])
    outside = send(coordinator, "post", url, {"unit_ids": [foreign.pk], "total": 10})
    assert outside.status_code == 422 and outside.json()["detail"][0]["loc"] == ["body", "unit_ids"]
    empty = send(coordinator, "post", url, {"unit_ids": [org["west"].pk, org["dept"].pk], "total": 10})
    assert empty.status_code == 422 and "人口数" in empty.json()["detail"][0]["msg"]
    zero = send(coordinator, "post", url, {"unit_ids": [org["west_c"].pk], "total": 0})
    assert zero.status_code == 422 and zero.json()["detail"][0]["loc"] == ["body", "total"]
    assert Stratum.objects.count() == 0


def test_it_changes_a_cells_quota_and_the_stratum_follows(survey_wave: Any, users: Any) -> None:
    stratum = survey_wave.strata.get(unit__code="S01C01")
    cell = QuotaCell.objects.get(stratum=stratum, age_band="30-39", sex="f")
    url = f"{BASE}/waves/{survey_wave.pk}/cells/{cell.pk}"
    coordinator = client_for(users["coordinator"])
    got = send(coordinator, "put", url, {"target": cell.target + 3})
    assert got.status_code == 200 and got.json()["target"] == cell.target + 3
    assert Stratum.objects.get(pk=stratum.pk).target == 15
    services.submit(survey_wave, submission(stratum), "interviewer", None)
    below = send(coordinator, "put", url, {"target": 0})
    assert below.status_code == 422 and below.json()["detail"][0]["loc"] == ["body", "target"]
    assert "已完成数 1" in below.json()["detail"][0]["msg"]
    assert send(client_for(users["west_head"]), "put", url, {"target": 5}).status_code == 403
    assert (
        send(coordinator, "put", f"{BASE}/waves/{survey_wave.pk}/cells/999999", {"target": 5}).status_code
        == 404
    )


def test_it_opens_closes_and_publishes_once_each(draft_wave: Wave, users: Any, org: Any) -> None:
    coordinator = client_for(users["coordinator"])
    url = f"{BASE}/waves/{draft_wave.pk}"
    no_plan = coordinator.post(f"{url}/open")
    assert no_plan.status_code == 409 and no_plan.json()["code"] == "plan"
    send(coordinator, "post", f"{url}/plan", {"unit_ids": [org["west_c"].pk], "total": 20})
    assert client_for(users["west_head"]).post(f"{url}/open").status_code == 403
    early = coordinator.post(f"{url}/publish")
    assert early.status_code == 409 and early.json()["code"] == "state"
    opened = coordinator.post(f"{url}/open")
    assert opened.status_code == 200 and opened.json()["state"] == "fielding"
    assert coordinator.post(f"{url}/open").json()["code"] == "already_open"
    assert coordinator.post(f"{url}/close").json()["state"] == "closed"
    again = coordinator.post(f"{url}/close")
    assert again.status_code == 409 and again.json()["code"] == "already_closed"
    published = coordinator.post(f"{url}/publish")
    assert published.status_code == 200 and published.json()["state"] == "published"
    twice = coordinator.post(f"{url}/publish")
    assert twice.status_code == 409 and twice.json()["code"] == "already_published" and twice.json()["detail"]
    assert AuditEntry.objects.filter(action="survey.wave.publish").count() == 1


def test_it_refuses_to_publish_while_interviews_wait_for_review(survey_wave: Any, users: Any) -> None:
    stratum = survey_wave.strata.get(unit__code="S01C01")
    services.submit(survey_wave, submission(stratum, lat=None, lng=None), "interviewer", None)
    coordinator = client_for(users["coordinator"])
    coordinator.post(f"{BASE}/waves/{survey_wave.pk}/close")
    pending = coordinator.post(f"{BASE}/waves/{survey_wave.pk}/publish")
    assert (
        pending.status_code == 409
        and pending.json()["code"] == "pending"
        and "待审核" in pending.json()["detail"]
    )


def test_it_reads_and_replaces_the_ten_population_numbers(population: Any, users: Any, org: Any) -> None:
    url = f"{BASE}/population/{org['west_c'].pk}"
    got = client_for(users["west_head"]).get(url)
    assert got.status_code == 200 and got.json()["total"] == 1000 and len(got.json()["cells"]) == 10
    street = client_for(users["west_head"]).get(f"{BASE}/population/{org['west'].pk}").json()
    assert street["total"] == 0 and street["cells"][0]["count"] is None and street["summed_total"] == 1000
    cells = [{"age_band": a, "sex": s, "count": 50} for a in ("18-29", "30-39", "40-49", "50-59", "60-65")
             for s in ("m", "f")]  # fmt: skip
    put = send(client_for(users["coordinator"]), "put", url, {"cells": cells})
    assert put.status_code == 200 and put.json()["total"] == 500
    assert all(c["count"] == 50 for c in put.json()["cells"])
    assert AuditEntry.objects.filter(action="survey.population.edit").count() == 1
    coordinator = client_for(users["coordinator"])
    twice = send(coordinator, "put", f"{BASE}/population/{org['east'].pk}", {"cells": cells})
    assert twice.status_code == 422 and twice.json()["detail"][0]["loc"] == ["path", "unit_id"]
    assert (
        "东门社区" in twice.json()["detail"][0]["msg"]
    )  # the street's community holds its residents already
    district = send(coordinator, "put", f"{BASE}/population/{org['district'].pk}", {"cells": cells})
    assert district.status_code == 422 and "街道或社区" in district.json()["detail"][0]["msg"]
    assert not PopulationFigure.objects.filter(unit__in=[org["east"], org["district"]]).exists()


def test_it_names_bad_population_numbers_and_changes_nothing(population: Any, users: Any, org: Any) -> None:
    url = f"{BASE}/population/{org['west_c'].pk}"
    coordinator = client_for(users["coordinator"])
    cells = [{"age_band": "18-29", "sex": "m", "count": 1}] * 10
    twice = send(coordinator, "put", url, {"cells": cells})
    assert twice.status_code == 422 and twice.json()["detail"][0]["loc"] == ["body", "cells"]
    short = send(coordinator, "put", url, {"cells": cells[:3]})
    assert short.status_code == 422 and short.json()["detail"][0]["loc"] == ["body", "cells"]
    negative = send(coordinator, "put", url, {"cells": [{**cells[0], "count": -1}, *cells[1:]]})
    assert negative.status_code == 422 and negative.json()["detail"][0]["loc"] == [
        "body",
        "cells",
        0,
        "count",
    ]
    assert sum(PopulationFigure.objects.filter(unit=org["west_c"]).values_list("count", flat=True)) == 1000


def test_it_keeps_population_figures_to_the_users_subtree(population: Any, users: Any, org: Any) -> None:
    assert client_for(users["west_head"]).get(f"{BASE}/population/{org['east_c'].pk}").status_code == 404
    cells = [{"age_band": "18-29", "sex": "m", "count": 1}]
    refused = send(
        client_for(users["west_head"]), "put", f"{BASE}/population/{org['west_c'].pk}", {"cells": cells}
    )
    assert refused.status_code == 403
