"""The people who must decide or act hear of it at once, in their inbox; nobody else, never the actor."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from chuangwen.cases import services
from chuangwen.cases.tests.case_fixtures import make_case, make_photo
from chuangwen.notify.models import Notification
from chuangwen.workdays.services import end_of_day
from conftest import make_user


def inbox(user) -> list[tuple[str, str]]:
    return list(Notification.objects.filter(user=user).order_by("pk").values_list("subject", "link"))


def test_it_asks_the_unit_head_and_then_the_coordinator(org, people, django_capture_on_commit_callbacks):
    east_handler_2 = make_user("east_handler_2", "handler", org["east"])
    case = make_case("new", None, area=org["east_c"])
    with django_capture_on_commit_callbacks(execute=True):
        services.apply(case, "triage_accept", people["coordinator"], unit=org["east"])
    dispatched = f"新案卷派到本单位：{case.code}"  # test_work_notices.py has the rest of the dispatch notice
    assert inbox(people["east_handler"]) == [(dispatched, f"/cases/{case.pk}/")]
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.apply(case, "request_return", people["east_handler"], reason="属于城管职责")
    assert inbox(people["east_head"]) == [(f"退回申请待您审批：{case.code}", f"/cases/{case.pk}/")]
    assert inbox(people["west_head"]) == [] and inbox(east_handler_2) == []
    with django_capture_on_commit_callbacks(execute=True):
        services.apply(case, "approve_return", people["east_head"])
    assert inbox(people["coordinator"]) == [(f"案卷被退回，待重新派遣：{case.code}", f"/cases/{case.pk}/")]
    assert (
        "属于城管职责" not in Notification.objects.get(user=people["coordinator"]).body
    )  # approval has none


def test_it_tells_the_unit_of_a_failed_check_and_of_extension_decisions(
    org, people, django_capture_on_commit_callbacks
):
    case = make_case("accepted", org["east"], area=org["east_c"])
    handler, head = people["east_handler"], people["east_head"]
    with django_capture_on_commit_callbacks(execute=True):
        services.apply(case, "rectify", handler, reason="已清理", photos=[make_photo(handler)])
        services.apply(case, "verify_fail", people["verifier"], reason="仍有堆放")
    subjects = [subject for subject, _link in inbox(handler)]
    assert subjects == [f"案卷核查不通过，请返工：{case.code}"]
    assert "仍有堆放" in Notification.objects.get(user=handler).body
    assert [s for s, _l in inbox(head)] == subjects  # the head hears what the handlers hear
    wanted = end_of_day(timezone.localdate() + timedelta(days=40))
    with django_capture_on_commit_callbacks(execute=True):
        services.apply(case, "request_extension", handler, reason="需采购", deadline=wanted)
        services.apply(case, "approve_extension", head)
    assert f"延期申请待审批：{case.code}" in [s for s, _l in inbox(head)]
    assert f"延期申请已批准：{case.code}" in [s for s, _l in inbox(handler)]
    assert f"延期申请已批准：{case.code}" not in [s for s, _l in inbox(head)]  # never the actor
