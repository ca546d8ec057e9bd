"""Behind the TLS proxy the client is named by X-Forwarded-For, believed only from ``TRUSTED_PROXIES``."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import reverse

from chuangwen.audit.models import AuditEntry
from chuangwen.audit.services import client_address
from chuangwen.core.web import client_ip
from conftest import PASSWORD, make_user

PROXY = "10.0.0.5"
WRONG = "Wrong-password-1"


def login(client, username, password, *, forwarded, peer=PROXY):
    return client.post(
        reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=peer,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def address_of(peer, forwarded=None):
    meta = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **meta))


def test_it_does_not_lock_out_everyone_behind_the_proxy(org, settings):
    # Twenty wrong passwords from one client behind the proxy used to lock the proxy's address, so everyone.
    settings.TRUSTED_PROXIES = [PROXY]
    make_user("west_handler", "handler", org["west"])
    guesser = Client()
    for number in range(settings.LOCKOUT_ADDRESS_FAILURES):
        login(guesser, f"nobody{number}", WRONG, forwarded="203.0.113.7")
    r = login(guesser, "west_handler", PASSWORD, forwarded="203.0.113.7")
    assert "锁定" in r.content.decode()  # the guessing client is locked out

    colleague = Client()
    r = login(colleague, "west_handler", PASSWORD, forwarded="198.51.100.20")
    assert r.status_code == 302 and "_auth_user_id" in colleague.session
    entry = AuditEntry.objects.filter(action="login").latest("seq")
    assert entry.address == "198.51.100.20"


def test_it_ignores_x_forwarded_for_from_an_address_that_is_not_a_trusted_proxy(org, settings):
    # A client talking to the server directly cannot pick its own address (and so its own lockout bucket).
    settings.TRUSTED_PROXIES = [PROXY]
    make_user("west_handler", "handler", org["west"])
    client = Client()
    for number in range(settings.LOCKOUT_ADDRESS_FAILURES):
        login(client, f"nobody{number}", WRONG, forwarded=f"192.0.2.{number}", peer="198.51.100.9")
    r = login(client, "west_handler", PASSWORD, forwarded="192.0.2.200", peer="198.51.100.9")
    assert "锁定" in r.content.decode()
    assert set(AuditEntry.objects.exclude(address=None).values_list("address", flat=True)) == {"198.51.100.9"}


def test_it_believes_no_proxy_by_default():
    assert settings.TRUSTED_PROXIES == []
    assert address_of("10.0.0.5", "203.0.113.7") == "10.0.0.5"


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("10.0.0.5", "203.0.113.7", "203.0.113.7"),
        # the client's own (forged) entries stay on the left; the proxy appended the real one on the right
        ("10.0.0.5", "1.2.3.4, 203.0.113.7", "203.0.113.7"),
        # two trusted hops (a load balancer in front of nginx) are both skipped
        ("10.0.0.5", "203.0.113.7, 10.0.1.9", "203.0.113.7"),
        # spaces, and several headers joined by the server
        ("10.0.0.5", " 203.0.113.7 ,10.0.1.9 ", "203.0.113.7"),
        ("10.0.0.5", "2001:DB8::1", "2001:db8::1"),
        # an IPv4 proxy seen by a dual-stack listener
        ("::ffff:10.0.0.5", "203.0.113.7", "203.0.113.7"),
        # malformed on the way, or a port appended: the connecting address
        ("10.0.0.5", "203.0.113.7, not-an-address", "10.0.0.5"),
        ("10.0.0.5", "203.0.113.7:4431", "10.0.0.5"),
        ("10.0.0.5", "203.0.113.7,,", "10.0.0.5"),
        ("10.0.0.5", "fe80::1%eth0", "10.0.0.5"),
        ("10.0.0.5", "", "10.0.0.5"),
        # behind the walk's first untrusted hop nothing is believed, even a malformed entry further left
        ("10.0.0.5", "garbage, 203.0.113.7", "203.0.113.7"),
        # only proxies all the way: the leftmost
        ("10.0.0.5", "10.0.1.8, 10.0.1.9", "10.0.1.8"),
        # an untrusted peer's header is not read at all
        ("198.51.100.9", "203.0.113.7", "198.51.100.9"),
    ],
)
def test_it_walks_x_forwarded_for_from_the_right(settings, peer, forwarded, expected):
    settings.TRUSTED_PROXIES = ["10.0.0.5", "10.0.1.0/24"]
    assert address_of(peer, forwarded) == expected


def test_it_gives_the_same_address_to_audit_lockout_and_citizen_limits(settings, rf):
    settings.TRUSTED_PROXIES = [PROXY]
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert client_address(request) == client_ip(request) == "203.0.113.7"
    assert client_address(None) is None
    assert address_of("not an address") is None


def test_it_refuses_to_start_with_a_malformed_trusted_proxy(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(CHUANGWEN_VAR_DIR=str(tmp_path), TRUSTED_PROXIES="10.0.0.5, 10.0.0.0/33")
    result = subprocess.run(
        [sys.executable, "-m", "chuangwen.cli", "check"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "TRUSTED_PROXIES: '10.0.0.0/33'" in result.stderr
