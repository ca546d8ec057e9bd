"""The units API's writes: create, edit, move and deactivate units of the caller's subtree, idempotent by
client id, audited, refused outside the subtree and with the field named on bad input."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from chuangwen.audit.models import AuditEntry
from chuangwen.org.models import Unit
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db
BASE = "/api/v1/units"


def _post(user: Any, body: dict[str, Any]) -> Any:
    return client_for(user).post(BASE, body, content_type="application/json")


def _patch(user: Any, unit: Unit, body: dict[str, Any]) -> Any:
    return client_for(user).patch(f"{BASE}/{unit.pk}", body, content_type="application/json")


@pytest.fixture
def west_admin(org: dict[str, Any]) -> Any:
    return make_user("west_admin", "admin", org["west"])


def test_it_creates_a_unit_once_per_client_id(users: dict[str, Any], org: dict[str, Any]) -> None:
    body = {"client_id": str(uuid.uuid4()), "code": "S01C02", "name": "新社区", "kind": "community",
            "parent_id": org["west"].pk, "contact": "0571-1"}  # fmt: skip
    first = _post(users["coordinator"], body)
    assert first.status_code == 201, first.content
    unit = Unit.objects.get(code="S01C02")
    assert unit.parent == org["west"] and unit.path == f"{org['west'].path}{unit.pk}/"
    assert first.json()["id"] == unit.pk and first.json()["duplicate"] is False
    again = _post(users["coordinator"], {**body, "name": "另一个名字"})
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert Unit.objects.filter(code="S01C02").count() == 1 and again.json()["name"] == "新社区"
    assert AuditEntry.objects.filter(action="org.unit_created", object_id=str(unit.pk)).count() == 1


def test_it_edits_moves_and_deactivates(users: dict[str, Any], org: dict[str, Any]) -> None:
    community = org["west_c"]
    answer = _patch(users["admin"], community, {"client_id": str(uuid.uuid4()), "name": "柳浪闻莺社区",
                                                "parent_id": org["east"].pk})  # fmt: skip
    assert answer.status_code == 200, answer.content
    community.refresh_from_db()
    assert community.name == "柳浪闻莺社区" and community.path.startswith(org["east"].path)
    entry = AuditEntry.objects.get(action="org.unit_changed", object_id=str(community.pk))
    assert entry.detail["after"] == {"name": "柳浪闻莺社区", "parent": "S02"}
    off = _patch(users["admin"], community, {"client_id": str(uuid.uuid4()), "active": False})
    assert off.status_code == 200 and off.json()["active"] is False
    refused = _patch(users["admin"], org["east"], {"client_id": str(uuid.uuid4()), "active": False})
    assert refused.status_code == 409 and refused.json()["field"] == "active"


def test_it_refuses_another_units_admin(west_admin: Any, org: dict[str, Any], users: dict[str, Any]) -> None:
    east = org["east_c"]
    assert _patch(west_admin, east, {"client_id": str(uuid.uuid4()), "name": "x"}).status_code == 404
    body = {"client_id": str(uuid.uuid4()), "code": "X1", "name": "x", "kind": "grid", "parent_id": east.pk}
    assert _post(west_admin, body).status_code == 403
    move = {"client_id": str(uuid.uuid4()), "parent_id": org["east"].pk}
    answer = _patch(west_admin, org["west_c"], move)
    assert answer.status_code == 403 and answer.json()["field"] == "parent_id"
    own = _patch(west_admin, org["west"], {"client_id": str(uuid.uuid4()), "active": False})
    assert own.status_code == 403
    handler = _patch(users["west_handler"], org["west_c"], {"client_id": str(uuid.uuid4()), "name": "x"})
    assert handler.status_code == 403
    east.refresh_from_db()
    assert east.name == "东门社区" and Unit.objects.filter(code="X1").count() == 0


def test_it_names_the_field_of_bad_input(users: dict[str, Any], org: dict[str, Any]) -> None:
    body = {"client_id": str(uuid.uuid4()), "code": "S01C09", "name": "x" * 101, "kind": "community",
            "parent_id": org["west"].pk}  # fmt: skip
    answer = _post(users["coordinator"], body)
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"][-1] == "name"
    wrong_kind = _post(users["coordinator"], {**body, "name": "x", "kind": "street"})
    assert wrong_kind.status_code == 400 and wrong_kind.json()["field"] == "parent_id"
    bad_kind = _post(users["coordinator"], {**body, "name": "x", "kind": "planet"})
    assert bad_kind.status_code == 422 and bad_kind.json()["detail"][0]["loc"][-1] == "kind"
    huge = _post(users["coordinator"], {**body, "name": "x", "parent_id": 2**63})
    assert huge.status_code == 422
    assert not Unit.objects.filter(code="S01C09").exists()


def test_it_refuses_a_client_id_used_for_another_operation(
    users: dict[str, Any], org: dict[str, Any]
) -> None:
    client_id = str(uuid.uuid4())
    assert _patch(users["admin"], org["west_c"], {"client_id": client_id, "name": "甲"}).status_code == 200
    answer = _patch(users["coordinator"], org["west_c"], {"client_id": client_id, "name": "乙"})
    assert answer.status_code == 409 and answer.json()["code"] == "client_id_conflict"
    org["west_c"].refresh_from_db()
    assert org["west_c"].name == "甲"
