"""The materials API: scope (404 outside, a supporter sees the lead's items), a multipart upload that is
idempotent by client_id, refusals that name the file, the review steps and the download headers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from chuangwen.materials.models import Material, MaterialState
from chuangwen.materials.tests import samples
from conftest import client_for

pytestmark = pytest.mark.django_db
BASE = "/api/v1/materials"
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def post_file(
    client: Any, task: Any, name: str, data: bytes, cid: uuid.UUID | None = None, **form: Any
) -> Any:
    body = {
        "client_id": str(cid or uuid.uuid4()),
        "kind": "document",
        "activity_date": "2026-06-01",
        "file": SimpleUploadedFile(name, data),
        **form,
    }
    return client.post(f"{BASE}/tasks/{task.pk}/materials", body)


def test_it_uploads_idempotently_and_walks_the_review(material_tasks: Any, clerks: Any, users: Any) -> None:
    task = material_tasks["01-01-01"]
    clerk = client_for(clerks["west_clerk"])
    cid = uuid.uuid4()
    first = post_file(clerk, task, "制度文件.pdf", samples.pdf_bytes(), cid)
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["title"] == "制度文件" and body["state"] == "draft" and body["file_kind"] == "pdf"
    assert body["allowed_actions"] == ["submit", "withdraw"]
    again = post_file(clerk, task, "制度文件.pdf", samples.pdf_bytes(), cid)
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert Material.objects.count() == 1

    def act(client: Any, action: str, **extra: Any) -> Any:
        return client.post(
            f"{BASE}/materials/{body['id']}/actions",
            {"action": action, **extra},
            content_type="application/json",
        )

    assert act(clerk, "submit").json()["state"] == "submitted"
    assert act(clerk, "approve").status_code == 409  # the clerk is not the unit head
    assert act(client_for(clerks["west_head"]), "approve").json()["state"] == "unit_approved"
    office = client_for(users["coordinator"])
    missing = act(office, "return")
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"][-1] == "comment"
    returned = act(office, "return", comment="请补充签字页", due_date="2026-12-14").json()
    assert returned["state"] == "returned" and returned["due_date"] == "2026-12-14"
    assert [h["action"] for h in returned["history"]] == ["upload", "submit", "approve", "return"]
    task_view = office.get(f"{BASE}/tasks/{task.pk}").json()
    west = next(c for c in task_view["cells"] if c["unit"]["name"] == "西湖街道")
    assert west["standing"] == "returned" and west["is_lead"] and not west["overdue"]


def test_it_refuses_bad_files_by_name_and_stores_nothing(material_tasks: Any, clerks: Any) -> None:
    task = material_tasks["01-01-01"]
    clerk = client_for(clerks["west_clerk"])
    for name, data, word in (
        ("宏.docm", samples.docm_bytes(), "宏"),
        ("加密.pdf", samples.encrypted_pdf_bytes(), "加密"),
        ("空.pdf", b"", "空"),
        ("伪装.pdf", samples.html_bytes(), "PDF"),
    ):
        response = post_file(clerk, task, name, data)
        assert response.status_code == 400, name
        answer = response.json()
        assert answer["code"] == "file_refused" and name in answer["detail"] and word in answer["detail"]
    assert not Material.objects.exists()
    bad_date = post_file(clerk, task, "a.pdf", samples.pdf_bytes(), activity_date="2027-06-01")
    assert bad_date.status_code == 422 and bad_date.json()["detail"][0]["loc"][-1] == "activity_date"


def test_it_keeps_each_unit_to_its_own_tasks(material_tasks: Any, clerks: Any, users: Any) -> None:
    west_only = material_tasks["02-01-01"]
    shared = material_tasks["01-01-01"]  # west leads, east supports
    clerk = client_for(clerks["west_clerk"])
    own = post_file(clerk, west_only, "a.pdf", samples.pdf_bytes("甲")).json()
    lead = post_file(clerk, shared, "b.pdf", samples.pdf_bytes("乙")).json()
    east = client_for(clerks["east_clerk"])
    assert east.get(f"{BASE}/tasks/{west_only.pk}").status_code == 404
    assert east.get(f"{BASE}/materials/{own['id']}").status_code == 404
    assert east.get(f"{BASE}/materials/{own['id']}/file").status_code == 404
    assert post_file(east, west_only, "c.pdf", samples.pdf_bytes()).status_code == 404
    assert east.get(f"{BASE}/materials/{lead['id']}").status_code == 200  # a supporter sees the lead's items
    seen = east.get(f"{BASE}/tasks/{shared.pk}/materials").json()
    assert [m["id"] for m in seen] == [lead["id"]] and seen[0]["allowed_actions"] == []
    dept = client_for(clerks["dept_clerk"])
    assert dept.get(f"{BASE}/materials/{lead['id']}").status_code == 404
    codes = [t["indicator_code"] for t in dept.get(f"{BASE}/periods/{shared.period_id}/tasks").json()]
    assert codes == ["01-02-01", "02-01-02"]
    assert client_for(users["inspector"]).get(f"{BASE}/periods").status_code == 403


def test_it_serves_the_file_as_an_attachment_never_inline(material_tasks: Any, clerks: Any) -> None:
    clerk = client_for(clerks["west_clerk"])
    pdf = samples.pdf_bytes()
    made = post_file(clerk, material_tasks["01-01-01"], "方案.pdf", pdf).json()
    response = clerk.get(f"{BASE}/materials/{made['id']}/file")
    assert response.status_code == 200 and b"".join(response.streaming_content) == pdf
    assert response["Content-Disposition"].startswith("attachment")
    assert (
        response["X-Content-Type-Options"] == "nosniff" and response["Content-Security-Policy"] == "sandbox"
    )
    assert response["Content-Type"] == "application/pdf"


def test_it_files_a_written_account_without_a_file(material_tasks: Any, clerks: Any) -> None:
    clerk = client_for(clerks["west_clerk"])
    response = clerk.post(
        f"{BASE}/tasks/{material_tasks['01-01-01'].pk}/materials",
        {
            "client_id": str(uuid.uuid4()),
            "kind": "account",
            "title": "年度情况说明",
            "activity_date": "2026-11-30",
            "body": "全年开展法治宣传 24 场。",
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["file_kind"] is None and Material.objects.get().state == MaterialState.DRAFT


def test_it_answers_the_board_per_unit_within_scope(material_tasks: Any, clerks: Any, users: Any) -> None:
    clerk = client_for(clerks["west_clerk"])
    post_file(clerk, material_tasks["01-01-01"], "a.pdf", samples.pdf_bytes())
    period = material_tasks["01-01-01"].period_id
    board = {
        r["unit"]["name"]: r
        for r in client_for(users["coordinator"]).get(f"{BASE}/periods/{period}/board").json()
    }
    assert set(board) == {"西湖街道", "东城街道", "区城管局"}
    west = board["西湖街道"]  # leads 01-01-01 (a draft now) and 02-01-01 (empty)
    assert (west["cells"], west["in_progress"], west["empty"], west["passed"]) == (2, 1, 1, 0)
    assert west["completion_rate"] == 0 and west["return_rate"] is None
    mine = clerk.get(f"{BASE}/periods/{period}/board").json()
    assert {r["unit"]["name"] for r in mine} == {"西湖街道", "东城街道"}  # east supports west on 01-01-01
    east = next(r for r in mine if r["unit"]["name"] == "东城街道")
    assert east["cells"] == 1  # only the cell of the shared task, not east's own 01-01-02
    assert client_for(clerks["dept_clerk"]).get(f"{BASE}/periods/999999/board").status_code == 404
