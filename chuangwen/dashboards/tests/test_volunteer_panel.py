"""The dashboards' 志愿服务 panel (overview and unit page): this month's and last month's hours, registered
volunteers and their share of residents aged 18–65, active volunteers, requests fulfilled and their mean
rating, a row per child unit; no figure at all when there is no volunteer data; the viewer's scope; cached
and made stale by a confirmed record."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from chuangwen.volunteers import attendance, services
from chuangwen.volunteers.tests.fixtures import served, volunteer
from chuangwen.volunteers.tests.fixtures_results import NOW, at, build_month
from conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _panel(html: str) -> str:
    found = re.search(r'<section class="cw-card" id="dash-volunteers"[^>]*>(.*?)</section>', html, re.S)
    return found.group(0) if found else ""


def _figure(panel: str, name: str) -> str:
    found = re.search(rf'data-figure="{name}"><span class="cw-figure__value">([^<]*)<', panel)
    assert found, name
    return found.group(1)


def test_it_shows_this_and_last_months_figures_on_the_overview(clock: None, org: Any, users: Any) -> None:
    build_month(org, users)
    panel = _panel(client_for(users["coordinator"]).get(reverse("dashboards:overview")).content.decode())
    assert 'data-has-data="yes"' in panel
    # December: A (180 min) + C (180 min) = 6.0 h; November: B, 90 min = 1.5 h.
    assert _figure(panel, "hours") == "6.0" and "上月（2026-11）1.5" in panel
    assert _figure(panel, "registered") == "4" and "占 18–65 岁常住人口 13.33%" in panel  # 4 ÷ 30
    assert _figure(panel, "active") == "3" and "开展活动 2 次" in panel
    assert _figure(panel, "requests") == "3" and "平均评价 4.50 星" in panel
    rows = re.findall(r'<tr data-unit="(\d+)"><td>([^<]+)</td><td class="cw-num">([^<]+)</td>', panel)
    assert (str(org["west"].pk), "西湖街道", "3.0") in rows and (
        str(org["east"].pk),
        "东城街道",
        "3.0",
    ) in rows
    assert f"/volunteers/results/?unit={org['district'].pk}" in panel


def test_it_says_so_when_there_is_no_volunteer_data(clock: None, org: Any, users: Any) -> None:
    panel = _panel(client_for(users["coordinator"]).get(reverse("dashboards:overview")).content.decode())
    assert 'data-has-data="no"' in panel and 'id="dash-volunteers-empty"' in panel
    assert "cw-figure__value" not in panel and "data-figure" not in panel


def test_the_unit_page_shows_the_units_own_subtree(clock: None, org: Any, users: Any) -> None:
    build_month(org, users)
    page = client_for(users["west_head"]).get(reverse("dashboards:unit", args=[org["west"].pk]))
    panel = _panel(page.content.decode())
    assert _figure(panel, "hours") == "3.0" and _figure(panel, "registered") == "3"
    assert "占 18–65 岁常住人口 10.00%" in panel and f'data-unit="{org["west_c"].pk}"' in panel
    east = _panel(
        client_for(users["east_handler"])
        .get(reverse("dashboards:unit", args=[org["east"].pk]))
        .content.decode()
    )
    assert "没有人口数，无法计算注册率" in east and "尚无评价" in east
    assert (
        client_for(users["east_handler"]).get(reverse("dashboards:unit", args=[org["west"].pk])).status_code
        == 404
    )


def test_a_confirmed_record_makes_the_cached_panel_stale(
    clock: None, org: Any, users: Any, settings: Any
) -> None:
    settings.DASHBOARD_CACHE_SECONDS = 60
    cache.clear()
    built = build_month(org, users)
    client = client_for(users["coordinator"])

    def hours() -> str:
        return _figure(_panel(client.get(reverse("dashboards:overview")).content.decode()), "hours")

    assert hours() == "6.0"
    a = built["activities"]["A"]
    late = volunteer(org, 7, now=at(11, 2, 9))
    signup = services.sign_up(a, late, now=at(12, 4, 9))  # a new place: no figure moves
    assert hours() == "6.0"
    # The check-in and check-out move nothing either; the confirmation does: 6.0 h + 1 h.
    signup = served(a, late, at(12, 5, 10), at(12, 5, 11))
    attendance.confirm_hours(signup, users["coordinator"], now=NOW - timedelta(hours=1))
    assert hours() == "7.0"
    cache.clear()
