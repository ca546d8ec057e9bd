"""The case API's photo recheck: a failed check is queued again as from the case page, once per client id;
another unit's user finds no such case; bad input names the field."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from chuangwen.audit.models import AuditEntry
from chuangwen.cases.models import PhotoCheck, PhotoCheckState
from conftest import client_for

pytestmark = pytest.mark.django_db


def _path(case: Any, event: Any) -> str:
    return f"/api/v1/cases/{case.pk}/photo-checks/{event.pk}/recheck"


@pytest.fixture
def failed(people: Any, west_case: Any, upload: Any, rectify: Any, settings: Any) -> Any:
    settings.CASES_REUSE_CANDIDATE_BITS = "twenty"  # a broken configuration makes the checks raise
    event = rectify(west_case, people["west_handler"], [upload(people["west_handler"], "other")])
    assert PhotoCheck.objects.get(event=event).state == PhotoCheckState.FAILED
    settings.CASES_REUSE_CANDIDATE_BITS = 20
    return event


def test_it_queues_a_failed_check_again_once(people: Any, west_case: Any, failed: Any) -> None:
    body = {"client_id": str(uuid.uuid4())}
    client = client_for(people["verifier"])
    answer = client.post(_path(west_case, failed), body, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["queued"] is True, answer.content
    assert PhotoCheck.objects.get(event=failed).state == PhotoCheckState.DONE
    again = client.post(_path(west_case, failed), body, content_type="application/json")
    assert again.json()["duplicate"] is True and PhotoCheck.objects.get(event=failed).attempts == 2
    assert AuditEntry.objects.filter(action="case.photo_recheck").count() == 1


def test_it_hides_another_units_case(people: Any, west_case: Any, failed: Any) -> None:
    client = client_for(people["east_head"])
    answer = client.post(
        _path(west_case, failed), {"client_id": str(uuid.uuid4())}, content_type="application/json"
    )
    assert answer.status_code == 404
    assert PhotoCheck.objects.get(event=failed).state == PhotoCheckState.FAILED


def test_it_names_the_field_of_bad_input(people: Any, west_case: Any, failed: Any) -> None:
    client = client_for(people["verifier"])
    answer = client.post(_path(west_case, failed), {"client_id": "x"}, content_type="application/json")
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"][-1] == "client_id"
    assert PhotoCheck.objects.get(event=failed).state == PhotoCheckState.FAILED
