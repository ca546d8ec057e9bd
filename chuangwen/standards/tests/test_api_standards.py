"""GET /api/v1/standards: versions with their site types and check items."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from chuangwen.standards.tests.test_views_standards import standard  # noqa: F401  (fixture)
from conftest import client_for

pytestmark = pytest.mark.django_db


def test_list(users: dict[str, Any], standard: Any) -> None:  # noqa: F811
    body = client_for(users["west_handler"]).get("/api/v1/standards").json()
    assert [(s["code"], s["version"]) for s in body] == [("QGWMCS", 2), ("QGWMCS", 1)]
    assert body[0]["is_active"] is True and body[0]["frozen"] is None  # secret-round hint hidden
    assert body[0]["site_type_count"] == 1 and body[0]["item_count"] == 2


def test_it_shows_the_freeze_to_coordinators_only(users: dict[str, Any], standard: Any) -> None:  # noqa: F811
    assert client_for(users["coordinator"]).get("/api/v1/standards").json()[0]["frozen"] is False
    detail = client_for(users["leader"]).get(f"/api/v1/standards/{standard.pk}").json()
    assert detail["frozen"] is None and detail["frozen_reason"] is None


def test_detail(users: dict[str, Any], standard: Any) -> None:  # noqa: F811
    response = client_for(users["east_handler"]).get(f"/api/v1/standards/{standard.pk}")
    assert response.status_code == 200
    body = response.json()
    (road,) = body["site_types"]
    assert road["code"] == "ZD" and road["weight"] == 1.2
    first, veto = road["items"]
    assert first["deduct"] == 0.5 and first["cap"] == 3.0 and first["mode_label"] == "按处扣分"
    assert veto["mode"] == "veto" and veto["cap"] is None and veto["severity_label"] == "严重"
    assert veto["deadline_days"] == 5 and veto["duty"] == "宣传"


def test_missing_is_404(users: dict[str, Any]) -> None:
    assert client_for(users["east_handler"]).get("/api/v1/standards/9999").status_code == 404


def test_unauthenticated_is_401(standard: Any) -> None:  # noqa: F811
    assert Client().get("/api/v1/standards").status_code == 401
    assert Client().get(f"/api/v1/standards/{standard.pk}").status_code == 401
