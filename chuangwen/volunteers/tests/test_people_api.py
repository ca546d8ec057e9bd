"""The people part of /api/v1/volunteers: teams and the register scoped to the caller's subtree, phones
masked, and a volunteer's own record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chuangwen.volunteers import attendance, services
from chuangwen.volunteers.tests.fixtures import activity, served, team, volunteer
from conftest import client_for

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 6, 1, 0, tzinfo=UTC)


def test_it_lists_teams_and_volunteers_of_the_callers_subtree_only(
    org: dict[str, Any], users: dict[str, Any]
) -> None:
    west_team = team(org)
    v = volunteer(org, now=NOW)
    west = client_for(users["west_handler"])
    assert [t["code"] for t in west.get("/api/v1/volunteers/teams").json()] == [west_team.code]
    people = west.get("/api/v1/volunteers/volunteers").json()
    assert people[0]["number"] == v.number and people[0]["phone"] == "138****0001"
    assert "id_hash" not in people[0] and len(people[0]["id_last4"]) == 4
    east = client_for(users["east_handler"])
    assert east.get("/api/v1/volunteers/teams").json() == []
    assert east.get("/api/v1/volunteers/volunteers").json() == []
    assert east.get(f"/api/v1/volunteers/teams/{west_team.pk}").status_code == 404
    assert client_for(v.user).get("/api/v1/volunteers/teams").status_code == 403


def test_it_gives_a_volunteer_his_own_hours_and_stars(org: dict[str, Any], users: dict[str, Any]) -> None:
    v = volunteer(org, now=NOW)
    starts = NOW + timedelta(days=2)
    a = activity(team(org), users["coordinator"], starts, now=NOW)
    services.sign_up(a, v, now=NOW)
    signup = served(a, v, starts, starts + timedelta(hours=2))
    attendance.confirm_hours(signup, users["coordinator"], now=starts + timedelta(hours=3))
    me = client_for(v.user).get("/api/v1/volunteers/me").json()
    assert me["number"] == v.number and me["hours"] == 2.0 and me["stars"] == 0
    assert me["next_star"] == 1 and me["hours_to_next"] == 98.0 and me["activities"] == 1
    assert client_for(users["coordinator"]).get("/api/v1/volunteers/me").status_code == 403
