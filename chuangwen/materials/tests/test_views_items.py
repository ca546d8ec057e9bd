"""A material's page and its steps through the views: submit → approve → return with comment and due date →
replace → resubmit → approve → pass; refusals in Chinese; the file only as a sandboxed download; the preview;
each scoped (404 outside the viewer's reach, and east sees west's material of the task it supports)."""

from __future__ import annotations

import io
import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from chuangwen.materials import services
from chuangwen.materials.models import Material, MaterialState, Standing, StoredFile, Submission
from chuangwen.materials.tests import samples
from conftest import client_for

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def uploaded(task: Any, clerk: Any, name: str, data: bytes) -> Material:
    fields = services.clean_fields({"kind": "document", "activity_date": date(2026, 6, 1)}, needs_title=False)
    return services.upload(task, clerk, fields, client_ids=[uuid.uuid4()], files=[(name, io.BytesIO(data))])[
        0
    ]


def act(user: Any, material: Material, action: str, **data: Any) -> Any:
    return client_for(user).post(reverse("materials:act", args=[material.pk]), {"action": action, **data})


def state(material: Material) -> str:
    material.refresh_from_db()
    return str(material.state)


def test_it_walks_a_material_through_review_with_a_return_and_a_replacement(
    material_tasks: Any, clerks: Any, users: Any
) -> None:
    material = uploaded(
        material_tasks["01-01-01"], clerks["west_clerk"], "活动方案.pdf", samples.pdf_bytes("方案")
    )
    clerk, head, coordinator = clerks["west_clerk"], clerks["west_head"], users["coordinator"]
    page = client_for(clerk).get(reverse("materials:material", args=[material.pk])).content.decode()
    assert 'data-action="submit"' in page and 'data-action="withdraw"' in page and 'id="replace-form"' in page
    assert act(clerk, material, "submit").status_code == 302 and state(material) == MaterialState.SUBMITTED
    refused = act(clerk, material, "approve")  # the clerk is not the unit head
    assert refused.status_code == 403 and "只有本单位负责人可以“单位审核通过”" in refused.content.decode()
    assert (
        act(head, material, "approve").status_code == 302 and state(material) == MaterialState.UNIT_APPROVED
    )
    page = client_for(coordinator).get(reverse("materials:material", args=[material.pk])).content.decode()
    assert 'value="2026-12-14"' in page  # the 网申组's return offers the default due date
    no_comment = act(coordinator, material, "return", comment="", due_date="2026-12-15")
    assert no_comment.status_code == 400 and "审核意见：退回时请写明审核意见" in no_comment.content.decode()
    sunday = act(coordinator, material, "return", comment="缺少签到表", due_date="2026-12-13")
    assert sunday.status_code == 400 and "不是工作日" in sunday.content.decode()
    assert state(material) == MaterialState.UNIT_APPROVED
    done = act(coordinator, material, "return", comment="缺少签到表", due_date="2026-12-15")
    assert done.status_code == 302 and state(material) == MaterialState.RETURNED
    assert material.last_comment == "缺少签到表" and material.due_date == date(2026, 12, 15)
    page = client_for(clerk).get(reverse("materials:material", args=[material.pk])).content.decode()
    assert "退回意见：缺少签到表" in page and "2026-12-15" in page
    replaced = client_for(clerk).post(
        reverse("materials:replace", args=[material.pk]),
        {
            "kind": "document", "title": "活动方案（含签到表）", "activity_date": "2026-06-02",
            "description": "", "body": "",
            "file": SimpleUploadedFile("方案二.pdf", samples.pdf_bytes("签到表")),
        },
    )  # fmt: skip
    assert replaced.status_code == 302
    material.refresh_from_db()
    assert (
        material.version == 2
        and material.title == "活动方案（含签到表）"
        and material.original_name == "方案二.pdf"
    )
    for user, action in ((clerk, "resubmit"), (head, "approve"), (coordinator, "pass")):
        assert act(user, material, action).status_code == 302
    assert state(material) == MaterialState.PASSED
    cell = Submission.objects.get(task=material.task, unit=clerk.unit)
    assert cell.standing == Standing.PASSED and cell.submitted_times == 2 and cell.returned_times == 1
    history = client_for(clerk).get(reverse("materials:material", args=[material.pk])).content.decode()
    for label in (
        "上传",
        "提交单位审核",
        "单位审核通过",
        "退回",
        "更换材料",
        "修改后重新提交",
        "网申组审核通过",
    ):
        assert f"<strong>{label}</strong>" in history
    assert "意见：缺少签到表" in history and 'id="replace-form"' not in history


def test_it_answers_an_htmx_step_with_the_fragment_and_sends_a_queue_back(
    material_tasks: Any, clerks: Any, users: Any
) -> None:
    material = uploaded(material_tasks["02-01-01"], clerks["west_clerk"], "a.pdf", samples.pdf_bytes())
    client = client_for(clerks["west_clerk"])
    answer = client.post(
        reverse("materials:act", args=[material.pk]), {"action": "submit"}, HTTP_HX_REQUEST="true"
    )
    html = answer.content.decode()
    assert answer.status_code == 200 and html.startswith('<div id="material-main">') and "<html" not in html
    assert "待单位审核" in html and "已提交单位审核" in html
    queue = reverse("materials:review", args=[material.task.period_id])
    back = act(clerks["west_head"], material, "approve", next=queue)
    assert back.status_code == 302 and back["Location"] == queue
    offsite = act(users["coordinator"], material, "pass", next="https://evil.example/")
    assert offsite["Location"] == reverse("materials:material", args=[material.pk])


def test_it_serves_the_file_only_as_a_sandboxed_download(material_tasks: Any, clerks: Any) -> None:
    data = samples.pdf_bytes("下载测试")
    material = uploaded(material_tasks["01-01-01"], clerks["west_clerk"], "材料 一.pdf", data)
    answer = client_for(clerks["west_clerk"]).get(reverse("materials:file", args=[material.pk]))
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert answer["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%E6%9D%90%E6%96%99%20%E4%B8%80.pdf" in answer["Content-Disposition"]
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert answer["Content-Security-Policy"] == "sandbox"
    assert b"".join(answer.streaming_content) == data


def test_it_keeps_materials_in_scope(material_tasks: Any, clerks: Any, users: Any) -> None:
    shared = uploaded(material_tasks["01-01-01"], clerks["west_clerk"], "共享.pdf", samples.pdf_bytes())
    west_only = uploaded(
        material_tasks["02-01-01"], clerks["west_clerk"], "本单位.pdf", samples.pdf_bytes("x")
    )
    east = client_for(clerks["east_clerk"])
    for name in ("materials:material", "materials:file", "materials:preview"):
        assert east.get(reverse(name, args=[west_only.pk])).status_code == 404
    assert act(clerks["east_clerk"], west_only, "submit").status_code == 404
    page = east.get(reverse("materials:material", args=[shared.pk]))
    assert (
        page.status_code == 200 and 'data-action="submit"' not in page.content.decode()
    )  # seen, not acted on
    assert east.get(reverse("materials:file", args=[shared.pk])).status_code == 200
    refused = act(clerks["east_clerk"], shared, "submit")
    assert refused.status_code == 403 and state(shared) == MaterialState.DRAFT
    assert (
        client_for(users["inspector"]).get(reverse("materials:material", args=[shared.pk])).status_code == 403
    )
    assert (
        client_for(users["dept_handler"]).get(reverse("materials:material", args=[shared.pk])).status_code
        == 404
    )


def test_it_shows_the_preview_once_made_and_says_so_for_office_files(
    material_tasks: Any, clerks: Any, django_capture_on_commit_callbacks: Any
) -> None:
    task = material_tasks["01-01-01"]
    with django_capture_on_commit_callbacks(execute=True):
        pdf = uploaded(task, clerks["west_clerk"], "两页.pdf", samples.pdf_bytes("预览", pages=2))
    client = client_for(clerks["west_clerk"])
    page = client.get(reverse("materials:material", args=[pdf.pk])).content.decode()
    assert "PDF 共 2 页" in page and reverse("materials:preview", args=[pdf.pk]) in page
    assert "预览" in page  # the extracted text excerpt
    image = client.get(reverse("materials:preview", args=[pdf.pk]))
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert b"".join(image.streaming_content)[:3] == b"\xff\xd8\xff"
    docx = uploaded(task, clerks["west_clerk"], "说明.docx", samples.docx_bytes(["会议纪要 <b>加粗</b>"]))
    page = client.get(reverse("materials:material", args=[docx.pk])).content.decode()
    assert "Word 文档不提供在线预览，请下载查看" in page
    assert "会议纪要 &lt;b&gt;加粗&lt;/b&gt;" in page  # the text excerpt is escaped
    assert client.get(reverse("materials:preview", args=[docx.pk])).status_code == 404
    assert StoredFile.objects.filter(preview_file="").count() == 1
