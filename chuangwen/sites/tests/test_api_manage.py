"""The sites API's writes: a coordinator registers and edits sites as on the form (area unit from the
location, audited), once per client id; scope and role refused; bad input names the field."""

from __future__ import annotations

import uuid
from typing import Any, get_args

import pytest

from chuangwen.audit.models import AuditEntry
from chuangwen.org.models import Unit, UnitKind
from chuangwen.sites.api_manage import Tag
from chuangwen.sites.models import RiskTag, Site
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db
BASE = "/api/v1/sites"


def _body(org: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"client_id": str(uuid.uuid4()), "code": "P0200", "name": "东城菜场", "site_type": "NM",
            "address": "东城路 1 号", "lng": 120.08, "lat": 30.03, "responsible_unit_id": org["east"].pk,
            "declared": True, "risk_tags": ["农贸周边"], **extra}  # fmt: skip


def _send(user: Any, method: str, path: str, body: dict[str, Any]) -> Any:
    return getattr(client_for(user), method)(path, body, content_type="application/json")


def test_it_registers_a_site_once(org: dict[str, Any], users: dict[str, Any]) -> None:
    body = _body(org)
    answer = _send(users["coordinator"], "post", BASE, body)
    assert answer.status_code == 201, answer.content
    site = Site.objects.get(code="P0200")
    assert site.area_unit == org["east"] and site.declared and site.risk_tags == ["农贸周边"]
    again = _send(users["coordinator"], "post", BASE, {**body, "name": "别的"})
    assert again.status_code == 200 and again.json()["duplicate"] is True and Site.objects.count() == 1
    assert AuditEntry.objects.filter(action="site_created", object_id=str(site.pk)).count() == 1


def test_it_edits_a_site(org: dict[str, Any], users: dict[str, Any], sites: dict[str, Any]) -> None:
    site = sites["west_road"]
    body = {"client_id": str(uuid.uuid4()), "name": "西湖大道（东段）", "lng": 120.08, "lat": 30.03}
    answer = _send(users["coordinator"], "patch", f"{BASE}/{site.pk}", body)
    assert answer.status_code == 200, answer.content
    site.refresh_from_db()
    assert site.name == "西湖大道（东段）" and site.area_unit == org["east"]
    assert AuditEntry.objects.filter(action="site_updated", object_id=str(site.pk)).exists()


def test_it_refuses_other_roles_and_scopes(org: dict[str, Any], users: dict[str, Any], sites: Any) -> None:
    site = sites["west_road"]
    assert _send(users["west_handler"], "post", BASE, _body(org)).status_code == 403
    patch = {"client_id": str(uuid.uuid4()), "name": "x"}
    assert _send(users["west_handler"], "patch", f"{BASE}/{site.pk}", patch).status_code == 403
    other = Unit.objects.create(code="D02", name="另一区", kind=UnitKind.DISTRICT, parent=org["city"])
    stranger = make_user("other_coord", "coordinator", other)
    assert _send(stranger, "patch", f"{BASE}/{site.pk}", patch).status_code == 404
    elsewhere = _send(stranger, "post", BASE, _body(org))
    assert elsewhere.status_code == 403 and elsewhere.json()["field"] == "responsible_unit_id"
    site.refresh_from_db()
    assert site.name == "西湖大道" and not Site.objects.filter(code="P0200").exists()


def test_it_names_the_field_of_bad_input(org: dict[str, Any], users: dict[str, Any], sites: Any) -> None:
    coordinator = users["coordinator"]
    far = _send(coordinator, "post", BASE, _body(org, lng=200))
    assert far.status_code == 422 and far.json()["detail"][0]["loc"][-1] == "lng"
    tag = _send(coordinator, "post", BASE, _body(org, risk_tags=["火星"]))
    assert tag.status_code == 422
    taken = _send(coordinator, "post", BASE, _body(org, code="P0001"))
    assert taken.status_code == 400 and taken.json()["field"] == "code"
    assert not Site.objects.filter(name="东城菜场").exists()


def test_it_offers_the_models_risk_tags() -> None:
    assert set(get_args(Tag)) == set(RiskTag.values)
