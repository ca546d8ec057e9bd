"""GET /api/v1/sites: the registry's filters, limit/offset pages, scope and authentication."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from conftest import client_for

pytestmark = pytest.mark.django_db


def codes(response: Any) -> set[str]:
    assert response.status_code == 200, response.content
    return {s["code"] for s in response.json()["items"]}


def test_list_for_coordinator(users: dict[str, Any], sites: dict[str, Any]) -> None:
    response = client_for(users["coordinator"]).get("/api/v1/sites")
    body = response.json()
    assert body["count"] == 3 and body["limit"] == 50 and body["offset"] == 0
    road = next(s for s in body["items"] if s["code"] == "P0001")
    assert road["area_unit"]["name"] == "柳浪社区" and road["responsible_unit"]["name"] == "西湖街道"
    assert road["declared"] is True and road["lng"] == 120.02


def test_list_is_scoped(users: dict[str, Any], sites: dict[str, Any]) -> None:
    response = client_for(users["west_handler"]).get("/api/v1/sites")
    assert codes(response) == {"P0001", "P0002"}
    assert response.json()["count"] == 2


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "农贸"}, {"P0002"}),
        ({"site_type": "LJ"}, {"P0003"}),
        ({"declared": "true"}, {"P0001"}),
        ({"declared": "false"}, {"P0002", "P0003"}),
        ({"risk": "老旧小区"}, {"P0003"}),
        ({"active": "true"}, {"P0001", "P0002", "P0003"}),
    ],
)
def test_filters(users: dict[str, Any], sites: Any, params: dict[str, str], expected: set[str]) -> None:
    assert codes(client_for(users["coordinator"]).get("/api/v1/sites", params)) == expected


def test_unit_filters(org: dict[str, Any], users: dict[str, Any], sites: Any) -> None:
    client = client_for(users["coordinator"])
    assert codes(client.get("/api/v1/sites", {"area": org["east"].pk})) == {"P0003"}
    assert codes(client.get("/api/v1/sites", {"responsible": org["west"].pk})) == {"P0001", "P0002"}


def test_filter_by_unit_outside_scope_is_refused(
    org: dict[str, Any], users: dict[str, Any], sites: Any
) -> None:
    response = client_for(users["west_handler"]).get("/api/v1/sites", {"area": org["east"].pk})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "area"]


def test_limit_offset(users: dict[str, Any], sites: Any) -> None:
    client = client_for(users["coordinator"])
    first = client.get("/api/v1/sites", {"limit": 2}).json()
    second = client.get("/api/v1/sites", {"limit": 2, "offset": 2}).json()
    assert first["count"] == second["count"] == 3
    assert [s["code"] for s in first["items"]] == ["P0001", "P0002"]
    assert [s["code"] for s in second["items"]] == ["P0003"]
    assert client.get("/api/v1/sites", {"limit": 0}).status_code == 422
    assert client.get("/api/v1/sites", {"limit": 501}).status_code == 422


def test_detail(users: dict[str, Any], sites: dict[str, Any]) -> None:
    response = client_for(users["west_handler"]).get(f"/api/v1/sites/{sites['west_market'].pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "柳浪农贸市场" and body["risk_tags"] == ["农贸周边"] and body["polygon"] is None


def test_detail_outside_scope_is_404(users: dict[str, Any], sites: dict[str, Any]) -> None:
    client = client_for(users["west_handler"])
    assert client.get(f"/api/v1/sites/{sites['east_estate'].pk}").status_code == 404
    assert client.get("/api/v1/sites/999999").status_code == 404


def test_unauthenticated_is_401(sites: dict[str, Any]) -> None:
    assert Client().get("/api/v1/sites").status_code == 401
    assert Client().get(f"/api/v1/sites/{sites['west_road'].pk}").status_code == 401
    assert Client().get("/api/v1/sites", HTTP_AUTHORIZATION="Token wrong").status_code == 401


def test_token_is_scoped_too(users: dict[str, Any], sites: dict[str, Any]) -> None:
    from chuangwen.accounts.services import issue_token

    key = issue_token(users["east_handler"], "手机")
    response = Client().get("/api/v1/sites", HTTP_AUTHORIZATION=f"Token {key}")
    assert codes(response) == {"P0003"}
    response = Client().get(f"/api/v1/sites/{sites['west_road'].pk}", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 404
