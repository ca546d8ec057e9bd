"""A handler's phone uploads a rectification photo for his case through POST /api/v1/evidence and reports
the fix with it; the photo is scoped to the case (another unit's case is not found, a case he may not act
on refuses), a resend is answered from the stored row, and a missing case is named in Chinese."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from chuangwen.accounts.services import issue_token
from chuangwen.cases.models import Case, CaseState
from chuangwen.cases.tests.photo_fixtures import HERE, picture
from chuangwen.evidence.models import Evidence, EvidenceKind

pytestmark = pytest.mark.django_db


def phone(user):
    key = issue_token(user, "整改手机")
    return {"HTTP_AUTHORIZATION": f"Token {key}"}


def send(user, case_id, kind="rectification", client_id=None, headers=None):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {
        "client_id": str(client_id or uuid.uuid4()),
        "kind": kind,
        "lat": HERE[0],
        "lng": HERE[1],
        "accuracy": 8,
        "file": SimpleUploadedFile("fix.jpg", picture("third"), content_type="image/jpeg"),
    }
    if case_id is not None:
        data["case_id"] = case_id
    return Client().post("/api/v1/evidence", data, **(headers or phone(user)))


def test_it_lets_a_handler_upload_a_rectification_photo_and_rectify_with_it(
    people, west_case, django_capture_on_commit_callbacks
):
    handler = people["west_handler"]
    headers = phone(handler)
    client_id = uuid.uuid4()
    response = send(handler, west_case.pk, client_id=client_id, headers=headers)
    assert response.status_code == 201, response.content
    photo = Evidence.objects.get(pk=response.json()["id"])
    assert photo.kind == EvidenceKind.RECTIFICATION and photo.round_id is None
    again = send(handler, west_case.pk, client_id=client_id, headers=headers)
    assert again.status_code == 200 and again.json()["duplicate"] and again.json()["id"] == photo.pk

    body = {"reason": "已清理", "photo_ids": [photo.pk]}
    url = f"/api/v1/cases/{west_case.pk}/actions/rectify"
    with django_capture_on_commit_callbacks(execute=True):  # the fix commits: its photo check is queued
        acted = Client().post(url, body, content_type="application/json", **headers)
    assert acted.status_code == 200, acted.content
    assert acted.json()["state"] == CaseState.RECTIFIED
    assert acted.json()["events"][-1]["photo_ids"] == [photo.pk]
    detail = Client().get(f"/api/v1/cases/{west_case.pk}", **headers).json()
    assert [check["state"] for check in detail["photo_checks"]] == ["done"]  # the worker ran (inline)


def test_it_hides_another_units_case_from_a_photo_upload(people, west_case):
    before = Evidence.objects.count()
    response = send(people["east_handler"], west_case.pk)
    assert response.status_code == 404 and response.json()["detail"] == "案卷不存在"
    assert Evidence.objects.count() == before


def test_it_refuses_a_case_photo_the_user_may_not_take(people, west_case):
    response = send(people["verifier"], west_case.pk)  # the case awaits a fix, not a verification
    assert response.status_code == 403 and "不能为案卷" in response.json()["detail"]
    Case.objects.filter(pk=west_case.pk).update(state=CaseState.RECTIFIED)
    assert send(people["verifier"], west_case.pk, kind="verification").status_code == 201


def test_it_names_the_missing_case_in_chinese(people, west_case):
    response = send(people["west_handler"], None)
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"][-1] == "case_id" and "须指明案卷" in error["msg"]
