"""GET /api/v1/units: the caller's subtree only; other units are not found."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from conftest import client_for

pytestmark = pytest.mark.django_db


def test_coordinator_lists_district_subtree(org: dict[str, Any], users: dict[str, Any]) -> None:
    response = client_for(users["coordinator"]).get("/api/v1/units")
    assert response.status_code == 200
    body = response.json()
    assert {u["code"] for u in body} == {"D01", "S01", "S02", "S01C01", "S02C01", "D01B01"}
    district = next(u for u in body if u["code"] == "D01")
    assert district["parent_id"] is None  # the city lies outside the caller's scope
    assert district["kind"] == "district" and district["kind_label"] == "区" and district["has_boundary"]
    dept = next(u for u in body if u["code"] == "D01B01")
    assert dept["duty_tags"] == ["城管"] and dept["parent_id"] == org["district"].pk


def test_filters(users: dict[str, Any]) -> None:
    client = client_for(users["coordinator"])
    assert {u["code"] for u in client.get("/api/v1/units", {"kind": "street"}).json()} == {"S01", "S02"}
    assert {u["code"] for u in client.get("/api/v1/units", {"q": "东"}).json()} == {"S02", "S02C01"}


def test_street_handler_sees_his_street(org: dict[str, Any], users: dict[str, Any]) -> None:
    body = client_for(users["west_handler"]).get("/api/v1/units").json()
    assert {u["code"] for u in body} == {"S01", "S01C01"}


def test_detail(org: dict[str, Any], users: dict[str, Any]) -> None:
    response = client_for(users["west_handler"]).get(f"/api/v1/units/{org['west'].pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "西湖街道" and body["boundary"]["type"] == "Polygon"
    assert body["children"] == [org["west_c"].pk]
    assert body["parent_id"] is None


def test_other_units_are_not_found(org: dict[str, Any], users: dict[str, Any]) -> None:
    client = client_for(users["west_handler"])
    for name in ("east", "east_c", "district", "city", "dept"):
        assert client.get(f"/api/v1/units/{org[name].pk}").status_code == 404
    assert client.get("/api/v1/units/999999").status_code == 404


def test_unauthenticated_is_401(org: dict[str, Any]) -> None:
    assert Client().get("/api/v1/units").status_code == 401
    assert Client().get(f"/api/v1/units/{org['west'].pk}").status_code == 401
