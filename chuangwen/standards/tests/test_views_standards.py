"""Standards pages: reference data readable by every signed-in user."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def standard(db: Any) -> Any:
    from chuangwen.standards.models import CheckItem, Standard

    std = Standard.objects.create(code="QGWMCS", version=2, name="全国文明城市测评体系", is_active=True)
    road = std.site_types.create(code="ZD", name="主次干道", protocol="步行全程", weight=Decimal("1.2"))
    CheckItem.objects.create(
        site_type=road,
        code="ZD01",
        category="环境卫生",
        text="路面无垃圾",
        mode="per_occurrence",
        deduct=Decimal("0.5"),
        cap=Decimal("3"),
        unit_label="处",
        severity="general",
        deadline_days=1,
        duty="环卫",
    )
    CheckItem.objects.create(
        site_type=road,
        code="ZD02",
        category="公益广告",
        text="公益广告完好",
        mode="veto",
        deduct=Decimal("0"),
        severity="serious",
        deadline_days=5,
        duty="宣传",
    )
    Standard.objects.create(code="QGWMCS", version=1, name="全国文明城市测评体系（旧）")
    return std


def test_list(users: dict[str, Any], standard: Any) -> None:
    client = Client()
    client.force_login(users["east_handler"])
    response = client.get(reverse("standards:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "测评体系" in html and "全国文明城市测评体系" in html and "v2" in html and "v1" in html
    assert "当前生效" in html
    # Freezing tells that a (possibly secret) round drew with a version: only coordinators see it.
    assert "可修改" not in html and "已冻结" not in html
    coordinator = Client()
    coordinator.force_login(users["coordinator"])
    assert "可修改" in coordinator.get(reverse("standards:list")).content.decode()


def test_detail(users: dict[str, Any], standard: Any) -> None:
    client = Client()
    client.force_login(users["inspector"])
    html = client.get(reverse("standards:detail", args=[standard.pk])).content.decode()
    for text in ("主次干道", "路面无垃圾", "按处扣分", "一票否决", "环卫", "宣传", "严重", "0.5", "步行全程"):
        assert text in html


def test_missing_standard_is_404(users: dict[str, Any]) -> None:
    client = Client()
    client.force_login(users["inspector"])
    assert client.get(reverse("standards:detail", args=[9999])).status_code == 404


def test_needs_login(standard: Any) -> None:
    for url in (reverse("standards:list"), reverse("standards:detail", args=[standard.pk])):
        assert Client().get(url).status_code == 302
