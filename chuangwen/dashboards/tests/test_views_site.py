"""The site dossier: published visits, findings, cases and photos in time order; nothing outside the scope."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import client_for

pytestmark = pytest.mark.django_db


def test_it_shows_the_whole_history_of_a_site(
    world: dict[str, Any], users: dict[str, Any], sites: Any
) -> None:
    html = client_for(users["leader"]).get(f"/dashboards/site/{sites['west_road'].pk}/").content.decode()
    for name in ("一月暗访", "二月暗访", "西湖自查"):
        assert name in html
    assert html.index("一月暗访") < html.index(world["cases"]["c4"].code) < html.index("二月暗访")
    assert "ZD-2 测评内容" in html
    assert f"/evidence/{world['photos']['r2_road'].pk}/thumb" in html
    assert f"/evidence/{world['photos']['c4'].pk}/thumb" in html
    assert f"/cases/{world['cases']['c5'].pk}/" in html
    assert 'id="citizen-reports"' in html and "暂无市民随手拍记录" in html


def test_it_never_shows_a_round_under_way(world: dict[str, Any], users: dict[str, Any], sites: Any) -> None:
    html = (
        client_for(users["coordinator"]).get(f"/dashboards/site/{sites['west_market'].pk}/").content.decode()
    )
    assert "二月暗访" in html and "秘密暗访" not in html
    assert f"/evidence/{world['photos']['r3_market'].pk}/" not in html


def test_it_answers_404_outside_the_scope(world: dict[str, Any], users: dict[str, Any], sites: Any) -> None:
    assert (
        client_for(users["east_handler"]).get(f"/dashboards/site/{sites['west_road'].pk}/").status_code == 404
    )
    assert (
        client_for(world["west_coord"]).get(f"/dashboards/site/{sites['east_estate'].pk}/").status_code == 404
    )
    assert (
        client_for(users["west_handler"]).get(f"/dashboards/site/{sites['west_road'].pk}/").status_code == 200
    )
    assert client_for(users["leader"]).get("/dashboards/site/987654/").status_code == 404
