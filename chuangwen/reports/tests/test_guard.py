"""The duplicate guard at its boundary: 99 m is listed, 101 m is not; same category only; open only."""

from __future__ import annotations

import math

import pytest

from chuangwen.cases.models import CaseSource, CaseState
from chuangwen.cases.tests.case_fixtures import make_case
from chuangwen.org.distance import EARTH_RADIUS_M, haversine_m
from chuangwen.reports import guard, triage
from chuangwen.reports.tests.report_fixtures import WEST, submit

pytestmark = pytest.mark.django_db


def north_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    return (point[0] + math.degrees(metres / EARTH_RADIUS_M), point[1])


def east_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    return (point[0], point[1] + math.degrees(metres / EARTH_RADIUS_M) / math.cos(math.radians(point[0])))


@pytest.mark.parametrize("shift", [north_of, east_of])
def test_it_lists_99_metres_and_not_101(org, categories, shift):
    near = submit(categories["garbage"], shift(WEST, 99))
    far = submit(categories["garbage"], shift(WEST, 101))
    assert haversine_m(*WEST, near.lat, near.lng) == pytest.approx(99, abs=0.05)
    assert haversine_m(*WEST, far.lat, far.lng) == pytest.approx(101, abs=0.05)
    found = guard.nearby(categories["garbage"], *WEST)
    assert [item.tracking_code for item in found] == [near.tracking_code]


def test_it_lists_only_open_items_of_the_same_category(org, users, categories):
    same = submit(categories["garbage"], north_of(WEST, 30))
    closed = submit(categories["garbage"], north_of(WEST, 40))
    triage.reject_report(closed, users["coordinator"], "不属实")
    submit(categories["parking"], north_of(WEST, 20))
    found = guard.nearby(categories["garbage"], *WEST)
    assert [item.tracking_code for item in found] == [same.tracking_code]


def test_it_lists_open_cases_of_the_category_check_item(org, categories):
    from django.core.management import call_command

    from chuangwen.standards.models import CheckItem

    call_command("standard", "load-default", verbosity=0)
    item = CheckItem.objects.filter(code="BJ-04").first()
    lat, lng = north_of(WEST, 50)
    make_case(CaseState.DISPATCHED, org["west"], check_item=item, lat=lat, lng=lng)
    other = CheckItem.objects.filter(code="ZD-05").first()
    make_case(CaseState.DISPATCHED, org["west"], check_item=other, lat=lat, lng=lng)
    found = guard.nearby(categories["garbage"], *WEST)
    assert [(item.kind, item.tracking_code) for item in found] == [("case", "")]
    assert found[0].title == item.text and found[0].status == "已受理，已派往责任单位"
    assert CaseSource.CITIZEN  # make_case's source; the case has no report, so no +1 is offered
