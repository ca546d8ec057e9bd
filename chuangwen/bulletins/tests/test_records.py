"""The rules of the commendation and accountability records: who writes them, about which unit, the bounds on
dates and texts (refused with the field, nothing written), the talk's follow-up states, the audit, and the
reminder of talks past their follow-up date (once per due date)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from chuangwen.audit.models import AuditEntry
from chuangwen.bulletins import records, tasks
from chuangwen.bulletins.models import AccountabilityTalk, Commendation, TalkState
from chuangwen.bulletins.services import Refused
from chuangwen.notify.models import Notification
from chuangwen.rankings.tests.page_fixtures import NOW
from conftest import make_user

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 16)


@pytest.fixture(autouse=True)
def clock() -> Iterator[Any]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _commend(org: dict[str, Any], actor: Any, **changes: Any) -> Commendation:
    fields: dict[str, Any] = {
        "unit": org["west"],
        "title": "创建工作先进单位",
        "reason": "整改及时、长效管理到位",
        "date": TODAY,
        "person_name": "张三",
    }
    fields.update(changes)
    return records.commend(org["district"], actor, **fields)


def _talk(org: dict[str, Any], actor: Any, **changes: Any) -> AccountabilityTalk:
    fields: dict[str, Any] = {
        "unit": org["east"],
        "kind": "talk",
        "reason": "连续两月排名末位",
        "meeting_date": TODAY,
        "follow_up_due": TODAY + timedelta(days=20),
    }
    fields.update(changes)
    return records.schedule_talk(org["district"], actor, **fields)


def test_it_records_a_commendation_and_audits_it_without_the_persons_name(
    org: dict[str, Any], users: dict[str, Any]
) -> None:
    praise = _commend(org, users["coordinator"], title="  先进单位  ")
    assert (praise.unit, praise.title, praise.person_name, praise.created_by) == (
        org["west"],
        "先进单位",
        "张三",
        users["coordinator"],
    )
    entry = AuditEntry.objects.get(action="bulletin.commend")
    assert entry.object_id == str(praise.pk) and entry.actor_id == users["coordinator"].pk
    assert entry.detail == {"unit": org["west"].pk, "date": "2026-03-16", "person": True}
    assert "张三" not in f"{entry.detail} {entry.object_repr}"


@pytest.mark.parametrize("who", ["leader", "west_head", "inspector", "admin"])
def test_it_lets_only_the_offices_coordinator_write(
    org: dict[str, Any], users: dict[str, Any], who: str
) -> None:
    with pytest.raises(Refused) as caught:
        _commend(org, users[who])
    assert caught.value.code == "forbidden"
    with pytest.raises(Refused):
        _talk(org, users[who])
    assert not Commendation.objects.exists() and not AccountabilityTalk.objects.exists()


def test_it_refuses_a_street_coordinator_writing_for_the_district(org: dict[str, Any]) -> None:
    street_coordinator = make_user("west_coord", "coordinator", org["west"])
    with pytest.raises(Refused) as caught:
        _commend(org, street_coordinator, unit=org["west_c"])
    assert caught.value.code == "forbidden"
    # … and writing in its own name it may only name units below it.
    with pytest.raises(Refused) as caught:
        records.commend(
            org["west"], street_coordinator, unit=org["east_c"], title="先进", reason="好", date=TODAY
        )
    assert caught.value.field == "unit"
    praise = records.commend(
        org["west"], street_coordinator, unit=org["west_c"], title="先进", reason="好", date=TODAY
    )
    assert praise.owner_unit == org["west"]


@pytest.mark.parametrize("unit", ["district", "city", None])
def test_it_refuses_a_unit_outside_the_offices_subtree_or_the_office_itself(
    org: dict[str, Any], users: dict[str, Any], unit: str | None
) -> None:
    with pytest.raises(Refused) as caught:
        _commend(org, users["coordinator"], unit=org[unit] if unit else None)
    assert (caught.value.code, caught.value.field) == ("invalid", "unit")
    assert not Commendation.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "名" * 101}, "title"),
        ({"reason": "   "}, "reason"),
        ({"reason": "由" * 2001}, "reason"),
        ({"person_name": "姓" * 51}, "person_name"),
        ({"date": date(1999, 12, 31)}, "date"),
        ({"date": date(2028, 1, 1)}, "date"),
        ({"date": "2026-03-16"}, "date"),
        ({"date": None}, "date"),
    ],
)
def test_it_refuses_bad_commendation_fields_naming_them(
    org: dict[str, Any], users: dict[str, Any], changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(Refused) as caught:
        _commend(org, users["coordinator"], **changes)
    assert caught.value.field == field and caught.value.message
    assert not Commendation.objects.exists()
    assert not AuditEntry.objects.filter(action="bulletin.commend").exists()


def test_it_accepts_the_bounds(org: dict[str, Any], users: dict[str, Any]) -> None:
    _commend(org, users["coordinator"], date=date(2000, 1, 1), title="名" * 100, person_name="")
    _commend(org, users["coordinator"], date=date(2027, 12, 31))
    _talk(org, users["coordinator"], follow_up_due=TODAY + timedelta(days=366))
    _talk(org, users["coordinator"], follow_up_due=TODAY, kind="criticism")
    assert Commendation.objects.count() == 2 and AccountabilityTalk.objects.count() == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "lecture"}, "kind"),
        ({"reason": ""}, "reason"),
        ({"meeting_date": date(1999, 1, 1)}, "meeting_date"),
        ({"follow_up_due": TODAY - timedelta(days=1)}, "follow_up_due"),
        ({"follow_up_due": TODAY + timedelta(days=367)}, "follow_up_due"),
        ({"follow_up_due": date(2028, 1, 1), "meeting_date": date(2027, 6, 1)}, "follow_up_due"),
    ],
)
def test_it_refuses_bad_talk_fields_naming_them(
    org: dict[str, Any], users: dict[str, Any], changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(Refused) as caught:
        _talk(org, users["coordinator"], **changes)
    assert caught.value.field == field
    assert not AccountabilityTalk.objects.exists()


def test_it_follows_a_talk_up_and_closes_it(org: dict[str, Any], users: dict[str, Any], clock: Any) -> None:
    talk = _talk(org, users["coordinator"])
    assert talk.state == TalkState.PLANNED and talk.closed_at is None
    talk = records.follow_up(talk, users["coordinator"], outcome="已约谈，整改方案已报", close=False)
    assert (talk.state, talk.outcome, talk.closed_at) == (TalkState.FOLLOWING, "已约谈，整改方案已报", None)
    clock.shift(timedelta(days=3))
    talk = records.follow_up(talk, users["coordinator"], outcome="整改到位", close=True)
    talk.refresh_from_db()
    assert talk.state == TalkState.CLOSED and talk.closed_at == timezone.now()
    with pytest.raises(Refused) as caught:
        records.follow_up(talk, users["coordinator"], outcome="再看看", close=False)
    assert caught.value.code == "state"
    talk.refresh_from_db()
    assert talk.outcome == "整改到位"
    steps = (
        AuditEntry.objects.filter(action="bulletin.talk_follow_up")
        .order_by("seq")
        .values_list("detail", flat=True)
    )
    assert [(d["from"], d["to"]) for d in steps] == [("planned", "following"), ("following", "closed")]


def test_it_refuses_a_follow_up_by_others_or_without_outcome(
    org: dict[str, Any], users: dict[str, Any]
) -> None:
    talk = _talk(org, users["coordinator"])
    for who in ("leader", "east_handler"):
        with pytest.raises(Refused):
            records.follow_up(talk, users[who], outcome="好", close=True)
    for outcome in ("", "果" * 2001):
        with pytest.raises(Refused) as caught:
            records.follow_up(talk, users["coordinator"], outcome=outcome, close=True)
        assert caught.value.field == "outcome"
    talk.refresh_from_db()
    assert talk.state == TalkState.PLANNED and talk.outcome == ""


def test_it_reminds_of_a_talk_past_its_follow_up_date_once(
    org: dict[str, Any], users: dict[str, Any], clock: Any
) -> None:
    east_head = make_user("east_head", "unit_head", org["east"])
    late = _talk(org, users["coordinator"], meeting_date=TODAY - timedelta(days=30), follow_up_due=TODAY)
    closed = _talk(org, users["coordinator"], meeting_date=TODAY - timedelta(days=30), follow_up_due=TODAY)
    records.follow_up(closed, users["coordinator"], outcome="整改到位", close=True)
    _talk(org, users["coordinator"], follow_up_due=TODAY + timedelta(days=5))  # not yet due
    assert records.remind_talks(timezone.now()) == 0  # the due day itself is still in time
    clock.shift(timedelta(days=1))
    assert records.remind_talks(timezone.now()) == 1
    sent = Notification.objects.filter(kind="bulletin.talk_overdue")
    assert sorted(n.user_id for n in sent.all()) == sorted([east_head.pk, users["coordinator"].pk])
    assert all(n.link == f"/bulletins/talks/{late.pk}/" for n in sent.all())
    late.refresh_from_db()
    assert late.reminded_at == timezone.now()
    clock.shift(timedelta(days=1))
    tasks.remind_talks()  # the daily task: nothing new for the same due date
    assert sent.count() == 2
    # A later due date (set by the office) is reminded again once it passes.
    AccountabilityTalk.objects.filter(pk=late.pk).update(follow_up_due=TODAY + timedelta(days=3))
    clock.shift(timedelta(days=2))
    assert records.remind_talks(timezone.now()) == 1 and sent.count() == 4
