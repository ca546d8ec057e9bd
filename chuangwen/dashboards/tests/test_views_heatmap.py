"""The problem heat map: grid cells and points filtered by category and dates, and recurrence hot spots."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import client_for

pytestmark = pytest.mark.django_db


def test_it_maps_problems_and_ranks_hot_spots(
    world: dict[str, Any], users: dict[str, Any], sites: Any
) -> None:
    client = client_for(users["coordinator"])
    html = client.get("/dashboards/heatmap/").content.decode()
    assert 'id="hotspots"' in html and "西湖大道" in html
    assert 'data-heat-source="/dashboards/heatmap.json"' in html
    data = client.get("/dashboards/heatmap.json").json()
    assert (data["findings"], data["cases"], len(data["points"])) == (4, 4, 8)
    assert [spot["code"] for spot in data["hotspots"]] == ["P0001"]
    filtered = client.get("/dashboards/heatmap.json", {"category": "交通秩序"}).json()
    assert (filtered["findings"], filtered["cases"], filtered["hotspots"]) == (1, 1, [])
    page = client.get("/dashboards/heatmap/", {"category": "交通秩序"}).content.decode()
    assert "暂无复发热点" in page and "heatmap.json?category=" in page


def test_it_keeps_a_street_coordinator_in_his_street(world: dict[str, Any]) -> None:
    data = client_for(world["east_coord"]).get("/dashboards/heatmap.json").json()
    assert (data["findings"], data["cases"], data["hotspots"]) == (0, 1, [])


def test_it_refuses_a_reversed_date_range(world: dict[str, Any], users: dict[str, Any]) -> None:
    page = client_for(users["leader"]).get(
        "/dashboards/heatmap/", {"since": "2026-12-01", "until": "2026-01-01"}
    )
    assert "开始日期不能晚于结束日期" in page.content.decode()
