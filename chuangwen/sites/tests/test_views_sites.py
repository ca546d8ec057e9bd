"""Site registry, its GeoJSON and the site page: filters, pagination, htmx, and scope."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import client_for

pytestmark = pytest.mark.django_db


def codes(response: Any) -> set[str]:
    return {f["properties"]["code"] for f in response.json()["features"]}


def test_list_shows_all_sites_to_coordinator(users: dict[str, Any], sites: dict[str, Any]) -> None:
    response = client_for(users["coordinator"]).get(reverse("sites:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "点位登记" in html and "共 3 个点位" in html
    for name in ("西湖大道", "柳浪农贸市场", "东门老旧小区"):
        assert name in html
    assert 'id="site-map"' in html and "vendor/leaflet/leaflet.js" in html
    assert "未配置底图" in html  # no tile layer by default


def test_list_of_west_handler_hides_east(users: dict[str, Any], sites: dict[str, Any]) -> None:
    html = client_for(users["west_handler"]).get(reverse("sites:list")).content.decode()
    assert "西湖大道" in html and "柳浪农贸市场" in html
    assert "东门老旧小区" not in html and "P0003" not in html
    assert "东城街道" not in html  # not even as a filter choice


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "农贸"}, {"P0002"}),
        ({"q": "p0003"}, {"P0003"}),
        ({"site_type": "ZD"}, {"P0001"}),
        ({"declared": "1"}, {"P0001"}),
        ({"declared": "0"}, {"P0002", "P0003"}),
        ({"risk": "老旧小区"}, {"P0003"}),
        ({"risk": "农贸周边"}, {"P0002"}),
        ({"active": "0"}, set()),
    ],
)
def test_filters(
    users: dict[str, Any], sites: dict[str, Any], params: dict[str, str], expected: set[str]
) -> None:
    response = client_for(users["coordinator"]).get(reverse("sites:geojson"), params)
    assert codes(response) == expected


def test_area_and_responsible_filters_take_subtrees(
    org: dict[str, Any], users: dict[str, Any], sites: Any
) -> None:
    client = client_for(users["coordinator"])
    url = reverse("sites:geojson")
    assert codes(client.get(url, {"area": org["west"].pk})) == {"P0001", "P0002"}
    assert codes(client.get(url, {"area": org["east_c"].pk})) == {"P0003"}
    assert codes(client.get(url, {"responsible": org["east"].pk})) == {"P0003"}
    assert codes(client.get(url, {"responsible": org["dept"].pk})) == set()


def test_filter_by_unit_outside_scope_finds_nothing_extra(
    org: dict[str, Any], users: dict[str, Any], sites: Any
) -> None:
    client = client_for(users["west_handler"])
    response = client.get(reverse("sites:list"), {"area": org["east"].pk})
    assert response.status_code == 200
    assert "东门老旧小区" not in response.content.decode()
    assert "P0003" not in codes(client.get(reverse("sites:geojson"), {"area": org["east"].pk}))


def test_geojson_is_scoped(users: dict[str, Any], sites: dict[str, Any]) -> None:
    url = reverse("sites:geojson")
    assert codes(client_for(users["coordinator"]).get(url)) == {"P0001", "P0002", "P0003"}
    west = client_for(users["west_handler"]).get(url)
    assert west["Content-Type"] == "application/geo+json"
    assert codes(west) == {"P0001", "P0002"}
    feature = west.json()["features"][0]
    assert feature["geometry"]["type"] == "Point"
    assert feature["properties"]["url"] == reverse("sites:detail", args=[sites["west_road"].pk])


def test_htmx_request_gets_results_only(users: dict[str, Any], sites: dict[str, Any]) -> None:
    response = client_for(users["coordinator"]).get(
        reverse("sites:list"), {"q": "东门"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert "<html" not in html
    assert "东门老旧小区" in html and "西湖大道" not in html
    assert 'data-sites-url="/sites/sites.geojson?q=' in html


def test_pagination_fifty_per_page(org: dict[str, Any], users: dict[str, Any]) -> None:
    from chuangwen.sites.models import Site

    Site.objects.bulk_create(
        Site(
            code=f"Q{i:04d}",
            name=f"测试点位{i}",
            site_type="ZD",
            lng=120.01,
            lat=30.01,
            area_unit=org["west_c"],
            responsible_unit=org["west"],
        )
        for i in range(60)
    )
    client = client_for(users["coordinator"])
    first = client.get(reverse("sites:list")).content.decode()
    assert "共 60 个点位" in first and "第 1 / 2 页" in first
    assert first.count("测试点位") == 50
    second = client.get(reverse("sites:list"), {"page": 2}).content.decode()
    assert second.count("测试点位") == 10
    assert len(client.get(reverse("sites:geojson")).json()["features"]) == 60


def test_detail_in_scope(org: dict[str, Any], users: dict[str, Any], sites: dict[str, Any]) -> None:
    site = sites["west_market"]
    site.area_note = "点位落在柳浪社区边界内"
    site.save()
    response = client_for(users["west_handler"]).get(reverse("sites:detail", args=[site.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "柳浪农贸市场",
        "P0002",
        "柳浪社区",
        "西湖街道",
        "农贸周边",
        "点位落在柳浪社区边界内",
        "120.030000",
    ):
        assert text in html
    assert 'id="site-geo"' in html and 'id="site-outlines"' in html


def test_detail_outside_scope_is_404(users: dict[str, Any], sites: dict[str, Any]) -> None:
    response = client_for(users["west_handler"]).get(reverse("sites:detail", args=[sites["east_estate"].pk]))
    assert response.status_code == 404
    assert client_for(users["west_handler"]).get(reverse("sites:detail", args=[999999])).status_code == 404


def test_department_sees_the_sites_it_answers_for(
    org: dict[str, Any], users: dict[str, Any], sites: Any
) -> None:
    from chuangwen.sites.models import Site

    road = Site.objects.create(
        code="P0100",
        name="东城路",
        site_type="ZD",
        lng=120.07,
        lat=30.02,
        area_unit=org["east"],
        responsible_unit=org["dept"],
    )
    client = client_for(users["dept_handler"])
    assert codes(client.get(reverse("sites:geojson"))) == {"P0100"}
    html = client.get(reverse("sites:detail", args=[road.pk])).content.decode()
    assert "东城路" in html
    # the area street is outside the department's scope: named, but neither linked nor outlined
    assert reverse("org:detail", args=[org["east"].pk]) not in html


def test_pages_need_login(sites: dict[str, Any]) -> None:
    client = Client()
    for url in (
        reverse("sites:list"),
        reverse("sites:geojson"),
        reverse("sites:detail", args=[sites["west_road"].pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("accounts:login") in response["Location"]


def test_tile_layer_when_configured(users: dict[str, Any], sites: dict[str, Any], settings: Any) -> None:
    settings.MAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "示例底图"
    html = client_for(users["coordinator"]).get(reverse("sites:list")).content.decode()
    assert 'data-tile-url="https://tiles.example.org/{z}/{x}/{y}.png"' in html
    assert "示例底图" in html and "未配置底图" not in html
