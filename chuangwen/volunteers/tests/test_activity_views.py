"""The organiser's pages: posting an activity, the roster with confirmation and correction, cancelling, the
check-in QR screen and its never-cached SVG; 404 for staff of another street."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from chuangwen.volunteers import rules, services
from chuangwen.volunteers.models import Activity, ActivityState, HoursState, SignUp
from chuangwen.volunteers.tests.fixtures import served
from chuangwen.volunteers.tests.fixtures_activities import NOW, STARTS, world
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(org: dict[str, Any], users: dict[str, Any]) -> Iterator[dict[str, Any]]:
    with time_machine.travel(NOW, tick=False):
        built = world(org, users)
        services.sign_up(built["activity"], built["volunteer"], now=NOW)
    yield built


def _form(team_id: int, **changes: Any) -> dict[str, Any]:
    starts = timezone.localtime(NOW + timedelta(days=5)).replace(hour=9, minute=0)
    data = {
        "team": str(team_id),
        "title": "社区环境整治",
        "description": "清理楼道堆物",
        "place": "柳浪社区广场",
        "lat": "30.051",
        "lng": "120.021",
        "radius_m": "150",
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (starts + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "places": "20",
        "skills": ["环境整治"],
        "cancel_until": "",
        "site_id": "",
    }
    data.update(changes)
    return data


def test_the_organiser_posts_an_activity(w: dict[str, Any], users: dict[str, Any]) -> None:
    with time_machine.travel(NOW, tick=False):
        client = client_for(users["west_handler"])
        assert "路口文明劝导" in client.get("/volunteers/activities/").content.decode()
        response = client.post("/volunteers/activities/new/", _form(w["team"].pk))
    assert response.status_code == 302
    made = Activity.objects.get(title="社区环境整治")
    assert made.skills == ["环境整治"] and made.radius_m == 150 and made.places == 20
    assert made.cancel_until == made.starts_at - timedelta(hours=2)
    assert response["Location"] == f"/volunteers/activities/{made.pk}/"


def test_the_post_form_names_what_is_wrong(w: dict[str, Any], users: dict[str, Any]) -> None:
    with time_machine.travel(NOW, tick=False):
        client = client_for(users["west_handler"])
        form = _form(w["team"].pk)
        response = client.post("/volunteers/activities/new/", {**form, "ends_at": form["starts_at"]})
        assert response.status_code == 400 and "结束时间应晚于开始时间" in response.content.decode()
        response = client.post("/volunteers/activities/new/", _form(w["team"].pk, site_id="12345"))
        assert response.status_code == 400 and "点位不存在或不在本单位范围内" in response.content.decode()
        other_team = client.post("/volunteers/activities/new/", _form(999_999))
        assert other_team.status_code == 400
    assert Activity.objects.count() == 1


def test_the_roster_confirms_and_corrects_hours(w: dict[str, Any], users: dict[str, Any]) -> None:
    signup = served(w["activity"], w["volunteer"], STARTS, STARTS + timedelta(minutes=100))
    url = f"/volunteers/activities/{w['activity'].pk}/"
    with time_machine.travel(STARTS + timedelta(hours=3), tick=False):
        client = client_for(users["west_handler"])
        page = client.get(url).content.decode()
        assert (
            f'data-signup="{signup.pk}"' in page and 'data-hours="pending"' in page and "<td>100</td>" in page
        )
        confirm = f"{url}signups/{signup.pk}/confirm/"
        client.post(confirm, {"minutes": "80", "reason": ""})
        assert SignUp.objects.get().hours_state == HoursState.PENDING  # a correction needs its reason
        assert "更正时长须说明理由" in client.get(url).content.decode()
        client.post(confirm, {"minutes": "", "reason": ""})
        assert SignUp.objects.get().confirmed_minutes == 100
        client.post(confirm, {"minutes": "80", "reason": "中途离开 20 分钟"})
        assert SignUp.objects.get().confirmed_minutes == 80
        assert w["volunteer"].__class__.objects.get().confirmed_minutes == 80
        assert client.post(confirm, {"minutes": "abc"}).status_code == 302
        assert SignUp.objects.get().confirmed_minutes == 80


def test_the_organiser_cancels_the_activity_with_a_reason(w: dict[str, Any], users: dict[str, Any]) -> None:
    with time_machine.travel(NOW, tick=False):
        client = client_for(users["west_handler"])
        url = f"/volunteers/activities/{w['activity'].pk}/cancel/"
        client.post(url, {"reason": ""})
        assert Activity.objects.get().state == ActivityState.PUBLISHED
        client.post(url, {"reason": "暴雨预警"})
    assert Activity.objects.get().state == ActivityState.CANCELLED


def test_the_qr_screen_shows_the_code_of_the_moment(w: dict[str, Any], users: dict[str, Any]) -> None:
    a = w["activity"]
    at = STARTS + timedelta(seconds=3)
    with time_machine.travel(at, tick=False):
        client = client_for(users["west_handler"])
        page = client.get(f"/volunteers/activities/{a.pk}/qr/")
        svg = client.get(f"/volunteers/activities/{a.pk}/qr.svg")
    code, left = rules.current_code(a.code_key, at)
    text = page.content.decode()
    assert f'<strong id="qr-code">{code}</strong>' in text and f'data-seconds-left="{left}"' in text
    assert "volunteers/qr.js" in text and "<script>" not in text
    assert svg["Content-Type"] == "image/svg+xml" and "no-store" in svg["Cache-Control"]
    assert svg.content.startswith(b"<?xml") or b"<svg" in svg.content[:200]


def test_another_streets_staff_gets_404_on_every_organiser_page(
    w: dict[str, Any], users: dict[str, Any]
) -> None:
    signup = served(w["activity"], w["volunteer"], STARTS, STARTS + timedelta(minutes=60))
    a = w["activity"].pk
    with time_machine.travel(STARTS + timedelta(hours=3), tick=False):
        other = client_for(users["east_handler"])
        for url in (
            f"/volunteers/activities/{a}/",
            f"/volunteers/activities/{a}/qr/",
            f"/volunteers/activities/{a}/qr.svg",
        ):
            assert other.get(url).status_code == 404, url
        assert other.post(f"/volunteers/activities/{a}/cancel/", {"reason": "x"}).status_code == 404
        assert other.post(f"/volunteers/activities/{a}/signups/{signup.pk}/confirm/", {}).status_code == 404
        assert other.get("/volunteers/activities/new/").status_code == 404  # no team of its own
        assert "路口文明劝导" not in other.get("/volunteers/activities/").content.decode()
        volunteer_user = w["volunteer"].user
        assert client_for(volunteer_user).get(f"/volunteers/activities/{a}/qr/").status_code == 404
    assert SignUp.objects.get().hours_state == HoursState.PENDING
    assert Activity.objects.get().state == ActivityState.PUBLISHED


def test_a_teams_own_manager_runs_it_without_a_staff_role(w: dict[str, Any], org: dict[str, Any]) -> None:
    leader = make_user("team_leader", "volunteer", org["west_c"])
    w["team"].managers.add(leader)
    with time_machine.travel(NOW, tick=False):
        client = client_for(leader)
        assert client.get(f"/volunteers/activities/{w['activity'].pk}/").status_code == 200
        assert client.get(f"/volunteers/activities/{w['activity'].pk}/qr/").status_code == 200
