"""The date window every entered date must fall in, and the helpers that read numbers from an address."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django import forms

from chuangwen.core.bounds import (
    ID_MAX,
    BoundedDateField,
    clamped_number,
    date_error,
    earliest_date,
    latest_date,
    parse_ids,
)

TZ = ZoneInfo("Asia/Shanghai")


@time_machine.travel(datetime(2026, 12, 3, 10, 0, tzinfo=TZ), tick=False)
def test_it_bounds_dates_to_twenty_years_back_and_five_ahead_by_default() -> None:
    assert (earliest_date(), latest_date()) == (date(2006, 1, 1), date(2031, 12, 3))
    assert date_error(date(2031, 12, 3), "期限") is None
    assert date_error(date(2031, 12, 4), "期限") == "期限须在 2006-01-01 至 2031-12-03 之间"
    assert (
        date_error(datetime(9956, 1, 1, tzinfo=TZ), "督办期限")
        == "督办期限须在 2006-01-01 至 2031-12-03 之间"
    )
    # An aware time counts by its Shanghai day: 2005-12-31 16:00 UTC is 2006-01-01 in Shanghai.
    assert date_error(datetime(2005, 12, 31, 16, 0, tzinfo=ZoneInfo("UTC")), "时间") is None


@time_machine.travel(datetime(2028, 2, 29, 10, 0, tzinfo=TZ), tick=False)
def test_it_follows_the_settings(settings: Any) -> None:
    settings.DATE_PAST_YEARS, settings.DATE_FUTURE_YEARS = 2, 1
    assert (earliest_date(), latest_date()) == (date(2026, 1, 1), date(2029, 2, 28))
    settings.DATE_FUTURE_YEARS = 10_000  # capped: the window never reaches the end of the calendar
    assert latest_date() == date(2078, 2, 28)


@time_machine.travel(datetime(2026, 12, 3, 10, 0, tzinfo=TZ), tick=False)
def test_it_limits_the_form_field_and_its_date_picker() -> None:
    class Form(forms.Form):
        day = BoundedDateField(label="计划完成日期", widget=forms.DateInput(attrs={"type": "date"}))

    form = Form({"day": "9956-01-01"})
    assert not form.is_valid() and form.errors["day"] == ["计划完成日期须在 2006-01-01 至 2031-12-03 之间"]
    assert 'min="2006-01-01"' in str(form["day"]) and 'max="2031-12-03"' in str(form["day"])
    assert Form({"day": "2027-06-30"}).is_valid()


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("1,2, 3", [1, 2, 3]),
        ("²,①,-1,0,abc,1e3", []),
        (f"{ID_MAX},{ID_MAX + 1},{'9' * 5000}", [ID_MAX]),
        (",".join(["7"] * 600), [7] * 500),
    ],
)
def test_it_reads_ids_from_an_address(text: str, ids: list[int]) -> None:
    assert parse_ids(text) == ids


@pytest.mark.parametrize(
    ("text", "number"),
    [
        (None, 2),
        ("", 2),
        ("5", 5),
        ("0", 1),
        ("²", 2),
        ("-3", 2),
        ("60190102081118010343424", 100),
        ("9" * 5000, 100),
    ],
)
def test_it_clamps_a_number_from_an_address(text: str | None, number: int) -> None:
    assert clamped_number(text, 1, 100, 2) == number
