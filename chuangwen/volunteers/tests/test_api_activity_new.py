"""The volunteers API's 发布活动: a team's organiser posts an activity as on the page (same checks), once per
client id; another street's staff finds no such team; bad input names the field."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine

from chuangwen.volunteers.models import Activity
from chuangwen.volunteers.tests.fixtures_activities import NOW, world
from conftest import client_for

pytestmark = pytest.mark.django_db
URL = "/api/v1/volunteers/activities"


@pytest.fixture
def w(org: dict[str, Any], users: dict[str, Any]) -> Iterator[dict[str, Any]]:
    with time_machine.travel(NOW, tick=False):
        yield world(org, users)


def _body(team_id: int, **changes: Any) -> dict[str, Any]:
    starts = NOW + timedelta(days=5)
    return {"client_id": str(uuid.uuid4()), "team_id": team_id, "title": "社区环境整治",
            "place": "柳浪社区广场", "lat": 30.051, "lng": 120.021, "radius_m": 150,
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=3)).isoformat(), "places": 20, "skills": ["环境整治"],
            **changes}  # fmt: skip


def _post(user: Any, body: dict[str, Any]) -> Any:
    return client_for(user).post(URL, body, content_type="application/json")


def test_it_posts_an_activity_once(w: dict[str, Any], users: dict[str, Any]) -> None:
    body = _body(w["team"].pk)
    with time_machine.travel(NOW, tick=False):
        answer = _post(users["west_handler"], body)
        assert answer.status_code == 201, answer.content
        again = _post(users["west_handler"], body)
    made = Activity.objects.get(title="社区环境整治")
    assert (
        made.radius_m == 150
        and made.places == 20
        and made.cancel_until == made.starts_at - timedelta(hours=2)
    )
    assert again.json()["duplicate"] is True and Activity.objects.filter(title="社区环境整治").count() == 1


def test_it_refuses_another_streets_staff(w: dict[str, Any], users: dict[str, Any]) -> None:
    with time_machine.travel(NOW, tick=False):
        assert _post(users["east_handler"], _body(w["team"].pk)).status_code == 404
        assert _post(users["inspector"], _body(w["team"].pk)).status_code == 404
    assert not Activity.objects.filter(title="社区环境整治").exists()


def test_it_names_the_field_of_bad_input(w: dict[str, Any], users: dict[str, Any]) -> None:
    body = _body(w["team"].pk)
    with time_machine.travel(NOW, tick=False):
        same = _post(users["west_handler"], {**body, "ends_at": body["starts_at"]})
        assert same.status_code == 400 and same.json()["field"] == "ends_at"
        naive = _post(users["west_handler"], {**_body(w["team"].pk), "starts_at": "2026-12-11T09:00:00"})
        assert naive.status_code == 422 and naive.json()["detail"][0]["loc"][-1] == "starts_at"
        far = _post(users["west_handler"], _body(w["team"].pk, starts_at="9999-01-01T09:00:00+08:00",
                                                  ends_at="9999-01-01T12:00:00+08:00"))  # fmt: skip
        assert far.status_code == 400 and far.json()["field"] == "starts_at"
    assert not Activity.objects.filter(title="社区环境整治").exists()
