"""The 网上申报 component of the rankings: completion and return rates per ranked unit as they stood at the
ranking's moment, the score from the standard's weights, and the composite that renormalises without it."""

from __future__ import annotations

import io
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from chuangwen.materials import component, services
from chuangwen.materials.tests import samples
from chuangwen.rankings.compute import LevelMap, Period, compute

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
D = Decimal


def _at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 12, day, hour, tzinfo=SHANGHAI)


def _passed(task: Any, clerk: Any, head: Any, office: Any, *, returned: bool = False) -> None:
    fields = services.clean_fields({"kind": "document", "activity_date": date(2026, 6, 1)}, needs_title=False)
    data = samples.pdf_bytes(f"{task.pk}{clerk.pk}")
    material = services.upload(
        task, clerk, fields, client_ids=[uuid.uuid4()], files=[("a.pdf", io.BytesIO(data))]
    )[0]
    services.act(material, "submit", clerk)
    services.act(material, "approve", head)
    if returned:
        services.act(material, "return", office, comment="补充")
        services.act(material, "resubmit", clerk)
        services.act(material, "approve", head)
    services.act(material, "pass", office)


def test_it_counts_rates_as_they_stood_and_feeds_the_composite(
    material_tasks: Any, clerks: Any, users: Any
) -> None:
    office = users["coordinator"]
    with time_machine.travel(_at(7), tick=False):
        # west: 2 cells (01-01-01, 02-01-01), one passed after a return; east: 2 cells, none passed
        _passed(material_tasks["01-01-01"], clerks["west_clerk"], clerks["west_head"], office, returned=True)
        _passed(material_tasks["01-01-01"], clerks["west_clerk"], clerks["west_head"], office)  # same cell
    streets = LevelMap("street")
    before = component.tallies(streets, _at(6))
    assert all(t.passed == 0 and t.submissions == 0 for t in before.values())
    tallies = component.tallies(streets, _at(8))
    west, east = tallies[clerks["west_clerk"].unit_id], tallies[clerks["east_clerk"].unit_id]
    assert (west.cells, west.passed, west.submissions, west.returns) == (2, 1, 3, 1)  # a cell counts once
    assert (east.cells, east.passed, east.submissions, east.returns) == (2, 0, 0, 0)
    weights = {"completion_rate": D("0.8"), "return_rate": D("0.2")}
    # west: 100 × (0.8 × 1/2 + 0.2 × (1 − 1/3)) / 1.0 = 53.33…; east: completion only → 0
    west_score = component.score(west, weights)
    assert west_score is not None and west_score.quantize(D("0.01")) == D("53.33")
    assert component.score(east, weights) == D(0)
    assert component.score(component.MaterialsTally(), weights) is None

    with time_machine.travel(_at(8), tick=False):
        scores = {s.unit_id: s for s in compute(Period.for_month(date(2026, 12, 1)), "street")}
    row = scores[clerks["west_clerk"].unit_id]
    assert row.materials == D("53.33") and row.materials_counts["returns"] == 1
    assert row.composite is None  # no on-site visit: never ranked, whatever the materials say
