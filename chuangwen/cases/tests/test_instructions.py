"""Instructions (督办): on a case, and as a new case dispatched straight to the unit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from chuangwen.audit.models import AuditEntry
from chuangwen.cases import machine
from chuangwen.cases.exceptions import CaseNotFound, TransitionRefused
from chuangwen.cases.instructions import instruct, instruction_rows, open_instruction_case
from chuangwen.cases.models import CaseSource, CaseState, Instruction
from chuangwen.cases.tests.case_fixtures import make_case
from chuangwen.workdays.services import warn_point
from conftest import make_user

pytestmark = pytest.mark.django_db
S = CaseState


def test_it_records_an_instruction_without_changing_the_state(people, org):
    case = make_case(S.ACCEPTED, org["west"])
    deadline = timezone.now() + timedelta(days=3)
    item = instruct(case, people["leader"], "  三天内清理完毕  ", deadline)
    assert item.text == "三天内清理完毕" and item.deadline == deadline and item.issued_by == people["leader"]
    event = case.events.get(action="instruct")
    assert event.from_state == event.to_state == S.ACCEPTED and event.reason == "三天内清理完毕"
    assert machine.action_label("instruct") == "督办"
    case.refresh_from_db()
    assert case.state == S.ACCEPTED and case.version == 1
    assert AuditEntry.objects.filter(action="case.instruct").count() == 1


def test_it_refuses_a_past_deadline_and_empty_text(people, org):
    case = make_case(S.DISPATCHED, org["west"])
    with pytest.raises(ValidationError) as info:
        instruct(case, people["coordinator"], " ", timezone.now() - timedelta(minutes=1))
    assert set(info.value.message_dict) == {"text", "deadline"}
    assert "晚于现在" in info.value.message_dict["deadline"][0]
    assert not Instruction.objects.exists() and not case.events.filter(action="instruct").exists()


def test_it_lets_only_leaders_and_coordinators_instruct_cases_they_see(people, org):
    case = make_case(S.DISPATCHED, org["west"])
    later = timezone.now() + timedelta(days=1)
    with pytest.raises(TransitionRefused):
        instruct(case, people["west_head"], "快办", later)
    east_leader = make_user("east_leader", "leader", org["east"])
    with pytest.raises(CaseNotFound):
        instruct(case, east_leader, "快办", later)
    closed = make_case(S.CLOSED, org["west"])
    with pytest.raises(TransitionRefused, match="已结案"):
        instruct(closed, people["leader"], "快办", later)
    assert not Instruction.objects.exists()


def test_it_opens_an_instruction_case_dispatched_with_its_deadline(people, org, sites):
    deadline = timezone.now() + timedelta(days=7)
    case = open_instruction_case(
        people["leader"], org["west"], "农贸市场周边占道", "早高峰尤其严重", deadline, sites["west_market"],
        text="一周内整治到位",
    )  # fmt: skip
    assert case.source == CaseSource.INSTRUCTION and case.state == S.DISPATCHED and case.unit == org["west"]
    assert case.area_unit == org["west_c"] and case.site == sites["west_market"]
    assert case.deadline == deadline and case.deadline_from is not None
    assert case.warn_at == warn_point(case.deadline_from, deadline)
    assert [e.action for e in case.events.all()] == ["open", "instruct"]
    assert case.instructions.get().text == "一周内整治到位"
    assert AuditEntry.objects.filter(action="case.open").count() == 1


def test_it_refuses_an_instruction_case_outside_the_scope(people, org):
    east_coord = make_user("east_coord", "coordinator", org["east"])
    later = timezone.now() + timedelta(days=1)
    with pytest.raises(ValidationError) as info:
        open_instruction_case(east_coord, org["west"], "问题", "", later)
    assert "unit" in info.value.message_dict
    with pytest.raises(TransitionRefused):
        open_instruction_case(people["west_handler"], org["west"], "问题", "", later)
    assert not Instruction.objects.exists()


def test_it_marks_overdue_instructions(people, org):
    case = make_case(S.DISPATCHED, org["west"])
    instruct(case, people["leader"], "尽快", timezone.now() + timedelta(hours=1))
    rows = instruction_rows(case, timezone.now() + timedelta(hours=2))
    assert [overdue for _item, overdue in rows] == [True]
