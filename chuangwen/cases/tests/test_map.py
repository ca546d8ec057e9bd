"""The case map: GeoJSON points coloured by traffic light, the worklist filters, scope and the cap."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from chuangwen.cases import casemap
from chuangwen.cases.models import CaseState
from chuangwen.cases.tests.case_fixtures import make_case
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db
S = CaseState
WEST = {"lat": 30.05, "lng": 120.02}
EAST = {"lat": 30.06, "lng": 120.07}


@pytest.fixture
def lit(org):
    now = timezone.now()
    return {
        "red": make_case(
            S.DISPATCHED,
            org["east"],
            opened_at=now - timedelta(days=30),
            deadline=now - timedelta(days=1),
            **EAST,
        ),
        "green": make_case(S.ACCEPTED, org["west"], deadline=now + timedelta(days=60), **WEST),
        "grey": make_case(S.NEW, org["west"], area=org["west_c"], **WEST),
        "closed": make_case(S.CLOSED, org["west"], deadline=now + timedelta(days=60), **WEST),
        "nowhere": make_case(S.ACCEPTED, org["west"], deadline=now + timedelta(days=60)),
    }


def features(client, url="/cases/map.geojson"):
    response = client.get(url)
    assert response.status_code == 200
    return {feature["properties"]["code"]: feature for feature in response.json()["features"]}


def test_it_colours_open_cases_by_traffic_light(people, lit):
    found = features(client_for(people["coordinator"]))
    assert set(found) == {lit["red"].code, lit["green"].code, lit["grey"].code}
    props = {code: feature["properties"] for code, feature in found.items()}
    assert props[lit["red"].code]["light"] == "red" and props[lit["red"].code]["color"] == "#b3261e"
    assert props[lit["green"].code]["color"] == casemap.LIGHT_COLORS["green"]
    assert props[lit["grey"].code]["light"] == "" and props[lit["grey"].code]["color"] == "#8a94a3"
    red = found[lit["red"].code]
    assert red["geometry"] == {"type": "Point", "coordinates": [120.07, 30.06]}
    assert "责任单位：东城街道" in red["properties"]["lines"]
    assert red["properties"]["url"] == f"/cases/{lit['red'].pk}/"


def test_it_applies_the_worklist_filters(people, org, lit):
    client = client_for(people["coordinator"])
    assert set(features(client, "/cases/map.geojson?light=red")) == {lit["red"].code}
    assert set(features(client, f"/cases/map.geojson?unit={org['west'].pk}")) == {lit["green"].code}
    page = client.get("/cases/map/?light=red").content.decode()
    assert "/cases/map.geojson?light=red" in page and 'data-total="1"' in page


def test_it_keeps_to_the_viewers_scope(people, org, lit):
    assert set(features(client_for(people["east_handler"]))) == {lit["red"].code}
    west_coord = make_user("west_coord", "coordinator", org["west"])
    assert set(features(client_for(west_coord))) == {lit["green"].code, lit["grey"].code}
    # A unit outside the scope is not a valid filter: nothing of it is shown.
    assert lit["red"].code not in features(
        client_for(west_coord), f"/cases/map.geojson?unit={org['east'].pk}"
    )


def test_it_caps_the_points_and_says_so(people, lit, monkeypatch):
    monkeypatch.setattr(casemap, "MAX_FEATURES", 2)
    client = client_for(people["coordinator"])
    body = client.get("/cases/map.geojson").json()
    assert (len(body["features"]), body["total"], body["truncated"]) == (2, 3, True)
    page = client.get("/cases/map/").content.decode()
    assert 'id="map-truncated"' in page and "只显示期限最早的 2 件" in page


def test_it_answers_the_api_with_the_same_points(people, lit):
    client = client_for(people["coordinator"])
    body = client.get("/api/v1/cases/geojson?light=green").json()
    assert body["type"] == "FeatureCollection" and body["truncated"] is False
    assert [feature["properties"]["code"] for feature in body["features"]] == [lit["green"].code]
    handler = client_for(people["east_handler"]).get("/api/v1/cases/geojson").json()
    assert [feature["properties"]["code"] for feature in handler["features"]] == [lit["red"].code]


def test_it_shows_the_map_page_with_its_legend(people, lit):
    response = client_for(people["east_handler"]).get("/cases/map/")
    page = response.content.decode()
    assert 'id="case-map"' in page and 'data-legend-json="case-map-legend"' in page
    assert "vendor/leaflet/leaflet.js" in page
    assert [label for _colour, label in response.context["legend"]] == ["红灯", "黄灯", "绿灯", "无期限"]
