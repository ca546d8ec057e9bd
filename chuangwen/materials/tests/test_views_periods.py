"""The 网上申报 home for a unit and for the office, opening a period, its task split page, archiving it, and
the 任务分解表 export and import through the pages."""

from __future__ import annotations

import io
import re
import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from chuangwen.materials import services
from chuangwen.materials.models import Period, PeriodState, Submission, Task
from chuangwen.materials.tests import samples
from chuangwen.org.models import Unit, UnitKind
from conftest import client_for

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def submitted(task: Any, clerk: Any, title: str) -> Any:
    fields = services.clean_fields({"kind": "document", "title": title, "activity_date": date(2026, 6, 1)})
    data = io.BytesIO(samples.pdf_bytes(title))
    material = services.upload(
        task, clerk, fields, client_ids=[uuid.uuid4()], files=[(f"{title}.pdf", data)]
    )[0]
    return services.act(material, "submit", clerk)


def test_it_lists_a_units_tasks_with_standing_and_overdue(material_tasks: Any, clerks: Any) -> None:
    submitted(material_tasks["01-01-01"], clerks["west_clerk"], "方案")
    with time_machine.travel(datetime(2026, 12, 17, 9, 0, tzinfo=SHANGHAI), tick=False):
        page = client_for(clerks["west_clerk"]).get(reverse("materials:index"))
        head = client_for(clerks["west_head"]).get(reverse("materials:index")).content.decode()
    assert page.status_code == 200
    html = page.content.decode()
    shared = re.search(r'<tr data-task="01-01-01">(.*?)</tr>', html, re.S)
    own = re.search(r'<tr data-task="02-01-01">(.*?)</tr>', html, re.S)
    assert shared and own and 'data-task="01-01-02"' not in html  # east's task is not west's
    assert 'data-standing="awaiting"' in shared.group(1) and "牵头" in shared.group(1)
    assert 'data-overdue="1"' in shared.group(1)  # due the 15th and not passed: awaiting review is late too
    assert 'data-overdue="1"' not in own.group(1)  # due the 18th
    assert re.search(r'data-figure="awaiting">1<', html) and re.search(r'data-figure="empty">1<', html)
    assert "待我审核" not in html
    assert (
        "1 份材料待单位审核" in head
        and reverse("materials:review", args=[material_tasks["01-01-01"].period_id]) in head
    )


def test_it_marks_a_units_overdue_cell_in_red(material_tasks: Any, clerks: Any) -> None:
    # east leads 01-01-02 (due 16 December) and supports 01-01-01 (due the 15th); nothing filed
    with time_machine.travel(datetime(2026, 12, 17, 9, 0, tzinfo=SHANGHAI), tick=False):
        html = client_for(clerks["east_clerk"]).get(reverse("materials:index")).content.decode()
    row = re.search(r'<tr data-task="01-01-02">(.*?)</tr>', html, re.S)
    assert row and 'class="cw-overdue" data-overdue="1"' in row.group(1) and "（已超期）" in row.group(1)
    assert re.search(r'data-figure="overdue">2<', html)


def test_it_shows_the_office_its_periods_with_figures(material_tasks: Any, users: Any, clerks: Any) -> None:
    coordinator = client_for(users["coordinator"]).get(reverse("materials:index")).content.decode()
    assert "新建申报周期" in coordinator and "2026 年度网上申报" in coordinator
    row = re.search(r'<tr data-period="\d+">(.*?)</tr>', coordinator, re.S)
    assert row and 'data-figure="completion">0.0%<' in row.group(1) and ">6<" in row.group(1)
    leader = client_for(users["leader"]).get(reverse("materials:index")).content.decode()
    assert "新建申报周期" not in leader and "2026 年度网上申报" in leader
    for outsider in ("inspector", "verifier"):
        assert client_for(users[outsider]).get(reverse("materials:index")).status_code == 403


def test_it_opens_a_period_over_a_tree_and_says_what_is_wrong(tree_standard: Any, users: Any) -> None:
    client = client_for(users["coordinator"])
    url = reverse("materials:period_create")
    assert "测评体系（网上申报测试）" in client.get(url).content.decode()
    bad = client.post(url, {"name": "", "standard": tree_standard.pk, "reference_date": "2090-01-01"})
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "申报周期名称：这个字段是必填项。" in html and "测评基准日须在" in html
    good = client.post(
        url, {"name": "2027 年度", "standard": tree_standard.pk, "reference_date": "2027-06-30"}
    )
    period = Period.objects.get(name="2027 年度")
    assert good["Location"] == reverse("materials:period", args=[period.pk])
    assert period.owner_unit == users["coordinator"].unit
    tree_standard.refresh_from_db()
    assert tree_standard.frozen_at is not None
    assert client_for(users["leader"]).post(url, {"name": "x"}).status_code == 403


def test_it_shows_the_task_split_and_keeps_periods_in_scope(
    material_tasks: Any, users: Any, clerks: Any, org: Any, material_period: Any
) -> None:
    material_tasks["02-01-02"].delete()
    url = reverse("materials:period", args=[material_period.pk])
    html = client_for(users["coordinator"]).get(url).content.decode()
    row = re.search(r'<tr data-indicator="01-01-01">(.*?)</tr>', html, re.S)
    assert row and "西湖街道" in row.group(1) and "东城街道" in row.group(1) and "2026-12-15" in row.group(1)
    unassigned = re.search(r'<tr data-indicator="02-01-02">(.*?)</tr>', html, re.S)
    assert unassigned and "未分解" in unassigned.group(1)
    assert 'data-indicator="02-01-03"' not in html  # field only: no materials
    assert 'id="period-close"' in html and 'id="task-import"' in html
    west = client_for(clerks["west_clerk"]).get(url).content.decode()
    assert 'id="period-close"' not in west
    assert f'href="{reverse("materials:task", args=[material_tasks["01-01-02"].pk])}"' not in west  # east's
    other = Unit.objects.create(code="D02", name="另一区", kind=UnitKind.DISTRICT, parent=org["city"])
    elsewhere = Period.objects.create(
        name="另一区申报",
        standard=material_period.standard,
        owner_unit=other,
        reference_date=date(2026, 12, 31),
    )
    assert (
        client_for(users["coordinator"]).get(reverse("materials:period", args=[elsewhere.pk])).status_code
        == 404
    )


def test_it_archives_a_period_after_confirmation(
    material_tasks: Any, users: Any, clerks: Any, material_period: Any
) -> None:
    url = reverse("materials:period_close", args=[material_period.pk])
    assert client_for(clerks["west_head"]).post(url, {"confirmed": "yes"}).status_code == 403
    client = client_for(users["coordinator"])
    confirm = client.post(url)
    assert confirm.status_code == 200 and "确认归档" in confirm.content.decode()
    material_period.refresh_from_db()
    assert material_period.state == PeriodState.OPEN
    assert client.post(url, {"confirmed": "yes"}).status_code == 302
    material_period.refresh_from_db()
    assert material_period.state == PeriodState.CLOSED
    task_page = client_for(clerks["west_clerk"]).get(
        reverse("materials:task", args=[material_tasks["02-01-01"].pk])
    )
    assert 'id="upload-form"' not in task_page.content.decode()
    again = client.post(url, {"confirmed": "yes"}, follow=True)
    assert "申报周期已归档" in again.content.decode()


def test_it_exports_the_task_table_and_imports_it_back(
    material_tasks: Any, users: Any, clerks: Any, material_period: Any
) -> None:
    client = client_for(users["coordinator"])
    exported = client.get(reverse("materials:task_export", args=[material_period.pk]))
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert "attachment" in exported["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(exported.content))
    sheet = book.worksheets[0]
    codes = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]]
    assert codes == ["01-01-01", "01-01-02", "01-02-01", "02-01-01", "02-01-02"]
    url = reverse("materials:task_import", args=[material_period.pk])
    upload = SimpleUploadedFile("任务分解表.xlsx", exported.content)
    answer = client.post(url, {"file": upload})
    assert answer.status_code == 200 and 'id="import-ok"' in answer.content.decode()
    assert Task.objects.filter(period=material_period).count() == 5
    assert Submission.objects.filter(period=material_period).count() == 6  # every named unit has its cell
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == "01-01-02":
            row[2].value = "不存在的单位"
    broken = io.BytesIO()
    book.save(broken)
    failed = client.post(url, {"file": SimpleUploadedFile("坏表.xlsx", broken.getvalue())})
    assert failed.status_code == 400
    html = failed.content.decode()
    assert 'id="import-errors"' in html and "不存在的单位" in html
    assert Task.objects.get(indicator__code="01-01-02", period=material_period).lead_unit.code == "S02"
    for user in (users["leader"], clerks["west_clerk"]):
        assert client_for(user).get(url).status_code == 403
        assert (
            client_for(user).get(reverse("materials:task_export", args=[material_period.pk])).status_code
            == 403
        )
