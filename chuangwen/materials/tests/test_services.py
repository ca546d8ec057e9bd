"""Uploads (real files, idempotent, all or nothing, stored once), replacements, the review machine walked
end to end, the period's archive, and the board's cells kept by every write."""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings

from chuangwen.audit.models import AuditEntry
from chuangwen.materials import machine, services
from chuangwen.materials.models import Material, MaterialState, Standing, StoredFile, Submission
from chuangwen.materials.tests import samples

pytestmark = pytest.mark.django_db
S = MaterialState
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def fields(kind: str = "document", title: str = "", day: date = date(2026, 6, 1), body: str = "") -> Any:
    return services.clean_fields(
        {"kind": kind, "title": title, "activity_date": day, "body": body}, needs_title=False
    )


def upload(task: Any, clerk: Any, *files: tuple[str, bytes], **kw: Any) -> list[Material]:
    handles = [(name, io.BytesIO(data)) for name, data in files]
    ids = [uuid.uuid4() for _ in range(max(1, len(files)))]
    return services.upload(task, clerk, fields(**kw), client_ids=ids, files=handles)


def test_it_stores_real_files_durably_once_and_answers_a_retry_with_the_same_material(
    material_tasks: Any, clerks: Any
) -> None:
    task = material_tasks["01-01-01"]
    pdf = samples.pdf_bytes("法治宣传教育活动记录")
    cid = uuid.uuid4()
    first = services.upload(
        task, clerks["west_clerk"], fields(), client_ids=[cid], files=[("活动记录.pdf", io.BytesIO(pdf))]
    )
    again = services.upload(
        task, clerks["west_clerk"], fields(), client_ids=[cid], files=[("活动记录.pdf", io.BytesIO(pdf))]
    )
    assert [m.pk for m in again] == [m.pk for m in first]
    material = first[0]
    assert (
        material.title == "活动记录"
        and material.state == S.DRAFT
        and material.unit == clerks["west_clerk"].unit
    )
    stored = material.file
    assert stored is not None and stored.sha256 == hashlib.sha256(pdf).hexdigest()
    path = Path(settings.MEDIA_ROOT) / stored.file
    assert path.read_bytes() == pdf and "法治宣传教育" in stored.text
    # the same bytes for another indicator: a second material, one stored file
    other = upload(material_tasks["02-01-01"], clerks["west_clerk"], ("同一文件.pdf", pdf))
    assert other[0].file_id == stored.pk and StoredFile.objects.count() == 1
    assert AuditEntry.objects.filter(action="materials.upload").count() == 2


def test_it_stores_none_of_a_multi_file_upload_when_one_file_is_refused_and_names_each(
    material_tasks: Any, clerks: Any
) -> None:
    task = material_tasks["01-01-01"]
    with pytest.raises(services.FilesRefused) as caught:
        upload(
            task,
            clerks["west_clerk"],
            ("照片.jpg", samples.jpeg_bytes()),
            ("方案.docm", samples.docm_bytes()),
            ("加密.pdf", samples.encrypted_pdf_bytes()),
        )
    outcomes = dict(caught.value.outcomes)
    assert outcomes["照片.jpg"] == ""
    assert "宏" in outcomes["方案.docm"] and "加密" in outcomes["加密.pdf"]
    assert not Material.objects.exists() and not StoredFile.objects.exists()
    assert not (Path(settings.MEDIA_ROOT) / "materials").exists()


def test_it_checks_the_fields_and_who_uploads(material_tasks: Any, clerks: Any, users: Any) -> None:
    with pytest.raises(services.MaterialInvalid) as caught:
        services.clean_fields({"kind": "video", "title": "x" * 201, "activity_date": date(2027, 1, 1)})
    assert set(caught.value.errors) == {"kind", "title", "activity_date"}
    task = material_tasks["02-01-01"]  # west leads alone
    for outsider in (clerks["east_clerk"], users["coordinator"], users["inspector"]):
        with pytest.raises(services.Refused):
            upload(task, outsider, ("a.pdf", samples.pdf_bytes()))
    with pytest.raises(services.MaterialInvalid) as caught:
        upload(task, clerks["west_clerk"], kind="document")  # no file, not an account
    assert "file" in caught.value.errors
    account = upload(
        task, clerks["west_clerk"], kind="account", title="情况说明", body="本年度共开展 12 次活动。"
    )
    assert account[0].file is None and account[0].body.startswith("本年度")


def test_it_walks_the_review_table_to_passed_and_keeps_the_cell(
    material_tasks: Any, clerks: Any, users: Any
) -> None:
    task = material_tasks["01-01-01"]
    clerk, head, reviewer = clerks["west_clerk"], clerks["west_head"], users["coordinator"]
    material = upload(task, clerk, ("记录.pdf", samples.pdf_bytes()))[0]
    cell = Submission.objects.get(task=task, unit=clerk.unit)
    assert cell.standing == Standing.IN_PROGRESS and cell.is_lead and cell.materials == 1
    services.act(material, "submit", clerk)
    with pytest.raises(services.Refused):
        services.act(material, "pass", reviewer)  # the unit head comes first
    with pytest.raises(services.Refused):
        services.act(material, "approve", clerk)  # a clerk is not the head
    services.act(material, "approve", head)
    assert Submission.objects.get(pk=cell.pk).standing == Standing.AWAITING
    with pytest.raises(services.MaterialInvalid):
        services.act(material, "return", reviewer)  # a return needs a comment
    services.act(material, "return", reviewer, comment="缺少活动照片", due_date=date(2026, 12, 14))
    material.refresh_from_db()
    assert material.state == S.RETURNED and material.last_comment == "缺少活动照片"
    assert material.due_date == date(2026, 12, 14)
    cell.refresh_from_db()
    assert cell.standing == Standing.RETURNED and cell.returned_times == 1
    assert cell.due_date == max(task.due_date, date(2026, 12, 14))
    services.replace(material, clerk, fields(kind="photo"), [("照片.jpg", io.BytesIO(samples.jpeg_bytes()))])
    material.refresh_from_db()
    assert material.version == 2 and material.file is not None and material.file.kind == "jpeg"
    services.act(material, "resubmit", clerk)
    services.act(material, "approve", head)
    services.act(material, "pass", reviewer)
    cell.refresh_from_db()
    assert cell.standing == Standing.PASSED and cell.submitted_times == 2 and cell.returned_times == 1
    actions = list(material.events.values_list("action", flat=True))
    assert actions == ["upload", "submit", "approve", "return", "replace", "resubmit", "approve", "pass"]
    assert AuditEntry.objects.filter(action="materials.pass").exists()


def test_it_refuses_a_holiday_or_past_due_date_on_return(
    material_tasks: Any, clerks: Any, users: Any
) -> None:
    material = upload(material_tasks["01-01-01"], clerks["west_clerk"], ("a.pdf", samples.pdf_bytes()))[0]
    services.act(material, "submit", clerks["west_clerk"])
    services.act(material, "approve", clerks["west_head"])
    for bad in (date(2026, 12, 6), date(2026, 12, 13), date(2028, 1, 3)):  # today, a Sunday, too far
        with pytest.raises(services.MaterialInvalid) as caught:
            services.act(material, "return", users["coordinator"], comment="补充", due_date=bad)
        assert "due_date" in caught.value.errors
    services.act(material, "return", users["coordinator"], comment="补充")
    material.refresh_from_db()
    assert material.due_date == date(2026, 12, 14)  # 5 working days after Monday 7 December


def test_it_refuses_every_step_once_the_period_is_archived(
    material_tasks: Any, clerks: Any, users: Any
) -> None:
    material = upload(material_tasks["01-01-01"], clerks["west_clerk"], ("a.pdf", samples.pdf_bytes()))[0]
    period = material.task.period
    services.close_period(period, users["coordinator"])
    material.refresh_from_db()
    assert machine.allowed_actions(material, clerks["west_clerk"]) == []
    with pytest.raises(services.Refused, match="归档"):
        services.act(material, "submit", clerks["west_clerk"])
    with pytest.raises(services.Refused):
        upload(material_tasks["01-01-01"], clerks["west_clerk"], ("b.pdf", samples.pdf_bytes()))


def test_it_lets_one_of_two_simultaneous_reviews_win(material_tasks: Any, clerks: Any, users: Any) -> None:
    material = upload(material_tasks["01-01-01"], clerks["west_clerk"], ("a.pdf", samples.pdf_bytes()))[0]
    services.act(material, "submit", clerks["west_clerk"])
    stale = Material.objects.get(pk=material.pk)  # a second page opened before the first decision
    services.act(material, "approve", clerks["west_head"])
    with pytest.raises(services.Refused, match="待网申组审核"):
        services.act(stale, "return", clerks["west_head"], comment="晚了一步")


def test_it_describes_the_table_in_the_docs() -> None:
    doc = (Path(settings.BASE_DIR) / "docs" / "materials.md").read_text(encoding="utf-8")
    assert machine.describe_table() in doc, "regenerate docs/materials.md from machine.describe_table()"


def test_it_flags_activities_outside_the_indicator_window(material_tasks: Any, clerks: Any) -> None:
    task = material_tasks["01-01-01"]  # reference date 2026-12-31, 12 months
    assert services.window(task) == (date(2026, 1, 1), date(2026, 12, 31))
    old = upload(task, clerks["west_clerk"], ("旧.pdf", samples.pdf_bytes()), day=date(2025, 12, 31))[0]
    new = upload(task, clerks["west_clerk"], ("新.pdf", samples.pdf_bytes("另一份")), day=date(2026, 1, 1))[0]
    assert services.outside_window(old) and not services.outside_window(new)
    assert services.months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
