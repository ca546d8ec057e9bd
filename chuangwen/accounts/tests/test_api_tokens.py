"""The tokens API: issue one's own token (key answered once, the page's second factor), list, revoke; an
administrator revokes the tokens of his or her subtree only; idempotent by client id."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pyotp
import pytest
import time_machine

from chuangwen.accounts.models import ApiToken, LoginFailure
from chuangwen.accounts.services import confirm_totp, issue_token, start_totp_enrollment
from chuangwen.audit.models import AuditEntry
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db
BASE = "/api/v1/accounts/tokens"
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _post(user: Any, path: str, body: dict[str, Any]) -> Any:
    return client_for(user).post(path, body, content_type="application/json")


def test_it_issues_a_token_once_and_shows_its_key_once(users: dict[str, Any]) -> None:
    handler = users["west_handler"]
    body = {"client_id": str(uuid.uuid4()), "name": "整改手机", "days": 30}
    with time_machine.travel(NOW, tick=False):
        first = _post(handler, BASE, body)
        assert first.status_code == 201, first.content
        key = first.json()["key"]
        token = ApiToken.objects.get(user=handler)
        assert first.json()["expires_at"].startswith("2026-12-20")
        again = _post(handler, BASE, body)
        # Used while it is valid: the token expires 30 days after NOW, whatever today's date is.
        assert client_for(handler).get("/api/v1/inbox", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    assert again.status_code == 200 and again.json()["duplicate"] is True and again.json()["key"] is None
    assert ApiToken.objects.filter(user=handler).count() == 1
    listed = client_for(handler).get(BASE).json()
    assert [item["id"] for item in listed] == [token.pk]
    revoked = _post(handler, f"{BASE}/{token.pk}/revoke", {"client_id": str(uuid.uuid4())})
    assert revoked.status_code == 200 and revoked.json()["changed"] is True
    assert AuditEntry.objects.filter(action="token_revoked", object_id=str(token.pk)).count() == 1


def test_it_asks_the_second_factor_and_counts_a_wrong_code(users: dict[str, Any]) -> None:
    head = users["west_head"]
    totp = pyotp.TOTP(start_totp_enrollment(head))
    assert confirm_totp(head, totp.now())
    wrong = next(code for code in ("000000", "111111") if code != totp.now())
    body = {"client_id": str(uuid.uuid4()), "name": "脚本", "totp_code": wrong}
    answer = _post(head, BASE, body)
    assert answer.status_code == 403 and answer.json()["field"] == "totp_code"
    assert LoginFailure.objects.filter(username="west_head").count() == 1  # kept: counts toward lockout
    assert not ApiToken.objects.filter(user=head).exists()


def test_it_keeps_an_administrator_to_his_subtree(users: dict[str, Any], org: dict[str, Any]) -> None:
    west_admin = make_user("west_admin", "admin", org["west"])
    issue_token(users["west_handler"], "西湖")
    issue_token(users["east_handler"], "东城")
    west_token = ApiToken.objects.get(name="西湖")
    east_token = ApiToken.objects.get(name="东城")
    assert [item["id"] for item in client_for(west_admin).get(BASE).json()] == [west_token.pk]
    assert (
        _post(west_admin, f"{BASE}/{east_token.pk}/revoke", {"client_id": str(uuid.uuid4())}).status_code
        == 404
    )
    assert (
        _post(
            users["west_handler"], f"{BASE}/{east_token.pk}/revoke", {"client_id": str(uuid.uuid4())}
        ).status_code
        == 404
    )
    assert (
        _post(west_admin, f"{BASE}/{west_token.pk}/revoke", {"client_id": str(uuid.uuid4())}).status_code
        == 200
    )
    east_token.refresh_from_db()
    assert east_token.revoked_at is None


def test_it_names_the_field_of_bad_input(users: dict[str, Any], settings: Any) -> None:
    handler = users["west_handler"]
    settings.API_TOKEN_DAYS = (
        30  # below the schema's bound (the setting as the process started): the service's
    )
    long_name = _post(handler, BASE, {"client_id": str(uuid.uuid4()), "name": "x" * 101})
    assert long_name.status_code == 422 and long_name.json()["detail"][0]["loc"][-1] == "name"
    too_long = _post(handler, BASE, {"client_id": str(uuid.uuid4()), "name": "x", "days": 31})
    assert too_long.status_code == 400 and too_long.json()["field"] == "days"
    beyond = _post(handler, BASE, {"client_id": str(uuid.uuid4()), "name": "x", "days": 10_000})
    assert beyond.status_code == 422 and beyond.json()["detail"][0]["loc"][-1] == "days"
    no_id = _post(handler, BASE, {"client_id": "not-a-uuid", "name": "x"})
    assert no_id.status_code == 422 and no_id.json()["detail"][0]["loc"][-1] == "client_id"
    assert not ApiToken.objects.filter(user=handler).exists()
