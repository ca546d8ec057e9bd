"""Work reaching a unit is told at once (by default) or in the digest (as the unit chose): a dispatch to
the unit's people and robots, a fix to the verifiers over the case; never other units, once, with a link."""

from __future__ import annotations

from typing import Any

import time_machine

from chuangwen.cases import services, sweeps
from chuangwen.cases.tests.case_fixtures import make_case, make_photo
from chuangwen.notify.models import Channel, Delivery, NoticeKind, NoticeMode, NoticePreference, Notification
from conftest import make_user

NOW = "2026-03-02 10:00 +0800"


def subjects(user: Any) -> list[str]:
    return list(Notification.objects.filter(user=user).order_by("pk").values_list("subject", flat=True))


def robot(unit: Any, name: str) -> Channel:
    return Channel.objects.create(unit=unit, kind="wecom", name=name, target="http://127.0.0.1:9/robot")


@time_machine.travel(NOW, tick=False)
def test_it_tells_the_unit_of_a_dispatch_at_once(
    org: Any, people: Any, django_capture_on_commit_callbacks: Any
) -> None:
    east_robot, west_robot = robot(org["east"], "东城群"), robot(org["west"], "西湖群")
    case = make_case("new", None, area=org["east_c"])
    with django_capture_on_commit_callbacks(execute=True):
        services.apply(case, "triage_accept", people["coordinator"], unit=org["east"])
    wanted = f"新案卷派到本单位：{case.code}"
    for name in ("east_handler", "east_head"):
        told = Notification.objects.get(user=people[name])
        assert (told.subject, told.link) == (wanted, f"/cases/{case.pk}/")
    for name in ("west_handler", "west_head", "dept_handler", "coordinator", "verifier"):
        assert subjects(people[name]) == []
    assert list(Delivery.objects.filter(channel=east_robot).values_list("subject", flat=True)) == [wanted]
    assert not Delivery.objects.filter(channel=west_robot).exists()
    # The same event announced again (a retried signal) tells nobody twice.
    from chuangwen.cases.models import CaseEvent
    from chuangwen.cases.notices import announce

    event = CaseEvent.objects.get(case=case, action="triage_accept")
    with django_capture_on_commit_callbacks(execute=True):
        assert announce(case, event, "triage_accept") == 0
    assert subjects(people["east_handler"]) == [wanted]
    assert Delivery.objects.filter(channel=east_robot).count() == 1


@time_machine.travel(NOW, tick=False)
def test_it_tells_the_verifiers_over_the_case_when_a_fix_awaits_them(
    org: Any, people: Any, django_capture_on_commit_callbacks: Any
) -> None:
    west_verifier = make_user("west_verifier", "verifier", org["west"])
    east_verifier = make_user("east_verifier", "verifier", org["east"])
    case = make_case("accepted", org["east"], area=org["east_c"])
    handler = people["east_handler"]
    with django_capture_on_commit_callbacks(execute=True):
        services.apply(case, "rectify", handler, reason="已清理", photos=[make_photo(handler)])
    wanted = f"整改已完成，待核查：{case.code}"
    for user in (people["verifier"], people["verifier2"], east_verifier):
        told = Notification.objects.get(user=user)
        assert (told.subject, told.link) == (wanted, f"/cases/{case.pk}/")
    assert subjects(west_verifier) == []  # another street's verifier never sees the case
    assert subjects(handler) == [] and subjects(people["coordinator"]) == []


@time_machine.travel(NOW, tick=False)
def test_it_defers_a_dispatch_to_the_digest_when_the_unit_chose_so(
    org: Any, people: Any, django_capture_on_commit_callbacks: Any
) -> None:
    NoticePreference.objects.create(unit=org["east"], kind=NoticeKind.CASE_DISPATCH, mode=NoticeMode.DIGEST)
    east_robot = robot(org["east"], "东城群")
    west_case = make_case("new", None, area=org["west_c"])
    east_case = make_case("new", None, area=org["east_c"])
    with django_capture_on_commit_callbacks(execute=True):
        services.apply(east_case, "triage_accept", people["coordinator"], unit=org["east"])
        services.apply(west_case, "triage_accept", people["coordinator"], unit=org["west"])
    assert subjects(people["east_handler"]) == []  # held for the digest
    assert not Delivery.objects.filter(channel=east_robot).exists()
    assert subjects(people["west_handler"]) == [f"新案卷派到本单位：{west_case.code}"]  # west: at once
    with django_capture_on_commit_callbacks(execute=True):
        sweeps.daily_digest()
    held = Notification.objects.get(user=people["east_handler"], subject__startswith="待办通知汇总")
    assert held.subject == "待办通知汇总 2026-03-02（1 条）"
    assert f"新案卷派到本单位：{east_case.code} /cases/{east_case.pk}/" in held.body
    assert held.link == "/"
    robot_subjects = set(Delivery.objects.filter(channel=east_robot).values_list("subject", flat=True))
    assert "待办通知汇总 2026-03-02（1 条）" in robot_subjects
    with django_capture_on_commit_callbacks(execute=True):
        sweeps.daily_digest()
    assert (
        Notification.objects.filter(user=people["east_handler"], subject__startswith="待办通知汇总").count()
        == 1
    )
