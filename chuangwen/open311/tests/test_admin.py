"""The admin issues a key (shown once, stored as SHA-256 with a prefix) and revokes it, both audited."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.messages import get_messages
from django.test import Client

from chuangwen.audit.models import AuditEntry
from chuangwen.audit.services import verify_chain
from chuangwen.open311 import services
from chuangwen.open311.models import Integration
from chuangwen.open311.tests.open311_fixtures import categories, post  # noqa: F401


def admin_client(users: dict[str, Any]) -> Client:
    client = Client()
    client.force_login(users["admin"])
    return client


def test_it_issues_a_key_once_and_keeps_only_its_hash(users: dict[str, Any], categories: Any) -> None:  # noqa: F811
    client = admin_client(users)
    response = client.post(
        "/admin/open311/integration/add/",
        {"name": "城市大脑", "organisation": "市大数据局"},
        follow=True,
    )
    assert response.status_code == 200
    shown = " ".join(str(m) for m in get_messages(response.wsgi_request))
    match = re.search(r"(o311_[A-Za-z0-9_-]{43})", shown)
    assert match, shown
    key = match.group(1)
    integration = Integration.objects.get()
    assert integration.created_by == users["admin"]
    assert integration.key_hash == services.key_digest(key)
    assert integration.key_prefix == key[:12]
    assert key not in " ".join(str(v) for v in Integration.objects.values_list().get())
    # The key is never shown again: not on the change page, nor in the list.
    change = client.get(f"/admin/open311/integration/{integration.pk}/change/")
    assert key not in change.content.decode() and integration.key_prefix in change.content.decode()
    assert key not in client.get("/admin/open311/integration/").content.decode()
    entry = AuditEntry.objects.get(action="open311_key_issued")
    assert entry.actor == users["admin"]
    assert key not in str(entry.detail)
    assert post(Client(), key).status_code == 200


def test_it_revokes_a_key_from_the_admin(users: dict[str, Any], categories: Any) -> None:  # noqa: F811
    integration = Integration(name="城市大脑", organisation="市大数据局")
    key = services.issue_key(integration)
    client = admin_client(users)
    response = client.post(
        "/admin/open311/integration/",
        {"action": "revoke", "_selected_action": [str(integration.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    integration.refresh_from_db()
    assert integration.revoked_at is not None and not integration.active
    assert AuditEntry.objects.filter(action="open311_key_revoked", actor=users["admin"]).count() == 1
    assert post(Client(), key).status_code == 403
    # Revoking again changes nothing and writes nothing.
    client.post(
        "/admin/open311/integration/", {"action": "revoke", "_selected_action": [str(integration.pk)]}
    )
    assert AuditEntry.objects.filter(action="open311_key_revoked").count() == 1

    client.post(
        "/admin/open311/integration/",
        {"action": "issue_new_key", "_selected_action": [str(integration.pk)]},
    )
    integration.refresh_from_db()
    assert integration.usable
    assert AuditEntry.objects.filter(action="open311_key_issued").count() == 2
    assert verify_chain().ok


def test_it_lets_no_one_but_staff_manage_integrations(users: dict[str, Any]) -> None:
    client = Client()
    client.force_login(users["coordinator"])
    response = client.get("/admin/open311/integration/add/")
    assert response.status_code in (302, 403)
    assert not Integration.objects.exists()


def test_it_audits_each_request_an_integration_creates(categories: Any) -> None:  # noqa: F811
    integration = Integration(name="城市大脑", organisation="市大数据局")
    key = services.issue_key(integration)
    post(Client(), key)
    entry = AuditEntry.objects.get(action="open311_request_created")
    assert entry.actor_name == "open311:城市大脑"
    assert entry.detail["integration"] == "城市大脑"
