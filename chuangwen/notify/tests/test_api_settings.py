"""The notice settings API: a unit's mode per kind of notice (the preferences page's rule: a unit head his or
her unit, a coordinator any unit in scope) and the units' channels (the admin's rule); idempotent, audited."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from chuangwen.audit.models import AuditEntry
from chuangwen.notify import preferences
from chuangwen.notify.models import Channel, Delivery
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db
BASE = "/api/v1/notify"


def _send(user: Any, method: str, path: str, body: dict[str, Any]) -> Any:
    return getattr(client_for(user), method)(f"{BASE}{path}", body, content_type="application/json")


def test_it_sets_a_units_modes_once(users: dict[str, Any], org: dict[str, Any]) -> None:
    body = {"client_id": str(uuid.uuid4()), "modes": {"case.dispatch": "digest"}}
    answer = _send(users["west_head"], "put", "/preferences", body)
    assert answer.status_code == 200, answer.content
    assert preferences.unit_modes(org["west"])["case.dispatch"] == "digest"
    assert preferences.unit_modes(org["west"])["case.rectified"] == "instant"
    again = _send(users["west_head"], "put", "/preferences", {**body, "modes": {"case.dispatch": "instant"}})
    assert again.json()["duplicate"] is True
    assert preferences.unit_modes(org["west"])["case.dispatch"] == "digest"
    assert AuditEntry.objects.filter(action="notify.preferences", object_id=str(org["west"].pk)).count() == 1
    east = {"client_id": str(uuid.uuid4()), "unit_id": org["east"].pk, "modes": {"case.rectified": "digest"}}
    assert _send(users["coordinator"], "put", "/preferences", east).status_code == 200
    assert preferences.unit_modes(org["east"])["case.rectified"] == "digest"
    read = client_for(users["coordinator"]).get(f"{BASE}/preferences", {"unit_id": org["east"].pk})
    assert read.json()["modes"]["case.rectified"] == "digest"


def test_it_refuses_preferences_outside_the_callers_reach(users: dict[str, Any], org: dict[str, Any]) -> None:
    east = {"client_id": str(uuid.uuid4()), "unit_id": org["east"].pk, "modes": {"case.dispatch": "digest"}}
    assert _send(users["west_head"], "put", "/preferences", east).status_code == 404
    west_coordinator = make_user("west_coord", "coordinator", org["west"])
    assert _send(west_coordinator, "put", "/preferences", east).status_code == 404
    handler = {"client_id": str(uuid.uuid4()), "modes": {"case.dispatch": "digest"}}
    assert _send(users["west_handler"], "put", "/preferences", handler).status_code == 403
    assert preferences.unit_modes(org["east"])["case.dispatch"] == "instant"
    assert preferences.unit_modes(org["west"])["case.dispatch"] == "instant"


def test_it_names_the_field_of_bad_modes(users: dict[str, Any], org: dict[str, Any]) -> None:
    bad = {"client_id": str(uuid.uuid4()), "modes": {"case.dispatch": "sometimes"}}
    answer = _send(users["west_head"], "put", "/preferences", bad)
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"][-1] == "case.dispatch"
    unknown = {"client_id": str(uuid.uuid4()), "modes": {"case.nothing": "digest"}}
    assert _send(users["west_head"], "put", "/preferences", unknown).status_code == 422
    assert preferences.unit_modes(org["west"])["case.dispatch"] == "instant"


def test_it_keeps_channels(users: dict[str, Any], org: dict[str, Any]) -> None:
    hook = "https://oapi.dingtalk.com/robot/send?access_token=abc"
    body = {"client_id": str(uuid.uuid4()), "unit_id": org["west"].pk, "name": "西湖创文群",
            "kind": "dingtalk", "target": hook, "secret": "SECxyz"}  # fmt: skip
    made = _send(users["coordinator"], "post", "/channels", body)
    assert made.status_code == 201, made.content
    assert made.json()["target_hint"] == "oapi.dingtalk.com" and "SECxyz" not in made.content.decode()
    assert _send(users["coordinator"], "post", "/channels", body).json()["duplicate"] is True
    channel = Channel.objects.get()
    off = _send(
        users["coordinator"],
        "patch",
        f"/channels/{channel.pk}",
        {"client_id": str(uuid.uuid4()), "active": False},
    )
    assert off.status_code == 200 and not Channel.objects.get().active
    actions = set(
        AuditEntry.objects.filter(action__startswith="notify.channel").values_list("action", flat=True)
    )
    assert actions == {"notify.channel.api_add", "notify.channel.api_change"}
    west_coordinator = make_user("west_coord", "coordinator", org["west"])
    on = _send(
        west_coordinator, "patch", f"/channels/{channel.pk}", {"client_id": str(uuid.uuid4()), "active": True}
    )
    assert on.status_code == 200
    sent = _send(west_coordinator, "post", f"/channels/{channel.pk}/test", {"client_id": str(uuid.uuid4())})
    assert sent.status_code == 200 and Delivery.objects.filter(pk=sent.json()["delivery_id"]).exists()


def test_it_refuses_channels_elsewhere_and_bad_targets(users: dict[str, Any], org: dict[str, Any]) -> None:
    channel = Channel.objects.create(unit=org["east"], name="东城群", kind="email", target="a@example.com")
    west_coordinator = make_user("west_coord", "coordinator", org["west"])
    change = {"client_id": str(uuid.uuid4()), "name": "x"}
    assert _send(west_coordinator, "patch", f"/channels/{channel.pk}", change).status_code == 404
    assert (
        _send(
            west_coordinator, "post", f"/channels/{channel.pk}/test", {"client_id": str(uuid.uuid4())}
        ).status_code
        == 404
    )
    assert client_for(west_coordinator).get(f"{BASE}/channels").json() == []
    assert client_for(users["west_handler"]).get(f"{BASE}/channels").status_code == 403
    bad = {
        "client_id": str(uuid.uuid4()),
        "unit_id": org["west"].pk,
        "name": "x",
        "kind": "email",
        "target": "not-mail",
    }
    answer = _send(west_coordinator, "post", "/channels", bad)
    assert answer.status_code == 400 and answer.json()["field"] == "target"
    elsewhere = {**bad, "client_id": str(uuid.uuid4()), "unit_id": org["east"].pk, "target": "b@example.com"}
    assert _send(west_coordinator, "post", "/channels", elsewhere).status_code == 403
    assert Channel.objects.count() == 1 and Channel.objects.get().name == "东城群"
