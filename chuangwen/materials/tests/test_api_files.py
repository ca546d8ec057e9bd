"""The materials API's file writes: replacing a held material's file (old one kept in the history) and
importing the 任务分解表 (all rows or none, problems listed by row), once per client id; scope refused."""

from __future__ import annotations

import io
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from chuangwen.materials.models import Material, Task
from chuangwen.materials.tests import samples
from chuangwen.materials.tests.test_api_materials import post_file
from conftest import client_for

pytestmark = pytest.mark.django_db
BASE = "/api/v1/materials"
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _replace(user: Any, material_id: int, cid: str, **form: Any) -> Any:
    body = {"client_id": cid, "kind": "document", "title": "方案（修订）", "activity_date": "2026-06-02",
            "file": SimpleUploadedFile("方案二.pdf", samples.pdf_bytes("签到表")), **form}  # fmt: skip
    return client_for(user).post(f"{BASE}/materials/{material_id}/replace", body)


def test_it_replaces_a_held_material_once(material_tasks: Any, clerks: Any) -> None:
    clerk = clerks["west_clerk"]
    made = post_file(client_for(clerk), material_tasks["01-01-01"], "方案.pdf", samples.pdf_bytes())
    material_id = made.json()["id"]
    cid = str(uuid.uuid4())
    answer = _replace(clerk, material_id, cid)
    assert answer.status_code == 200, answer.content
    material = Material.objects.get(pk=material_id)
    assert (
        material.version == 2 and material.original_name == "方案二.pdf" and material.title == "方案（修订）"
    )
    again = _replace(clerk, material_id, cid)
    assert again.json()["duplicate"] is True and Material.objects.get(pk=material_id).version == 2
    east = _replace(clerks["east_clerk"], material_id, str(uuid.uuid4()))
    assert east.status_code == 403 and Material.objects.get(pk=material_id).version == 2  # sees, may not act
    bad = _replace(clerk, material_id, str(uuid.uuid4()), kind="poem")
    assert bad.status_code == 422 and Material.objects.get(pk=material_id).version == 2


def test_it_imports_the_task_table_once_or_lists_the_problems(
    material_tasks: Any, material_period: Any, users: Any, clerks: Any
) -> None:
    office = client_for(users["coordinator"])
    exported = office.get(reverse("materials:task_export", args=[material_period.pk]))
    url = f"{BASE}/periods/{material_period.pk}/tasks/import"
    book = openpyxl.load_workbook(io.BytesIO(exported.content))
    for row in book.worksheets[0].iter_rows(min_row=2):
        if row[0].value == "01-01-02":
            row[2].value = "不存在的单位"
    broken = io.BytesIO()
    book.save(broken)
    cid = str(uuid.uuid4())
    failed = office.post(url, {"client_id": cid, "file": SimpleUploadedFile("坏表.xlsx", broken.getvalue())})
    assert failed.status_code == 400 and failed.json()["field"] == "file"
    assert any("不存在的单位" in e["value"] for e in failed.json()["errors"])
    assert Task.objects.get(indicator__code="01-01-02", period=material_period).lead_unit.code == "S02"
    good = office.post(url, {"client_id": cid, "file": SimpleUploadedFile("表.xlsx", exported.content)})
    assert good.status_code == 200 and good.json()["ok"] is True, good.content
    assert Task.objects.filter(period=material_period).count() == 5
    again = office.post(url, {"client_id": cid, "file": SimpleUploadedFile("表.xlsx", exported.content)})
    assert again.json()["duplicate"] is True
    refused = client_for(clerks["west_clerk"]).post(
        url, {"client_id": str(uuid.uuid4()), "file": SimpleUploadedFile("表.xlsx", exported.content)}
    )
    assert refused.status_code == 403
