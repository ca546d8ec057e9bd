"""The volunteer rules at their boundaries: ID numbers, hours inside the activity's time, stars, the rotating
code and the geofence."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from chuangwen.volunteers import rules
from chuangwen.volunteers.tests.fixtures import id_number

TODAY = date(2026, 12, 6)
T0 = datetime(2026, 12, 6, 1, 0, tzinfo=UTC)


def test_it_reads_birth_year_sex_and_last_four_from_a_valid_id_number() -> None:
    identity = rules.parse_id_number(id_number(123, born="19851231"), TODAY)
    assert (identity.birth_year, identity.sex) == (1985, "m")
    assert identity.last4 == id_number(123, born="19851231")[-4:]
    assert rules.parse_id_number(id_number(124), TODAY).sex == "f"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("33010619900307123", "18 位"),
        ("3301061990030712AB", "18 位"),
        (id_number(1)[:17] + ("0" if id_number(1)[17] != "0" else "1"), "校验位"),
        (id_number(1, born="19900231"), "出生日期"),
        (id_number(1, born="20300101"), "出生日期"),
    ],
)
def test_it_refuses_a_malformed_id_number_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        rules.parse_id_number(text, TODAY)


def test_it_accepts_a_lower_case_x_check_character() -> None:
    for serial in range(200):
        number = id_number(serial)
        if number.endswith("X"):
            assert rules.parse_id_number(number.lower(), TODAY).last4 == number[-4:]
            return
    pytest.fail("no serial gave an X check character")


def test_it_counts_only_the_time_inside_the_activity() -> None:
    starts, ends = T0, T0 + timedelta(hours=3)
    assert (
        rules.measured_minutes(starts, ends, starts - timedelta(minutes=25), ends + timedelta(minutes=40))
        == 180
    )
    assert (
        rules.measured_minutes(starts, ends, starts + timedelta(minutes=10), ends - timedelta(minutes=20))
        == 150
    )
    assert (
        rules.measured_minutes(starts, ends, starts + timedelta(seconds=59), starts + timedelta(minutes=1))
        == 0
    )
    assert rules.measured_minutes(starts, ends, ends + timedelta(minutes=5), ends + timedelta(minutes=9)) == 0


@pytest.mark.parametrize(
    ("hours", "stars"),
    [
        (0, 0),
        (99.99, 0),
        (100, 1),
        (299.99, 1),
        (300, 2),
        (600, 3),
        (999.99, 3),
        (1000, 4),
        (1500, 5),
        (9999, 5),
    ],
)
def test_it_gives_stars_from_their_threshold_hour_on(hours: float, stars: int) -> None:
    assert rules.stars(int(hours * 60)) == stars


def test_it_tells_what_the_next_star_needs() -> None:
    assert rules.next_star(0) == (1, 6000)
    assert rules.next_star(100 * 60) == (2, 200 * 60)
    assert rules.next_star(1500 * 60) is None


def test_it_takes_the_current_and_the_previous_code_only() -> None:
    key = "k" * 32
    code, left = rules.current_code(key, T0)
    assert len(code) == rules.CODE_DIGITS and 0 < left <= rules.CODE_SECONDS
    assert rules.code_is_fresh(key, code, T0)
    turned = T0 + timedelta(seconds=left)  # the next window
    assert rules.current_code(key, turned)[0] != code
    assert rules.code_is_fresh(key, code, turned)  # scanned at the turn
    assert not rules.code_is_fresh(key, code, turned + timedelta(seconds=rules.CODE_SECONDS))  # a screenshot
    assert not rules.code_is_fresh("j" * 32, code, T0)  # another activity's code


def test_it_allows_for_the_phones_accuracy_up_to_a_bound() -> None:
    assert rules.inside_fence(150, 150, None)
    assert not rules.inside_fence(151, 150, None)
    assert rules.inside_fence(200, 150, 60)
    assert not rules.inside_fence(150 + rules.MAX_ACCURACY_ALLOWANCE_M + 1, 150, 5000)
    assert not rules.inside_fence(151, 150, -50)
