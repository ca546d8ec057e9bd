"""The volunteer's phone pages under /v/: registration with its field errors and rate limit, the activities
with sign-up, the own page with its figures, the export of the own record, and leaving."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook

from chuangwen.accounts.models import Role, User
from chuangwen.audit.models import AuditEntry
from chuangwen.volunteers import attendance, services
from chuangwen.volunteers.models import HoursState, SignUp, SignUpState, Volunteer
from chuangwen.volunteers.tests.fixtures import id_number, served, volunteer
from chuangwen.volunteers.tests.fixtures_activities import (
    NOW,
    STARTS,
    registration_form,
    volunteer_client,
    world,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock() -> Iterator[Any]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_the_registration_form_groups_communities_by_street(org: dict[str, Any]) -> None:
    page = Client().get("/v/register/").content.decode()
    assert '<optgroup label="西湖街道">' in page and "柳浪社区" in page and "东门社区" in page
    assert "区城管局" not in page  # only communities
    assert 'name="skills" value="医疗急救"' in page


def test_it_registers_logs_in_and_shows_the_own_page(org: dict[str, Any]) -> None:
    client = Client()
    response = client.post("/v/register/", registration_form(org))
    assert response.status_code == 302 and response["Location"] == "/v/me/"
    v = Volunteer.objects.get()
    assert v.skills == ["文明劝导", "医疗急救"] and v.availability == ["周末"] and v.unit == org["west_c"]
    page = client.get("/v/me/").content.decode()
    assert v.number in page and "139****2222" in page and "*" * 14 + id_number(21)[-4:] in page
    assert id_number(21) not in page and "13911112222" not in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "请填写姓名"),
        ({"phone": "12345"}, "phone", "请填写 11 位手机号码"),
        (
            {"id_number": id_number(21)[:17] + ("0" if id_number(21)[17] != "0" else "1")},
            "id_number",
            "校验位",
        ),
        ({"id_number": id_number(22, born="20200101")}, "id_number", "未满 14 周岁"),
        ({"unit": ""}, "unit", "请选择所在社区"),
        ({"unit": "9" * 40}, "unit", "请选择所在社区"),
        ({"password": "123", "password2": "123"}, "password", "密码"),
        ({"password2": "Another-Pass-2026"}, "password2", "两次输入的密码不一致"),
    ],
)
def test_it_shows_each_refusal_next_to_its_field_and_creates_nothing(
    org: dict[str, Any], changes: dict[str, Any], field: str, message: str
) -> None:
    form = registration_form(org, **changes)
    response = Client().post("/v/register/", form)
    assert response.status_code == 400
    page = response.content.decode()
    fieldset = "password" if field == "password2" else field  # both password boxes share one fieldset
    block = page.split(f'id="field-{fieldset}"', 1)[1].split("</fieldset>", 1)[0]
    assert message in block and 'class="sp-error"' in block
    assert not Volunteer.objects.exists() and not User.objects.filter(role=Role.VOLUNTEER).exists()
    assert form["id_number"] not in page  # never echoed, whatever went wrong
    assert 'value="李四"' in page or field == "name"


def test_it_refuses_an_id_number_registered_before(org: dict[str, Any]) -> None:
    volunteer(org, 1, now=NOW)
    form = registration_form(org, id_number=id_number(1))
    response = Client().post("/v/register/", form)
    page = response.content.decode()
    assert response.status_code == 400 and "该身份证号已注册为志愿者" in page
    assert id_number(1) not in page and Volunteer.objects.count() == 1


def test_it_limits_registrations_per_address(org: dict[str, Any], settings: Any) -> None:
    settings.VOLUNTEER_REGISTER_ADDRESS_LIMIT = 2
    client = Client()
    for _attempt in range(2):
        assert client.post("/v/register/", registration_form(org, name="")).status_code == 400
    response = client.post("/v/register/", registration_form(org))
    assert response.status_code == 429 and "注册过于频繁" in response.content.decode()
    assert not Volunteer.objects.exists()


def test_the_activity_list_is_public_and_filters_by_street(
    org: dict[str, Any], users: dict[str, Any]
) -> None:
    w = world(org, users)
    anonymous = Client()
    page = anonymous.get("/v/activities/").content.decode()
    assert w["activity"].title in page and "剩余 10 个名额" in page
    assert w["activity"].title in anonymous.get(f"/v/activities/?street={org['west'].pk}").content.decode()
    assert (
        w["activity"].title not in anonymous.get(f"/v/activities/?street={org['east'].pk}").content.decode()
    )
    assert anonymous.get("/v/activities/?street=abc").status_code == 200
    detail = anonymous.get(f"/v/activities/{w['activity'].pk}/").content.decode()
    assert "西湖大道与柳浪路口" in detail and "30.05000" in detail and 'id="login-to-sign-up"' in detail
    assert f"/accounts/login/?next=%2Fv%2Factivities%2F{w['activity'].pk}%2F" in detail


def test_a_volunteer_signs_up_waits_and_cancels(org: dict[str, Any], users: dict[str, Any]) -> None:
    w = world(org, users, places=1)
    a = w["activity"]
    first, second = volunteer_client(w["volunteer"]), volunteer_client(volunteer(org, 2, now=NOW))
    first.post(f"/v/activities/{a.pk}/signup/")
    second.post(f"/v/activities/{a.pk}/signup/")
    assert SignUp.objects.get(volunteer=w["volunteer"]).state == SignUpState.SIGNED
    page = second.get(f"/v/activities/{a.pk}/").content.decode()
    assert 'data-state="waiting"' in page and '<dd id="waiting">1</dd>' in page
    first.post(f"/v/activities/{a.pk}/cancel/")
    assert SignUp.objects.get(volunteer=w["volunteer"]).state == SignUpState.CANCELLED
    assert SignUp.objects.exclude(volunteer=w["volunteer"]).get().state == SignUpState.SIGNED


def test_staff_without_a_volunteer_record_cannot_sign_up(org: dict[str, Any], users: dict[str, Any]) -> None:
    w = world(org, users)
    client = Client()
    client.force_login(users["west_handler"])
    assert client.post(f"/v/activities/{w['activity'].pk}/signup/").status_code == 403
    assert client.get("/v/me/").status_code == 403
    assert Client().get("/v/me/").status_code == 302  # to the login page


def _served_world(org: dict[str, Any], users: dict[str, Any]) -> dict[str, Any]:
    w = world(org, users)
    a, v = w["activity"], w["volunteer"]
    other = volunteer(org, 2, now=NOW)
    for person in (v, other):
        services.sign_up(a, person, now=NOW)
        served(a, person, STARTS, STARTS + timedelta(minutes=90))
    signup = SignUp.objects.get(volunteer=v)
    attendance.confirm_hours(signup, users["west_handler"], now=STARTS + timedelta(hours=3))
    return {**w, "other": other}


def test_the_own_page_shows_hours_stars_and_the_next_star(org: dict[str, Any], users: dict[str, Any]) -> None:
    w = _served_world(org, users)
    with time_machine.travel(STARTS + timedelta(hours=4), tick=False):
        page = volunteer_client(w["volunteer"]).get("/v/me/").content.decode()
    assert '<span id="hours-total">1.5</span>' in page
    assert 'data-stars="0"' in page and "距 1 星还需 98.5 小时" in page
    assert "已确认 90 分钟" in page and w["volunteer"].number in page
    assert w["other"].number not in page


def test_the_export_holds_the_own_record_only_and_is_audited(
    org: dict[str, Any], users: dict[str, Any]
) -> None:
    w = _served_world(org, users)
    response = volunteer_client(w["volunteer"]).get("/v/me/export.xlsx")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "志愿者编号" and len(rows) == 2
    assert rows[1][0] == w["volunteer"].number and rows[1][10] == 90 and rows[1][11] == "已确认"
    assert w["other"].number not in str(rows)
    assert AuditEntry.objects.filter(action="volunteer.export_own").count() == 1


def test_leaving_removes_the_identity_keeps_the_hours_and_logs_out(
    org: dict[str, Any], users: dict[str, Any]
) -> None:
    w = _served_world(org, users)
    client = volunteer_client(w["volunteer"])
    assert client.post("/v/me/leave/", {}).status_code == 400  # not confirmed
    response = client.post("/v/me/leave/", {"confirm": "yes"})
    assert response.status_code == 200 and w["volunteer"].number in response.content.decode()
    v = Volunteer.objects.get(pk=w["volunteer"].pk)
    assert v.left_at is not None and v.user is None and v.phone == "" and v.id_hash is None
    assert v.confirmed_minutes == 90
    assert SignUp.objects.get(volunteer=v).hours_state == HoursState.CONFIRMED
    assert not User.objects.get(username=f"left-{v.number}").is_active
    assert client.get("/v/me/").status_code == 302
