"""Creating and editing a site through the form: coordinators only, inside scope, area decided by location."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import client_for

pytestmark = pytest.mark.django_db


def form_data(org: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    data = {
        "code": "P0200",
        "name": "东城菜场",
        "site_type": "NM",
        "address": "东城路 1 号",
        "lng": "120.08",
        "lat": "30.03",
        "coord_system": "WGS-84",
        "responsible_unit": str(org["east"].pk),
        "declared": "on",
        "risk_tags": ["农贸周边"],
        "active": "on",
    }
    data.update(overrides)
    return data


def test_coordinator_creates_a_site(org: dict[str, Any], users: dict[str, Any]) -> None:
    from chuangwen.sites.models import Site

    client = client_for(users["coordinator"])
    page = client.get(reverse("sites:create"))
    assert page.status_code == 200 and "新增点位" in page.content.decode()
    response = client.post(reverse("sites:create"), form_data(org))
    site = Site.objects.get(code="P0200")
    assert response.status_code == 302 and response["Location"] == reverse("sites:detail", args=[site.pk])
    assert site.area_unit == org["east"]  # decided from the boundaries, not typed
    assert site.responsible_unit == org["east"] and site.declared and site.risk_tags == ["农贸周边"]
    html = client.get(response["Location"]).content.decode()
    assert "点位已保存" in html and "东城街道" in html


def test_service_errors_are_shown_on_the_form(org: dict[str, Any], users: dict[str, Any], sites: Any) -> None:
    from chuangwen.sites.models import Site

    client = client_for(users["coordinator"])
    response = client.post(reverse("sites:create"), form_data(org, code="P0001", lng="121.5", lat="31.2"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "已存在" in html
    assert not Site.objects.filter(name="东城菜场").exists()


def test_coordinator_edits_a_site(org: dict[str, Any], users: dict[str, Any], sites: dict[str, Any]) -> None:
    site = sites["east_estate"]
    client = client_for(users["coordinator"])
    page = client.get(reverse("sites:edit", args=[site.pk]))
    assert page.status_code == 200 and "东门老旧小区" in page.content.decode()
    data = form_data(org, code="P0003", name="东门小区（改造中）", lng="120.02", lat="30.05")
    response = client.post(reverse("sites:edit", args=[site.pk]), data)
    assert response.status_code == 302
    site.refresh_from_db()
    assert site.name == "东门小区（改造中）"
    assert site.area_unit == org["west"]  # moved west: the area follows the point


def test_other_roles_may_not_edit(org: dict[str, Any], users: dict[str, Any], sites: dict[str, Any]) -> None:
    for role in ("west_handler", "leader", "inspector"):
        client = client_for(users[role])
        assert client.get(reverse("sites:create")).status_code == 403
        assert client.post(reverse("sites:create"), form_data(org)).status_code == 403
    client = client_for(users["west_handler"])
    assert client.get(reverse("sites:edit", args=[sites["west_road"].pk])).status_code == 403
    assert "新增点位" not in client.get(reverse("sites:list")).content.decode()


def test_edit_outside_scope_is_404(org: dict[str, Any], users: dict[str, Any], sites: dict[str, Any]) -> None:
    from chuangwen.org.models import Unit

    coordinator = users["coordinator"]
    coordinator.unit = Unit.objects.get(pk=org["west"].pk)
    coordinator.save()
    client = client_for(coordinator)
    assert client.get(reverse("sites:edit", args=[sites["east_estate"].pk])).status_code == 404
    # a responsible unit outside the scope is not even offered
    response = client.post(reverse("sites:create"), form_data(org, code="P0300"))
    assert response.status_code == 200 and "责任单位" in response.content.decode()


def test_form_needs_login() -> None:
    assert Client().get(reverse("sites:create")).status_code == 302
