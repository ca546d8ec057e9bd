"""Fixtures of the Open311 tests: the conftest district, the seeded categories, one integration with a key."""

from __future__ import annotations

import json
import uuid
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.test import Client

from chuangwen.open311 import services
from chuangwen.open311.models import Integration
from chuangwen.reports import services as report_services
from chuangwen.reports.categories import seed
from chuangwen.reports.models import CitizenReport, ReportCategory

BASE = "/open311/v2"
# Inside the west street (S01) and the east street (S02) of conftest's district (WGS-84).
WEST = (30.05, 120.02)
EAST = (30.06, 120.07)
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


@pytest.fixture
def categories(org: dict[str, Any]) -> dict[str, ReportCategory]:
    """The starter categories over conftest's district (reports are located in its streets)."""
    seed(ReportCategory)
    return {c.code: c for c in ReportCategory.objects.all()}


@pytest.fixture
def integration(db: Any) -> tuple[Integration, str]:
    integration = Integration(name="12345 热线平台", organisation="市政务服务中心")
    key = services.issue_key(integration)
    return integration, key


def submit(category: ReportCategory, where: tuple[float, float] = WEST, **extra: Any) -> CitizenReport:
    """A report through the web contract (not Open311)."""
    values: dict[str, Any] = {
        "category": category,
        "description": extra.pop("description", "小区门口垃圾堆放多日无人清理"),
        "lat": where[0],
        "lng": where[1],
        "client_id": extra.pop("client_id", uuid.uuid4()),
    }
    values.update(extra)
    return report_services.submit_report(**values)


def post(client: Client, key: str | None, fmt: str = "json", **fields: Any) -> Any:
    data: dict[str, Any] = {
        "service_code": "garbage",
        "lat": str(WEST[0]),
        "long": str(WEST[1]),
        "description": "东门口垃圾桶满溢三天没人清运",
    }
    if key is not None:
        data["api_key"] = key
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(f"{BASE}/requests.{fmt}", data)


def body(response: Any) -> Any:
    """The parsed answer: JSON as is; XML as the element tree's root."""
    if response["Content-Type"].startswith("application/json"):
        return json.loads(response.content)
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(response.content)


def errors(response: Any) -> list[tuple[int, str]]:
    """The spec's errors body in either format, as (code, description) pairs."""
    parsed = body(response)
    if isinstance(parsed, list):
        assert all(list(item) == ["code", "description"] for item in parsed)
        return [(item["code"], item["description"]) for item in parsed]
    assert parsed.tag == "errors"
    pairs = []
    for error in parsed:
        assert error.tag == "error"
        assert [child.tag for child in error] == ["code", "description"]
        pairs.append((int(error.findtext("code") or 0), error.findtext("description") or ""))
    return pairs
