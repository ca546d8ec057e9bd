"""The web pages bound the numbers and dates they read from the address: an id in the path, ``?page=``,
``?min=``, ``?unit=``, ``?case=``, ``?period=month:…`` and the Open311 paging never answer 500."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

HUGE = "60190102081118010343424"
# "²" and "①" are digits to str.isdigit() but not to int(); the rest are too large, negative or no number.
BAD_NUMBERS = (HUGE, "-" + HUGE, "-1", "0", "abc", "²", "①", "1e400", "9" * 5000)


def _routes(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route.startswith(("admin/", "api/")):
                continue  # the admin is Django's; the API has its own walk (test_api_bounds)
            yield from _routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and "<int:" in route:
            yield route


INT_ROUTES = sorted(set(_routes(get_resolver().url_patterns)))


def _fill(route: str, number: str) -> str:
    path = re.sub(r"<int:\w+>", number, route)
    path = re.sub(r"<str:fmt>", "xlsx", path)
    path = re.sub(r"<str:action>", "accept", path)
    return "/" + re.sub(r"<\w+:\w+>", "x", path)


@pytest.fixture
def coordinator_client(users: dict[str, Any]) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(users["coordinator"])
    return client


def test_it_walks_the_pages_with_ids_in_their_path() -> None:
    assert "cases/<int:pk>/" in INT_ROUTES and "rankings/unit/<int:unit_id>/act/" in INT_ROUTES


@pytest.mark.parametrize("route", INT_ROUTES)
def test_it_bounds_the_ids_in_every_page_path(route: str, coordinator_client: Client) -> None:
    for number in (HUGE, "9" * 5000):
        response = coordinator_client.get(_fill(route, number))
        assert response.status_code < 500, (number, response.status_code)


QUERY_PARAMS = [
    ("/cases/", "page"),
    ("/cases/", "unit"),
    ("/cases/map.geojson", "unit"),
    ("/cases/disputes/", "min"),
    ("/inbox/", "page"),
    ("/sites/", "page"),
    ("/rounds/new/", "standard"),
    ("/org/boundaries.geojson", "unit"),
    ("/rankings/unit/1/act/", "case"),
    ("/rankings/unit/1/act/whatif/", "case"),
    ("/open311/v2/requests.json", "page"),
    ("/open311/v2/requests.json", "page_size"),
    ("/open311/v2/requests.json", "service_request_id"),
]


@pytest.mark.parametrize(("url", "name"), QUERY_PARAMS)
def test_it_bounds_every_numeric_page_parameter(url: str, name: str, coordinator_client: Client) -> None:
    """``?page=9999999999999999999999``, ``?min=²`` and the like: a page or a 4xx, never a 500."""
    for number in BAD_NUMBERS:
        response = coordinator_client.get(url, {name: number})
        assert response.status_code < 500, (number, response.status_code)


def test_it_refuses_an_open311_request_id_that_is_no_number(coordinator_client: Client) -> None:
    for number in ("²", HUGE):
        assert coordinator_client.get(f"/open311/v2/requests/{number}.json").status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"period": "month:9999-12"},
        {"period": "month:0001-01"},
        {"period": "round:²"},
        {"period": f"round:{HUGE}"},
    ],
)
def test_it_bounds_the_ranking_period(query: dict[str, str], coordinator_client: Client) -> None:
    """``month:9999-12`` has no following month: it once answered 500 instead of naming the period."""
    response = coordinator_client.get("/rankings/compute/", query)
    assert response.status_code < 500
    api = coordinator_client.get("/api/v1/rankings/preview", {**query, "level": "street"})
    assert api.status_code < 500 and "period" in api.content.decode()


@pytest.mark.parametrize("name", ["start_date", "end_date"])
def test_it_bounds_the_open311_dates(name: str, coordinator_client: Client) -> None:
    for day in ("9999-12-31", "0001-01-01"):
        response = coordinator_client.get("/open311/v2/requests.json", {name: day})
        assert response.status_code == 400, (day, response.status_code)
        assert name in response.content.decode()


def test_it_bounds_the_heat_map_dates(coordinator_client: Client) -> None:
    response = coordinator_client.get("/dashboards/heatmap/", {"since": "9956-01-01"})
    assert response.status_code == 200
    assert "开始日期须在" in response.content.decode()
    assert coordinator_client.get("/dashboards/heatmap.json", {"until": "0001-01-01"}).status_code == 200
