"""A round's dates and numbers lie within the bounds (chuangwen.core.bounds): the period on the create page
and in the service, the draw's counts, and a visit's ids and times from the phone."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from chuangwen.rounds.models import Round
from chuangwen.rounds.tests.round_fixtures import make_draft
from chuangwen.rounds.tests.test_views_rounds import form_data
from chuangwen.rounds.tests.visit_fixtures import done_payload, post_json
from conftest import client_for

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
HUGE = 60190102081118010343424


@time_machine.travel(NOW, tick=False)
def test_it_refuses_a_round_period_in_the_year_9956(users: Any, round_standard: Any, org: Any) -> None:
    client = client_for(users["coordinator"])
    page = client.post(reverse("rounds:create"), form_data(round_standard, period_end="9956-01-08"))
    assert page.status_code == 200 and "结束日期须在 2006-01-01 至 2031-12-03 之间" in page.content.decode()
    with pytest.raises(ValidationError) as info:
        make_draft(org, users, round_standard, period_start=datetime.date(1900, 1, 1))
    assert info.value.message_dict["period_start"] == ["开始日期须在 2006-01-01 至 2031-12-03 之间"]
    assert not Round.objects.exists()


def test_it_refuses_draw_counts_beyond_any_district(users: Any, round_standard: Any, org: Any) -> None:
    client = client_for(users["coordinator"])
    page = client.post(
        reverse("rounds:create"), form_data(round_standard, quota_ZD=str(HUGE), street_max="-1")
    )
    assert page.status_code == 200 and not Round.objects.exists()
    with pytest.raises(ValidationError) as info:
        make_draft(org, users, round_standard, params={"type_quotas": {"ZD": HUGE}})
    assert "不能超过 100000" in " ".join(info.value.message_dict["params"])


def test_it_refuses_a_visit_with_a_huge_id_or_a_time_in_the_year_9956(
    users: Any, sites: Any, visit_round: Any
) -> None:
    client = client_for(users["inspector"])
    site = sites["west_road"]
    payload = {**done_payload(visit_round, site), "round_id": HUGE}
    response = post_json(client, "/api/v1/inspect/visits", payload)
    assert response.status_code == 422
    assert any(e["loc"] == ["body", "round_id"] for e in response.json()["detail"])
    payload = {**done_payload(visit_round, site), "finished_at": "9956-01-01T10:00:00+08:00"}
    response = post_json(client, "/api/v1/inspect/visits", payload)
    errors = response.json()["detail"]
    assert response.status_code == 422
    assert any(e["loc"] == ["body", "finished_at"] and "时间须在" in e["msg"] for e in errors), errors
