"""The imports API: upload a sheet as the import page does (background job, all or nothing), once per
client id; follow the job (only the uploader); roles without the sheet refused; a bad file named."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chuangwen.core.models import ImportJob
from chuangwen.core.tests.helpers import xlsx_bytes
from chuangwen.core.tests.test_views_transfer import HEADERS
from chuangwen.sites.models import Site
from conftest import client_for

pytestmark = pytest.mark.django_db
ROW = ["N001", "新建路", "ZD", "", 120.02, 30.05, "", "S01", "否", "", "是"]


def _upload(user: Any, client_id: str, data: bytes, capture: Any, kind: str = "sites") -> Any:
    file = SimpleUploadedFile("sites.xlsx", data, content_type="application/octet-stream")
    with capture(execute=True):
        return client_for(user).post(f"/api/v1/imports/{kind}", {"client_id": client_id, "file": file})


def test_it_imports_a_sheet_once(users: Any, org: Any, django_capture_on_commit_callbacks: Any) -> None:
    client_id = str(uuid.uuid4())
    data = xlsx_bytes(HEADERS, [ROW])
    answer = _upload(users["coordinator"], client_id, data, django_capture_on_commit_callbacks)
    assert answer.status_code == 202, answer.content
    again = _upload(users["coordinator"], client_id, data, django_capture_on_commit_callbacks)
    assert again.status_code == 200 and again.json()["duplicate"] is True and ImportJob.objects.count() == 1
    job = client_for(users["coordinator"]).get(f"/api/v1/imports/jobs/{answer.json()['id']}")
    assert job.status_code == 200 and job.json()["status"] == "succeeded"
    assert Site.objects.filter(code="N001").count() == 1
    assert client_for(users["admin"]).get(f"/api/v1/imports/jobs/{answer.json()['id']}").status_code == 404


def test_it_refuses_roles_and_bad_files(users: Any, django_capture_on_commit_callbacks: Any) -> None:
    data = xlsx_bytes(HEADERS, [ROW])
    for kind in ("sites", "units", "users"):
        refused = _upload(
            users["west_handler"], str(uuid.uuid4()), data, django_capture_on_commit_callbacks, kind
        )
        assert refused.status_code == 403, kind
    bad = _upload(
        users["coordinator"], str(uuid.uuid4()), b"not a spreadsheet", django_capture_on_commit_callbacks
    )
    assert bad.status_code == 400 and bad.json()["field"] == "file"
    kind = _upload(users["coordinator"], str(uuid.uuid4()), data, django_capture_on_commit_callbacks, "cats")
    assert kind.status_code == 422
    assert not ImportJob.objects.exists() and not Site.objects.exists()
