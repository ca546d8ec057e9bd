"""The OpenAPI schema and the docs page, which must work without any outside network."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db


def test_openapi_schema_lists_the_endpoints() -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "创文 API"
    for path in (
        "/api/v1/units",
        "/api/v1/units/{unit_id}",
        "/api/v1/sites",
        "/api/v1/sites/{site_id}",
        "/api/v1/standards",
        "/api/v1/standards/{standard_id}",
    ):
        assert path in schema["paths"], path
    text = json.dumps(schema, ensure_ascii=False)
    assert "所在区域单位 ID" in text and "点位编码" in text  # Chinese descriptions


def test_docs_page_loads_no_outside_asset(users: dict[str, Any]) -> None:
    client = Client()
    client.force_login(users["coordinator"])
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources
    for source in sources:
        assert not source.startswith(("http:", "https:", "//")), source
        if source.startswith("/static/"):
            assert finders.find(source.removeprefix("/static/")), source
