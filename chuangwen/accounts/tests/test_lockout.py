from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from chuangwen.accounts.models import LoginFailure
from chuangwen.accounts.services import authenticate_with_lockout, lockout_message
from chuangwen.audit.models import AuditEntry
from conftest import PASSWORD, make_user

WRONG = "Wrong-password-1"


def post_login(client, username, password, address="10.0.0.1"):
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def logged_in(client):
    return "_auth_user_id" in client.session


def test_it_logs_in_with_the_right_password_and_records_it(client, org):
    user = make_user("west_handler", "handler", org["west"])
    r = post_login(client, "west_handler", PASSWORD)
    assert r.status_code == 302
    assert r.url == "/"
    assert logged_in(client)
    entry = AuditEntry.objects.filter(action="login").latest("seq")
    assert (entry.actor_id, entry.address, entry.outcome) == (user.pk, "10.0.0.1", "success")


def test_it_refuses_a_wrong_password_without_saying_which_part_was_wrong(client, org):
    make_user("west_handler", "handler", org["west"])
    for username in ("west_handler", "nobody"):
        r = post_login(client, username, WRONG)
        assert r.status_code == 200
        assert "用户名或密码错误" in r.content.decode()
    failed = AuditEntry.objects.filter(action="login_failed")
    assert sorted(failed.values_list("actor_name", "outcome")) == [
        ("nobody", "failure"),
        ("west_handler", "failure"),
    ]


def test_it_locks_the_account_after_five_failures_even_for_the_right_password(client, org):
    make_user("west_handler", "handler", org["west"])
    for _ in range(settings.LOCKOUT_ACCOUNT_FAILURES):
        post_login(client, "west_handler", WRONG)
    # Another address: the account itself is locked, not only the address.
    r = post_login(client, "west_handler", PASSWORD, address="10.0.0.2")
    assert not logged_in(client)
    assert lockout_message() in r.content.decode()
    assert "锁定" in lockout_message()
    locked = AuditEntry.objects.filter(action="login_locked").get()
    assert (locked.actor_name, locked.outcome) == ("west_handler", "denied")


def test_it_gives_an_unknown_account_the_same_lockout_message(client, org):
    make_user("west_handler", "handler", org["west"])
    messages = []
    for username in ("west_handler", "nobody"):
        for _ in range(settings.LOCKOUT_ACCOUNT_FAILURES):
            post_login(client, username, WRONG, address=f"10.1.0.{len(messages)}")
        result = authenticate_with_lockout(None, username, PASSWORD)
        messages.append((result.locked, result.message))
    assert messages[0] == messages[1] == (True, lockout_message())


def test_it_locks_an_address_that_tries_many_accounts(client, org, settings):
    settings.LOCKOUT_ADDRESS_FAILURES = 3
    make_user("west_handler", "handler", org["west"])
    for username in ("alice", "bob", "carol"):
        post_login(client, username, WRONG, address="10.9.9.9")
    r = post_login(client, "west_handler", PASSWORD, address="10.9.9.9")
    assert not logged_in(client)
    assert lockout_message() in r.content.decode()
    r = post_login(client, "west_handler", PASSWORD, address="10.1.1.1")
    assert r.status_code == 302
    assert logged_in(client)


def test_it_lets_the_account_in_again_once_the_window_has_passed(client, org):
    make_user("west_handler", "handler", org["west"])
    for _ in range(settings.LOCKOUT_ACCOUNT_FAILURES):
        post_login(client, "west_handler", WRONG)
    assert authenticate_with_lockout(None, "west_handler", PASSWORD).locked
    # Move the failures back in time instead of waiting for the window to pass.
    long_ago = timezone.now() - timedelta(seconds=settings.LOCKOUT_WINDOW_SECONDS + 1)
    LoginFailure.objects.update(at=long_ago)
    r = post_login(client, "west_handler", PASSWORD)
    assert r.status_code == 302
    assert logged_in(client)


def test_it_clears_the_account_failures_after_a_success(client, org):
    make_user("west_handler", "handler", org["west"])
    for _ in range(settings.LOCKOUT_ACCOUNT_FAILURES - 1):
        post_login(client, "west_handler", WRONG)
    assert post_login(client, "west_handler", PASSWORD).status_code == 302
    assert not LoginFailure.objects.filter(username="west_handler").exists()


def test_it_does_not_count_a_locked_attempt_as_a_new_failure(org):
    make_user("west_handler", "handler", org["west"])
    for _ in range(settings.LOCKOUT_ACCOUNT_FAILURES):
        authenticate_with_lockout(None, "west_handler", WRONG)
    for _ in range(3):
        assert authenticate_with_lockout(None, "west_handler", PASSWORD).locked
    assert LoginFailure.objects.count() == settings.LOCKOUT_ACCOUNT_FAILURES
