import time

import pytest
from django.conf import settings
from django.urls import reverse

from chuangwen.accounts.middleware import SESSION_SEEN, SESSION_STARTED
from chuangwen.audit.models import AuditEntry
from conftest import PASSWORD, make_user

PAGE = "/accounts/password/"  # any page behind login


@pytest.fixture
def signed_in(client, org):
    make_user("west_handler", "handler", org["west"])
    r = client.post(reverse("accounts:login"), {"username": "west_handler", "password": PASSWORD})
    assert r.status_code == 302
    return client


def shift_session(client, **seconds_ago):
    session = client.session
    now = time.time()
    for key, ago in seconds_ago.items():
        session[key] = now - ago
    session.save()


def assert_sent_to_login_with_timeout_message(client):
    r = client.get(PAGE)
    assert r.status_code == 302
    assert r.url.startswith(reverse("accounts:login"))
    assert "_auth_user_id" not in client.session
    r = client.get(r.url)
    assert "会话已超时，请重新登录" in r.content.decode()
    assert AuditEntry.objects.filter(action="session_expired").exists()


def test_it_sets_the_session_start_at_login(signed_in):
    started = signed_in.session[SESSION_STARTED]
    assert abs(time.time() - started) < 5
    assert signed_in.get(PAGE).status_code == 200


def test_it_ends_an_idle_session(signed_in):
    shift_session(signed_in, **{SESSION_SEEN: settings.SESSION_IDLE_SECONDS + 5})
    assert_sent_to_login_with_timeout_message(signed_in)


def test_it_ends_a_session_past_the_absolute_limit_even_when_active(signed_in):
    shift_session(signed_in, **{SESSION_STARTED: settings.SESSION_ABSOLUTE_SECONDS + 5, SESSION_SEEN: 1})
    assert_sent_to_login_with_timeout_message(signed_in)


def test_it_keeps_an_active_session_within_small_limits(signed_in, settings):
    settings.SESSION_IDLE_SECONDS = 50
    settings.SESSION_ABSOLUTE_SECONDS = 100
    shift_session(signed_in, **{SESSION_STARTED: 90, SESSION_SEEN: 40})
    assert signed_in.get(PAGE).status_code == 200
    # The visit counts as activity: the idle clock starts again.
    assert time.time() - signed_in.session[SESSION_SEEN] < 5
    shift_session(signed_in, **{SESSION_STARTED: 101})
    assert_sent_to_login_with_timeout_message(signed_in)


def test_it_shows_no_timeout_message_on_a_plain_visit(client, db):
    assert "会话已超时" not in client.get(reverse("accounts:login")).content.decode()
