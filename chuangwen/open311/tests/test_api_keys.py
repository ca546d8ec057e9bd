"""The Open311 keys API: an administrator adds an integration (key answered once), issues a new key and
revokes it, as the admin does; idempotent by client id; nobody else may; bad input names the field."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from chuangwen.audit.models import AuditEntry
from chuangwen.open311 import services
from chuangwen.open311.models import Integration
from conftest import client_for

pytestmark = pytest.mark.django_db
BASE = "/api/v1/open311/integrations"


def _post(user: Any, path: str, body: dict[str, Any]) -> Any:
    return client_for(user).post(path, body, content_type="application/json")


def test_it_adds_an_integration_and_shows_its_key_once(users: dict[str, Any]) -> None:
    body = {"client_id": str(uuid.uuid4()), "name": "区12345平台", "organisation": "区政务服务中心"}
    first = _post(users["admin"], BASE, body)
    assert first.status_code == 201, first.content
    key = first.json()["api_key"]
    integration = Integration.objects.get()
    assert integration.key_hash == services.key_digest(key) and integration.created_by == users["admin"]
    again = _post(users["admin"], BASE, body)
    assert again.status_code == 200 and again.json()["api_key"] is None and Integration.objects.count() == 1
    assert services.integration_for_key(key) == integration
    listed = client_for(users["admin"]).get(BASE).json()
    assert [item["name"] for item in listed] == ["区12345平台"] and key not in str(listed)


def test_it_issues_a_new_key_and_revokes(users: dict[str, Any]) -> None:
    integration = Integration(name="城市大脑", organisation="市大数据局")
    old_key = services.issue_key(integration)
    new = _post(users["admin"], f"{BASE}/{integration.pk}/keys", {"client_id": str(uuid.uuid4())})
    assert new.status_code == 200 and new.json()["api_key"] != old_key
    with pytest.raises(services.Open311Error):
        services.integration_for_key(old_key)
    revoke_body = {"client_id": str(uuid.uuid4())}
    revoked = _post(users["admin"], f"{BASE}/{integration.pk}/revoke", revoke_body)
    assert (
        revoked.status_code == 200 and revoked.json()["changed"] is True and revoked.json()["active"] is False
    )
    assert _post(users["admin"], f"{BASE}/{integration.pk}/revoke", revoke_body).json()["duplicate"] is True
    assert AuditEntry.objects.filter(action="open311_key_revoked").count() == 1
    assert AuditEntry.objects.filter(action="open311_key_issued").count() == 2


def test_it_refuses_everyone_but_administrators(users: dict[str, Any]) -> None:
    integration = Integration(name="城市大脑", organisation="市大数据局")
    services.issue_key(integration)
    for name in ("coordinator", "leader", "west_head", "east_handler"):
        user = users[name]
        assert client_for(user).get(BASE).status_code == 403
        assert (
            _post(user, BASE, {"client_id": str(uuid.uuid4()), "name": "x", "organisation": "y"}).status_code
            == 403
        )
        assert (
            _post(user, f"{BASE}/{integration.pk}/keys", {"client_id": str(uuid.uuid4())}).status_code == 403
        )
        assert (
            _post(user, f"{BASE}/{integration.pk}/revoke", {"client_id": str(uuid.uuid4())}).status_code
            == 403
        )
    integration.refresh_from_db()
    assert integration.usable and Integration.objects.count() == 1


def test_it_names_the_field_of_bad_input(users: dict[str, Any]) -> None:
    long_name = _post(
        users["admin"], BASE, {"client_id": str(uuid.uuid4()), "name": "x" * 101, "organisation": "y"}
    )
    assert long_name.status_code == 422 and long_name.json()["detail"][0]["loc"][-1] == "name"
    Integration.objects.create(name="城市大脑", organisation="z", key_hash="h")
    taken = _post(
        users["admin"], BASE, {"client_id": str(uuid.uuid4()), "name": "城市大脑", "organisation": "y"}
    )
    assert taken.status_code == 409 and taken.json()["field"] == "name"
    assert _post(users["admin"], f"{BASE}/{2**63}/keys", {"client_id": str(uuid.uuid4())}).status_code == 422
    assert Integration.objects.count() == 1
