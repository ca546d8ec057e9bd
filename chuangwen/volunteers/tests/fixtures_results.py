"""A small month of volunteer service for the results tests, made through ``chuangwen.volunteers.services``
(register, post_activity, sign_up, check_in, check_out, confirm_hours; service requests, whose services are
another part's, as rows with their ``done`` events). Every figure the tests expect is worked out by hand in
``EXPECTED`` below from the records made here.

The clock: NOW = 2026-12-20 10:00 (Asia/Shanghai); December is "this month", November "last month".

    west team (西湖街道)   A  Dec 5 09:00–11:00   v1 09:00–11:00 → 120 min, v2 09:30–10:30 → 60 min,
                                                  v3 signed up, never came
                           B  Nov 20 14:00–16:00  v1 14:00–15:30 → 90 min
                           X  Dec 8, cancelled;   F  Dec 28 (not ended yet)
    east team (东城街道)   C  Dec 6 09:00–11:00   v4 09:00–11:00 → 120 min,
                                                  v2 (a west resident) 10:00–11:00 → 60 min
    volunteers            v1 v2 v3 in 柳浪社区 (west), v4 in 东门社区 (east),
                          v5 in 柳浪社区, registered and left on Dec 10
    population            柳浪社区 30 residents aged 18–65; 东门社区 none
    requests              柳浪社区: done Dec 12 (rated 4), done Dec 14 (rated 5), done Nov 15 (rated 1),
                          taken (not done); 东门社区: done Dec 15 (not rated)
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chuangwen.surveys.models import PopulationFigure
from chuangwen.volunteers import attendance, services
from chuangwen.volunteers.models import RequestEvent, RequestState, ServiceRequest, SignUp
from chuangwen.volunteers.tests.fixtures import activity, served, team, volunteer

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 20, 10, 0, tzinfo=SHANGHAI)
REGISTERED = datetime(2026, 11, 1, 9, 0, tzinfo=SHANGHAI)


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def serve(a: Any, v: Any, start: datetime, end: datetime, organiser: Any) -> SignUp:
    """Sign up two days before, sign in and out with the code of the moment, confirm after the end."""
    services.sign_up(a, v, now=a.starts_at - timedelta(days=1))
    signup = served(a, v, start, end)
    return attendance.confirm_hours(signup, organiser, now=a.ends_at + timedelta(hours=1))


def request(
    org: dict[str, Any], code: str, unit: str, state: str, done: datetime | None, rating: int | None
) -> Any:
    created = (done or NOW) - timedelta(days=3)
    row = ServiceRequest.objects.create(
        code=code,
        client_id=uuid.uuid4(),
        unit=org[unit],
        category="助老",
        description="帮忙打扫楼道",
        requester_name="王阿姨",
        requester_phone="13900000000",
        state=state,
        rating=rating,
        created_at=created,
        updated_at=done or created,
    )
    if done is not None:
        RequestEvent.objects.create(
            request=row, action="finish", from_state=RequestState.TAKEN, to_state=RequestState.DONE, at=done
        )
    return row


def build_month(org: dict[str, Any], users: dict[str, Any]) -> dict[str, Any]:
    coordinator = users["coordinator"]
    west_team = team(org, unit="west", code="T-W-1", name="西湖街道志愿服务队")
    east_team = team(org, unit="east", code="T-E-1", name="东城街道志愿服务队")
    v1 = volunteer(org, 1, now=REGISTERED)
    v2 = volunteer(org, 2, now=REGISTERED)
    v3 = volunteer(org, 3, now=REGISTERED)
    v4 = volunteer(org, 4, unit="east_c", now=REGISTERED)
    v5 = volunteer(org, 5, now=REGISTERED)
    services.join_team(v1, west_team, now=REGISTERED)
    services.join_team(v2, west_team, now=REGISTERED)
    services.join_team(v2, east_team, now=REGISTERED)
    west_team.managers.add(users["west_head"])

    a = activity(west_team, coordinator, at(12, 5, 9))
    serve(a, v1, at(12, 5, 9), at(12, 5, 11), coordinator)
    serve(a, v2, at(12, 5, 9, 30), at(12, 5, 10, 30), coordinator)
    services.sign_up(a, v3, now=at(12, 4, 9))
    b = activity(west_team, coordinator, at(11, 20, 14))
    serve(b, v1, at(11, 20, 14), at(11, 20, 15, 30), coordinator)
    c = activity(east_team, coordinator, at(12, 6, 9))
    serve(c, v4, at(12, 6, 9), at(12, 6, 11), coordinator)
    serve(c, v2, at(12, 6, 10), at(12, 6, 11), coordinator)
    cancelled = activity(west_team, coordinator, at(12, 8, 9))
    services.cancel_activity(cancelled, coordinator, "下雨")
    future = activity(west_team, coordinator, at(12, 28, 9), now=at(12, 19, 9))
    services.leave(v5, coordinator, now=at(12, 10, 9))

    for band, count in (("18-29", 10), ("30-39", 20)):
        PopulationFigure.objects.create(unit=org["west_c"], age_band=band, sex="m", count=count)

    request(org, "R-1", "west_c", RequestState.RATED, at(12, 12, 15), 4)
    request(org, "R-2", "west_c", RequestState.RATED, at(12, 14, 15), 5)
    request(org, "R-3", "west_c", RequestState.RATED, at(11, 15, 15), 1)
    request(org, "R-4", "west_c", RequestState.TAKEN, None, None)
    request(org, "R-5", "east_c", RequestState.DONE, at(12, 15, 15), None)
    return {
        "west_team": west_team,
        "east_team": east_team,
        "volunteers": [v1, v2, v3, v4, v5],
        "activities": {"A": a, "B": b, "C": c, "X": cancelled, "F": future},
    }


# December's figures, by hand from the records above (minutes; hours are minutes ÷ 60 to 0.1).
EXPECTED: dict[str, dict[str, Any]] = {
    "west": {
        "minutes": 120 + 60,  # A only: C is the east team's, B is November's
        "resident_minutes": 120 + 60 + 60,  # v1 and v2 at A, v2 at C
        "activities": 1,  # A (X cancelled, F not ended)
        "registered": 3,  # v1 v2 v3 (v5 left)
        "population": 30,
        "active": 2,  # v1 v2
        "requests_done": 2,  # R-1 R-2
        "rated": 2,
    },
    "east": {
        "minutes": 120 + 60,
        "resident_minutes": 120,
        "activities": 1,
        "registered": 1,
        "population": None,
        "active": 1,
        "requests_done": 1,
        "rated": 0,
    },
}
