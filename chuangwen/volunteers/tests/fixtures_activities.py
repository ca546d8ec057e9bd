"""Builders for the tests of the activity pages, check-in API and organiser pages: a west-street team run by
the west handler, an activity at the west community's square, a registered volunteer, and the form data of
a registration. Everything is made through the services (``fixtures.py``)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from django.test import Client

from chuangwen.volunteers import rules
from chuangwen.volunteers.models import Activity, Team, Volunteer
from chuangwen.volunteers.tests.fixtures import PASSWORD, PLACE, activity, id_number, team, volunteer

NOW = datetime(2026, 12, 6, 1, 0, tzinfo=UTC)  # 09:00 in Beijing, a Sunday
STARTS = NOW + timedelta(days=3)  # 2026-12-09 09:00 Beijing, two hours


def world(org: dict[str, Any], users: dict[str, Any], *, places: int = 10) -> dict[str, Any]:
    """A west team, one activity three days ahead, one registered volunteer (not yet signed up)."""
    a_team: Team = team(org)
    an_activity: Activity = activity(a_team, users["west_handler"], STARTS, places=places, now=NOW)
    v: Volunteer = volunteer(org, 1, now=NOW)
    return {"team": a_team, "activity": an_activity, "volunteer": v}


def registration_form(org: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "李四",
        "phone": "13911112222",
        "id_number": id_number(21),
        "unit": str(org["west_c"].pk),
        "skills": ["文明劝导", "医疗急救"],
        "availability": ["周末"],
        "password": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(changes)
    return data


def volunteer_client(v: Volunteer) -> Client:
    client = Client()
    assert v.user is not None
    client.force_login(v.user)
    return client


def position_body(a: Activity, at: datetime, *, north_m: float = 0.0, **changes: Any) -> dict[str, Any]:
    code, _left = rules.current_code(a.code_key, at)
    body: dict[str, Any] = {
        "code": code,
        "lat": PLACE[0] + north_m / 111_195,
        "lng": PLACE[1],
        "accuracy_m": 10.0,
        "client_id": str(uuid.uuid4()),
    }
    body.update(changes)
    return body


def post_json(client: Client, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, json.dumps(body or {}), content_type="application/json")
