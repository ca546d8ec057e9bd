"""Escalation and the daily digest with a stopped clock: each step of the ladder fires at its moment, once per
deadline, to the right people; a new deadline starts the ladder again; paused cases are left alone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from chuangwen.cases import sweeps
from chuangwen.cases.deadlines import deadline_fields
from chuangwen.cases.models import Case, Escalation
from chuangwen.cases.tests.case_fixtures import make_case
from chuangwen.notify.models import Channel, Delivery, Notification
from chuangwen.workdays.services import add_workdays, end_of_day

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Opened Friday 13 Feb 2026 10:00 with 5 working days: the Spring Festival (15–23 Feb) does not count, the
# make-up Saturday 14 Feb does. Deadline: end of Friday 27 Feb; 80 % used at 21:12 on Thursday 26 Feb.
OPENED = datetime(2026, 2, 13, 10, 0, tzinfo=SHANGHAI)


def at(day: int, hour: int, minute: int = 0, month: int = 2) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def case(org, people):
    return make_case(
        "accepted",
        org["east"],
        area=org["east_c"],
        opened_at=OPENED,
        **deadline_fields(OPENED, add_workdays(OPENED, 5)),
    )


def told(user) -> list[str]:
    return list(Notification.objects.filter(user=user).order_by("pk").values_list("subject", flat=True))


def test_it_climbs_the_ladder_at_the_right_moments(org, people, case, settings):
    settings.CASES_LEADER_AFTER_WORKDAYS = 2
    assert case.deadline == end_of_day(at(27, 0).date())
    assert not sweeps.sweep(at(26, 21, 11)).escalated  # 79.99 %: nobody yet
    assert dict(sweeps.sweep(at(26, 21, 12)).escalated) == {"unit_head": 1}
    assert told(people["east_head"]) == [f"案卷临期：{case.code}"]
    assert told(people["coordinator"]) == [] and told(people["east_handler"]) == []
    assert not sweeps.sweep(at(27, 23, 59)).escalated  # the deadline itself is still in time
    assert dict(sweeps.sweep(at(28, 0, 1)).escalated) == {"coordinator": 1}
    assert told(people["coordinator"]) == [f"案卷超期：{case.code}"]
    # leaders: two working days after the deadline: 28 Feb (a make-up Saturday) and Monday 2 March, so
    # from the end of 2 March
    assert not sweeps.sweep(at(2, 23, 59, month=3)).escalated
    assert dict(sweeps.sweep(at(3, 0, 1, month=3)).escalated) == {"leader": 1}
    assert told(people["leader"]) == [f"案卷超期未办结，请督办：{case.code}"]
    assert not sweeps.sweep(at(10, 9, month=3)).escalated  # each step once
    assert Escalation.objects.filter(case=case).count() == 3


def test_it_starts_again_for_a_new_deadline_and_skips_paused_cases(org, people, case):
    sweeps.sweep(at(28, 9))
    assert set(Escalation.objects.values_list("level", flat=True)) == {"unit_head", "coordinator"}
    new_deadline = end_of_day(at(20, 0, month=3).date())
    Case.objects.filter(pk=case.pk).update(**deadline_fields(at(2, 9, month=3), new_deadline))
    assert not sweeps.sweep(at(3, 9, month=3)).escalated
    assert dict(sweeps.sweep(at(21, 9, month=3)).escalated) == {"unit_head": 1, "coordinator": 1}
    paused = make_case(
        "suspended", org["east"], opened_at=OPENED, **deadline_fields(OPENED, add_workdays(OPENED, 1))
    )
    sweeps.sweep(at(21, 10, month=3))
    assert not Escalation.objects.filter(case=paused).exists()


def test_it_posts_the_warning_to_the_units_group_robot(org, people, case):
    Channel.objects.create(unit=org["east"], kind="wecom", name="东城群", target="http://127.0.0.1:9/robot")
    Channel.objects.create(unit=org["west"], kind="wecom", name="西湖群", target="http://127.0.0.1:9/robot")
    sweeps.sweep(at(27, 9))
    (delivery,) = Delivery.objects.filter(channel__isnull=False)
    assert delivery.channel.unit == org["east"] and case.code in delivery.payload["markdown"]["content"]


def test_it_sends_one_digest_per_unit_per_day(org, people, case):
    make_case(
        "dispatched", org["west"], opened_at=OPENED, **deadline_fields(OPENED, add_workdays(OPENED, 10))
    )
    assert sweeps.daily_digest(at(2, 8, month=3)) == 2
    (east,) = Notification.objects.filter(user=people["east_handler"])
    assert east.subject == "东城街道 案卷日报 2026-03-02"
    assert "在办案卷 1 件：绿灯 0，黄灯 0，红灯（超期）1" in east.body and case.code in east.body
    assert Notification.objects.filter(user=people["east_head"], kind="case.digest").count() == 1
    (west,) = Notification.objects.filter(user=people["west_head"])
    assert "红灯（超期）0" in west.body
    assert sweeps.daily_digest(at(2, 18, month=3)) == 0  # the same day: nothing again
    assert sweeps.daily_digest(at(3, 8, month=3)) == 2


def test_it_runs_from_the_command(org, people, case, capsys):
    # The command reads the clock: three weeks after the deadline, whatever today is, it is long overdue.
    with time_machine.travel(at(16, 10, month=3), tick=False):
        call_command("cases", "sweep")
        assert "报创建办" in capsys.readouterr().out
        call_command("cases", "digest")
        assert "已向 1 个单位发送日报" in capsys.readouterr().out
