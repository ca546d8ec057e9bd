"""Every way in counts toward one lockout and answers it the same way (docs/security.md, "One lockout for
every way in"): bad API tokens count for their address and are answered 429 with Retry-After once it is
locked; a token issue that asks for a secret is locked per account and per address; the web login answers a
locked attempt with its page and 429."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyotp
import pytest
import time_machine
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from chuangwen.accounts.models import ApiToken, LoginFailure
from chuangwen.accounts.services import (
    TokenLocked,
    confirm_totp,
    issue_token,
    lockout_message,
    start_totp_enrollment,
    user_for_token,
)
from chuangwen.audit.models import AuditEntry
from conftest import PASSWORD, client_for

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
ATTACKER, OFFICE = "203.0.113.7", "198.51.100.20"
LOCKED = {"code": "too_many_attempts", "detail": lockout_message()}
WRONG = "Wrong-password-1"


def api(key: str, address: str) -> Any:
    return Client().get("/api/v1/sites", HTTP_AUTHORIZATION=f"Token {key}", REMOTE_ADDR=address)


def login(username: str, password: str, address: str) -> Any:
    return Client().post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_it_answers_429_after_too_many_bad_tokens_from_one_address(
    users: dict[str, Any], settings: Any
) -> None:
    settings.LOCKOUT_ADDRESS_FAILURES = 3
    settings.LOCKOUT_WINDOW_SECONDS = 900
    with time_machine.travel(NOW, tick=False) as clock:
        good = issue_token(users["east_handler"], "手机")
        for n in range(3):
            assert api(f"guess-{n}", ATTACKER).status_code == 401
            clock.shift(60)
        locked = api("guess-3", ATTACKER)
        assert locked.status_code == 429
        assert locked.json() == LOCKED
        # The oldest of the three failures (09:00) leaves the 15-minute window after 09:15:00; it is 09:03.
        assert locked["Retry-After"] == str(900 - 180 + 1)
        # Locked means locked: a valid key from that address is not even looked at.
        assert api(good, ATTACKER).status_code == 429
        assert api(good, OFFICE).status_code == 200  # another address is not concerned
    assert LoginFailure.objects.filter(address=ATTACKER).count() == 3  # refused attempts add nothing
    assert AuditEntry.objects.filter(action="api_token_failed", address=ATTACKER).count() == 3


def test_it_frees_the_address_once_the_window_has_passed(users: dict[str, Any], settings: Any) -> None:
    settings.LOCKOUT_ADDRESS_FAILURES = 2
    settings.LOCKOUT_WINDOW_SECONDS = 600
    with time_machine.travel(NOW, tick=False) as clock:
        good = issue_token(users["east_handler"], "手机")
        for n in range(2):
            api(f"guess-{n}", ATTACKER)
        wait = int(api("guess", ATTACKER)["Retry-After"])
        assert wait == 601
        clock.shift(wait - 1)
        assert api(good, ATTACKER).status_code == 429
        clock.shift(1)
        assert api(good, ATTACKER).status_code == 200
        assert api("guess-again", ATTACKER).status_code == 401  # counted afresh


def test_it_counts_bad_tokens_and_wrong_passwords_toward_the_same_address_limit(
    users: dict[str, Any], settings: Any
) -> None:
    settings.LOCKOUT_ADDRESS_FAILURES = 3
    with time_machine.travel(NOW, tick=False):
        assert api("guess-1", ATTACKER).status_code == 401
        assert api("guess-2", ATTACKER).status_code == 401
        assert login("nobody", WRONG, ATTACKER).status_code == 200  # a wrong password stays the page
        page = login("east_handler", PASSWORD, ATTACKER)  # the right password, from a locked address
        assert page.status_code == 429
        assert page["Retry-After"] == str(settings.LOCKOUT_WINDOW_SECONDS + 1)
        assert lockout_message() in page.content.decode()
        assert "_auth_user_id" not in page.client.session
        assert api("guess-3", ATTACKER).status_code == 429
        assert login("east_handler", PASSWORD, OFFICE).status_code == 302


def test_it_never_answers_200_to_a_locked_web_login(users: dict[str, Any], settings: Any) -> None:
    with time_machine.travel(NOW, tick=False) as clock:
        for n in range(settings.LOCKOUT_ACCOUNT_FAILURES):
            assert login("east_handler", WRONG, f"10.0.0.{n}").status_code == 200
            clock.shift(10)
        page = login("east_handler", PASSWORD, OFFICE)
        assert page.status_code == 429
        # The oldest failure counted (the fifth newest, at 09:00:00) frees the account after 09:15:00.
        assert page["Retry-After"] == str(settings.LOCKOUT_WINDOW_SECONDS - 50 + 1)
        assert lockout_message() in page.content.decode() and 'name="password"' in page.content.decode()


def test_it_does_not_count_an_expired_token_as_a_guess(users: dict[str, Any], settings: Any) -> None:
    settings.LOCKOUT_ADDRESS_FAILURES = 1
    with time_machine.travel(NOW, tick=False) as clock:
        key = issue_token(users["east_handler"], "手机", days=1)
        clock.shift(2 * 86400)
        for _ in range(3):
            expired = api(key, OFFICE)
            assert expired.status_code == 401 and expired.json()["code"] == "token_expired"
    assert not LoginFailure.objects.exists()


def test_it_costs_a_valid_token_no_extra_query(users: dict[str, Any]) -> None:
    key = issue_token(users["east_handler"], "手机")
    request = RequestFactory().get("/api/v1/sites", REMOTE_ADDR=OFFICE)
    assert user_for_token(key, request) == users["east_handler"]
    with CaptureQueriesContext(connection) as queries:
        assert user_for_token(key, request) == users["east_handler"]
    assert len(queries) == 1  # the lockout count rides in the token check's own query


def test_it_matches_an_ipv6_address_as_the_failures_store_it(users: dict[str, Any], settings: Any) -> None:
    settings.LOCKOUT_ADDRESS_FAILURES = 2
    with time_machine.travel(NOW, tick=False):
        good = issue_token(users["east_handler"], "手机")
        for n in range(2):
            assert api(f"guess-{n}", "2001:0db8:0000:0000:0000:0000:0000:0001").status_code == 401
        assert api(good, "2001:db8::1").status_code == 429


# --- issuing a token: the secret it asks for is locked per account and per address --------------------------


def enrolled(user: Any, clock: Any) -> pyotp.TOTP:
    totp = pyotp.TOTP(start_totp_enrollment(user))
    assert confirm_totp(user, totp.now())
    clock.shift(30)  # the enrolment used this step's code
    return totp


def wrong(totp: pyotp.TOTP) -> str:
    return next(code for code in ("000000", "111111", "222222") if code != totp.now())


def issue(client: Any, address: str, code: str) -> Any:
    return client.post(
        "/accounts/tokens/", {"name": "脚本", "days": 1, "totp_code": code}, REMOTE_ADDR=address
    )


def test_it_locks_token_issue_per_account(users: dict[str, Any], settings: Any) -> None:
    coordinator = users["coordinator"]
    with time_machine.travel(NOW, tick=False) as clock:
        totp = enrolled(coordinator, clock)
        client = client_for(coordinator)
        for n in range(settings.LOCKOUT_ACCOUNT_FAILURES):
            assert issue(client, f"10.0.1.{n}", wrong(totp)).status_code == 400
        # The right code, from an address that never failed: the account itself is locked.
        page = issue(client, OFFICE, totp.now())
        assert page.status_code == 429
        assert page["Retry-After"] == str(settings.LOCKOUT_WINDOW_SECONDS + 1)
        assert lockout_message() in page.content.decode()
        with pytest.raises(TokenLocked) as refused:
            issue_token(coordinator, "命令行", totp_code=totp.now())  # the command: the same lockout
        assert refused.value.retry_after == settings.LOCKOUT_WINDOW_SECONDS + 1
    assert not ApiToken.objects.exists()


def test_it_locks_token_issue_per_address(users: dict[str, Any], settings: Any) -> None:
    settings.LOCKOUT_ADDRESS_FAILURES = 3
    coordinator = users["coordinator"]
    with time_machine.travel(NOW, tick=False) as clock:
        totp = enrolled(coordinator, clock)
        # A bad token and other accounts' wrong passwords, all from one address.
        assert api("guess", ATTACKER).status_code == 401
        assert login("someone1", WRONG, ATTACKER).status_code == 200
        assert login("someone2", WRONG, ATTACKER).status_code == 200
        client = client_for(coordinator)
        page = issue(client, ATTACKER, totp.now())
        assert page.status_code == 429 and page["Retry-After"] == str(settings.LOCKOUT_WINDOW_SECONDS + 1)
        assert not ApiToken.objects.exists()
        assert issue(client, OFFICE, totp.now()).status_code == 302
    assert ApiToken.objects.count() == 1
