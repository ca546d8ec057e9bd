"""Registration, sign-up with a waiting list, check-in and the organiser's confirmation, through the services
every page and API operation calls."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chuangwen.accounts.models import Role, User
from chuangwen.audit.models import AuditEntry
from chuangwen.volunteers import attendance, rules, services
from chuangwen.volunteers.models import HoursState, SignUp, SignUpState, Volunteer
from chuangwen.volunteers.tests.fixtures import PASSWORD, activity, here, id_number, served, team, volunteer

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 6, 1, 0, tzinfo=UTC)  # 09:00 in Beijing
STARTS = NOW + timedelta(days=3)


def _registration(org: dict[str, Any], **changes: Any) -> services.Registration:
    values = {
        "name": "张三",
        "phone": "13912345678",
        "id_number": id_number(7),
        "unit_id": org["west_c"].pk,
        "password": PASSWORD,
        "skills": ["文明劝导", "文明劝导", " 急救 "],
    }
    values.update(changes)
    return services.Registration(**values)


def test_it_registers_a_volunteer_with_a_number_and_no_clear_id(org: dict[str, Any]) -> None:
    v = services.register(_registration(org), now=NOW)
    assert v.number == "ZY20260000001" and v.user is not None and v.user.role == Role.VOLUNTEER
    assert v.user.check_password(PASSWORD) and v.user.username == "13912345678"
    assert v.id_last4 == id_number(7)[-4:] and v.birth_year == 1990 and v.sex == "m"
    assert v.skills == ["文明劝导", "急救"]
    stored = " ".join(str(value) for value in Volunteer.objects.values_list().get(pk=v.pk))
    assert id_number(7) not in stored and id_number(7)[:14] not in stored
    assert services.register(
        _registration(org, phone="13912345679", id_number=id_number(8)), now=NOW
    ).number == ("ZY20260000002")
    assert AuditEntry.objects.filter(action="volunteer.register").count() == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": " "}, "name"),
        ({"phone": "0571-1234"}, "phone"),
        ({"id_number": "33010619900307123X"}, "id_number"),
        ({"id_number": id_number(9, born="20200101")}, "id_number"),  # too young
        ({"unit_id": 0}, "unit"),
        ({"password": "123"}, "password"),
        ({"skills": ["很长的技能名称" * 5]}, "skills"),
    ],
)
def test_it_names_the_field_it_refuses_and_creates_nothing(
    org: dict[str, Any], changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(services.Refused) as refused:
        services.register(_registration(org, **changes), now=NOW)
    assert refused.value.field == field and refused.value.message
    assert not Volunteer.objects.exists() and not User.objects.filter(role=Role.VOLUNTEER).exists()


def test_it_registers_one_person_once(org: dict[str, Any]) -> None:
    services.register(_registration(org), now=NOW)
    with pytest.raises(services.Refused) as refused:
        services.register(_registration(org, phone="13700000000", id_number=id_number(7).lower()), now=NOW)
    assert refused.value.code == "duplicate" and refused.value.field == "id_number"
    with pytest.raises(services.Refused) as refused:
        services.register(_registration(org, id_number=id_number(11)), now=NOW)
    assert refused.value.field == "phone"
    assert Volunteer.objects.count() == 1


def test_it_keeps_the_hours_of_a_volunteer_who_leaves_and_removes_the_identity(
    org: dict[str, Any], users: dict[str, Any]
) -> None:
    v = volunteer(org, now=NOW)
    a = activity(team(org), users["coordinator"], STARTS, now=NOW)
    services.sign_up(a, v, now=NOW)
    signup = served(a, v, STARTS, STARTS + timedelta(hours=2))
    attendance.confirm_hours(signup, users["coordinator"], now=STARTS + timedelta(hours=3))
    services.leave(v, v.user, now=STARTS + timedelta(days=1))
    v.refresh_from_db()
    assert (
        v.left_at is not None and v.user is None and v.id_hash is None and v.phone == "" and v.id_last4 == ""
    )
    assert v.name == "已注销志愿者" and v.confirmed_minutes == 120
    assert not User.objects.filter(username="13800000001").exists()
    # The same person may register again later: the ID hash is gone.
    again = volunteer(org, now=STARTS + timedelta(days=2))
    assert again.number != v.number


def test_it_fills_the_places_then_the_waiting_list_and_promotes_on_cancel(
    org: dict[str, Any], users: dict[str, Any]
) -> None:
    a = activity(team(org), users["coordinator"], STARTS, places=2, now=NOW)
    people = [volunteer(org, n, now=NOW) for n in range(1, 5)]
    states = [services.sign_up(a, p, now=NOW + timedelta(minutes=n)).state for n, p in enumerate(people)]
    assert states == [SignUpState.SIGNED, SignUpState.SIGNED, SignUpState.WAITING, SignUpState.WAITING]
    assert services.sign_up(a, people[0], now=NOW).state == SignUpState.SIGNED  # twice: the same place
    first = SignUp.objects.get(activity=a, volunteer=people[0])
    promoted = services.cancel_signup(first, now=NOW + timedelta(hours=1))
    assert promoted is not None and promoted.volunteer == people[2]
    assert SignUp.objects.filter(activity=a, state=SignUpState.SIGNED).count() == 2
    late = SignUp.objects.get(activity=a, volunteer=people[1])
    with pytest.raises(services.Refused) as refused:
        services.cancel_signup(late, now=a.cancel_until + timedelta(minutes=1))
    assert refused.value.code == "too_late"
    with pytest.raises(services.Refused):
        services.sign_up(a, volunteer(org, 9, now=NOW), now=STARTS)


def test_it_checks_in_only_at_the_place_in_time_with_a_fresh_code(
    org: dict[str, Any], users: dict[str, Any]
) -> None:
    a = activity(team(org), users["coordinator"], STARTS, now=NOW)
    v = volunteer(org, now=NOW)
    at = STARTS - timedelta(minutes=10)
    code, _left = rules.current_code(a.code_key, at)
    with pytest.raises(services.Refused) as refused:
        attendance.check_in(a, v, code, here(), uuid.uuid4(), now=at)
    assert refused.value.code == "not_signed_up"
    services.sign_up(a, v, now=NOW)
    for position, why in [(here(300), "outside_fence"), (attendance.Position(91.0, 120.0), "invalid")]:
        with pytest.raises(services.Refused) as refused:
            attendance.check_in(a, v, code, position, uuid.uuid4(), now=at)
        assert refused.value.code == why
    early = STARTS - timedelta(minutes=rules.CHECK_IN_EARLY_MINUTES + 1)
    with pytest.raises(services.Refused) as refused:
        attendance.check_in(a, v, rules.current_code(a.code_key, early)[0], here(), uuid.uuid4(), now=early)
    assert refused.value.code == "outside_time"
    stale = at + timedelta(seconds=2 * rules.CODE_SECONDS)
    with pytest.raises(services.Refused) as refused:
        attendance.check_in(a, v, code, here(), uuid.uuid4(), now=stale)
    assert refused.value.code == "stale_code"
    client_id = uuid.uuid4()
    signup = attendance.check_in(a, v, code, here(120), client_id, now=at)
    assert signup.signed_in_at == at and signup.sign_in_distance_m == 120
    again = attendance.check_in(a, v, code, here(), client_id, now=at + timedelta(seconds=5))
    assert again.pk == signup.pk and again.signed_in_at == at  # a resend changes nothing


def test_it_measures_the_minutes_and_waits_for_the_organiser(
    org: dict[str, Any], users: dict[str, Any]
) -> None:
    a = activity(team(org), users["coordinator"], STARTS, hours=3, now=NOW)
    v = volunteer(org, now=NOW)
    services.sign_up(a, v, now=NOW)
    signup = served(a, v, STARTS - timedelta(minutes=20), STARTS + timedelta(hours=2, minutes=30))
    assert signup.measured_minutes == 150 and signup.hours_state == HoursState.PENDING
    v.refresh_from_db()
    assert v.confirmed_minutes == 0  # nothing counts before the organiser confirms
    with pytest.raises(services.Refused) as refused:
        attendance.confirm_hours(signup, users["coordinator"], minutes=170, now=STARTS + timedelta(hours=4))
    assert refused.value.field == "reason"
    with pytest.raises(services.Refused) as refused:
        attendance.confirm_hours(
            signup, users["coordinator"], minutes=181, reason="多算", now=STARTS + timedelta(hours=4)
        )
    assert refused.value.field == "minutes"  # never beyond the activity's own time
    attendance.confirm_hours(signup, users["coordinator"], now=STARTS + timedelta(hours=4))
    v.refresh_from_db()
    assert v.confirmed_minutes == 150
    attendance.confirm_hours(
        signup, users["coordinator"], minutes=180, reason="签到前已到岗", now=STARTS + timedelta(hours=5)
    )
    v.refresh_from_db()
    signup.refresh_from_db()
    assert v.confirmed_minutes == 180 and signup.correction_reason == "签到前已到岗"
    assert services.summary(v)["stars"] == 0 and services.summary(v)["hours"] == 3.0


def test_it_lets_only_the_teams_unit_run_its_activities(org: dict[str, Any], users: dict[str, Any]) -> None:
    west_team = team(org)
    with pytest.raises(services.Refused) as refused:
        activity(west_team, users["east_handler"], STARTS, now=NOW)
    assert refused.value.code == "forbidden"
    a = activity(west_team, users["west_handler"], STARTS, now=NOW)
    v = volunteer(org, now=NOW)
    services.sign_up(a, v, now=NOW)
    signup = served(a, v, STARTS, STARTS + timedelta(hours=1))
    with pytest.raises(services.Refused) as refused:
        attendance.confirm_hours(signup, users["east_handler"], now=STARTS + timedelta(hours=3))
    assert refused.value.code == "forbidden"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"places": 0}, "places"),
        ({"places": 5001}, "places"),
        ({"radius_m": 5}, "radius_m"),
        ({"ends_at": STARTS}, "ends_at"),
        ({"ends_at": STARTS + timedelta(hours=25)}, "ends_at"),
        (
            {"starts_at": datetime(9956, 1, 1, tzinfo=UTC), "ends_at": datetime(9956, 1, 1, 2, tzinfo=UTC)},
            "starts_at",
        ),
        ({"lat": 95.0}, "lat"),
        ({"title": ""}, "title"),
    ],
)
def test_it_bounds_every_field_of_an_activity(
    org: dict[str, Any], users: dict[str, Any], changes: dict[str, Any], field: str
) -> None:
    values: dict[str, Any] = {
        "title": "清理背街小巷",
        "place": "柳浪巷",
        "lat": 30.05,
        "lng": 120.02,
        "starts_at": STARTS,
        "ends_at": STARTS + timedelta(hours=2),
        "places": 10,
    }
    values.update(changes)
    with pytest.raises(services.Refused) as refused:
        services.post_activity(team(org), users["coordinator"], services.ActivityDraft(**values), now=NOW)
    assert refused.value.field == field
