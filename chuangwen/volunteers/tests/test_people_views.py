"""The staff pages of practice bodies, teams and the volunteer register: who may come in, what they see of
another unit (nothing), and that phones are masked and ID numbers never shown."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.urls import reverse

from chuangwen.audit.models import AuditEntry
from chuangwen.volunteers.models import Membership, PracticeBody, Team
from chuangwen.volunteers.tests.fixtures import id_number, team, volunteer
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 6, 1, 0, tzinfo=UTC)


def test_it_refuses_roles_that_do_not_run_volunteer_work(org: dict[str, Any], users: dict[str, Any]) -> None:
    assert client_for(users["coordinator"]).get(reverse("volunteers:hub")).status_code == 200
    assert client_for(users["inspector"]).get(reverse("volunteers:hub")).status_code == 403
    v = volunteer(org, now=NOW)
    assert client_for(v.user).get(reverse("volunteers:team_list")).status_code == 403


def test_it_sets_a_station_for_a_community_with_its_managers(
    org: dict[str, Any], users: dict[str, Any]
) -> None:
    client = client_for(users["west_head"])
    form = {"unit": org["west_c"].pk, "name": "柳浪社区新时代文明实践站", "address": "柳浪路 1 号",
            "lat": "30.05", "lng": "120.02", "managers": "west_handler"}  # fmt: skip
    answer = client.post(reverse("volunteers:body_form"), form)
    assert answer.status_code == 302
    body = PracticeBody.objects.get(unit=org["west_c"])
    assert body.kind == "station" and list(body.managers.all()) == [users["west_handler"]]
    assert AuditEntry.objects.filter(action="volunteer.body_save").exists()
    # A manager outside the unit is refused by name, and nothing changes.
    answer = client.post(
        reverse("volunteers:body_form"), {**form, "name": "改名", "managers": "east_handler"}
    )
    assert answer.status_code == 400 and "east_handler" in answer.content.decode()
    assert PracticeBody.objects.get(unit=org["west_c"]).name == "柳浪社区新时代文明实践站"
    # Another street cannot set it at all (the unit is not in its choices).
    answer = client_for(users["east_handler"]).post(reverse("volunteers:body_form"), form)
    assert answer.status_code == 400 and PracticeBody.objects.count() == 1


def test_it_creates_a_team_and_adds_a_member_by_number(org: dict[str, Any], users: dict[str, Any]) -> None:
    client = client_for(users["west_handler"])
    answer = client.post(
        reverse("volunteers:team_new"), {"name": "柳浪巷清洁队", "unit": org["west_c"].pk, "kind": "public"}
    )
    created = Team.objects.get(name="柳浪巷清洁队")
    assert answer.status_code == 302 and created.code.startswith(org["west_c"].code)
    v = volunteer(org, now=NOW)
    answer = client.post(reverse("volunteers:team_detail", args=[created.pk]), {"number": v.number})
    assert answer.status_code == 302 and Membership.objects.filter(team=created, volunteer=v).exists()
    answer = client.post(reverse("volunteers:team_detail", args=[created.pk]), {"number": "ZY0"})
    assert answer.status_code == 400 and "没有这个志愿者编号" in answer.content.decode()
    page = client.get(reverse("volunteers:team_detail", args=[created.pk])).content.decode()
    assert v.number in page and "138****0001" in page and "13800000001" not in page


def test_it_hides_another_streets_teams_and_volunteers(org: dict[str, Any], users: dict[str, Any]) -> None:
    west_team = team(org)
    v = volunteer(org, now=NOW)
    east = client_for(users["east_handler"])
    assert east.get(reverse("volunteers:team_detail", args=[west_team.pk])).status_code == 404
    assert (
        east.post(reverse("volunteers:team_detail", args=[west_team.pk]), {"number": v.number}).status_code
        == 404
    )
    assert v.number not in east.get(reverse("volunteers:volunteer_list")).content.decode()
    assert west_team.name not in east.get(reverse("volunteers:team_list")).content.decode()


def test_it_lists_volunteers_with_masked_phones_and_no_id_number(
    org: dict[str, Any], users: dict[str, Any]
) -> None:
    v = volunteer(org, now=NOW)
    make_user("east_head", "unit_head", org["east"])
    page = client_for(users["coordinator"]).get(reverse("volunteers:volunteer_list")).content.decode()
    assert v.number in page and "138****0001" in page and "**************" + v.id_last4 in page
    assert id_number(1) not in page and "13800000001" not in page
