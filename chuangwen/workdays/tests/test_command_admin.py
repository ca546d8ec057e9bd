"""``chuangwen workdays show|set|unset`` and the holiday table in the admin."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from chuangwen.audit.models import AuditEntry
from chuangwen.workdays.models import CalendarDay, DayKind
from chuangwen.workdays.services import is_workday
from conftest import client_for


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("workdays", *args, stdout=out)
    return out.getvalue()


def test_it_shows_a_package_year_with_sources(db):
    out = run("show", "2026")
    assert "2026-02-14 周六  工作日（调休上班）  春节  [国务院办公厅通知（chinesecalendar）]" in out
    assert "2026-10-07 周三  休息日（节假日）  国庆节  [国务院办公厅通知（chinesecalendar）]" in out
    assert "尚未维护" not in out


def test_it_sets_and_unsets_a_day_for_an_unknown_year(db):
    out = run("show", "2027")
    assert "2027 年节假日尚未维护" in out and "默认周末规则" in out
    run("set", "2027-02-06", "holiday", "春节", "--note", "国办发明电〔2026〕x号")
    assert CalendarDay.objects.get(date=date(2027, 2, 6)).note == "国办发明电〔2026〕x号"
    run("set", "2027-02-08", "holiday", "春节")
    assert not is_workday(date(2027, 2, 8))  # a Monday
    out = run("show", "2027")
    assert "尚未维护" not in out
    assert (
        "2027-02-08 周一  休息日（节假日）  春节  [本地维护]（覆盖默认周末规则：工作日（调休上班））" in out
    )
    assert "已更新" in run("set", "2027-02-08", "workday", "调休上班")
    assert is_workday(date(2027, 2, 8))
    assert "恢复为工作日" in run("unset", "2027-02-08")
    assert not CalendarDay.objects.filter(date=date(2027, 2, 8)).exists()
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"workdays.calendar_day.cli_set", "workdays.calendar_day.cli_unset"} <= actions
    with pytest.raises(CommandError):
        run("unset", "2027-02-08")
    with pytest.raises(CommandError):
        run("set", "2027-13-01", "holiday")


def test_it_lets_a_coordinator_edit_the_table_in_the_admin(users):
    coordinator = users["coordinator"]
    coordinator.is_staff = True
    coordinator.save()
    client = client_for(coordinator)
    r = client.post(
        "/admin/workdays/calendarday/add/",
        {"date": "2026-03-02", "kind": DayKind.HOLIDAY, "name": "本地停工", "note": "区政府通知"},
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    row = CalendarDay.objects.get(date=date(2026, 3, 2))
    assert row.updated_by == coordinator
    assert not is_workday(date(2026, 3, 2))
    assert AuditEntry.objects.filter(action="workdays.calendar_day.admin_add").exists()
    page = client.get("/admin/workdays/calendarday/").content.decode()
    assert "本地停工" in page and "工作日" in page  # the official calendar's own view is shown beside it


def test_it_keeps_other_roles_out_of_the_table(users):
    handler = users["west_handler"]
    handler.is_staff = True
    handler.save()
    client = client_for(handler)
    assert client.get("/admin/workdays/calendarday/").status_code == 403
    r = client.post("/admin/workdays/calendarday/add/", {"date": "2026-03-02", "kind": DayKind.HOLIDAY})
    assert r.status_code == 403
    assert not CalendarDay.objects.exists()
