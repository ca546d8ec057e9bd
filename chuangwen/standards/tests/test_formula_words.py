"""The standard page says the site-score formula in words, not as raw code."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from conftest import client_for

pytestmark = pytest.mark.django_db


def test_it_says_the_site_score_formula_in_words(users: dict[str, Any]) -> None:
    from chuangwen.standards.models import Standard

    standard = Standard.objects.create(code="QGWMCS", version=1, name="全国文明城市测评体系")
    page = client_for(users["inspector"]).get(reverse("standards:detail", args=[standard.pk]))
    html = page.content.decode()
    assert "max(0" not in html and "deduct * count" not in html
    assert "不超过该项目的扣分上限" in html and "最低 0 分" in html
