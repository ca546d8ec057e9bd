"""任务分解: the rule of ``assign_task`` — what it writes and audits, and every assignment it refuses."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from chuangwen.audit.models import AuditEntry
from chuangwen.materials.models import Period, PeriodState, Task
from chuangwen.materials.tasksplit import (
    MAX_SUPPORTING_UNITS,
    TaskSplitError,
    assign_task,
    may_split_tasks,
    online_indicators,
    unassigned_indicators,
)
from chuangwen.materials.tests.fixtures import FIELD_ONLY_CODE, INDICATOR_CODES, indicator_of
from chuangwen.org.models import Unit, UnitKind
from chuangwen.standards.models import Indicator, IndicatorContent, IndicatorProject, Standard

TODAY = datetime(2026, 12, 7, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
ONLINE_CODES = [code for code in INDICATOR_CODES if code != FIELD_ONLY_CODE]


def refused(period: Any, code_or_indicator: Any, **kwargs: Any) -> TaskSplitError:
    """The error ``assign_task`` raises; nothing may have been written or audited."""
    indicator = (
        indicator_of(period.standard, code_or_indicator)
        if isinstance(code_or_indicator, str)
        else code_or_indicator
    )
    kwargs.setdefault("due_date", date(2026, 12, 15))
    tasks, entries = Task.objects.count(), AuditEntry.objects.count()
    with pytest.raises(TaskSplitError) as caught:
        assign_task(period, indicator, **kwargs)
    assert (Task.objects.count(), AuditEntry.objects.count()) == (tasks, entries)
    return caught.value


def assign_entries() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="materials.task.assign").order_by("seq"))


@time_machine.travel(TODAY, tick=False)
def test_it_creates_a_task_with_its_supporters_and_audits_it(material_period, org, users):
    indicator = indicator_of(material_period.standard, "01-01-01")

    task = assign_task(
        material_period,
        indicator,
        lead_unit=org["west"],
        supporting_units=[org["east"], org["west_c"]],
        due_date=date(2026, 12, 15),
        note="  含街道汇总  ",
        actor=users["coordinator"],
    )

    task.refresh_from_db()
    assert (task.period, task.indicator, task.lead_unit) == (material_period, indicator, org["west"])
    assert set(task.supporting_units.all()) == {org["east"], org["west_c"]}
    assert (task.due_date, task.note) == (date(2026, 12, 15), "含街道汇总")
    [entry] = assign_entries()
    assert (entry.actor, entry.object_id) == (users["coordinator"], str(task.pk))
    assert entry.detail["before"] is None
    assert entry.detail["after"] == {
        "lead_unit": "S01",
        "supporting_units": ["S01C01", "S02"],
        "due_date": "2026-12-15",
        "note": "含街道汇总",
    }


@time_machine.travel(TODAY, tick=False)
def test_it_updates_the_one_task_of_the_indicator_and_audits_before_and_after(material_tasks, org, users):
    task = material_tasks["01-01-01"]

    updated = assign_task(
        task.period,
        task.indicator,
        lead_unit=org["east"],
        supporting_units=[org["dept"]],
        due_date=date(2026, 12, 21),
        actor=users["coordinator"],
    )

    assert updated.pk == task.pk
    assert Task.objects.filter(period=task.period, indicator=task.indicator).count() == 1
    updated.refresh_from_db()
    assert (updated.lead_unit, updated.due_date) == (org["east"], date(2026, 12, 21))
    assert list(updated.supporting_units.all()) == [org["dept"]]
    [entry] = assign_entries()
    assert entry.detail["before"] == {
        "lead_unit": "S01",
        "supporting_units": ["S02"],
        "due_date": "2026-12-15",
        "note": "",
    }
    assert entry.detail["after"]["lead_unit"] == "S02"
    assert entry.detail["after"]["supporting_units"] == ["D01B01"]


@time_machine.travel(TODAY, tick=False)
def test_it_writes_no_audit_entry_when_nothing_changes(material_tasks, org):
    task = material_tasks["01-01-01"]

    assign_task(
        task.period,
        task.indicator,
        lead_unit=org["west"],
        supporting_units=[org["east"]],
        due_date=task.due_date,
    )

    assert assign_entries() == []


@time_machine.travel(TODAY, tick=False)
def test_it_refuses_any_assignment_in_an_archived_period(material_period, org):
    Period.objects.filter(pk=material_period.pk).update(state=PeriodState.CLOSED)

    error = refused(material_period, "01-01-01", lead_unit=org["west"])

    assert error.fields == {"period"}
    assert "已归档" in str(error)


@time_machine.travel(TODAY, tick=False)
def test_it_refuses_an_indicator_of_another_standard(material_period, org):
    other = Standard.objects.create(code="N", version=1, name="另一体系")
    project = IndicatorProject.objects.create(standard=other, code="01", name="项目")
    content = IndicatorContent.objects.create(project=project, code="01-01", name="内容")
    stranger = Indicator.objects.create(
        content=content, code="01-01-01", text="同编号的标准", methods=["online"]
    )

    error = refused(material_period, stranger, lead_unit=org["west"])

    assert error.fields == {"indicator"}
    assert "不属于本申报周期的测评体系" in str(error)


@time_machine.travel(TODAY, tick=False)
def test_it_refuses_an_indicator_tested_only_in_the_field(material_period, org):
    error = refused(material_period, FIELD_ONLY_CODE, lead_unit=org["west"])

    assert error.fields == {"indicator"}
    assert "不采用网上申报" in str(error)


@time_machine.travel(TODAY, tick=False)
def test_it_refuses_units_outside_the_district(material_period, org):
    elsewhere = Unit.objects.create(code="D02", name="邻区", kind=UnitKind.DISTRICT, parent=org["city"])

    as_lead = refused(material_period, "01-01-01", lead_unit=elsewhere)
    as_supporter = refused(material_period, "01-01-01", lead_unit=org["west"], supporting_units=[org["city"]])

    assert as_lead.problems == [("lead_unit", "单位“邻区”不在“文明区”的管辖范围内")]
    assert as_supporter.problems == [("supporting_units", "单位“示范市”不在“文明区”的管辖范围内")]


@time_machine.travel(TODAY, tick=False)
def test_it_refuses_an_inactive_unit(material_period, org):
    Unit.objects.filter(pk=org["east"].pk).update(active=False)
    org["east"].refresh_from_db()

    error = refused(material_period, "01-01-01", lead_unit=org["east"])

    assert error.problems == [("lead_unit", "单位“东城街道”已停用")]


@time_machine.travel(TODAY, tick=False)
def test_it_refuses_a_lead_unit_that_also_supports(material_period, org):
    error = refused(
        material_period, "01-01-01", lead_unit=org["west"], supporting_units=[org["east"], org["west"]]
    )

    assert error.problems == [("supporting_units", "牵头单位“西湖街道”不能同时是配合单位")]


@time_machine.travel(TODAY, tick=False)
def test_it_takes_twenty_supporting_units_and_refuses_twenty_one(material_period, org):
    communities = [
        Unit.objects.create(code=f"S01C{n:02d}", name=f"社区{n}", kind=UnitKind.COMMUNITY, parent=org["west"])
        for n in range(2, 2 + MAX_SUPPORTING_UNITS)
    ]
    indicator = indicator_of(material_period.standard, "01-01-01")

    error = refused(
        material_period, indicator, lead_unit=org["dept"], supporting_units=[*communities, org["east"]]
    )
    task = assign_task(
        material_period,
        indicator,
        lead_unit=org["dept"],
        supporting_units=communities,
        due_date=date(2026, 12, 15),
    )

    assert error.fields == {"supporting_units"}
    assert "最多 20 个" in str(error)
    assert task.supporting_units.count() == MAX_SUPPORTING_UNITS


@time_machine.travel(TODAY, tick=False)
def test_it_refuses_a_weekend_due_date_and_names_the_next_working_day(material_period, org):
    error = refused(material_period, "01-01-01", lead_unit=org["west"], due_date=date(2026, 12, 12))

    assert error.problems == [("due_date", "完成时限 2026-12-12 不是工作日（下一个工作日为 2026-12-14）")]


@time_machine.travel(datetime(2026, 9, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)
def test_it_follows_the_official_calendar_holidays_and_make_up_days(material_period, org):
    Period.objects.filter(pk=material_period.pk).update(
        created_at=datetime(2026, 9, 1, tzinfo=ZoneInfo("UTC"))
    )
    material_period.refresh_from_db()

    error = refused(material_period, "01-01-01", lead_unit=org["west"], due_date=date(2026, 10, 1))
    on_sunday = assign_task(
        material_period,
        indicator_of(material_period.standard, "01-01-02"),
        lead_unit=org["west"],
        due_date=date(2026, 9, 20),  # a Sunday worked in exchange for the National Day holiday (调休)
    )

    assert error.problems == [("due_date", "完成时限 2026-10-01 不是工作日（下一个工作日为 2026-10-08）")]
    assert on_sunday.due_date == date(2026, 9, 20)


@time_machine.travel(TODAY, tick=False)
def test_it_names_the_previous_working_day_when_the_next_is_after_the_reference_date(material_period, org):
    Period.objects.filter(pk=material_period.pk).update(reference_date=date(2026, 12, 27))
    material_period.refresh_from_db()

    error = refused(material_period, "01-01-01", lead_unit=org["west"], due_date=date(2026, 12, 26))

    assert error.problems == [("due_date", "完成时限 2026-12-26 不是工作日（上一个工作日为 2026-12-25）")]


@time_machine.travel(TODAY, tick=False)
def test_it_refuses_a_due_date_after_the_reference_date_or_before_the_period(material_period, org):
    late = refused(material_period, "01-01-01", lead_unit=org["west"], due_date=date(2027, 1, 4))
    early = refused(material_period, "01-01-01", lead_unit=org["west"], due_date=date(2026, 10, 30))

    assert late.problems == [("due_date", "完成时限 2027-01-04 晚于测评基准日 2026-12-31")]
    assert early.problems == [("due_date", "完成时限 2026-10-30 早于申报周期创建日期 2026-11-02")]


@time_machine.travel(TODAY, tick=False)
def test_it_names_every_refused_field_at_once(material_period, org):
    error = refused(
        material_period,
        FIELD_ONLY_CODE,
        lead_unit=org["west"],
        supporting_units=[org["west"]],
        due_date=date(2026, 12, 13),
        note="长" * 301,
    )

    assert error.fields == {"indicator", "supporting_units", "due_date", "note"}


def test_it_lists_the_online_indicators_that_have_no_task_yet(material_tasks):
    period = next(iter(material_tasks.values())).period

    assert [i.code for i in online_indicators(period)] == ONLINE_CODES
    assert list(unassigned_indicators(period)) == []
    material_tasks["01-02-01"].delete()
    assert [i.code for i in unassigned_indicators(period)] == ["01-02-01"]


def test_it_lets_only_the_periods_office_split_tasks(material_period, users, clerks):
    assert may_split_tasks(users["coordinator"], material_period)
    assert may_split_tasks(users["admin"], material_period)
    assert not may_split_tasks(users["leader"], material_period)
    assert not may_split_tasks(clerks["west_head"], material_period)
