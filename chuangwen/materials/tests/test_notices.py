"""Who hears of materials: the next person to act on a review step, and the morning's reminders (due soon) and
escalations (overdue), each told once a day."""

from __future__ import annotations

import io
import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from chuangwen.materials import services
from chuangwen.materials.cells import sync_submissions
from chuangwen.materials.notices import remind
from chuangwen.materials.tests import samples
from chuangwen.notify.models import Notification

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _file(task: Any, clerk: Any) -> Any:
    fields = services.clean_fields({"kind": "document", "activity_date": date(2026, 6, 1)}, needs_title=False)
    made = services.upload(
        task, clerk, fields, client_ids=[uuid.uuid4()], files=[("a.pdf", io.BytesIO(samples.pdf_bytes()))]
    )
    return made[0]


def inbox(user: Any) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("subject", flat=True))


def test_it_tells_the_next_person_and_never_the_actor(
    material_tasks: Any, clerks: Any, users: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(datetime(2026, 12, 7, 9, tzinfo=SHANGHAI), tick=False):
        material = _file(material_tasks["01-01-01"], clerks["west_clerk"])
        with django_capture_on_commit_callbacks(execute=True):
            services.act(material, "submit", clerks["west_clerk"])
        assert any("待单位审核" in s for s in inbox(clerks["west_head"]))
        assert not inbox(clerks["west_clerk"])
        with django_capture_on_commit_callbacks(execute=True):
            services.act(material, "approve", clerks["west_head"])
        assert any("待网申组审核" in s for s in inbox(users["coordinator"]))
        with django_capture_on_commit_callbacks(execute=True):
            services.act(material, "return", users["coordinator"], comment="缺少附件")
        assert any("被退回" in s for s in inbox(clerks["west_clerk"]))
        assert not inbox(clerks["east_clerk"])


def test_it_reminds_before_the_due_date_and_escalates_when_overdue(
    material_tasks: Any, clerks: Any, users: Any
) -> None:
    for task in material_tasks.values():
        sync_submissions(task)
    # Friday 11 December: 01-01-01 (due Tue 15th) is 3 working days away; nothing is overdue yet.
    with time_machine.travel(datetime(2026, 12, 11, 8, 15, tzinfo=SHANGHAI), tick=False):
        told = remind()
        assert told["escalated"] == 0 and told["reminded"] >= 2  # west (lead) and east (supporting)
        assert any("即将到期" in s and "01-01-01" in s for s in inbox(clerks["west_clerk"]))
        assert remind() == {"reminded": 0, "escalated": 0}  # the same day again tells no one
    # Wednesday 16 December: 01-01-01 is overdue, escalated to the unit head and the office.
    with time_machine.travel(datetime(2026, 12, 16, 8, 15, tzinfo=SHANGHAI), tick=False):
        assert remind()["escalated"] >= 1
        assert any("已超期" in s and "01-01-01" in s for s in inbox(clerks["west_head"]))
        assert any("已超期" in s for s in inbox(users["coordinator"]))
    # Saturday: no reminders at all.
    with time_machine.travel(datetime(2026, 12, 19, 8, 15, tzinfo=SHANGHAI), tick=False):
        assert remind() == {"reminded": 0, "escalated": 0}
