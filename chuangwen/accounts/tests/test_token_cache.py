"""A token's owner kept per process (accounts/token_cache.py): faster, never stale on what decides access."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from chuangwen.accounts.models import ApiToken
from chuangwen.accounts.services import issue_token, revoke_token, user_for_token

pytestmark = pytest.mark.django_db


def site_codes(key: str) -> set[str] | int:
    response = Client().get("/api/v1/sites", HTTP_AUTHORIZATION=f"Token {key}")
    if response.status_code != 200:
        return response.status_code
    return {item["code"] for item in response.json()["items"]}


def test_it_serves_the_owner_from_the_cache_with_one_query(users: dict[str, Any]) -> None:
    key = issue_token(users["east_handler"], "手机")
    assert user_for_token(key) == users["east_handler"]
    with CaptureQueriesContext(connection) as queries:
        assert user_for_token(key) == users["east_handler"]
    assert len(queries) == 1  # the token check itself; the owner came from the cache


def test_it_loads_the_owner_every_time_when_the_cache_is_off(users: dict[str, Any], settings: Any) -> None:
    settings.API_TOKEN_CACHE_SECONDS = 0
    key = issue_token(users["east_handler"], "手机")
    user_for_token(key)
    with CaptureQueriesContext(connection) as queries:
        assert user_for_token(key) == users["east_handler"]
    assert len(queries) == 2


def test_it_follows_a_move_to_another_unit_at_once(
    users: dict[str, Any], org: dict[str, Any], sites: Any
) -> None:
    handler = users["west_handler"]
    key = issue_token(handler, "手机")
    west = site_codes(key)
    assert isinstance(west, set) and "P0001" in west  # 西湖大道, a west site
    handler.unit = org["east"]
    handler.save()
    east = site_codes(key)
    assert isinstance(east, set) and "P0001" not in east


def test_it_follows_a_change_of_role_at_once(users: dict[str, Any]) -> None:
    key = issue_token(users["east_handler"], "手机")
    assert user_for_token(key).role == "handler"  # type: ignore[union-attr]
    users["east_handler"].role = "unit_head"
    users["east_handler"].save()
    assert user_for_token(key).role == "unit_head"  # type: ignore[union-attr]


def test_it_refuses_a_cached_owner_once_revoked_or_deactivated(users: dict[str, Any], sites: Any) -> None:
    handler = users["east_handler"]
    key, spare = issue_token(handler, "手机"), issue_token(handler, "备用")
    assert isinstance(site_codes(key), set) and isinstance(site_codes(spare), set)
    revoke_token(ApiToken.objects.get(name="手机"))
    assert site_codes(key) == 401
    handler.is_active = False
    handler.save()
    assert site_codes(spare) == 401


def test_it_gives_each_request_its_own_copy(users: dict[str, Any]) -> None:
    key = issue_token(users["east_handler"], "手机")
    first = user_for_token(key)
    assert first is not None
    first.full_name = "被某个视图改过"
    first._scope_cache = "stale"  # type: ignore[attr-defined]
    second = user_for_token(key)
    assert second is not None and second is not first
    assert second.full_name == "east_handler" and not hasattr(second, "_scope_cache")
    assert second.unit is not first.unit and second.unit == users["east_handler"].unit
    second.full_name = "又改了一次"  # this one came from the cache: the cache keeps its own
    third = user_for_token(key)
    assert third is not None and third.full_name == "east_handler"
