"""When a round's last drawn site is in, its coordinators hear it once, with a link; nobody else does."""

from __future__ import annotations

from typing import Any

import time_machine

from chuangwen.notify.models import Delivery, NoticeKind, NoticeMode, NoticePreference, Notification
from chuangwen.notify.preferences import flush_deferred
from chuangwen.rounds.models import Visit
from chuangwen.rounds.tests.visit_fixtures import done_payload
from chuangwen.rounds.visits import send_back_visit, submit_visit
from conftest import make_user

SUBJECT = "测评批次的点位已全部提交：2026年12月暗访"


def submit_all(round_: Any, sites: dict[str, Any], inspector: Any, capture: Any, keys: list[str]) -> None:
    for key in keys:
        with capture(execute=True):
            submit_visit(done_payload(round_, sites[key]), inspector)


@time_machine.travel("2026-12-02 10:00 +0800", tick=False)
def test_it_tells_the_rounds_coordinators_once_when_the_last_visit_is_in(
    org: Any, users: Any, sites: Any, visit_round: Any, django_capture_on_commit_callbacks: Any
) -> None:
    west_coordinator = make_user("west_coord", "coordinator", org["west"])  # below the owning office
    submit_all(visit_round, sites, users["inspector"], django_capture_on_commit_callbacks, ["west_road"])
    assert not Notification.objects.filter(subject=SUBJECT).exists()  # two sites still out
    submit_all(
        visit_round,
        sites,
        users["inspector"],
        django_capture_on_commit_callbacks,
        ["west_market", "east_estate"],
    )
    told = Notification.objects.filter(subject=SUBJECT)
    assert [n.user for n in told] == [users["coordinator"]]
    assert told[0].link == f"/visits/round/{visit_round.pk}/?status=submitted"
    # The secret round reaches no one else: not the leader, the street's coordinator, the unit people.
    for name in ("leader", "verifier", "west_head", "west_handler", "inspector"):
        assert not Notification.objects.filter(user=users[name], subject=SUBJECT).exists()
    assert not Notification.objects.filter(user=west_coordinator, subject=SUBJECT).exists()
    assert not Delivery.objects.filter(subject=SUBJECT).exists()  # never a group robot
    # A visit sent back and made again completes the round again: still told once.
    visit = Visit.objects.get(round=visit_round, site=sites["east_estate"])
    send_back_visit(visit, "照片不清晰", users["coordinator"])
    submit_all(visit_round, sites, users["inspector"], django_capture_on_commit_callbacks, ["east_estate"])
    assert Notification.objects.filter(subject=SUBJECT).count() == 1


@time_machine.travel("2026-12-02 10:00 +0800", tick=False)
def test_it_holds_the_round_notice_for_the_digest_when_the_office_chose_so(
    org: Any, users: Any, sites: Any, visit_round: Any, django_capture_on_commit_callbacks: Any
) -> None:
    NoticePreference.objects.create(
        unit=org["district"], kind=NoticeKind.ROUND_VISITS_IN, mode=NoticeMode.DIGEST
    )
    keys = ["west_road", "west_market", "east_estate"]
    submit_all(visit_round, sites, users["inspector"], django_capture_on_commit_callbacks, keys)
    assert not Notification.objects.filter(subject=SUBJECT).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert flush_deferred() == 1
    summary = Notification.objects.get(user=users["coordinator"])
    assert summary.subject == "待办通知汇总 2026-12-02（1 条）"
    assert SUBJECT in summary.body and f"/visits/round/{visit_round.pk}/?status=submitted" in summary.body
    assert flush_deferred() == 0  # once
