"""The layout and the home page per role: right figures inside the scope, honest empty states."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_user

pytestmark = pytest.mark.django_db


def home_html(user: Any) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def figure(html: str, name: str) -> str:
    marker = f'data-figure="{name}">'
    start = html.index(marker) + len(marker)
    return html[start : html.index("<", start)]


def test_home_needs_login() -> None:
    response = Client().get(reverse("home"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_layout(users: dict[str, Any]) -> None:
    html = home_html(users["coordinator"])
    assert '<html lang="zh-hans">' in html
    assert 'name="viewport"' in html
    assert "core/app.css" in html and "htmx" in html
    assert "创文" in html and "coord" in html and "文明办协调员" in html and "文明区" in html
    assert f'action="{reverse("accounts:logout")}"' in html and 'method="post"' in html
    for label in ("首页", "组织机构", "点位", "测评体系"):
        assert label in html
    assert "系统管理" not in html  # not staff


def test_coordinator_figures_cover_the_district(users: dict[str, Any], sites: dict[str, Any]) -> None:
    html = home_html(users["coordinator"])
    assert figure(html, "units") == "6"  # the district and the five units below it
    assert figure(html, "streets") == "2"
    assert figure(html, "sites") == "3"
    assert figure(html, "declared") == "33.3%"
    assert "常用功能" in html and 'data-todo="reports"' in html
    assert "西湖街道" in html and "东城街道" in html


def test_leader_overview(users: dict[str, Any], sites: dict[str, Any]) -> None:
    html = home_html(users["leader"])
    assert figure(html, "sites") == "3"
    assert "各街道点位" in html and "各类型点位" in html and 'data-todo="overdue"' in html


def test_street_people_see_their_street_only(org: dict[str, Any], users: dict[str, Any], sites: Any) -> None:
    html = home_html(users["west_handler"])
    assert figure(html, "responsible") == "2"
    assert figure(html, "area") == "2"
    assert "我的待办" in html and 'data-todo="dispatched"' in html
    assert f"?responsible={org['west'].pk}" in html
    assert "东城街道" not in html
    head = home_html(users["west_head"])
    assert "本单位待办与审批" in head


def test_field_roles(users: dict[str, Any]) -> None:
    assert "我的测评任务" in home_html(users["inspector"])
    assert "待核查案卷" in home_html(users["verifier"])


def test_admin_gets_admin_links(users: dict[str, Any]) -> None:
    html = home_html(users["admin"])
    assert "系统管理" in html and 'href="/admin/"' in html
    assert 'id="admin-links"' in html


def test_volunteer(org: dict[str, Any]) -> None:
    html = home_html(make_user("vol", "volunteer", org["west_c"]))
    assert "志愿服务" in html
    assert reverse("sites:list") not in html


def test_user_without_unit_sees_nothing(db: Any) -> None:
    html = home_html(make_user("nounit", "coordinator", None))
    assert "尚未分配所属单位" in html
    assert figure(html, "sites") == "0"


def test_english(users: dict[str, Any]) -> None:
    client = Client()
    client.force_login(users["coordinator"])
    client.cookies["django_language"] = "en"  # the language switcher's choice; Accept-Language is ignored
    response = client.get(reverse("home"))
    assert '<html lang="en">' in response.content.decode()


def test_it_lists_an_inspectors_rounds_and_links_the_phone_app(users: dict[str, Any], org: Any) -> None:
    import datetime

    from chuangwen.rounds.models import Round, Team
    from chuangwen.standards.services.versions import load_default_standard

    round_ = Round.objects.create(
        name="十二月暗访",
        kind="unannounced",
        standard=load_default_standard(),
        owner_unit=org["district"],
        target_unit=org["district"],
        period_start=datetime.date(2026, 12, 1),
        period_end=datetime.date(2026, 12, 5),
        status="in_progress",
        created_by=users["coordinator"],
    )
    team = Team.objects.create(round=round_, name="第1组")
    client = Client()
    client.force_login(users["inspector"])
    assert "十二月暗访" not in client.get(reverse("home")).content.decode()
    team.members.add(users["inspector"])
    html = client.get(reverse("home")).content.decode()
    assert "十二月暗访" in html and reverse("inspect:app") in html
