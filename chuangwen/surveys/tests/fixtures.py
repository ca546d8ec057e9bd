"""Shared fixtures of the survey tests: population figures for the two communities of ``org``, the starter
questionnaire, a December 2026 wave fielding it over both communities (40 interviews) with an interviewer
and a supervisor, and helpers that build valid submissions.

Registered for every test by ``pytest_plugins`` in the root conftest.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from conftest import make_user

__all__ = [
    "SURVEY_NOW",
    "WAVE_DAYS",
    "full_answers",
    "population",
    "submission",
    "survey_clock",
    "survey_people",
    "survey_questionnaire",
    "survey_wave",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Every survey test runs at this moment whatever the machine's clock says (CI moves the session's clock).
SURVEY_NOW = datetime(2026, 12, 10, 10, 0, tzinfo=SHANGHAI)
WAVE_DAYS = (date(2026, 12, 1), date(2026, 12, 31))
# Residents per (age band, sex) in each community: west 1 000, east 3 000.
WEST_CELLS = {
    "18-29": (100, 100),
    "30-39": (120, 120),
    "40-49": (100, 100),
    "50-59": (80, 80),
    "60-65": (100, 100),
}


def full_answers(**overrides: Any) -> dict[str, Any]:
    """A complete, valid set of answers to the starter questionnaire (aware, supportive, took part, satisfied
    with everything but traffic)."""
    answers: dict[str, Any] = {
        "aw_campaign": "yes",
        "aw_channel": ["net", "community"],
        "aw_values": "all",
        "aw_models": "no",
        "aw_sorting": "partly",
        "sp_support": "yes",
        "pa_volunteer": "yes",
        "pa_times": 3,
        "pa_activities": ["clean"],
        "sa_environment": "satisfied",
        "sa_traffic": "dissatisfied",
        "sa_safety": "satisfied",
        "sa_services": "fair",
        "sa_culture": "satisfied",
        "sa_market": "fair",
        "sa_manners": "satisfied",
        "sa_campaign": "satisfied",
    }
    answers.update(overrides)
    return {k: v for k, v in answers.items() if v is not None}


def submission(stratum: Any, **overrides: Any) -> Any:
    """A valid interview of a woman aged 30–39 in ``stratum``, ten minutes long, at the community's spot."""
    from chuangwen.surveys.services import Submission

    started = overrides.pop("started_at", SURVEY_NOW - timedelta(minutes=20))
    fields: dict[str, Any] = {
        "client_id": str(uuid.uuid4()),
        "stratum_id": stratum.pk,
        "age_band": "30-39",
        "sex": "f",
        "resident": True,
        "answers": full_answers(),
        "started_at": started,
        "submitted_at": started + timedelta(minutes=10),
        "lat": 30.05,
        "lng": 120.02 if stratum.unit.code.startswith("S01") else 120.08,
        "accuracy_m": 12.0,
    }
    fields.update(overrides)
    return Submission(**fields)


@pytest.fixture
def survey_clock() -> Iterator[None]:
    with time_machine.travel(SURVEY_NOW, tick=True):
        yield


@pytest.fixture
def population(org: dict[str, Any]) -> dict[str, Any]:
    from chuangwen.surveys.models import PopulationFigure

    for unit, factor in ((org["west_c"], 1), (org["east_c"], 3)):
        for band, (men, women) in WEST_CELLS.items():
            PopulationFigure.objects.create(unit=unit, age_band=band, sex="m", count=men * factor)
            PopulationFigure.objects.create(unit=unit, age_band=band, sex="f", count=women * factor)
    return {"west": 1000, "east": 3000}


@pytest.fixture
def survey_people(org: dict[str, Any], users: dict[str, Any]) -> dict[str, Any]:
    """The coordinator runs the survey; an interviewer and a supervisor of its staff; a street's head."""
    return {
        "coordinator": users["coordinator"],
        "interviewer": make_user("interviewer", "inspector", org["district"]),
        "supervisor": make_user("supervisor", "verifier", org["district"]),
        "street": users["west_head"],
        "other_inspector": users["inspector"],
    }


@pytest.fixture
def survey_questionnaire(org: dict[str, Any], users: dict[str, Any]) -> Any:
    from chuangwen.surveys.spec import load_starter

    return load_starter(org["district"], users["coordinator"])


@pytest.fixture
def survey_wave(
    org: dict[str, Any], population: dict[str, Any], survey_people: dict[str, Any], survey_questionnaire: Any,
    survey_clock: None,
) -> Any:  # fmt: skip
    """Fielding: 40 interviews (12 west, 28 east) by interviewer, self-completion and phone."""
    from chuangwen.surveys import plan
    from chuangwen.surveys.models import StaffRole, WaveStaff

    coordinator = survey_people["coordinator"]
    wave = plan.create_wave(
        survey_questionnaire, org["district"], "2026 年 12 月市民问卷", *WAVE_DAYS,
        ["interviewer", "self", "phone"], coordinator, min_seconds=120, callback_percent=0,
    )  # fmt: skip
    plan.build_plan(wave, [org["west_c"], org["east_c"]], 40, 5, coordinator)
    WaveStaff.objects.create(wave=wave, user=survey_people["interviewer"], role=StaffRole.INTERVIEWER)
    WaveStaff.objects.create(wave=wave, user=survey_people["supervisor"], role=StaffRole.SUPERVISOR)
    plan.open_wave(wave, coordinator)
    wave.refresh_from_db()
    return wave
