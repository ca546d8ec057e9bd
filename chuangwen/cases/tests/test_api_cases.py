"""The case API: scope (404 outside), filters and counts, detail with history, actions and their errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from chuangwen.cases.models import Case, CaseEvent, CaseState
from chuangwen.cases.tests.case_fixtures import make_case, make_photo
from conftest import client_for

pytestmark = pytest.mark.django_db
S = CaseState
BASE = "/api/v1/cases"


@pytest.fixture
def two(org, sites):
    east = make_case(S.DISPATCHED, org["east"], site=sites["east_estate"])
    west = make_case(S.DISPATCHED, org["west"], site=sites["west_road"])
    return east, west


def post(client, case, action, **body):
    return client.post(f"{BASE}/{case.pk}/actions/{action}", body, content_type="application/json")


def test_scope_list_detail_and_action(people, two):
    east, west = two
    client = client_for(people["east_handler"])
    page = client.get(BASE, {"with_counts": "true"}).json()
    assert [item["code"] for item in page["items"]] == [east.code]
    assert page["count"] == 1 and page["counts"]["by_state"]["dispatched"] == 1
    assert client.get(f"{BASE}/{west.pk}").status_code == 404
    response = post(client, west, "accept")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert not west.events.exists()


def test_filters_counts_and_paging(people, org):
    now = timezone.now()
    red = make_case(
        S.DISPATCHED, org["east"], opened_at=now - timedelta(days=20), deadline=now - timedelta(days=1)
    )
    make_case(S.ACCEPTED, org["west"], deadline=now + timedelta(days=60))
    client = client_for(people["coordinator"])
    page = client.get(BASE, {"limit": 1, "with_counts": "true"}).json()
    assert page["count"] == 2 and len(page["items"]) == 1
    assert page["counts"]["by_light"] == {"green": 1, "yellow": 0, "red": 1}
    reds = client.get(BASE, {"light": "red"}).json()
    assert [item["code"] for item in reds["items"]] == [red.code] and reds["items"][0]["light"] == "red"
    assert client.get(BASE, {"unit": org["west"].pk}).json()["count"] == 1
    assert client.get(BASE).json()["counts"] is None  # counts only when asked for (they scan the whole set)
    assert client.get(BASE, {"limit": 51}).status_code == 422
    assert client.get(BASE, {"state": "nonsense"}).status_code == 422


def test_count_stops_at_the_cap(people, org, settings):
    for _ in range(3):
        make_case(S.DISPATCHED, org["east"])
    client = client_for(people["coordinator"])
    page = client.get(BASE, {"with_counts": "false"}).json()
    assert page["count"] == 3 and page["count_capped"] is False
    settings.CASES_LIST_COUNT_CAP = 2
    page = client.get(BASE, {"with_counts": "false", "limit": 1}).json()
    assert page["count"] == 2 and page["count_capped"] is True and len(page["items"]) == 1
    settings.CASES_LIST_COUNT_CAP = 3
    assert client.get(BASE, {"with_counts": "false"}).json()["count_capped"] is False


def test_detail_has_events_and_allowed_actions(people, two):
    east, _west = two
    client = client_for(people["east_handler"])
    assert post(client, east, "accept", expected_version=east.version).status_code == 200
    detail = client.get(f"{BASE}/{east.pk}").json()
    assert detail["state"] == "accepted" and detail["version"] == east.version + 1
    assert [event["action"] for event in detail["events"]] == ["accept"]
    assert detail["events"][0]["action_name"] == "受理"
    assert "rectify" in detail["allowed_actions"]


def test_action_writes_one_event(people, two):
    east, _west = two
    response = post(client_for(people["east_handler"]), east, "accept", expected_version=east.version)
    assert response.status_code == 200 and response.json()["state"] == "accepted"
    assert CaseEvent.objects.filter(case=east).count() == 1


def test_refused_conflict_and_field_errors(people, two):
    east, _west = two
    refused = post(client_for(people["leader"]), east, "accept")
    assert refused.status_code == 403 and refused.json()["code"] == "refused"
    assert "只有" in refused.json()["detail"]
    client = client_for(people["east_handler"])
    missing = post(client, east, "request_return", reason="", expected_version=east.version)
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"][-1] == "reason"
    assert "理由" in missing.json()["detail"][0]["msg"]
    assert post(client, east, "accept", expected_version=east.version).status_code == 200
    stale = post(client, east, "request_return", reason="不归我们管", expected_version=east.version)
    assert stale.status_code == 409
    assert stale.json() == {"detail": "案卷已被他人处理，请刷新后重试", "code": "conflict"}
    assert CaseEvent.objects.filter(case=east).count() == 1


def test_rectify_with_photo_ids(people, org):
    case = make_case(S.ACCEPTED, org["east"])
    handler = people["east_handler"]
    photo = make_photo(handler)
    response = post(client_for(handler), case, "rectify", reason="已清理", photo_ids=[photo.pk])
    assert response.status_code == 200, response.content
    assert response.json()["events"][-1]["photo_ids"] == [photo.pk]
    foreign = make_photo(people["west_handler"])
    other = make_case(S.ACCEPTED, org["east"])
    response = post(client_for(handler), other, "rectify", reason="已清理", photo_ids=[foreign.pk])
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "photo_ids"


def test_triage_with_unknown_unit(people, org):
    case = make_case(S.NEW, org["east"])
    response = post(client_for(people["coordinator"]), case, "triage_accept", unit_id=999999)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "unit_id"
    response = post(client_for(people["coordinator"]), case, "triage_accept", unit_id=org["east"].pk)
    assert response.status_code == 200 and response.json()["unit"]["name"] == "东城街道"


def test_it_filters_by_what_awaits_a_decision(people, org):
    # The home page's 待办 counts link to ?pending=…; the API answers the same for a phone or a robot.
    returned = make_case(S.DISPATCHED, org["east"])
    Case.objects.filter(pk=returned.pk).update(return_requested=True)
    extended = make_case(S.ACCEPTED, org["west"])
    Case.objects.filter(pk=extended.pk).update(extension_requested_until=timezone.now() + timedelta(days=9))
    make_case(S.ACCEPTED, org["east"])
    client = client_for(people["coordinator"])
    assert [i["code"] for i in client.get(BASE, {"pending": "return"}).json()["items"]] == [returned.code]
    assert [i["code"] for i in client.get(BASE, {"pending": "extension"}).json()["items"]] == [extended.code]
    # The east handler's scope still applies: the west request is not his.
    east = client_for(people["east_handler"])
    assert east.get(BASE, {"pending": "extension"}).json()["count"] == 0
    bad = client.get(BASE, {"pending": "whatever"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "pending"]
