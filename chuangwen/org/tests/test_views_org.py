"""Unit tree, unit page and boundaries GeoJSON: right content for the right people, nothing outside scope."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import client_for

pytestmark = pytest.mark.django_db


def test_tree_shows_whole_district_to_coordinator(users: dict[str, Any], sites: dict[str, Any]) -> None:
    response = client_for(users["coordinator"]).get(reverse("org:tree"))
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("文明区", "西湖街道", "东城街道", "柳浪社区", "东门社区", "区城管局"):
        assert name in html
    assert "组织机构" in html
    assert "<details" in html
    assert "城管" in html  # duty tag of the department
    assert "点位 3 个" in html  # the district holds all three sites by area


def test_tree_of_street_handler_is_his_street_only(users: dict[str, Any], sites: dict[str, Any]) -> None:
    html = client_for(users["west_handler"]).get(reverse("org:tree")).content.decode()
    assert "西湖街道" in html and "柳浪社区" in html
    assert "东城街道" not in html and "东门社区" not in html and "文明区" not in html
    assert "点位 2 个" in html


def test_tree_counts_department_sites_by_responsibility(org: dict[str, Any], users: dict[str, Any]) -> None:
    from chuangwen.sites.models import Site

    Site.objects.create(
        code="P0100",
        name="东城路",
        site_type="ZD",
        lng=120.07,
        lat=30.02,
        area_unit=org["east"],
        responsible_unit=org["dept"],
    )
    html = client_for(users["dept_handler"]).get(reverse("org:tree")).content.decode()
    assert "区城管局" in html and "责任点位 1 个" in html
    assert "西湖街道" not in html


def test_unit_detail_in_scope(org: dict[str, Any], users: dict[str, Any], sites: dict[str, Any]) -> None:
    response = client_for(users["west_handler"]).get(reverse("org:detail", args=[org["west"].pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "西湖街道" in html and "S01" in html and "柳浪社区" in html
    # the breadcrumb never shows units above the viewer's own unit
    assert "文明区" not in html


def test_unit_detail_outside_scope_is_404(org: dict[str, Any], users: dict[str, Any]) -> None:
    client = client_for(users["west_handler"])
    for unit in ("east", "east_c", "district", "city", "dept"):
        assert client.get(reverse("org:detail", args=[org[unit].pk])).status_code == 404


def test_pages_need_login(org: dict[str, Any]) -> None:
    client = Client()
    for url in (reverse("org:tree"), reverse("org:detail", args=[org["west"].pk]), reverse("org:boundaries")):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("accounts:login") in response["Location"]


def names(response: Any) -> set[str]:
    return {f["properties"]["name"] for f in response.json()["features"]}


def test_boundaries_geojson_scoped(org: dict[str, Any], users: dict[str, Any]) -> None:
    url = reverse("org:boundaries")
    coordinator = client_for(users["coordinator"]).get(url)
    assert coordinator.status_code == 200
    assert coordinator["Content-Type"] == "application/geo+json"
    assert coordinator.json()["type"] == "FeatureCollection"
    assert names(coordinator) == {"文明区", "西湖街道", "东城街道"}
    assert names(client_for(users["west_handler"]).get(url)) == {"西湖街道"}
    assert names(client_for(users["dept_handler"]).get(url)) == set()


def test_boundaries_of_one_unit(org: dict[str, Any], users: dict[str, Any]) -> None:
    url = reverse("org:boundaries")
    client = client_for(users["coordinator"])
    assert names(client.get(url, {"unit": org["east"].pk})) == {"东城街道"}
    west = client_for(users["west_handler"])
    assert west.get(url, {"unit": org["east"].pk}).status_code == 404
    assert west.get(url, {"unit": "x"}).status_code == 404
