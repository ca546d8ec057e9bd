"""The dashboards' read cache: a second read is served from it, a change or a publication makes it stale, and
one unit's cached figures never reach another unit's user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import client_for

pytestmark = pytest.mark.django_db
URL = "/api/v1/dashboards/overview"


@pytest.fixture(autouse=True)
def _cache_on(settings: Any) -> Iterator[None]:
    settings.DASHBOARD_CACHE_SECONDS = 60
    cache.clear()
    yield
    cache.clear()


def read(client: Any) -> tuple[dict[str, Any], int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    return response.json(), len(queries)


def test_it_serves_the_second_read_from_the_cache(world: dict[str, Any], users: dict[str, Any]) -> None:
    from chuangwen.cases.models import Case

    client = client_for(users["leader"])
    first, first_queries = read(client)
    # Behind the cache's back (a bulk update sends no signal): the cached figures are still served.
    Case.objects.filter(pk=world["cases"]["c5"].pk).update(state="rejected")
    second, second_queries = read(client)
    assert second == first
    assert second_queries <= 4 < first_queries  # session, user, generation; no figure recomputed
    assert client.get("/dashboards/data.json").json() == first


def test_it_recomputes_after_a_case_changes(world: dict[str, Any], users: dict[str, Any]) -> None:
    from chuangwen.cases import services as case_services

    client = client_for(users["leader"])
    before, _ = read(client)
    case_services.apply(world["cases"]["c5"], "reject", users["coordinator"], reason="不属于创文范围")
    after, _ = read(client)
    assert after["indicators"]["open_cases"] == before["indicators"]["open_cases"] - 1


def test_it_recomputes_after_a_round_is_published(world: dict[str, Any], users: dict[str, Any]) -> None:
    from chuangwen.rounds.services import publish_round

    client = client_for(users["leader"])
    before, _ = read(client)
    publish_round(world["rounds"]["r3"], users["coordinator"], confirm_missing=True)
    after, _ = read(client)
    assert after["indicators"]["mean_score"] != before["indicators"]["mean_score"]
    assert any(row["score"] == 10 for row in after["worst_sites"])  # the newly published visit


def test_it_never_serves_one_units_cached_figures_to_another(world: dict[str, Any]) -> None:
    west_client = client_for(world["west_coord"])
    west, _ = read(west_client)
    east, _ = read(client_for(world["east_coord"]))  # same role, other street, right after
    assert west["unit"]["name"] == "西湖街道" and east["unit"]["name"] == "东城街道"
    assert east != west
    assert all("西湖" not in str(row) for row in east["worst_sites"])
    again, queries = read(west_client)
    assert again == west and queries <= 4
