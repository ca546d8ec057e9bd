"""GET requests and the triage list: the number of queries does not grow with the number of requests."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from chuangwen.cases import services as case_services
from chuangwen.cases.tests.case_fixtures import make_photo
from chuangwen.open311.tests.open311_fixtures import BASE, EAST, categories, submit  # noqa: F401
from chuangwen.reports import triage

pytestmark = pytest.mark.django_db


def _one_of_each(categories: dict[str, Any], users: dict[str, Any], org: dict[str, Any]) -> None:  # noqa: F811
    coordinator, handler = users["coordinator"], users["west_handler"]
    submit(categories["garbage"])  # new
    closed = submit(categories["garbage"])
    triage.accept_report(closed, coordinator, org["west"])
    case_services.apply(closed.case, "accept", handler)
    case_services.apply(closed.case, "rectify", handler, reason="已清理", photos=[make_photo(handler)])
    case_services.apply(closed.case, "verify_pass", users["verifier"])
    rejected = submit(categories["parking"], EAST, description="门口停满了电动车堵住通道")
    triage.reject_report(rejected, coordinator, "该处为小区内部道路，请联系物业")
    kept = submit(categories["garbage"])
    duplicate = submit(categories["garbage"])
    triage.mark_duplicate(duplicate, coordinator, kept.tracking_code)


def _count(client: Client, path: str, data: dict[str, str]) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, data)
    assert response.status_code == 200
    return len(queries)


def test_the_request_list_does_not_query_per_request(
    client: Client,
    categories: Any,  # noqa: F811
    users: dict[str, Any],
    org: dict[str, Any],
) -> None:
    _one_of_each(categories, users, org)
    before = _count(client, f"{BASE}/requests.json", {"extensions": "true"})
    _one_of_each(categories, users, org)
    _one_of_each(categories, users, org)
    assert _count(client, f"{BASE}/requests.json", {"extensions": "true"}) == before


def test_the_triage_list_does_not_query_per_report(
    client: Client,
    categories: Any,  # noqa: F811
    users: dict[str, Any],
    org: dict[str, Any],
) -> None:
    _one_of_each(categories, users, org)
    client.force_login(users["coordinator"])
    client.get("/reports/triage/")  # the session's first request does its own bookkeeping
    before = _count(client, "/reports/triage/", {"tab": "all"})
    _one_of_each(categories, users, org)
    _one_of_each(categories, users, org)
    assert _count(client, "/reports/triage/", {"tab": "all"}) == before
