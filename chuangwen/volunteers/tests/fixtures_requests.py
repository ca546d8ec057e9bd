"""Builders for the tests of service requests and certificates: a west-street team with its own manager (a
volunteer account, not staff), requests submitted through ``requests.submit`` and walked to any state
through ``requests.transition``, and a volunteer with confirmed hours made through the services."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from chuangwen.volunteers import attendance, requests, services
from chuangwen.volunteers.models import Activity, RequestState, ServiceRequest, SignUp, Team, Volunteer
from chuangwen.volunteers.request_machine import Requester
from chuangwen.volunteers.tests.fixtures import activity, served, team, volunteer
from conftest import make_user

NOW = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)  # Monday 16 March 2026, 10:00 in Beijing
S = RequestState

# The steps that bring a new request to each state, and who takes them ("staff", "team", "requester").
PATHS: dict[str, list[tuple[str, str]]] = {
    S.SUBMITTED: [],
    S.REJECTED: [("reject", "staff")],
    S.APPROVED: [("approve", "staff")],
    S.DISPATCHED: [("approve", "staff"), ("dispatch", "staff")],
    S.TAKEN: [("approve", "staff"), ("dispatch", "staff"), ("take", "team")],
    S.DONE: [("approve", "staff"), ("dispatch", "staff"), ("take", "team"), ("complete", "team")],
    S.RATED: [
        ("approve", "staff"),
        ("dispatch", "staff"),
        ("take", "team"),
        ("complete", "team"),
        ("rate", "requester"),
    ],
    S.CANCELLED: [("cancel", "requester")],
}


def world(org: dict[str, Any], users: dict[str, Any]) -> dict[str, Any]:
    """The west team (unit: west street) managed by ``team_manager``, an east team managed by
    ``other_manager``, and a district team."""
    west = team(org)
    manager = make_user("team_manager", "volunteer", org["west_c"])
    west.managers.add(manager)
    east = team(org, unit="east", code="T-E-1", name="东城街道志愿服务队")
    other = make_user("other_manager", "volunteer", org["east_c"])
    east.managers.add(other)
    district = team(org, unit="district", code="T-D-1", name="区志愿服务总队")
    return {
        "team": west,
        "east_team": east,
        "district_team": district,
        "team_manager": manager,
        "other_manager": other,
    }


def submission(org: dict[str, Any], *, unit: str = "west_c", **changes: Any) -> requests.Submission:
    values: dict[str, Any] = {
        "unit_id": org[unit].pk,
        "category": requests.ServiceCategory.ELDERLY,
        "description": "独居老人每周需要有人陪同买菜",
        "requester_name": "王大妈",
        "requester_phone": "13812345678",
        "client_id": uuid.uuid4(),
        "wanted_on": None,
    }
    values.update(changes)
    return requests.Submission(**values)


def submit(org: dict[str, Any], **changes: Any) -> ServiceRequest:
    return requests.submit(submission(org, **changes))


def inputs(action: str, w: dict[str, Any]) -> dict[str, Any]:
    """What each action needs, valid: a reason, the west team, five stars."""
    return {
        "reason": "情况说明" if action != "rate" else "服务很周到",
        "team_id": w["team"].pk if action == "dispatch" else None,
        "rating": 5 if action == "rate" else None,
    }


def walk(req: ServiceRequest, state: str, w: dict[str, Any], users: dict[str, Any]) -> ServiceRequest:
    """Take the request along PATHS to ``state`` (staff: the west handler; team: the team's manager)."""
    actors = {
        "staff": users["west_handler"],
        "team": w["team_manager"],
        "requester": Requester(req.access_token),
    }
    for action, who in PATHS[state]:
        req = requests.transition(req, action, actors[who], **inputs(action, w))
    assert req.state == state
    return req


def in_state(org: dict[str, Any], users: dict[str, Any], w: dict[str, Any], state: str) -> ServiceRequest:
    return walk(submit(org), state, w, users)


def day(month: int, dd: int, hour: int = 9) -> datetime:
    """A time in Beijing on a day of 2026, as UTC."""
    return datetime(2026, month, dd, hour - 8, 0, tzinfo=UTC)


def served_activity(
    a_team: Team, staff: Any, v: Volunteer, starts: datetime, *, hours: int = 2, confirm: bool = True,
    title: str = "",
) -> tuple[Activity, SignUp]:  # fmt: skip
    """An activity of the team that the volunteer signed up for, attended from its start to its end and
    (unless ``confirm`` is False) had confirmed by the organiser."""
    a = activity(a_team, staff, starts, hours=hours, now=starts - timedelta(days=2))
    if title:
        Activity.objects.filter(pk=a.pk).update(title=title)
        a.title = title
    services.sign_up(a, v, now=starts - timedelta(days=1))
    signup = served(a, v, starts, a.ends_at)
    if confirm:
        signup = attendance.confirm_hours(signup, staff, now=a.ends_at + timedelta(hours=1))
    return a, signup


def served_volunteer(org: dict[str, Any], users: dict[str, Any], w: dict[str, Any]) -> dict[str, Any]:
    """Volunteer 1 of the west community: in March two confirmed activities of the west team (2 h and 90 min),
    one still unconfirmed, one of the east team; in February one more of the west team."""
    v = volunteer(org, 1, now=day(1, 5))
    staff = users["west_handler"]
    first, _s = served_activity(w["team"], staff, v, day(3, 2), title="社区助老服务")
    second, s2 = served_activity(w["team"], staff, v, day(3, 9, 14), title="垃圾分类宣传")
    attendance.confirm_hours(
        s2, staff, minutes=90, reason="提前离开", now=second.ends_at + timedelta(hours=2)
    )
    served_activity(w["team"], staff, v, day(3, 11), confirm=False, title="未确认的活动")
    served_activity(w["east_team"], users["coordinator"], v, day(3, 5), title="东城的活动")
    served_activity(w["team"], staff, v, day(2, 10), title="二月的活动")
    v.refresh_from_db()
    return {"volunteer": v, "first": first, "second": second}
