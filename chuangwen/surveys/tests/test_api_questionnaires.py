"""Questionnaires through the API: the list and one questionnaire (scores only for the owning office), import
of a spec as a new version, all or nothing with the place of each problem, and freezing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chuangwen.org.models import Unit, UnitKind
from chuangwen.surveys.models import Questionnaire
from chuangwen.surveys.spec import STARTER, read_yaml
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db
BASE = "/api/v1/surveys"


def starter() -> dict[str, Any]:
    document: dict[str, Any] = read_yaml(STARTER.read_bytes())
    return document


def post_spec(client: Any, document: Any, query: str = "") -> Any:
    return client.post(f"{BASE}/questionnaires{query}", json.dumps(document), content_type="application/json")


def test_it_lists_the_questionnaires_of_the_lineage(survey_questionnaire: Any, users: Any, org: Any) -> None:
    street = client_for(users["west_head"]).get(f"{BASE}/questionnaires")
    assert street.status_code == 200
    [item] = street.json()
    assert item["code"] == "WM_RESIDENT" and item["version"] == 1 and item["state"] == "draft"
    assert item["owner"] == {"id": org["district"].pk, "name": "文明区"} and item["questions"] == 19
    other = Unit.objects.create(code="D02", name="邻区", kind=UnitKind.DISTRICT, parent=org["city"])
    assert client_for(make_user("outsider", "coordinator", other)).get(f"{BASE}/questionnaires").json() == []
    volunteer = make_user("vol", "volunteer", org["west_c"])
    assert client_for(volunteer).get(f"{BASE}/questionnaires").status_code == 403


def test_it_gives_scores_only_to_the_owning_office(survey_questionnaire: Any, users: Any, org: Any) -> None:
    url = f"{BASE}/questionnaires/{survey_questionnaire.pk}"
    office = client_for(users["coordinator"]).get(url).json()
    assert office["with_scores"] is True and office["definition"]["scores"]["aw_campaign"] == {
        "yes": 1,
        "no": 0,
    }
    first = office["spec"]["sections"][0]["questions"][0]
    assert first["code"] == "aw_campaign" and first["choices"][0]["score"] == 1
    street = client_for(users["west_head"]).get(url).json()
    assert street["with_scores"] is False and "scores" not in street["definition"]
    assert '"score"' not in json.dumps(street["spec"])
    other = Unit.objects.create(code="D02", name="邻区", kind=UnitKind.DISTRICT, parent=org["city"])
    assert client_for(make_user("outsider", "coordinator", other)).get(url).status_code == 404


def test_it_imports_a_spec_as_the_next_version(survey_questionnaire: Any, users: Any) -> None:
    document = starter()
    document["title"] = "文明城市创建市民问卷（第二版）"
    got = post_spec(client_for(users["coordinator"]), document)
    assert got.status_code == 201, got.content
    body = got.json()
    assert body["code"] == "WM_RESIDENT" and body["version"] == 2 and body["title"].endswith("（第二版）")
    assert body["state"] == "draft" and body["questions"] == 19
    assert Questionnaire.objects.count() == 2


def test_it_lists_every_problem_by_place_and_stores_nothing(users: Any) -> None:
    document = starter()
    document["code"] = "9bad"
    first = document["sections"][0]["questions"][0]
    first["kind"] = "dropdown"
    document["sections"][1]["questions"][0]["relevant"] = "${nowhere} = 'x'"
    got = post_spec(client_for(users["coordinator"]), document)
    assert got.status_code == 422
    locs = {tuple(e["loc"]): e["msg"] for e in got.json()["detail"]}
    assert ("body", "问卷", "code") in locs and "问卷编号" in locs[("body", "问卷", "code")]
    assert ("body", "第 1 题（aw_campaign）", "kind") in locs
    assert any(loc[-1] == "relevant" and "nowhere" in msg for loc, msg in locs.items())
    assert Questionnaire.objects.count() == 0


def test_it_refuses_a_body_that_is_no_questionnaire(users: Any) -> None:
    coordinator = client_for(users["coordinator"])
    not_json = coordinator.post(f"{BASE}/questionnaires", "code: x", content_type="application/json")
    assert not_json.status_code == 422 and not_json.json()["detail"][0]["type"] == "json_invalid"
    listed = post_spec(coordinator, [1, 2])
    assert listed.status_code == 422 and "问卷" in listed.json()["detail"][0]["msg"]
    unknown = post_spec(coordinator, starter(), "?standard_id=999999")
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["query", "standard_id"]
    assert Questionnaire.objects.count() == 0


def test_it_lets_only_coordinators_import(users: Any) -> None:
    got = post_spec(client_for(users["west_head"]), starter())
    assert got.status_code == 403 and got.json()["code"] == "refused"
    assert post_spec(client_for(users["inspector"]), starter()).status_code == 403
    assert Questionnaire.objects.count() == 0


def test_it_freezes_once_and_answers_a_second_freeze_with_409(
    survey_questionnaire: Any, users: Any, survey_clock: None
) -> None:
    url = f"{BASE}/questionnaires/{survey_questionnaire.pk}/freeze"
    assert client_for(users["west_head"]).post(url).status_code == 403
    done = client_for(users["coordinator"]).post(url)
    assert done.status_code == 200 and done.json()["state"] == "frozen" and done.json()["frozen_at"]
    again = client_for(users["coordinator"]).post(url)
    assert again.status_code == 409 and again.json()["code"] == "already_frozen"
    assert client_for(users["coordinator"]).post(f"{BASE}/questionnaires/999999/freeze").status_code == 404


def test_it_keeps_the_openapi_document_building_with_the_survey_paths(users: Any) -> None:
    got = client_for(users["coordinator"]).get("/api/v1/openapi.json")
    assert got.status_code == 200
    paths = got.json()["paths"]
    for path in (
        "/api/v1/surveys/waves/{wave_id}/fieldwork",
        "/api/v1/surveys/waves/{wave_id}/responses",
        "/api/v1/surveys/questionnaires",
        "/api/v1/surveys/waves/{wave_id}/results",
        "/api/v1/surveys/population/{unit_id}",
        "/api/v1/surveys/coaching",
        "/api/v1/surveys/results/trend",
    ):
        assert path in paths, path
    body = paths["/api/v1/surveys/waves/{wave_id}/responses"]["post"]["requestBody"]
    assert "client_id" in body["content"]["application/json"]["schema"]["properties"]
