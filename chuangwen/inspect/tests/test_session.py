"""What the server gives the phone app to bind its offline data to the session, and what logout tells the
browser to wipe (docs/security.md, "Phone app data after logout")."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from django.test import Client

from chuangwen.inspect.session import APP_SESSION_COOKIE
from chuangwen.inspect.tests.phone import phone_round  # noqa: F401  (fixture)
from chuangwen.inspect.tests.test_views import script_json
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_TIME = datetime.datetime(2026, 12, 1, 8, 0, tzinfo=datetime.UTC)


def logged_in(username: str = "inspector") -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_it_binds_the_app_to_the_session_and_its_absolute_end(users: dict[str, Any], settings: Any) -> None:
    settings.SESSION_ABSOLUTE_SECONDS = 12 * 3600
    settings.SESSION_IDLE_SECONDS = 24 * 3600  # the two hours below are not idle time here
    with time_machine.travel(LOGIN_TIME, tick=False):
        client = logged_in()
    with time_machine.travel(LOGIN_TIME + datetime.timedelta(hours=2), tick=False):
        response = client.get("/m/")
    session = script_json(response.content.decode(), "config")["session"]
    end = LOGIN_TIME + datetime.timedelta(hours=12)
    assert session["expires_at"] == int(end.timestamp() * 1000)
    assert session["cookie"] == APP_SESSION_COOKIE
    assert len(session["key"]) == 32
    # The page can read the same key offline; the cookie lives as long as the session may.
    cookie = response.cookies[APP_SESSION_COOKIE]
    assert (cookie.value, cookie["path"], cookie["max-age"]) == (session["key"], "/m/", 10 * 3600)
    assert not cookie["httponly"]
    assert session["key"] not in {client.session.session_key, ""}

    # Another login (same user) is another session with another key.
    with time_machine.travel(LOGIN_TIME + datetime.timedelta(hours=3), tick=False):
        again = script_json(logged_in().get("/m/").content.decode(), "config")["session"]
    assert again["key"] != session["key"]


def test_it_clears_the_phone_app_data_at_logout(users: dict[str, Any]) -> None:
    client = logged_in()
    client.get("/m/")
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "storage"'
    cookie = response.cookies[APP_SESSION_COOKIE]
    assert (cookie.value, cookie["path"], cookie["max-age"]) == ("", "/m/", 0)
    # Only the POST logs out; the confirmation page changes nothing.
    assert "Clear-Site-Data" not in logged_in().get("/accounts/logout/")


def test_the_shell_the_service_worker_keeps_holds_no_round_data(
    phone_round: Any,  # noqa: F811
    sites: dict[str, Any],
) -> None:
    client = logged_in()
    assert client.get("/api/v1/inspect/assignments").json()["rounds"][0]["name"] == phone_round.name
    html = client.get("/m/").content.decode()
    for secret in [phone_round.name, sites["west_road"].name, sites["west_market"].name]:
        assert secret not in html
