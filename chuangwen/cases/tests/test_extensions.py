"""Extensions (延期): the unit asks with a later date and a reason; its head (or the coordinator) approves or
declines; an approved extension moves the deadline and its warning, and is counted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from chuangwen.cases import services
from chuangwen.cases.exceptions import CaseNotFound, TransitionRefused
from chuangwen.cases.tests.case_fixtures import make_case
from chuangwen.workdays.services import end_of_day, warn_point
from conftest import client_for, make_user


@pytest.fixture
def accepted(org, people):
    case = make_case("new", None, area=org["east_c"])
    services.apply(case, "triage_accept", people["coordinator"], unit=org["east"])
    services.apply(case, "accept", people["east_handler"])
    return case


def test_it_moves_the_deadline_when_the_head_approves(org, people, accepted):
    old_deadline = accepted.deadline
    assert old_deadline is not None and accepted.warn_at is not None
    wanted = end_of_day(timezone.localdate() + timedelta(days=40))
    services.apply(
        accepted, "request_extension", people["east_handler"], reason="需采购设备", deadline=wanted
    )
    assert accepted.state == "accepted" and accepted.extension_requested_until == wanted
    assert accepted.deadline == old_deadline  # nothing moves before approval
    with pytest.raises(TransitionRefused, match="已有待审批的延期申请"):
        services.apply(
            accepted, "request_extension", people["east_handler"], reason="再申请", deadline=wanted
        )
    services.apply(accepted, "approve_extension", people["east_head"])
    assert (accepted.deadline, accepted.extension_count, accepted.extension_requested_until) == (
        wanted,
        1,
        None,
    )
    assert accepted.warn_at == warn_point(accepted.deadline_from, wanted)
    event = accepted.events.get(action="request_extension")
    assert event.reason == "需采购设备" and event.data["deadline"] == wanted.isoformat()


def test_it_keeps_the_deadline_when_declined(org, people, accepted):
    old_deadline = accepted.deadline
    wanted = end_of_day(timezone.localdate() + timedelta(days=40))
    services.apply(
        accepted, "request_extension", people["east_handler"], reason="需采购设备", deadline=wanted
    )
    with pytest.raises(TransitionRefused, match="只有"):
        services.apply(accepted, "approve_extension", people["east_handler"])
    with pytest.raises(ValidationError) as excinfo:
        services.apply(accepted, "decline_extension", people["east_head"])
    assert "reason" in excinfo.value.message_dict
    services.apply(accepted, "decline_extension", people["coordinator"], reason="可先行处置")
    assert (accepted.deadline, accepted.extension_count, accepted.extension_requested_until) == (
        old_deadline,
        0,
        None,
    )


def test_it_refuses_a_date_that_is_not_later_by_field(org, people, accepted):
    assert accepted.deadline is not None
    for wanted in (accepted.deadline, timezone.now() - timedelta(hours=1)):
        with pytest.raises(ValidationError) as excinfo:
            services.apply(accepted, "request_extension", people["east_handler"], reason="x", deadline=wanted)
        assert list(excinfo.value.message_dict) == ["deadline"]
    with pytest.raises(ValidationError) as excinfo:
        services.apply(accepted, "request_extension", people["east_handler"], reason="x")
    assert excinfo.value.message_dict["deadline"] == ["申请延期须填写期限"]
    accepted.refresh_from_db()
    assert accepted.version == 3 and accepted.extension_requested_until is None


def test_it_lets_another_units_head_see_nothing(org, people, accepted, make_user_in_west):
    wanted = end_of_day(timezone.localdate() + timedelta(days=40))
    services.apply(
        accepted, "request_extension", people["east_handler"], reason="需采购设备", deadline=wanted
    )
    with pytest.raises(CaseNotFound):
        services.apply(accepted, "approve_extension", make_user_in_west)


@pytest.fixture
def make_user_in_west(org):
    return make_user("west_head2", "unit_head", org["west"])


def test_it_offers_the_extension_on_the_case_page(org, people, accepted):
    client = client_for(people["east_handler"])
    page = client.get(f"/cases/{accepted.pk}/").content.decode()
    assert "申请延期" in page and 'name="request_extension-deadline"' in page
    day = timezone.localdate() + timedelta(days=40)
    response = client.post(
        f"/cases/{accepted.pk}/act/request_extension/",
        {
            "request_extension-expected_version": accepted.version,
            "request_extension-reason": "需采购设备",
            "request_extension-deadline": day.isoformat(),
        },
    )
    assert response.status_code == 302
    accepted.refresh_from_db()
    assert accepted.extension_requested_until == end_of_day(day)
    head_page = client_for(people["east_head"]).get(f"/cases/{accepted.pk}/").content.decode()
    assert "批准延期" in head_page and "驳回延期申请" in head_page


def test_it_takes_the_extension_through_the_api(org, people, accepted):
    client = client_for(people["east_handler"])
    day = timezone.localdate() + timedelta(days=40)
    url = f"/api/v1/cases/{accepted.pk}/actions/request_extension"
    bad = client.post(url, {"reason": "x", "deadline": "2020-01-01"}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "deadline"
    ok = client.post(
        url, {"reason": "需采购设备", "deadline": day.isoformat()}, content_type="application/json"
    )
    assert ok.status_code == 200 and "approve_extension" not in ok.json()["allowed_actions"]
    head = client_for(people["east_head"]).get(f"/api/v1/cases/{accepted.pk}").json()
    assert "approve_extension" in head["allowed_actions"]
