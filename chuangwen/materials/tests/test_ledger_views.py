"""The 台账 pages: who may export, starting one (and only one at a time), progress, and the download."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from typing import Any
from urllib.parse import quote

import pytest
from django.urls import reverse

from chuangwen.audit.models import AuditEntry
from chuangwen.materials.files import FileKind
from chuangwen.materials.models import ExportState, LedgerExport, MaterialState
from chuangwen.materials.tests.samples import pdf_bytes
from chuangwen.materials.tests.test_ledger import make_material
from chuangwen.org.models import Unit, UnitKind
from conftest import client_for, make_user


@pytest.fixture
def period(material_tasks: dict[str, Any], org: dict[str, Any], users: dict[str, Any], clerks: Any) -> Any:
    """The period with one passed material (a PDF of west's, for 01-01-01)."""
    make_material(
        material_tasks["01-01-01"], org["west"], "法治宣传进社区活动", date(2026, 3, 15),
        people=(clerks["west_head"], users["coordinator"]), data=pdf_bytes(), file_kind=FileKind.PDF,
        kind="document", state=MaterialState.PASSED,
    )  # fmt: skip
    return material_tasks["01-01-01"].period


def urls(period: Any, export: Any = None) -> dict[str, str]:
    made = {
        "page": reverse("materials:ledger", args=[period.pk]),
        "start": reverse("materials:ledger_start", args=[period.pk]),
    }
    if export is not None:
        made["status"] = reverse("materials:ledger_status", args=[export.pk])
        made["download"] = reverse("materials:ledger_download", args=[export.pk])
    return made


def pages(period: Any, export: Any) -> list[str]:
    """The GET views: the page, the status fragment and the download."""
    return [url for name, url in urls(period, export).items() if name != "start"]


def test_it_lets_a_coordinator_start_an_export_and_download_the_zip(
    period: Any, users: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(users["coordinator"])
    page = client.get(urls(period)["page"])
    assert page.status_code == 200 and "还没有导出过台账" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # the task runs inline in tests (HUEY.immediate)
        started = client.post(urls(period)["start"])
    assert started.status_code == 302 and started["Location"] == urls(period)["page"]
    export = LedgerExport.objects.get(period=period)
    assert export.state == ExportState.DONE, export.error
    assert export.requested_by == users["coordinator"] and export.done == export.total == 1
    body = client.get(urls(period)["page"]).content.decode()
    assert "已开始生成台账" in body and urls(period, export)["download"] in body
    response = client.get(urls(period, export)["download"])
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote('2026 年度网上申报台账.zip')}" in disposition
    data = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert len(data) == export.size
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert any(name.endswith("-法治宣传进社区活动-20260315.pdf") for name in archive.namelist())
    entry = AuditEntry.objects.get(action="materials.ledger.download")
    assert entry.actor == users["coordinator"] and entry.detail == {"export": export.pk, "bytes": export.size}


def test_it_lets_a_leader_of_the_office_in_too(period: Any, users: Any) -> None:
    assert client_for(users["leader"]).get(urls(period)["page"]).status_code == 200


def test_it_refuses_a_second_start_while_one_is_running(period: Any, users: Any) -> None:
    running = LedgerExport.objects.create(period=period, state=ExportState.RUNNING, done=3, total=10)
    client = client_for(users["coordinator"])
    response = client.post(urls(period)["start"], follow=True)
    assert "已有台账正在生成" in response.content.decode()
    assert list(LedgerExport.objects.filter(period=period)) == [running]
    page = client.get(urls(period)["page"]).content.decode()
    assert 'hx-trigger="every 2s"' in page and "3 / 10 份材料" in page


def test_it_polls_only_while_an_export_is_unfinished(period: Any, users: Any) -> None:
    client = client_for(users["coordinator"])
    export = LedgerExport.objects.create(period=period, state=ExportState.QUEUED)
    status = client.get(urls(period, export)["status"], HTTP_HX_REQUEST="true").content.decode()
    assert status.lstrip().startswith("<tr") and 'hx-trigger="every 2s"' in status
    LedgerExport.objects.filter(pk=export.pk).update(
        state=ExportState.FAILED, error="材料文件缺失，台账未生成"
    )
    status = client.get(urls(period, export)["status"]).content.decode()
    assert "hx-trigger" not in status and "材料文件缺失" in status
    assert urls(period, export)["download"] not in status
    assert client.get(urls(period, export)["download"]).status_code == 404


def test_it_answers_403_to_a_street_that_sees_the_period(period: Any, users: Any) -> None:
    export = LedgerExport.objects.create(period=period, state=ExportState.QUEUED)
    for who in ("west_handler", "west_head", "inspector"):
        client = client_for(users[who])
        for url in pages(period, export):
            assert client.get(url).status_code == 403, (who, url)
        assert client.post(urls(period)["start"]).status_code == 403
    assert LedgerExport.objects.filter(period=period).count() == 1


def test_it_hides_the_period_from_another_district(period: Any, org: dict[str, Any]) -> None:
    other = Unit.objects.create(code="D02", name="邻区", kind=UnitKind.DISTRICT, parent=org["city"])
    export = LedgerExport.objects.create(period=period, state=ExportState.QUEUED)
    client = client_for(make_user("other_coord", "coordinator", other))
    for url in pages(period, export):
        assert client.get(url).status_code == 404, url
    assert client.post(urls(period)["start"]).status_code == 404
