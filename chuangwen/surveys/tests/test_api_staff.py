"""The surveys API's wave staff: the coordinator running the wave adds, re-roles and removes interviewers
and supervisors as on the wave page, once per client id; nobody else may; bad input names the field."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from chuangwen.audit.models import AuditEntry
from chuangwen.org.models import Unit, UnitKind
from chuangwen.surveys.models import WaveStaff
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db


def _path(wave: Any) -> str:
    return f"/api/v1/surveys/waves/{wave.pk}/staff"


def test_it_adds_and_removes_staff_once(survey_wave: Any, survey_people: dict[str, Any], users: Any) -> None:
    client = client_for(survey_people["coordinator"])
    newcomer = users["verifier"]
    body = {"client_id": str(uuid.uuid4()), "user_id": newcomer.pk, "role": "supervisor"}
    answer = client.post(_path(survey_wave), body, content_type="application/json")
    assert answer.status_code == 200, answer.content
    assert WaveStaff.objects.get(wave=survey_wave, user=newcomer).role == "supervisor"
    again = client.post(_path(survey_wave), {**body, "role": "interviewer"}, content_type="application/json")
    assert again.json()["duplicate"] is True
    assert WaveStaff.objects.get(wave=survey_wave, user=newcomer).role == "supervisor"
    client_id = uuid.uuid4()
    removed = client.delete(f"{_path(survey_wave)}/{newcomer.pk}?client_id={client_id}")
    assert removed.status_code == 200 and newcomer.pk not in [i["user_id"] for i in removed.json()["items"]]
    entries = AuditEntry.objects.filter(action="survey.wave.staff", object_id=str(survey_wave.pk))
    assert sorted(e.detail["action"] for e in entries) == ["add", "remove"]


def test_it_refuses_anyone_but_the_waves_coordinator(
    survey_wave: Any, survey_people: dict[str, Any], users: Any, org: dict[str, Any]
) -> None:
    body = {"client_id": str(uuid.uuid4()), "user_id": users["verifier"].pk, "role": "interviewer"}
    for name in ("street", "interviewer", "supervisor"):
        answer = client_for(survey_people[name]).post(
            _path(survey_wave), body, content_type="application/json"
        )
        assert answer.status_code in (403, 404), name
    other = Unit.objects.create(code="D02", name="新区", kind=UnitKind.DISTRICT, parent=org["city"])
    stranger = make_user("coord2", "coordinator", other)
    answer = client_for(stranger).post(_path(survey_wave), body, content_type="application/json")
    assert answer.status_code == 404
    removal = client_for(stranger).delete(
        f"{_path(survey_wave)}/{survey_people['interviewer'].pk}?client_id={uuid.uuid4()}"
    )
    assert removal.status_code == 404
    assert not WaveStaff.objects.filter(wave=survey_wave, user=users["verifier"]).exists()
    assert WaveStaff.objects.filter(wave=survey_wave, user=survey_people["interviewer"]).exists()


def test_it_names_the_field_of_bad_input(survey_wave: Any, survey_people: dict[str, Any], users: Any) -> None:
    client = client_for(survey_people["coordinator"])
    base = {"client_id": str(uuid.uuid4()), "user_id": users["verifier"].pk, "role": "boss"}
    role = client.post(_path(survey_wave), base, content_type="application/json")
    assert role.status_code == 422 and role.json()["detail"][0]["loc"][-1] == "role"
    unknown = {**base, "client_id": str(uuid.uuid4()), "user_id": 2**62, "role": "interviewer"}
    citizen_like = client.post(_path(survey_wave), unknown, content_type="application/json")
    assert citizen_like.status_code == 400 and citizen_like.json()["field"] == "user_id"
    assert not WaveStaff.objects.filter(wave=survey_wave, user=users["verifier"]).exists()
