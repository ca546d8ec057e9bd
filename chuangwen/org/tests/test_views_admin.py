"""Django admin for units and sites: in Chinese, searchable, and scoped for staff who are not superusers."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from conftest import make_user

pytestmark = pytest.mark.django_db


def test_admin_lists_in_chinese(users: dict[str, Any], sites: dict[str, Any]) -> None:
    client = Client()
    client.force_login(users["admin"])
    units = client.get("/admin/org/unit/", {"q": "街道"})
    assert units.status_code == 200
    html = units.content.decode()
    assert "西湖街道" in html and "东城街道" in html and "单位类型" in html and "柳浪社区" not in html
    site_page = client.get("/admin/sites/site/", {"q": "农贸"}).content.decode()
    assert "柳浪农贸市场" in site_page and "西湖大道" not in site_page and "申报点位" in site_page
    assert client.get(f"/admin/sites/site/{sites['east_estate'].pk}/change/").status_code == 200
    assert client.get(f"/admin/org/unit/{users['admin'].unit_id}/change/").status_code == 200


def test_staff_who_is_not_superuser_sees_own_subtree(org: dict[str, Any], sites: dict[str, Any]) -> None:
    from django.contrib.auth.models import Permission

    staff = make_user("west_admin", "admin", org["west"], is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(codename__in=["view_unit", "view_site"]))
    client = Client()
    client.force_login(staff)
    units = client.get("/admin/org/unit/").content.decode()
    assert "柳浪社区" in units and "东门社区" not in units
    site_list = client.get("/admin/sites/site/").content.decode()
    assert "西湖大道" in site_list and "东门老旧小区" not in site_list
    assert client.get(f"/admin/sites/site/{sites['east_estate'].pk}/change/").status_code == 302
