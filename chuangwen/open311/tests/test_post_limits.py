"""POST requests fall under the citizen report limits: per phone number, and per the spec's device_id."""

from __future__ import annotations

from typing import Any

from django.test import Client

from chuangwen.open311.models import Integration
from chuangwen.open311.tests.open311_fixtures import categories, errors, integration, post  # noqa: F401
from chuangwen.reports.models import CitizenReport


def test_it_limits_requests_per_device_id(
    categories: Any,  # noqa: F811
    integration: tuple[Integration, str],  # noqa: F811
    settings: Any,
) -> None:
    settings.REPORTS_DEVICE_LIMIT = 2
    key = integration[1]
    for n in range(2):
        sent = post(Client(), key, description=f"东门口垃圾桶满溢第 {n} 天", device_id="phone-1")
        assert sent.status_code == 200
    refused = post(Client(), key, description="东门口垃圾桶满溢第 9 天", device_id="phone-1")
    assert refused.status_code == 400
    assert "同一设备 10 分钟内最多提交 2 件随手拍" in errors(refused)[0][1]
    assert post(Client(), key, description="东门口垃圾桶满溢", device_id="phone-2").status_code == 200
    assert CitizenReport.objects.count() == 3
