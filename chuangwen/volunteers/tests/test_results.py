"""Results of volunteer service per unit and month, recomputed by hand from records made through the services
(``fixtures_results``): organised hours by the activity's team unit, residents' hours by the volunteer's home
community, activities held, registered and active volunteers, the share of residents aged 18–65 (None without
a population figure), requests fulfilled and their mean rating; scoped to the viewer's subtree."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest
import time_machine

from chuangwen.volunteers import results
from chuangwen.volunteers.results import Sources, Window
from chuangwen.volunteers.tests.fixtures_results import EXPECTED, NOW, build_month

pytestmark = pytest.mark.django_db
DECEMBER = Window.for_month(date(2026, 12, 1))
NOVEMBER = Window.for_month(date(2026, 11, 1))


@pytest.fixture
def month(org: Any, users: Any) -> Any:
    with time_machine.travel(NOW, tick=False):
        built = build_month(org, users)
        yield built


def _check(figures: results.Figures, expected: dict[str, Any]) -> None:
    for name, value in expected.items():
        assert getattr(figures, name) == value, name


def test_it_counts_each_street_of_the_month_by_hand(month: Any, org: Any, users: Any) -> None:
    table = results.table_for(users["coordinator"], org["district"], DECEMBER)
    rows = {row.unit_id: row for row in table.rows}
    assert set(rows) == {org["west"].pk, org["east"].pk, org["dept"].pk}  # by sort order and code
    west, east, dept = rows[org["west"].pk], rows[org["east"].pk], rows[org["dept"].pk]
    _check(west, EXPECTED["west"])
    _check(east, EXPECTED["east"])
    assert (west.hours, west.resident_hours, east.hours, east.resident_hours) == (
        D("3.0"),
        D("4.0"),
        D("3.0"),
        D("2.0"),
    )
    assert west.share == D("0.1000") and west.share_text == "10.00%"  # 3 ÷ 30
    assert east.share is None and east.share_text == "—"  # no population figure: None, never 0
    assert west.active_share == D("0.6667") and west.mean_rating == D("4.50")  # (4 + 5) ÷ 2
    assert east.mean_rating is None  # fulfilled, not rated
    assert not dept.has_data and dept.population is None and dept.registered == 0
    total = table.total
    assert (total.minutes, total.resident_minutes, total.activities) == (360, 360, 2)
    assert (total.registered, total.population, total.share, total.active) == (4, 30, D("0.1333"), 3)
    assert (total.requests_done, total.rated, total.mean_rating) == (3, 2, D("4.50"))


def test_it_counts_last_month_and_cuts_registrations_at_its_end(month: Any, org: Any, users: Any) -> None:
    west = results.unit_figures(users["coordinator"], org["west"], NOVEMBER)
    # B: v1 90 min; v5 left only on December 10, so all four west volunteers were registered on November 30.
    assert (west.minutes, west.resident_minutes, west.activities, west.registered, west.active) == (
        90,
        90,
        1,
        4,
        1,
    )
    assert (west.requests_done, west.mean_rating) == (1, D("1.00"))


def test_it_attributes_hours_to_the_team_unit_and_to_the_volunteers_home(
    month: Any, org: Any, users: Any
) -> None:
    """The west team belongs to the street, its volunteers live in 柳浪社区: the community organised nothing
    but its residents served four hours (two of them in the east team's activity)."""
    table = results.table_for(users["west_head"], org["west"], DECEMBER)
    (community,) = table.rows
    assert community.unit_id == org["west_c"].pk
    assert (community.minutes, community.resident_minutes, community.registered) == (0, 240, 3)
    assert table.total.minutes == 180


def test_it_leaves_the_share_empty_without_a_population_figure(org: Any, users: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        from chuangwen.volunteers.tests.fixtures import volunteer

        volunteer(org, 9, unit="east_c", now=NOW)
        east = results.unit_figures(users["coordinator"], org["east"], DECEMBER)
    assert east.registered == 1 and east.population is None and east.share is None


def test_it_refuses_a_unit_outside_the_viewers_subtree(month: Any, org: Any, users: Any) -> None:
    with pytest.raises(PermissionError):
        results.table_for(users["east_handler"], org["west"], DECEMBER)
    with pytest.raises(PermissionError):
        results.unit_figures(users["west_head"], org["district"], DECEMBER)


def test_it_starts_every_query_from_the_viewers_scope(month: Any, org: Any, users: Any) -> None:
    """Asked about the district with the west head's querysets, only west's records count."""
    found = results.figures([org["district"]], DECEMBER, sources=Sources.of(users["west_head"]), as_of=NOW)
    district = found[org["district"].pk]
    assert (district.minutes, district.resident_minutes, district.registered) == (180, 240, 3)
    assert district.requests_done == 2


def test_it_needs_a_fixed_number_of_queries(
    month: Any, org: Any, users: Any, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(8):
        results.figures(
            [org["west"], org["east"], org["west_c"]], DECEMBER, sources=Sources.everything(), as_of=NOW
        )


def test_it_parses_months() -> None:
    assert results.parse_month("2026-12") == date(2026, 12, 1)
    for bad in ("2026-13", "2026-1", "26-12", "２０２６-12", "", "2026-12-01"):
        assert results.parse_month(bad) is None
    assert DECEMBER.previous_month() == NOVEMBER and DECEMBER.key == "2026-12"
