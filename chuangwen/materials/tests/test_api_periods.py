"""The materials API's period writes: a coordinator opens a period (the standard freezes) and archives it as
on the pages, once per client id; others refused; a date out of bounds named."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from chuangwen.audit.models import AuditEntry
from chuangwen.materials.models import Period, PeriodState
from chuangwen.org.models import Unit, UnitKind
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db
BASE = "/api/v1/materials/periods"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _post(user: Any, path: str, body: dict[str, Any]) -> Any:
    return client_for(user).post(path, body, content_type="application/json")


def test_it_opens_a_period_once(tree_standard: Any, users: Any) -> None:
    body = {"client_id": str(uuid.uuid4()), "name": "2027 年度", "standard_id": tree_standard.pk,
            "reference_date": "2027-06-30"}  # fmt: skip
    with time_machine.travel(NOW, tick=False):
        answer = _post(users["coordinator"], BASE, body)
        assert answer.status_code == 201, answer.content
        again = _post(users["coordinator"], BASE, body)
    period = Period.objects.get(name="2027 年度")
    assert answer.json()["id"] == period.pk and period.owner_unit == users["coordinator"].unit
    assert period.reference_date == date(2027, 6, 30)
    tree_standard.refresh_from_db()
    assert tree_standard.frozen_at is not None
    assert again.json()["duplicate"] is True and Period.objects.count() == 1


def test_it_archives_a_period_once(material_period: Any, users: Any) -> None:
    body = {"client_id": str(uuid.uuid4())}
    answer = _post(users["coordinator"], f"{BASE}/{material_period.pk}/close", body)
    assert answer.status_code == 200 and answer.json()["state"] == PeriodState.CLOSED
    assert _post(users["coordinator"], f"{BASE}/{material_period.pk}/close", body).json()["duplicate"] is True
    assert AuditEntry.objects.filter(action="materials.period.close").count() == 1
    later = _post(
        users["coordinator"], f"{BASE}/{material_period.pk}/close", {"client_id": str(uuid.uuid4())}
    )
    assert later.status_code == 409


def test_it_refuses_others(material_period: Any, users: Any, org: Any, tree_standard: Any) -> None:
    close = {"client_id": str(uuid.uuid4())}
    assert _post(users["west_head"], f"{BASE}/{material_period.pk}/close", close).status_code == 403
    other = Unit.objects.create(code="D02", name="另一区", kind=UnitKind.DISTRICT, parent=org["city"])
    stranger = make_user("other_coord", "coordinator", other)
    assert _post(stranger, f"{BASE}/{material_period.pk}/close", close).status_code == 404
    body = {"client_id": str(uuid.uuid4()), "name": "x", "standard_id": tree_standard.pk,
            "reference_date": "2027-06-30"}  # fmt: skip
    assert _post(users["leader"], BASE, body).status_code == 403
    material_period.refresh_from_db()
    assert material_period.state == PeriodState.OPEN and Period.objects.count() == 1


def test_it_names_the_field_of_bad_input(tree_standard: Any, users: Any) -> None:
    body = {"client_id": str(uuid.uuid4()), "name": "x", "standard_id": tree_standard.pk,
            "reference_date": "2090-01-01"}  # fmt: skip
    with time_machine.travel(NOW, tick=False):
        far = _post(users["coordinator"], BASE, body)
        assert far.status_code == 400 and far.json()["field"] == "reference_date"
        bad = _post(users["coordinator"], BASE, {**body, "reference_date": "not a date"})
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "reference_date"
    assert not Period.objects.exists()
    tree_standard.refresh_from_db()
    assert tree_standard.frozen_at is None


def test_it_starts_the_ledger_once_and_reports_its_progress(
    material_period: Any, users: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from chuangwen.materials.models import LedgerExport

    body = {"client_id": str(uuid.uuid4())}
    url = f"{BASE}/{material_period.pk}/ledger"
    with django_capture_on_commit_callbacks(execute=True):
        answer = _post(users["coordinator"], url, body)
    assert answer.status_code == 202, answer.content
    again = _post(users["coordinator"], url, body)
    assert again.json()["duplicate"] is True and LedgerExport.objects.count() == 1
    status = client_for(users["leader"]).get(f"/api/v1/materials/ledger/{answer.json()['id']}")
    assert status.status_code == 200 and status.json()["state"] in ("queued", "running", "done")


def test_it_refuses_the_ledger_to_others(material_period: Any, users: Any, clerks: Any, org: Any) -> None:
    from chuangwen.materials.models import LedgerExport

    url = f"{BASE}/{material_period.pk}/ledger"
    assert _post(clerks["west_head"], url, {"client_id": str(uuid.uuid4())}).status_code == 403
    other = Unit.objects.create(code="D02", name="另一区", kind=UnitKind.DISTRICT, parent=org["city"])
    stranger = make_user("other_coord", "coordinator", other)
    assert _post(stranger, url, {"client_id": str(uuid.uuid4())}).status_code == 404
    assert not LedgerExport.objects.exists()
