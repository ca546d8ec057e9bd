"""Shared builders for the volunteer tests: valid ID numbers, a volunteer, a team and an activity, all made
through the services (never by writing rows the services would refuse)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from chuangwen.volunteers import attendance, rules, services
from chuangwen.volunteers.models import Activity, Team, Volunteer

PASSWORD = "Zhiyuan-2026-fuwu"
# The activity's place: the west community's square.
PLACE = (30.05, 120.02)


def id_number(serial: int, born: str = "19900307", district: str = "330106") -> str:
    """A valid 18-character ID number (with its GB 11643 check character); odd serials are men."""
    body = f"{district}{born}{serial % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(body, rules._ID_WEIGHTS, strict=True))
    return body + rules._ID_CHECK[total % 11]


def volunteer(
    org: dict[str, Any], n: int = 1, *, unit: str = "west_c", now: datetime | None = None
) -> Volunteer:
    return services.register(
        services.Registration(
            name=f"志愿者{n}",
            phone=f"1380000{n:04d}",
            id_number=id_number(n),
            unit_id=org[unit].pk,
            password=PASSWORD,
            skills=["文明劝导"],
        ),
        now=now,
    )


def team(
    org: dict[str, Any], *, unit: str = "west", code: str = "T-W-1", name: str = "西湖街道志愿服务队"
) -> Team:
    return Team.objects.create(code=code, name=name, unit=org[unit])


def activity(
    a_team: Team,
    user: Any,
    starts: datetime,
    *,
    places: int = 10,
    hours: int = 2,
    now: datetime | None = None,
) -> Activity:
    return services.post_activity(
        a_team,
        user,
        services.ActivityDraft(
            title="路口文明劝导",
            place="西湖大道与柳浪路口",
            lat=PLACE[0],
            lng=PLACE[1],
            starts_at=starts,
            ends_at=starts + timedelta(hours=hours),
            places=places,
            radius_m=150,
        ),
        now=now or starts - timedelta(days=2),
    )


def here(dlat_m: float = 0.0) -> attendance.Position:
    """A position ``dlat_m`` metres north of the place (1° of latitude ≈ 111.2 km)."""
    return attendance.Position(PLACE[0] + dlat_m / 111_195, PLACE[1], 10.0)


def served(a: Activity, v: Volunteer, signed_in: datetime, signed_out: datetime) -> Any:
    """Sign in and out with the code of the moment, inside the fence."""
    code_in, _left = rules.current_code(a.code_key, signed_in)
    attendance.check_in(a, v, code_in, here(), uuid.uuid4(), now=signed_in)
    code_out, _left = rules.current_code(a.code_key, signed_out)
    return attendance.check_out(a, v, code_out, here(), uuid.uuid4(), now=signed_out)
