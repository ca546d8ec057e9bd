"""Check-in and check-out through the API by the rotating code, inside the geofence and the time window, with
idempotent request ids; the organiser's code, roster and confirmation; and 404 for another street's staff."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from chuangwen.volunteers import rules, services
from chuangwen.volunteers.models import ActivityState, HoursState, SignUp, Volunteer
from chuangwen.volunteers.tests.fixtures import served, volunteer
from chuangwen.volunteers.tests.fixtures_activities import (
    NOW,
    STARTS,
    position_body,
    post_json,
    volunteer_client,
    world,
)
from conftest import client_for

pytestmark = pytest.mark.django_db

API = "/api/v1/volunteers"


@pytest.fixture
def w(org: dict[str, Any], users: dict[str, Any]) -> Iterator[dict[str, Any]]:
    with time_machine.travel(NOW, tick=False):
        built = world(org, users)
        services.sign_up(built["activity"], built["volunteer"], now=NOW)
    yield built


def _in(w: dict[str, Any]) -> str:
    return f"{API}/activities/{w['activity'].pk}/check-in"


def _out(w: dict[str, Any]) -> str:
    return f"{API}/activities/{w['activity'].pk}/check-out"


def test_it_signs_in_inside_the_fence_and_out_later(w: dict[str, Any]) -> None:
    at = STARTS + timedelta(minutes=2)
    with time_machine.travel(at, tick=False):
        response = post_json(
            volunteer_client(w["volunteer"]), _in(w), position_body(w["activity"], at, north_m=100)
        )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["state"] == "signed" and body["sign_in_distance_m"] == 100 and body["signed_in_at"]
    later = STARTS + timedelta(minutes=92)
    with time_machine.travel(later, tick=False):  # a new session: the first has been idle too long
        response = post_json(volunteer_client(w["volunteer"]), _out(w), position_body(w["activity"], later))
    assert response.status_code == 200 and response.json()["measured_minutes"] == 90
    assert response.json()["hours_state"] == "pending"


def test_it_refuses_a_position_outside_the_fence(w: dict[str, Any]) -> None:
    at = STARTS + timedelta(minutes=2)
    with time_machine.travel(at, tick=False):
        response = post_json(
            volunteer_client(w["volunteer"]), _in(w), position_body(w["activity"], at, north_m=500)
        )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "outside_fence" and body["field"] == "position" and "500 米" in body["detail"]
    assert body["message"] == body["detail"]
    assert SignUp.objects.get().signed_in_at is None


def test_it_refuses_outside_the_time_window(w: dict[str, Any]) -> None:
    early = STARTS - timedelta(minutes=rules.CHECK_IN_EARLY_MINUTES + 1)
    with time_machine.travel(early, tick=False):
        response = post_json(volunteer_client(w["volunteer"]), _in(w), position_body(w["activity"], early))
    assert response.status_code == 409 and response.json()["code"] == "outside_time"


def test_a_code_is_stale_once_it_has_turned_twice(w: dict[str, Any]) -> None:
    at = STARTS + timedelta(minutes=5)
    body = position_body(w["activity"], at)
    with time_machine.travel(at, tick=False) as traveller:
        client = volunteer_client(w["volunteer"])
        traveller.shift(2 * rules.CODE_SECONDS)
        response = post_json(client, _in(w), body)
        assert response.status_code == 400 and response.json()["code"] == "stale_code"
        assert response.json()["field"] == "code"
        traveller.shift(-rules.CODE_SECONDS)  # turned once: a phone that scanned at the turn still gets in
        assert post_json(client, _in(w), body).status_code == 200


def test_the_same_request_sent_twice_signs_in_once(w: dict[str, Any]) -> None:
    at = STARTS + timedelta(minutes=1)
    body = position_body(w["activity"], at)
    with time_machine.travel(at, tick=False) as traveller:
        client = volunteer_client(w["volunteer"])
        first = post_json(client, _in(w), body).json()
        traveller.shift(10)
        second = post_json(client, _in(w), body).json()
    assert first == second and first["signed_in_at"] == second["signed_in_at"]
    signup = SignUp.objects.get()
    assert str(signup.sign_in_client_id) == body["client_id"] and signup.signed_in_at == at


def test_it_refuses_who_is_not_signed_up_or_no_volunteer(
    w: dict[str, Any], org: dict[str, Any], users: dict[str, Any]
) -> None:
    at = STARTS + timedelta(minutes=1)
    with time_machine.travel(at, tick=False):
        stranger = volunteer(org, 5, now=NOW)
        response = post_json(volunteer_client(stranger), _in(w), position_body(w["activity"], at))
        assert response.status_code == 409 and response.json()["code"] == "not_signed_up"
        staff = post_json(client_for(users["west_handler"]), _in(w), position_body(w["activity"], at))
        assert staff.status_code == 403 and staff.json()["code"] == "forbidden"
        assert post_json(Client(), _in(w), position_body(w["activity"], at)).status_code == 401


def test_it_bounds_the_position_and_the_request_id(w: dict[str, Any]) -> None:
    at = STARTS + timedelta(minutes=1)
    with time_machine.travel(at, tick=False):
        client = volunteer_client(w["volunteer"])
        for changes in ({"lat": 91}, {"lng": -181}, {"accuracy_m": -1}, {"client_id": "x"}, {"code": ""}):
            response = post_json(client, _in(w), position_body(w["activity"], at, **changes))
            assert response.status_code == 422, changes
        missing = post_json(client, f"{API}/activities/99999999/check-in", position_body(w["activity"], at))
    assert missing.status_code == 404


def test_signing_up_and_cancelling_through_the_api(w: dict[str, Any], org: dict[str, Any]) -> None:
    with time_machine.travel(NOW, tick=False):
        client = volunteer_client(volunteer(org, 3, now=NOW))
        signed = post_json(client, f"{API}/activities/{w['activity'].pk}/signup")
        assert signed.status_code == 200 and signed.json()["state"] == "signed"
        detail = client.get(f"{API}/activities/{w['activity'].pk}").json()
        assert (
            detail["places_left"] == 8 and detail["my_signup"]["state"] == "signed" and not detail["managed"]
        )
        listed = client.get(f"{API}/activities").json()
        assert [a["id"] for a in listed["items"]] == [w["activity"].pk]
        cancelled = post_json(client, f"{API}/activities/{w['activity'].pk}/cancel")
        assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"


def _served(w: dict[str, Any]) -> SignUp:
    """Signed in at the start and out an hour later, through the services."""
    signup: SignUp = served(w["activity"], w["volunteer"], STARTS, STARTS + timedelta(minutes=60))
    return signup


def test_the_organiser_sees_the_code_and_confirms_the_hours(w: dict[str, Any], users: dict[str, Any]) -> None:
    at = STARTS + timedelta(seconds=7)
    with time_machine.travel(at, tick=False):
        code = client_for(users["west_handler"]).get(f"{API}/activities/{w['activity'].pk}/code").json()
    expected, left = rules.current_code(w["activity"].code_key, at)
    assert code["code"] == expected and code["seconds_left"] == left
    assert code["url"].endswith(f"/v/checkin/{w['activity'].pk}/?c={expected}")
    signup = _served(w)
    after = STARTS + timedelta(hours=3)
    with time_machine.travel(after, tick=False):
        organiser = client_for(users["west_handler"])
        roster = organiser.get(f"{API}/activities/{w['activity'].pk}/signups").json()
        assert [r["measured_minutes"] for r in roster] == [60]
        no_reason = post_json(organiser, f"{API}/signups/{signup.pk}/confirm", {"minutes": 50})
        assert no_reason.status_code == 400 and no_reason.json()["field"] == "reason"
        too_long = post_json(organiser, f"{API}/signups/{signup.pk}/confirm", {"minutes": 500, "reason": "x"})
        assert too_long.status_code == 400 and too_long.json()["field"] == "minutes"
        confirmed = post_json(organiser, f"{API}/signups/{signup.pk}/confirm", {})
    assert confirmed.status_code == 200 and confirmed.json()["confirmed_minutes"] == 60
    assert confirmed.json()["hours_state"] == HoursState.CONFIRMED
    assert Volunteer.objects.get(pk=w["volunteer"].pk).confirmed_minutes == 60
    with time_machine.travel(after, tick=False):
        corrected = post_json(
            organiser, f"{API}/signups/{signup.pk}/confirm", {"minutes": 45, "reason": "提前离开"}
        ).json()
    assert corrected["confirmed_minutes"] == 45 and corrected["correction_reason"] == "提前离开"
    assert Volunteer.objects.get(pk=w["volunteer"].pk).confirmed_minutes == 45


def test_another_streets_staff_gets_404_on_every_organiser_operation(
    w: dict[str, Any], users: dict[str, Any]
) -> None:
    signup = _served(w)
    a = w["activity"].pk
    with time_machine.travel(STARTS + timedelta(hours=3), tick=False):
        other = client_for(users["east_handler"])
        assert other.get(f"{API}/activities/{a}/code").status_code == 404
        assert other.get(f"{API}/activities/{a}/signups").status_code == 404
        assert post_json(other, f"{API}/signups/{signup.pk}/confirm", {}).status_code == 404
        refused = post_json(other, f"{API}/activities/{a}/cancel-activity", {"reason": "天气"})
        assert refused.status_code == 404
        assert other.get(f"{API}/activities?managed=true").json()["count"] == 0
        assert not other.get(f"{API}/activities/{a}").json()["managed"]
    assert SignUp.objects.get().hours_state == HoursState.PENDING
    assert w["activity"].__class__.objects.get().state == ActivityState.PUBLISHED


def test_the_organiser_cancels_an_activity_with_a_reason(w: dict[str, Any], users: dict[str, Any]) -> None:
    url = f"{API}/activities/{w['activity'].pk}/cancel-activity"
    with time_machine.travel(NOW, tick=False):
        organiser = client_for(users["west_handler"])
        assert post_json(organiser, url, {"reason": " "}).json()["field"] == "reason"
        done = post_json(organiser, url, {"reason": "暴雨预警"})
        assert done.status_code == 200 and done.json()["state"] == "cancelled"
        assert post_json(organiser, url, {"reason": "再次"}).status_code == 409


def test_the_check_in_page_carries_the_code_to_its_script(w: dict[str, Any]) -> None:
    a = w["activity"]
    with time_machine.travel(STARTS, tick=False):
        anonymous = Client().get(f"/v/checkin/{a.pk}/?c=12345678")
        assert anonymous.status_code == 302
        assert anonymous["Location"] == f"/accounts/login/?next=/v/checkin/{a.pk}/%3Fc%3D12345678"
        page = volunteer_client(w["volunteer"]).get(f"/v/checkin/{a.pk}/?c=12345678").content.decode()
        hostile = volunteer_client(w["volunteer"]).get(f'/v/checkin/{a.pk}/?c="><b>x').content.decode()
    assert 'data-code="12345678"' in page and f'data-check-in-url="{API}/activities/{a.pk}/check-in"' in page
    assert "volunteers/checkin.js" in page and "<script>" not in page and 'id="not-signed-up"' not in page
    assert 'data-code=""' in hostile and "<b>x" not in hostile
