"""The task page and its uploads: what each unit sees, several real files at once, a refused file naming every
file's outcome with nothing stored, a repeated submission that makes nothing new, and 「全部提交单位审核」."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from chuangwen.materials.models import Material, MaterialState, Standing, StoredFile, Submission
from chuangwen.materials.tests import samples
from conftest import client_for

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def files(*pairs: tuple[str, bytes]) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(name, data) for name, data in pairs]


def form(client_id: uuid.UUID, uploads: list[SimpleUploadedFile], **extra: Any) -> dict[str, Any]:
    data = {"kind": "document", "title": "", "activity_date": "2026-06-01", "description": "", "body": ""}
    return {**data, "client_id": str(client_id), "file": uploads, **extra}


def test_it_shows_the_task_to_its_units_and_hides_it_from_others(
    material_tasks: Any, clerks: Any, users: Any
) -> None:
    west_only = material_tasks["02-01-01"]
    shared = material_tasks["01-01-01"]  # west leads, east supports
    page = client_for(clerks["west_clerk"]).get(reverse("materials:task", args=[west_only.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "02-01-01" in html and 'id="upload-form"' in html and 'type="file"' in html and "multiple" in html
    assert "2026-01-01 至 2026-12-31" in html  # the evidence window: the 12 months up to the reference date
    assert "50 MB" in html  # the accepted limits shown by the field
    assert (
        client_for(clerks["east_clerk"]).get(reverse("materials:task", args=[west_only.pk])).status_code
        == 404
    )
    east_page = client_for(clerks["east_clerk"]).get(reverse("materials:task", args=[shared.pk]))
    assert east_page.status_code == 200 and 'id="upload-form"' in east_page.content.decode()
    office = client_for(users["coordinator"]).get(reverse("materials:task", args=[west_only.pk]))
    assert office.status_code == 200 and 'id="upload-form"' not in office.content.decode()
    assert (
        client_for(users["inspector"]).get(reverse("materials:task", args=[west_only.pk])).status_code == 403
    )


def test_it_makes_one_material_per_real_file_and_nothing_new_on_a_repeat(
    material_tasks: Any, clerks: Any
) -> None:
    task = material_tasks["01-01-01"]
    client = client_for(clerks["west_clerk"])
    url = reverse("materials:upload", args=[task.pk])
    cid = uuid.uuid4()
    pdf, jpeg = samples.pdf_bytes("公益广告 宣传 活动"), samples.jpeg_bytes()
    answer = client.post(url, form(cid, files(("宣传活动.pdf", pdf), ("现场照片.jpg", jpeg))))
    assert answer.status_code == 302 and answer["Location"].startswith(
        reverse("materials:task", args=[task.pk])
    )
    made = list(Material.objects.order_by("pk"))
    assert [m.title for m in made] == ["宣传活动", "现场照片"]
    assert [m.file.kind for m in made if m.file] == ["pdf", "jpeg"]
    assert {m.client_id for m in made} == {
        uuid.uuid5(cid, "0:宣传活动.pdf"),
        uuid.uuid5(cid, "1:现场照片.jpg"),
    }
    again = client.post(url, form(cid, files(("宣传活动.pdf", pdf), ("现场照片.jpg", jpeg))))
    assert again.status_code == 302
    assert Material.objects.count() == 2 and StoredFile.objects.count() == 2
    cell = Submission.objects.get(task=task, unit=clerks["west_clerk"].unit)
    assert cell.standing == Standing.IN_PROGRESS and cell.materials == 2
    page = client.get(reverse("materials:task", args=[task.pk])).content.decode()
    assert "宣传活动" in page and "现场照片" in page and "全部提交单位审核" in page


def test_it_stores_none_when_one_file_is_refused_and_names_each_outcome(
    material_tasks: Any, clerks: Any
) -> None:
    task = material_tasks["01-01-01"]
    answer = client_for(clerks["west_clerk"]).post(
        reverse("materials:upload", args=[task.pk]),
        form(
            uuid.uuid4(),
            files(
                ("方案.pdf", samples.pdf_bytes()),
                ("宏.docm", samples.docm_bytes()),
                ("照片.jpg", samples.jpeg_bytes()),
            ),
        ),
    )
    assert answer.status_code == 400
    html = answer.content.decode()
    outcomes = dict(re.findall(r'<li data-file="([^"]+)" data-ok="\d">[^<]*? — ([^<]*)</li>', html))
    assert outcomes["方案.pdf"] == "可以接收" and outcomes["照片.jpg"] == "可以接收"
    assert "宏" in outcomes["宏.docm"] and ".docx" in outcomes["宏.docm"]
    assert not Material.objects.exists() and not StoredFile.objects.exists()
    assert not (Path(settings.MEDIA_ROOT) / "materials").exists()


def test_it_puts_the_field_errors_on_the_form_in_chinese(material_tasks: Any, clerks: Any) -> None:
    task = material_tasks["02-01-01"]
    client = client_for(clerks["west_clerk"])
    url = reverse("materials:upload", args=[task.pk])
    answer = client.post(url, form(uuid.uuid4(), [], kind="document", activity_date="2027-03-01"))
    assert answer.status_code == 400
    html = answer.content.decode()
    assert "活动日期：活动日期应在 2000-01-01 至今天之间" in html
    answer = client.post(url, form(uuid.uuid4(), [], title="方案", activity_date="2026-05-01"))
    assert "请选择文件；只有“情况说明”可以直接在页面填写正文" in answer.content.decode()
    written = client.post(
        url, form(uuid.uuid4(), [], kind="account", title="情况说明", body="全年开展 12 次。")
    )
    assert written.status_code == 302
    account = Material.objects.get()
    assert account.file is None and account.body == "全年开展 12 次。"
    assert not Material.objects.filter(title="").exists()


def test_it_submits_the_units_drafts_at_once_and_refuses_other_units(
    material_tasks: Any, clerks: Any, users: Any
) -> None:
    task = material_tasks["01-01-01"]
    west = client_for(clerks["west_clerk"])
    west.post(
        reverse("materials:upload", args=[task.pk]),
        form(uuid.uuid4(), files(("一.pdf", samples.pdf_bytes("一")), ("二.jpg", samples.jpeg_bytes()))),
    )
    east = client_for(clerks["east_clerk"])
    east.post(
        reverse("materials:upload", args=[task.pk]),
        form(uuid.uuid4(), files(("东.pdf", samples.pdf_bytes("东")))),
    )
    answer = west.post(reverse("materials:task", args=[task.pk]))
    assert answer.status_code == 302
    states = dict(Material.objects.values_list("title", "state"))
    assert states == {"一": MaterialState.SUBMITTED, "二": MaterialState.SUBMITTED, "东": MaterialState.DRAFT}
    assert client_for(users["coordinator"]).post(reverse("materials:task", args=[task.pk])).status_code == 403
    page = west.get(reverse("materials:task", args=[task.pk])).content.decode()
    assert "已提交单位审核 2 份材料" in page
    # east sees west's materials of the task it supports; the west-only task stays out of reach
    east_page = east.get(reverse("materials:task", args=[task.pk])).content.decode()
    assert "一" in east_page and 'data-unit="S01"' in east_page
    assert east.post(reverse("materials:upload", args=[material_tasks["02-01-01"].pk]), {}).status_code == 404


def test_it_flags_a_material_outside_the_evidence_window(material_tasks: Any, clerks: Any) -> None:
    task = material_tasks["02-01-01"]
    client = client_for(clerks["west_clerk"])
    client.post(
        reverse("materials:upload", args=[task.pk]),
        form(
            uuid.uuid4(),
            files(("旧照片.jpg", samples.jpeg_bytes())),
            kind="photo",
            activity_date="2025-06-01",
        ),
    )
    page = client.get(reverse("materials:task", args=[task.pk])).content.decode()
    assert page.count('data-flag="outside-window"') == 1 and "超出材料时限" in page
