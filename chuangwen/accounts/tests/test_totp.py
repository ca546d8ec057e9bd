import time

import pyotp
import pytest
from django.urls import reverse

from chuangwen.accounts.middleware import SESSION_2FA_PENDING
from chuangwen.accounts.models import User
from chuangwen.accounts.services import (
    confirm_totp,
    start_totp_enrollment,
    totp_required,
    verify_totp,
)
from chuangwen.audit.models import AuditEntry
from conftest import PASSWORD, make_user

TOTP_URL = reverse("accounts:totp")


def enable_totp(user):
    totp = pyotp.TOTP(start_totp_enrollment(user))
    assert confirm_totp(user, totp.now())
    return totp


def next_code(totp):
    # The current step was used to confirm; the next step's code is accepted (±1 step of clock drift).
    return totp.at(time.time() + 30)


def wrong_code(totp):
    valid = {totp.at(time.time() + 30 * shift) for shift in (-1, 0, 1, 2)}
    return next(code for code in ("000000", "111111", "222222", "333333", "444444") if code not in valid)


def login(client, username, address="10.0.0.1"):
    return client.post(
        reverse("accounts:login"), {"username": username, "password": PASSWORD}, REMOTE_ADDR=address
    )


def test_it_asks_for_a_code_after_the_password_when_enabled(client, org):
    user = make_user("west_handler", "handler", org["west"])
    totp = enable_totp(user)
    r = login(client, "west_handler")
    assert r.status_code == 302
    assert r.url.startswith(TOTP_URL)
    assert client.session[SESSION_2FA_PENDING]
    # Nothing else is reachable until the code is given.
    assert client.get("/").url == TOTP_URL
    assert client.get(reverse("accounts:password_change")).url == TOTP_URL
    r = client.post(TOTP_URL, {"code": wrong_code(totp)})
    assert r.status_code == 200
    assert "动态口令错误" in r.content.decode()
    r = client.post(TOTP_URL, {"code": next_code(totp), "next": "/accounts/password/"})
    assert r.status_code == 302
    assert r.url == "/accounts/password/"
    assert SESSION_2FA_PENDING not in client.session
    assert client.get(reverse("accounts:password_change")).status_code == 200
    actions = list(AuditEntry.objects.order_by("seq").values_list("action", "outcome"))
    assert ("totp_failed", "failure") in actions
    assert actions[-1] == ("totp_verified", "success")


def test_it_refuses_a_replayed_code(client, org):
    user = make_user("west_handler", "handler", org["west"])
    totp = enable_totp(user)
    code = next_code(totp)
    assert verify_totp(user, code)
    assert not verify_totp(user, code)
    assert not verify_totp(User.objects.get(pk=user.pk), code)  # a fresh copy of the user: same answer
    # The same code through the login page is refused too.
    login(client, "west_handler")
    r = client.post(TOTP_URL, {"code": code})
    assert "已使用过" in r.content.decode()
    assert client.session[SESSION_2FA_PENDING]


def test_it_refuses_codes_outside_the_window_and_malformed_codes(org):
    user = make_user("west_handler", "handler", org["west"])
    totp = enable_totp(user)
    assert not verify_totp(user, totp.at(time.time() + 300))
    assert not verify_totp(user, "12ab56")
    assert not verify_totp(user, "")


def test_it_logs_out_after_repeated_wrong_codes(client, org, settings):
    user = make_user("west_handler", "handler", org["west"])
    totp = enable_totp(user)
    login(client, "west_handler")
    for _ in range(settings.LOCKOUT_ACCOUNT_FAILURES):
        r = client.post(TOTP_URL, {"code": wrong_code(totp)}, REMOTE_ADDR="10.0.0.1")
    assert r.status_code == 302
    assert r.url == reverse("accounts:login")
    assert "_auth_user_id" not in client.session
    assert "锁定" in client.get(r.url).content.decode()
    # Even the right password now meets the lockout.
    login(client, "west_handler")
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("role, required", [("coordinator", True), ("admin", True), ("handler", False)])
def test_it_knows_which_roles_must_use_a_second_factor(org, settings, role, required):
    settings.REQUIRE_2FA_ROLES = ["admin", "coordinator"]
    assert totp_required(make_user(f"u_{role}", role, org["district"])) is required


def test_it_makes_a_required_role_enrol_before_going_on(client, org, settings):
    settings.REQUIRE_2FA_ROLES = ["coordinator"]
    user = make_user("coord", "coordinator", org["district"])
    r = login(client, "coord")
    assert r.url.startswith(TOTP_URL)
    page = client.get(TOTP_URL).content.decode()
    assert "绑定动态口令" in page
    assert "<svg" in page
    user.refresh_from_db()
    assert user.totp_secret and user.totp_secret in page
    assert client.get("/").url == TOTP_URL
    r = client.post(TOTP_URL, {"code": pyotp.TOTP(user.totp_secret).now()})
    assert r.status_code == 302
    user.refresh_from_db()
    assert user.totp_enabled
    assert AuditEntry.objects.filter(action="totp_enabled", object_id=str(user.pk)).exists()


def test_it_lets_a_role_without_the_requirement_in_with_the_password_only(client, org, settings):
    settings.REQUIRE_2FA_ROLES = ["coordinator"]
    make_user("west_handler", "handler", org["west"])
    r = login(client, "west_handler")
    assert r.url == "/"
    assert SESSION_2FA_PENDING not in client.session


def test_it_sets_up_and_switches_off_the_second_factor_from_the_settings_page(client, org):
    user = make_user("west_handler", "handler", org["west"])
    client.force_login(user)
    url = reverse("accounts:totp_setup")
    page = client.get(url).content.decode()
    assert "尚未启用" in page
    user.refresh_from_db()
    totp = pyotp.TOTP(user.totp_secret)
    r = client.post(url, {"code": totp.now()})
    assert r.status_code == 302
    assert "动态口令已启用" in client.get(url).content.decode()
    r = client.post(url, {"code": next_code(totp)})
    assert r.status_code == 302
    user.refresh_from_db()
    assert not user.totp_enabled
    assert not user.totp_secret
    assert AuditEntry.objects.filter(action="totp_disabled").exists()


def test_it_refuses_to_switch_off_a_required_second_factor(client, org, settings):
    settings.REQUIRE_2FA_ROLES = ["coordinator"]
    user = make_user("coord", "coordinator", org["district"])
    totp = enable_totp(user)
    client.force_login(user)
    r = client.post(reverse("accounts:totp_setup"), {"code": next_code(totp)})
    assert "不能停用" in r.content.decode()
    user.refresh_from_db()
    assert user.totp_enabled
