import hashlib
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pyotp
import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from chuangwen.accounts.models import ApiToken, LoginFailure
from chuangwen.accounts.services import (
    TokenRefused,
    confirm_totp,
    issue_token,
    revoke_token,
    start_totp_enrollment,
    user_for_token,
)
from chuangwen.audit.models import AuditEntry
from conftest import make_user

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_it_keeps_only_the_hash_of_a_token(org):
    user = make_user("inspector", "inspector", org["district"])
    key = issue_token(user, "督查手机")
    token = ApiToken.objects.get()
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in token.key_hash
    assert user_for_token(key) == user
    assert user_for_token(key + "x") is None
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_it_refuses_a_revoked_token_and_a_deactivated_user(org):
    user = make_user("inspector", "inspector", org["district"])
    key = issue_token(user, "督查手机")
    other = issue_token(user, "备用手机")
    assert revoke_token(ApiToken.objects.get(name="督查手机"))
    assert not revoke_token(ApiToken.objects.get(name="督查手机"))  # revoking twice changes nothing
    assert user_for_token(key) is None
    user.is_active = False
    user.save()
    assert user_for_token(other) is None
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert actions.count("token_issued") == 2
    assert actions.count("token_revoked") == 1


# --- second factor and expiry (docs/security.md, "Accounts, tokens and proxies") ----------------------------


def enrol(user):
    totp = pyotp.TOTP(start_totp_enrollment(user))
    assert confirm_totp(user, totp.now())
    return totp


def wrong(totp):
    return next(code for code in ("000000", "111111", "222222") if code != totp.now())


def api(key, path="/api/v1/sites"):
    return Client().get(path, HTTP_AUTHORIZATION=f"Token {key}")


def test_it_refuses_an_api_token_without_the_second_factor(org, settings):
    # A coordinator's web login needs a TOTP code; a token issued without one would skip it for good.
    settings.REQUIRE_2FA_ROLES = ["admin", "coordinator"]
    coord = make_user("coord", "coordinator", org["district"])
    with time_machine.travel(NOW, tick=False) as clock:
        totp = enrol(coord)
        clock.shift(30)  # the enrolment used this step's code
        with pytest.raises(TokenRefused, match="须提供当前的动态口令"):
            issue_token(coord, "脚本")
        with pytest.raises(TokenRefused, match="动态口令错误"):
            issue_token(coord, "脚本", totp_code=wrong(totp))
        assert LoginFailure.objects.filter(username="coord").count() == 1  # counts toward the lockout
        key = issue_token(coord, "脚本", totp_code=totp.now())
        with pytest.raises(TokenRefused, match="已使用过"):
            issue_token(coord, "脚本二", totp_code=totp.now())  # a code is good once
        assert user_for_token(key) == coord
    assert ApiToken.objects.count() == 1
    refused = AuditEntry.objects.filter(action="token_refused")
    assert list(refused.values_list("outcome", "detail")) == [("failure", {"reason": "totp"})] * 2


def test_it_refuses_a_token_for_a_user_who_must_but_did_not_enrol(org, settings):
    settings.REQUIRE_2FA_ROLES = ["admin", "coordinator"]
    admin = make_user("ops", "admin", org["city"], is_superuser=True, is_staff=True)
    with pytest.raises(TokenRefused, match="尚未绑定"):
        issue_token(admin, "脚本", totp_code="123456")
    # a role without the requirement and without TOTP needs no code (the inspector's phone)
    issue_token(make_user("inspector", "inspector", org["district"]), "督查手机")
    assert list(ApiToken.objects.values_list("user__username", flat=True)) == ["inspector"]


def test_it_asks_a_code_of_anyone_who_enrolled_of_his_own_accord(org):
    handler = make_user("west_handler", "handler", org["west"])
    with time_machine.travel(NOW, tick=False) as clock:
        totp = enrol(handler)
        clock.shift(30)
        with pytest.raises(TokenRefused):
            issue_token(handler, "脚本")
        issue_token(handler, "脚本", totp_code=totp.now())


def test_it_issues_a_token_from_the_command_line(org, sites, settings):
    settings.REQUIRE_2FA_ROLES = ["admin", "coordinator"]
    coord = make_user("coord", "coordinator", org["district"])
    with time_machine.travel(NOW, tick=False) as clock:
        totp = enrol(coord)
        clock.shift(30)
        with pytest.raises(CommandError, match="须提供当前的动态口令"):
            call_command("issue-token", "coord", "对接脚本", stdin=io.StringIO(""))
        with pytest.raises(CommandError, match="不存在或已停用"):
            call_command("issue-token", "nobody", "对接脚本")
        with pytest.raises(CommandError, match="有效天数须在 1 到 90 之间"):
            call_command("issue-token", "coord", "对接脚本", totp=totp.now(), days=91)
        out = io.StringIO()
        call_command("issue-token", "coord", "对接脚本", totp=totp.now(), days=30, stdout=out)
        lines = out.getvalue().splitlines()
        assert lines[0].startswith("令牌（只显示这一次")
        assert "有效期至 2026-04-01 09:00" in lines[2]
        response = api(lines[1])
        assert response.status_code == 200 and response.json()["count"] == len(sites)
    assert ApiToken.objects.get().name == "对接脚本"


def test_it_expires_api_tokens(users, sites, settings):
    with time_machine.travel(NOW, tick=False) as clock:
        key = issue_token(users["east_handler"], "手机")
        assert ApiToken.objects.get().expires_at == NOW + timedelta(days=settings.API_TOKEN_DAYS)
        clock.move_to(NOW + timedelta(days=90) - timedelta(seconds=1))
        assert api(key).status_code == 200
        clock.move_to(NOW + timedelta(days=90))
        response = api(key)
        assert response.status_code == 401
        body = {"detail": "API 令牌已于 2026-05-31 09:00 过期，请重新申请令牌。", "code": "token_expired"}
        assert response.json() == body
        # the phone's photo upload (its own router) says the same
        upload = Client().post("/api/v1/evidence", {}, HTTP_AUTHORIZATION=f"Token {key}")
        assert (upload.status_code, upload.json()) == (401, body)
        # a wrong key still gets the plain answer, telling nothing about tokens that exist
        assert api("no-such-key").json() == {"detail": "Unauthorized"}


def test_it_takes_the_lifetime_from_api_token_days(users, settings):
    settings.API_TOKEN_DAYS = 7
    with time_machine.travel(NOW, tick=False):
        issue_token(users["inspector"], "手机")
        issue_token(users["inspector"], "备用", days=1)
        with pytest.raises(TokenRefused, match="1 到 7"):
            issue_token(users["inspector"], "太久", days=8)
    expiries = dict(ApiToken.objects.values_list("name", "expires_at"))
    assert expiries == {"手机": NOW + timedelta(days=7), "备用": NOW + timedelta(days=1)}


@pytest.mark.django_db(transaction=True)
def test_it_gives_tokens_issued_before_expiry_existed_ninety_days(settings):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = [("accounts", "0002_citizen_role")], [("accounts", "0004_apitoken_expires_at_required")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    user = old_apps.get_model("accounts", "User").objects.create(username="old_phone_owner")
    old_apps.get_model("accounts", "ApiToken").objects.create(user=user, name="旧令牌", key_hash="ab" * 32)
    with time_machine.travel(NOW, tick=False):
        executor = MigrationExecutor(connection)
        executor.migrate(after)
    assert ApiToken.objects.get(name="旧令牌").expires_at == NOW + timedelta(days=90)
