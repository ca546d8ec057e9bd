"""The users API: an administrator creates and edits the people of his or her subtree, resets their second
factor and unlocks them; never grants a role above his or her own; idempotent by client id; the role, unit
and active changes are audited by the model signals as in the admin."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from chuangwen.accounts.models import LoginFailure, User
from chuangwen.accounts.services import start_totp_enrollment
from chuangwen.audit.models import AuditEntry
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db
BASE = "/api/v1/accounts/users"
PASSWORD = "Kx9!rel-Wq2vT"


def _send(user: Any, method: str, path: str, body: dict[str, Any]) -> Any:
    return getattr(client_for(user), method)(path, body, content_type="application/json")


@pytest.fixture
def west_admin(org: dict[str, Any]) -> Any:
    return make_user("west_admin", "admin", org["west"])


def _new(unit: Any, role: str = "handler", **extra: Any) -> dict[str, Any]:
    return {"client_id": str(uuid.uuid4()), "username": "new_one", "full_name": "新人", "role": role,
            "unit_id": unit.pk, "password": PASSWORD, **extra}  # fmt: skip


def test_it_creates_a_user_once(west_admin: Any, org: dict[str, Any]) -> None:
    body = _new(org["west_c"])
    first = _send(west_admin, "post", BASE, body)
    assert first.status_code == 201, first.content
    made = User.objects.get(username="new_one")
    assert made.unit == org["west_c"] and made.role == "handler" and made.check_password(PASSWORD)
    again = _send(west_admin, "post", BASE, {**body, "full_name": "别人"})
    assert again.status_code == 200 and again.json()["duplicate"] is True and again.json()["id"] == made.pk
    assert User.objects.filter(username="new_one").count() == 1
    assert AuditEntry.objects.filter(action="user_created", object_id=str(made.pk)).count() == 1


def test_it_edits_role_unit_and_deactivates(
    west_admin: Any, users: dict[str, Any], org: dict[str, Any]
) -> None:
    handler = users["west_handler"]
    path = f"{BASE}/{handler.pk}"
    body = {"client_id": str(uuid.uuid4()), "role": "unit_head", "unit_id": org["west_c"].pk}
    answer = _send(west_admin, "patch", path, body)
    assert answer.status_code == 200, answer.content
    handler.refresh_from_db()
    assert handler.role == "unit_head" and handler.unit == org["west_c"]
    entry = AuditEntry.objects.get(action="permission_changed", object_id=str(handler.pk))
    assert entry.detail["changes"]["role"] == {"before": "handler", "after": "unit_head"}
    assert entry.actor_name == "west_admin"
    off = _send(west_admin, "patch", path, {"client_id": str(uuid.uuid4()), "is_active": False})
    assert off.status_code == 200 and off.json()["is_active"] is False
    own = _send(
        west_admin, "patch", f"{BASE}/{west_admin.pk}", {"client_id": str(uuid.uuid4()), "is_active": False}
    )
    assert own.status_code == 403 and own.json()["field"] == "is_active"


def test_it_resets_the_second_factor_and_unlocks(west_admin: Any, users: dict[str, Any]) -> None:
    head = users["west_head"]
    start_totp_enrollment(head)
    head.totp_enabled = True
    head.save(update_fields=["totp_enabled"])
    body = {"client_id": str(uuid.uuid4())}
    answer = _send(west_admin, "post", f"{BASE}/{head.pk}/second-factor-reset", body)
    assert answer.status_code == 200 and answer.json()["changed"] == 1
    head.refresh_from_db()
    assert not head.totp_enabled and head.totp_secret == ""
    again = _send(west_admin, "post", f"{BASE}/{head.pk}/second-factor-reset", body)
    assert again.json()["duplicate"] is True
    assert AuditEntry.objects.filter(action="totp_disabled", object_id=str(head.pk)).count() == 1
    LoginFailure.objects.create(username="west_head", address="10.0.0.1")
    unlocked = _send(west_admin, "post", f"{BASE}/{head.pk}/unlock", {"client_id": str(uuid.uuid4())})
    assert unlocked.status_code == 200 and unlocked.json()["changed"] == 1
    assert not LoginFailure.objects.filter(username="west_head").exists()


def test_it_refuses_people_outside_the_subtree(
    west_admin: Any, users: dict[str, Any], org: dict[str, Any]
) -> None:
    east = users["east_handler"]
    for method, path in (("patch", f"{BASE}/{east.pk}"), ("post", f"{BASE}/{east.pk}/second-factor-reset"),
                         ("post", f"{BASE}/{east.pk}/unlock")):  # fmt: skip
        body = {"client_id": str(uuid.uuid4()), **({"full_name": "x"} if method == "patch" else {})}
        assert _send(west_admin, method, path, body).status_code == 404, path
    assert client_for(west_admin).get(f"{BASE}/{east.pk}").status_code == 404
    listed = client_for(west_admin).get(BASE).json()
    assert east.pk not in [item["id"] for item in listed["items"]]
    elsewhere = _send(west_admin, "post", BASE, _new(org["east_c"]))
    assert elsewhere.status_code == 403 and elsewhere.json()["field"] == "unit_id"
    coordinator = _send(users["coordinator"], "post", BASE, _new(org["west_c"]))
    assert coordinator.status_code == 403
    assert client_for(users["coordinator"]).get(BASE).status_code == 403
    east.refresh_from_db()
    assert east.full_name == "east_handler" and not User.objects.filter(username="new_one").exists()


def test_it_refuses_privilege_escalation(west_admin: Any, users: dict[str, Any], org: dict[str, Any]) -> None:
    sneaky = _send(west_admin, "post", BASE, _new(org["west_c"], is_superuser=True))
    assert sneaky.status_code == 422
    head = users["west_head"]
    staff = _send(
        west_admin, "patch", f"{BASE}/{head.pk}", {"client_id": str(uuid.uuid4()), "is_staff": True}
    )
    assert staff.status_code == 422
    super_admin = users["admin"]  # a superuser of the district, above the street's administrator
    assert (
        _send(
            west_admin,
            "patch",
            f"{BASE}/{super_admin.pk}",
            {"client_id": str(uuid.uuid4()), "full_name": "x"},
        ).status_code
        == 404
    )
    peer = make_user("west_admin2", "admin", org["west"], is_superuser=True)
    above = _send(
        west_admin, "patch", f"{BASE}/{peer.pk}", {"client_id": str(uuid.uuid4()), "is_active": False}
    )
    assert above.status_code == 403
    self_role = _send(
        west_admin, "patch", f"{BASE}/{west_admin.pk}", {"client_id": str(uuid.uuid4()), "role": "leader"}
    )
    assert self_role.status_code == 403 and self_role.json()["field"] == "role"
    head.refresh_from_db()
    peer.refresh_from_db()
    assert not head.is_staff and peer.is_active


def test_it_refuses_a_role_above_the_callers_own(org: dict[str, Any]) -> None:
    from chuangwen.accounts import people

    head = make_user("head_x", "unit_head", org["west"])
    with pytest.raises(people.Refused) as refused:
        people.check_grant(head, "coordinator")
    assert refused.value.field == "role"
    people.check_grant(head, "handler")


def test_it_names_the_field_of_bad_input(west_admin: Any, org: dict[str, Any]) -> None:
    long_name = _send(west_admin, "post", BASE, _new(org["west_c"], full_name="x" * 51))
    assert long_name.status_code == 422 and long_name.json()["detail"][0]["loc"][-1] == "full_name"
    bad_role = _send(west_admin, "post", BASE, _new(org["west_c"], role="king"))
    assert bad_role.status_code == 422 and bad_role.json()["detail"][0]["loc"][-1] == "role"
    weak = _send(west_admin, "post", BASE, _new(org["west_c"], password="123"))
    assert weak.status_code == 400 and weak.json()["field"] == "password"
    assert not User.objects.filter(username="new_one").exists()
