"""The bulletin API's refresh and 曝光台 operations: the pages' checks (the issuing office; a coordinator for
the 曝光台), idempotent by client id, audited as the pages, bad input named."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from chuangwen.audit.models import AuditEntry
from chuangwen.bulletins.models import Bulletin
from chuangwen.bulletins.tests.fixtures import draft_of, issue
from chuangwen.org.models import Unit, UnitKind
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db
BASE = "/api/v1/bulletins"


def _post(user: Any, path: str, body: dict[str, Any]) -> Any:
    return client_for(user).post(f"{BASE}{path}", body, content_type="application/json")


@pytest.fixture
def stranger(org: dict[str, Any]) -> Any:
    other = Unit.objects.create(code="D02", name="另一区", kind=UnitKind.DISTRICT, parent=org["city"])
    return make_user("other_coord", "coordinator", other)


def test_it_refreshes_a_draft_once(bulletin_world: dict[str, Any], users: dict[str, Any]) -> None:
    draft = draft_of(bulletin_world, users)
    body = {"client_id": str(uuid.uuid4()), "version": draft.version}
    answer = _post(users["coordinator"], f"/{draft.pk}/refresh", body)
    assert answer.status_code == 200, answer.content
    assert answer.json()["version"] == draft.version + 1
    again = _post(users["coordinator"], f"/{draft.pk}/refresh", body)
    assert (
        again.json()["duplicate"] is True and Bulletin.objects.get(pk=draft.pk).version == draft.version + 1
    )
    stale = _post(users["coordinator"], f"/{draft.pk}/refresh", {**body, "client_id": str(uuid.uuid4())})
    assert stale.status_code == 409


def test_it_publishes_and_withdraws_once(bulletin_world: dict[str, Any], users: dict[str, Any]) -> None:
    bulletin = issue(draft_of(bulletin_world, users), bulletin_world, users)
    body = {"client_id": str(uuid.uuid4()), "summary": "本月排名通报"}
    answer = _post(users["coordinator"], f"/{bulletin.pk}/exposure", body)
    assert answer.status_code == 200, answer.content
    assert Bulletin.objects.get(pk=bulletin.pk).public_at is not None
    assert _post(users["coordinator"], f"/{bulletin.pk}/exposure", body).json()["duplicate"] is True
    withdraw = {"client_id": str(uuid.uuid4()), "reason": "数据更正"}
    assert _post(users["coordinator"], f"/{bulletin.pk}/exposure/withdraw", withdraw).status_code == 200
    assert Bulletin.objects.get(pk=bulletin.pk).public_at is None
    actions = list(AuditEntry.objects.filter(action__startswith="bulletin").values_list("action", flat=True))
    assert sum("publish" in a for a in actions) == 1 and sum("withdr" in a for a in actions) == 1, actions


def test_it_refuses_other_offices_and_roles(
    bulletin_world: dict[str, Any], users: dict[str, Any], stranger: Any
) -> None:
    bulletin = issue(draft_of(bulletin_world, users), bulletin_world, users)
    body = {"client_id": str(uuid.uuid4()), "summary": "x"}
    assert _post(stranger, f"/{bulletin.pk}/exposure", body).status_code == 404
    assert _post(users["leader"], f"/{bulletin.pk}/exposure", body).status_code == 404
    assert _post(users["west_handler"], f"/{bulletin.pk}/exposure", body).status_code in (403, 404)
    refresh = {"client_id": str(uuid.uuid4()), "version": 1}
    assert _post(stranger, f"/{bulletin.pk}/refresh", refresh).status_code == 404
    assert Bulletin.objects.get(pk=bulletin.pk).public_at is None


def test_it_names_the_field_of_bad_input(bulletin_world: dict[str, Any], users: dict[str, Any]) -> None:
    bulletin = issue(draft_of(bulletin_world, users), bulletin_world, users)
    long = _post(
        users["coordinator"],
        f"/{bulletin.pk}/exposure",
        {"client_id": str(uuid.uuid4()), "summary": "x" * 501},
    )
    assert long.status_code == 422 and long.json()["detail"][0]["loc"][-1] == "summary"
    assert Bulletin.objects.get(pk=bulletin.pk).public_at is None
