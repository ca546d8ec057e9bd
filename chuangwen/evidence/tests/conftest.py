"""A round in progress with the inspector on its team, drawn at a west and an east site."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest


@pytest.fixture
def field_round(users: dict[str, Any], sites: dict[str, Any], org: dict[str, Any]) -> Any:
    from chuangwen.rounds.models import Round, RoundKind, RoundSite, RoundStatus, Team
    from chuangwen.standards.models import Standard

    standard = Standard.objects.create(code="T", name="测试标准")
    round_ = Round.objects.create(
        name="2026年12月暗访",
        kind=RoundKind.UNANNOUNCED,
        standard=standard,
        owner_unit=org["district"],
        target_unit=org["district"],
        period_start=date(2026, 12, 1),
        period_end=date(2026, 12, 5),
        status=RoundStatus.IN_PROGRESS,
        created_by=users["coordinator"],
    )
    team = Team.objects.create(round=round_, name="第1组")
    team.members.add(users["inspector"])
    for order, key in enumerate(("west_road", "east_estate"), start=1):
        RoundSite.objects.create(round=round_, site=sites[key], draw_order=order, team=team)
    return round_
