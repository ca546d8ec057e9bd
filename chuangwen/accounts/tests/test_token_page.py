"""The API token page: a user issues a token (the key is shown once), sees and revokes his or her own; a
revoked key gets 401; a user with a second factor must give a fresh code, exactly like the command; another's
token cannot be revoked except by an administrator; every issue and revocation is audited."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from chuangwen.accounts.models import ApiToken
from chuangwen.accounts.services import confirm_totp, issue_token, start_totp_enrollment
from chuangwen.audit.models import AuditEntry
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
URL = "/accounts/tokens/"


def api(key):
    return Client().get("/api/v1/sites", HTTP_AUTHORIZATION=f"Token {key}")


def issued_key(response):
    found = re.search(r'<code class="cw-token-key">([^<]+)</code>', response.content.decode())
    assert found, response.content.decode()
    return found.group(1)


def test_it_issues_a_token_once_lists_it_and_revokes_it(users, settings):
    handler = users["west_handler"]
    # The login and every request inside the fixed clock: the session's limits count from the login.
    with time_machine.travel(NOW, tick=False):
        client = client_for(handler)
        assert "API 令牌" in client.get("/").content.decode()  # linked from the user menu
        response = client.post(URL, {"name": "整改手机", "days": 3})
        assert response.status_code == 302 and response["Location"] == URL  # post/redirect/get
        key = issued_key(client.get(URL))
        assert api(key).status_code == 200
        listing = client.get(URL).content.decode()
        assert "整改手机" in listing and key not in listing  # shown once, never again
        token = ApiToken.objects.get(user=handler)
        assert token.expires_at == NOW + timedelta(days=3)
        revoked = client.post(reverse("accounts:token_revoke", args=[token.pk]))
        assert revoked.status_code == 302
        assert api(key).status_code == 401
        assert "已吊销" in client.get(URL).content.decode()
    actions = list(
        AuditEntry.objects.filter(action__startswith="token_")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["token_issued", "token_revoked"]


def test_it_refuses_more_days_than_api_token_days(users, settings):
    settings.API_TOKEN_DAYS = 7
    response = client_for(users["west_handler"]).post(URL, {"name": "手机", "days": 30})
    assert response.status_code == 400 and "有效天数：" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_it_asks_a_fresh_code_of_a_user_with_the_second_factor(users):
    handler = users["west_handler"]
    with time_machine.travel(NOW, tick=False) as clock:
        totp = pyotp.TOTP(start_totp_enrollment(handler))
        assert confirm_totp(handler, totp.now())
        clock.shift(30)
        client = client_for(handler)
        assert 'name="totp_code"' in client.get(URL).content.decode()
        refused = client.post(URL, {"name": "手机", "days": 1})
        assert refused.status_code == 400 and "动态口令：" in refused.content.decode()
        assert not ApiToken.objects.exists()
        issued_key(client.post(URL, {"name": "手机", "days": 1, "totp_code": totp.now()}, follow=True))
    assert ApiToken.objects.filter(user=handler).count() == 1


def test_it_lets_only_an_admin_revoke_another_users_token(users, org):
    key = issue_token(users["west_handler"], "整改手机")
    token = ApiToken.objects.get()
    url = reverse("accounts:token_revoke", args=[token.pk])
    assert client_for(users["east_handler"]).post(url).status_code == 404
    assert api(key).status_code == 200
    admin = make_user("ops", "admin", org["district"])
    page = client_for(admin).get(URL).content.decode()
    assert 'id="all-tokens"' in page and "整改手机" in page
    assert client_for(admin).post(url).status_code == 302
    assert api(key).status_code == 401
    assert AuditEntry.objects.get(action="token_revoked").actor_id == admin.pk


def test_it_never_issues_a_second_token_when_the_page_is_reloaded(users):
    # The key is shown on the page the POST redirects to; reloading that page is a GET: no new token, no key.
    client = client_for(users["west_handler"])
    shown = client.post(URL, {"name": "整改手机", "days": 3}, follow=True)
    key = issued_key(shown)
    again = client.get(URL).content.decode()
    assert key not in again and "整改手机" in again
    assert ApiToken.objects.filter(user=users["west_handler"]).count() == 1
