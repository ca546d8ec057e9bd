"""Small waves with known results for the results pages, the rankings' survey component and the home page's
panel: residents only in the 30–39 women's cells (600 west, 1 400 east), 10 interviews → 4 west, 6 east, so
the weights are 150 (west) and 233.3 (east) and every rate can be computed by hand."""

from __future__ import annotations

from datetime import date
from typing import Any

from chuangwen.surveys import plan, results, services
from chuangwen.surveys.models import PopulationFigure, StaffRole, WaveStaff
from chuangwen.surveys.tests.fixtures import WAVE_DAYS, full_answers, submission


def residents(org: dict[str, Any]) -> None:
    PopulationFigure.objects.get_or_create(
        unit=org["west_c"], age_band="30-39", sex="f", defaults={"count": 600}
    )
    PopulationFigure.objects.get_or_create(
        unit=org["east_c"], age_band="30-39", sex="f", defaults={"count": 1400}
    )


def small_wave(
    org: dict[str, Any], people: dict[str, Any], questionnaire: Any, name: str = "小样本",
    days: tuple[date, date] = WAVE_DAYS,
) -> Any:  # fmt: skip
    """A wave fielding over both communities (4 west, 6 east) with the supervisor on its staff."""
    residents(org)
    coordinator = people["coordinator"]
    wave = plan.create_wave(
        questionnaire, org["district"], name, *days, ["interviewer", "self"], coordinator, callback_percent=0
    )
    plan.build_plan(wave, [org["west_c"], org["east_c"]], 10, 3, coordinator)
    WaveStaff.objects.create(wave=wave, user=people["supervisor"], role=StaffRole.SUPERVISOR)
    plan.open_wave(wave, coordinator)
    wave.refresh_from_db()
    return wave


def answer(wave: Any, code: str, **answers: Any) -> Any:
    stratum = wave.strata.get(unit__code=code)
    response, _created = services.submit(
        wave, submission(stratum, answers=full_answers(**answers)), "interviewer"
    )
    return response


def fill(wave: Any, west_support: tuple[str, ...] = ("yes",) * 4, east_support: tuple[str, ...] = ()) -> None:
    """West: aware of the campaign 3 of 4; east: support 3 of 6 (yes, yes, yes, no, no, neutral)."""
    east = east_support or ("yes", "yes", "yes", "no", "no", "neutral")
    for aware, support in zip(("yes", "yes", "yes", "no"), west_support, strict=True):
        answer(wave, "S01C01", aw_campaign=aware, sp_support=support)
    for support in east:
        answer(wave, "S02C01", sp_support=support)


def published(wave: Any, coordinator: Any) -> Any:
    plan.close_wave(wave, coordinator)
    return results.publish(wave, coordinator)
