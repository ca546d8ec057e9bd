"""The rules of bulletins through their services: the workflow table, numbering, freezing, version conflicts,
recipients with read receipts and rectification reports, the reminder sweep, scheduled drafting, corrections.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from chuangwen.bulletins import distribution, schedule, services
from chuangwen.bulletins.models import (
    Bulletin,
    BulletinKind,
    BulletinState,
    Recipient,
    RecipientReason,
    ReplyState,
    Schedule,
)
from chuangwen.bulletins.tests.fixtures import draft_of, issue
from chuangwen.notify.models import Notification
from chuangwen.workdays.services import add_workdays
from conftest import make_user

pytestmark = pytest.mark.django_db


def refused(call: Any, *args: Any, **kwargs: Any) -> services.Refused:
    with pytest.raises(services.Refused) as caught:
        call(*args, **kwargs)
    return caught.value


def frozen_view(bulletin: Bulletin) -> tuple[Any, ...]:
    bulletin.refresh_from_db()
    picks = list(bulletin.typical_problems.values_list("finding_id", "caption"))
    return (bulletin.version, bulletin.title, bulletin.sections, bulletin.wording, bulletin.content, picks)


def other_district_coordinator(org: dict[str, Any]) -> Any:
    from chuangwen.org.models import Unit, UnitKind

    north = Unit.objects.create(code="D02", name="北区", kind=UnitKind.DISTRICT, parent=org["city"])
    return make_user("coord_north", "coordinator", north)


def actions(bulletin: Bulletin, user: Any) -> list[str]:
    return [t.action for t in services.allowed_actions(bulletin, user)]


# --- the workflow table -------------------------------------------------------------------------------------


def test_it_takes_a_bulletin_through_review_return_sign_and_issue(
    bulletin_world: dict[str, Any], users: dict[str, Any]
) -> None:
    coord, reviewer, leader = users["coordinator"], bulletin_world["reviewer"], users["leader"]
    bulletin = draft_of(bulletin_world, users)
    assert bulletin.state == BulletinState.DRAFT and actions(bulletin, coord) == ["submit"]
    bulletin = services.transition(bulletin, "submit", coord)
    assert bulletin.state == BulletinState.IN_REVIEW
    assert "approve" not in actions(bulletin, coord) and "approve" in actions(bulletin, reviewer)
    # The drafter never approves their own draft.
    assert refused(services.transition, bulletin, "approve", coord).code == "forbidden"
    error = refused(services.transition, bulletin, "return", reviewer, reason="  ")
    assert (error.code, error.field) == ("invalid", "reason")
    bulletin.refresh_from_db()
    assert bulletin.state == BulletinState.IN_REVIEW and bulletin.return_note == ""
    bulletin = services.transition(bulletin, "return", reviewer, reason="典型问题说明不够具体")
    assert bulletin.state == BulletinState.DRAFT and bulletin.return_note == "典型问题说明不够具体"
    bulletin = services.transition(bulletin, "submit", coord)
    assert bulletin.return_note == ""
    bulletin = services.transition(bulletin, "approve", reviewer)
    assert bulletin.state == BulletinState.REVIEWED and bulletin.reviewed_by == reviewer
    assert refused(services.transition, bulletin, "sign", coord).code == "forbidden"
    bulletin = services.transition(bulletin, "sign", leader)
    assert bulletin.state == BulletinState.SIGNED and bulletin.signed_by == leader
    assert refused(services.transition, bulletin, "issue", leader).code == "forbidden"
    bulletin = services.transition(bulletin, "issue", coord)
    assert bulletin.state == BulletinState.ISSUED and bulletin.issued_by == coord and bulletin.number == 1
    assert refused(services.transition, bulletin, "issue", coord).code == "state"


def test_it_refuses_a_handler_a_leader_drafting_and_another_districts_coordinator(
    bulletin_world: dict[str, Any], users: dict[str, Any], org: dict[str, Any]
) -> None:
    bulletin = draft_of(bulletin_world, users)
    north = other_district_coordinator(org)
    for user in (users["east_handler"], users["west_head"], users["leader"], north):
        assert refused(services.transition, bulletin, "submit", user).code == "forbidden"
        assert actions(bulletin, user) == []
    for user in (users["leader"], users["east_handler"], north):
        assert refused(services.draft, bulletin_world["monthly"], user, ranking=bulletin_world["ranking"])
    services.transition(bulletin, "submit", users["coordinator"])
    for user in (users["leader"], users["east_handler"], north):
        assert refused(services.transition, bulletin, "approve", user).code == "forbidden"
    bulletin.refresh_from_db()
    assert bulletin.state == BulletinState.IN_REVIEW and bulletin.reviewed_by is None
    assert Bulletin.objects.count() == 1


def test_it_numbers_per_office_series_and_year(bulletin_world: dict[str, Any], users: dict[str, Any]) -> None:
    first = issue(draft_of(bulletin_world, users), bulletin_world, users)
    second = issue(draft_of(bulletin_world, users), bulletin_world, users)
    # 红黑榜 shares the 通报 prefix, so it continues the series; 表彰决定 has its own prefix and series.
    shared = issue(draft_of(bulletin_world, users, kind=BulletinKind.REDBLACK), bulletin_world, users)
    own = issue(draft_of(bulletin_world, users, kind=BulletinKind.COMMENDATION), bulletin_world, users)
    assert (first.year, first.number, second.number, shared.number, own.number) == (2026, 1, 2, 3, 1)
    prefix = bulletin_world["monthly"].number_prefix
    assert first.document_number == f"{prefix}〔2026〕1号"
    assert shared.document_number == f"{prefix}〔2026〕3号"
    assert own.number_prefix != prefix and own.document_number.endswith("〔2026〕1号")
    numbers = [b.document_number for b in Bulletin.objects.exclude(number=None)]
    assert len(set(numbers)) == len(numbers) == 4
    assert draft_of(bulletin_world, users).document_number == ""


def test_it_freezes_an_issued_bulletin(bulletin_world: dict[str, Any], users: dict[str, Any]) -> None:
    coord = users["coordinator"]
    bulletin = issue(draft_of(bulletin_world, users), bulletin_world, users)
    before = frozen_view(bulletin)
    road = bulletin_world["findings"][bulletin_world["road"].pk]
    attempts = [
        lambda: services.edit(bulletin, coord, title="改过的标题", wording={"opening": "改"}),
        lambda: services.set_typical(bulletin, coord, [(road.pk, "另一说明")]),
        lambda: services.refresh(bulletin, coord),
    ]
    for attempt in attempts:
        assert refused(attempt).code == "frozen"
    assert frozen_view(bulletin) == before


def test_it_refuses_a_stale_version(bulletin_world: dict[str, Any], users: dict[str, Any]) -> None:
    coord = users["coordinator"]
    bulletin = draft_of(bulletin_world, users)
    seen = bulletin.version
    services.edit(bulletin, coord, version=seen, title="第一次修改")
    error = refused(services.edit, bulletin, coord, version=seen, title="基于旧版本的修改")
    assert (error.code, error.field) == ("conflict", "version")
    assert refused(services.transition, bulletin, "submit", coord, version=seen).code == "conflict"
    bulletin.refresh_from_db()
    assert (bulletin.title, bulletin.version, bulletin.state) == ("第一次修改", seen + 1, BulletinState.DRAFT)


# --- recipients, read receipts and rectification reports ----------------------------------------------------


def test_it_addresses_the_units_concerned_and_sets_the_reply_deadline(
    bulletin_world: dict[str, Any], users: dict[str, Any], org: dict[str, Any]
) -> None:
    bulletin = issue(draft_of(bulletin_world, users), bulletin_world, users)
    got = {r.unit_id: r for r in Recipient.objects.filter(bulletin=bulletin)}
    east, west = got[org["east"].pk], got[org["west"].pk]
    assert {RecipientReason.LISTED, RecipientReason.BLACK} <= set(east.reasons)
    assert east.reply_state == ReplyState.AWAITING
    due = add_workdays(bulletin.issued_at, bulletin.template.reply_days)
    assert east.reply_due == bulletin.reply_due == due
    assert RecipientReason.BLACK not in west.reasons and RecipientReason.LISTED in west.reasons
    assert org["district"].pk not in got  # never the issuing office itself


def test_it_addresses_a_listed_unit_without_asking_for_a_report(
    bulletin_world: dict[str, Any], users: dict[str, Any], org: dict[str, Any]
) -> None:
    bulletin = issue(draft_of(bulletin_world, users, kind=BulletinKind.REDBLACK), bulletin_world, users)
    got = {r.unit_id: r for r in Recipient.objects.filter(bulletin=bulletin)}
    west, east = got[org["west"].pk], got[org["east"].pk]
    assert RecipientReason.LISTED in west.reasons and RecipientReason.BLACK not in west.reasons
    assert (west.reply_state, west.reply_due) == (ReplyState.NOT_REQUIRED, None)
    assert east.reply_state == ReplyState.AWAITING and east.reply_due is not None


def test_it_keeps_the_first_read_receipt(bulletin_world: dict[str, Any], users: dict[str, Any]) -> None:
    bulletin = issue(draft_of(bulletin_world, users), bulletin_world, users)
    assert services.mark_read(bulletin, users["inspector"]) is None  # the office is no recipient
    first = services.mark_read(bulletin, users["east_handler"])
    assert first is not None and first.read_at is not None and first.read_by == users["east_handler"]
    with time_machine.travel(timezone.now() + timedelta(hours=3), tick=False):
        again = services.mark_read(bulletin, users["east_handler"])
    assert again is not None and (again.read_at, again.read_by) == (first.read_at, users["east_handler"])
    first.refresh_from_db()
    assert first.read_at == again.read_at


def test_it_takes_a_report_back_and_then_accepts_it(
    bulletin_world: dict[str, Any], users: dict[str, Any], org: dict[str, Any]
) -> None:
    coord = users["coordinator"]
    bulletin = issue(draft_of(bulletin_world, users), bulletin_world, users)
    east = Recipient.objects.get(bulletin=bulletin, unit=org["east"])
    for stranger in (users["west_handler"], users["dept_handler"], users["leader"]):
        assert refused(services.reply, east, stranger, "整改完毕").code == "forbidden"
    assert refused(services.reply, east, users["east_handler"], "   ").field == "text"
    east = services.reply(east, users["east_handler"], "已整改路面破损 3 处")
    assert east.reply_state == ReplyState.REPLIED and east.replied_by == users["east_handler"]
    assert refused(services.review_reply, east, users["leader"], True).code == "forbidden"
    assert refused(services.review_reply, east, coord, False, "").field == "note"
    east.refresh_from_db()
    assert east.reply_state == ReplyState.REPLIED
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        east = services.review_reply(east, coord, False, "缺少整改后照片")
        assert east.reply_due == add_workdays(timezone.now(), bulletin.template.reply_days)
    assert (east.reply_state, east.review_note) == (ReplyState.RETURNED, "缺少整改后照片")
    east = services.reply(east, users["east_handler"], "已补充整改后照片")
    east = services.review_reply(east, coord, True)
    east.refresh_from_db()
    assert (east.reply_state, east.reply_text) == (ReplyState.ACCEPTED, "已补充整改后照片")
    assert refused(services.reply, east, users["east_handler"], "再报一次").code == "state"


def test_it_reminds_before_the_deadline_and_escalates_after_it_once(
    bulletin_world: dict[str, Any], users: dict[str, Any], org: dict[str, Any]
) -> None:
    bulletin = issue(draft_of(bulletin_world, users), bulletin_world, users)
    east = Recipient.objects.get(bulletin=bulletin, unit=org["east"])
    assert east.reply_due is not None
    owing = Recipient.objects.filter(bulletin=bulletin, reply_state=ReplyState.AWAITING).count()
    assert distribution.sweep() == (0, 0)  # nothing due within two days yet
    with time_machine.travel(east.reply_due - timedelta(days=1), tick=False):
        assert distribution.sweep() == (owing, 0)
        assert distribution.sweep() == (0, 0)
    east.refresh_from_db()
    assert east.reminded_at is not None and east.escalated_at is None
    with time_machine.travel(east.reply_due + timedelta(hours=1), tick=False):
        assert distribution.sweep() == (0, owing)
        assert distribution.sweep() == (0, 0)
    east.refresh_from_db()
    assert east.escalated_at is not None
    overdue = Notification.objects.filter(kind="bulletin.reply_overdue", subject__contains=org["east"].name)
    assert {n.user_id for n in overdue} >= {users["coordinator"].pk, users["leader"].pk}


def test_it_neither_reminds_nor_escalates_an_accepted_report(
    bulletin_world: dict[str, Any], users: dict[str, Any], org: dict[str, Any]
) -> None:
    bulletin = issue(draft_of(bulletin_world, users), bulletin_world, users)
    east = Recipient.objects.get(bulletin=bulletin, unit=org["east"])
    services.review_reply(services.reply(east, users["east_handler"], "整改完毕"), users["coordinator"], True)
    assert east.reply_due is not None
    with time_machine.travel(east.reply_due + timedelta(days=2), tick=False):
        distribution.sweep()
    east.refresh_from_db()
    assert east.reminded_at is None and east.escalated_at is None


# --- scheduled drafting and corrections ---------------------------------------------------------------------


def test_it_drafts_a_monthly_bulletin_once_after_a_month_ranking(
    bulletin_world: dict[str, Any], users: dict[str, Any]
) -> None:
    from chuangwen.rankings.compute import Period
    from chuangwen.rankings.services import publish

    monthly = bulletin_world["monthly"]
    type(monthly).objects.filter(pk=monthly.pk).update(schedule=Schedule.MONTHLY)
    assert schedule.draft_due() == []  # the round's ranking is no month ranking
    ranking = publish(Period.for_month(date(2026, 3, 1)), "street", users["coordinator"])
    made = schedule.draft_due()
    assert [(b.ranking_id, b.template_id, b.created_by) for b in made] == [
        (ranking.pk, monthly.pk, users["coordinator"])
    ]
    assert made[0].state == BulletinState.DRAFT and made[0].content["ranking"]
    assert Notification.objects.filter(kind="bulletin.drafted", user=bulletin_world["reviewer"]).exists()
    assert schedule.draft_due() == []
    assert Bulletin.objects.filter(ranking=ranking).count() == 1


def test_it_cites_the_corrected_bulletin(bulletin_world: dict[str, Any], users: dict[str, Any]) -> None:
    wrong = issue(draft_of(bulletin_world, users), bulletin_world, users)
    draft = draft_of(bulletin_world, users)
    error = refused(draft_of, bulletin_world, users, corrects=draft)  # only an issued bulletin is corrected
    assert (error.code, error.field) == ("invalid", "corrects")
    fixed = issue(draft_of(bulletin_world, users, corrects=wrong), bulletin_world, users)
    assert fixed.corrects == wrong and fixed.number == 2
    assert list(Bulletin.objects.filter(corrects=wrong)) == [fixed]
