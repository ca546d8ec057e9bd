"""The residents of the demo's communities as a survey meets them: how many live in each community per age
band and sex, and what they answer to the starter questionnaire — each community its own level of awareness,
support, participation and satisfaction, which a later wave finds improved. Shared by the demo's surveys
(``demo/surveys.py``) and the survey benchmarks (``bench/surveys.py``)."""

from __future__ import annotations

import random
from typing import Any

from chuangwen.org.models import Unit
from chuangwen.surveys.models import AgeBand, Measure, PopulationFigure

# Residents aged 18–65: share of each age band, and a community's total.
AGE_SHARES = {"18-29": 0.21, "30-39": 0.23, "40-49": 0.21, "50-59": 0.19, "60-65": 0.16}
RESIDENTS = (2500, 9000)
# A community's level of each measure (mean, spread) in the first wave, and the gain by the second.
LEVELS: dict[str, tuple[float, float]] = {
    Measure.AWARENESS: (0.72, 0.08),
    Measure.SUPPORT: (0.86, 0.05),
    Measure.PARTICIPATION: (0.38, 0.1),
    Measure.SATISFACTION: (0.74, 0.07),
}
GAINS: dict[str, float] = {
    Measure.AWARENESS: 0.07,
    Measure.SUPPORT: 0.03,
    Measure.PARTICIPATION: 0.06,
    Measure.SATISFACTION: 0.05,
}
SCALE_SHIFTS = {
    "sa_environment": 0.0, "sa_traffic": -0.12, "sa_safety": 0.08, "sa_services": 0.03, "sa_culture": 0.0,
    "sa_market": -0.05, "sa_manners": -0.03, "sa_campaign": 0.05,
}  # fmt: skip
REASONS = ("创建期间道路施工多，出行不便", "担心影响摆摊生意", "形式主义，检查过后又回到老样子")
SUGGESTIONS = (
    "希望小区里多设置几个垃圾分类投放点",
    "晚上广场舞声音太大，希望规范一下时间",
    "路口电动车闯红灯多，希望加强劝导",
    "老旧小区楼道堆物多，希望定期清理",
    "希望社区多组织一些适合上班族的周末志愿活动",
)


def population_figures(rng: random.Random, communities: list[Unit]) -> None:
    """Residents aged 18–65 of every community per age band and sex, as the office would import them: a total
    per community, shares per age band and sex varying a little."""
    rows = []
    for community in communities:
        total = rng.randint(*RESIDENTS)
        for band, share in AGE_SHARES.items():
            people = round(total * share * rng.uniform(0.85, 1.15))
            men = round(people * rng.uniform(0.47, 0.53))
            rows += [
                PopulationFigure(unit=community, age_band=band, sex="m", count=men),
                PopulationFigure(unit=community, age_band=band, sex="f", count=people - men),
            ]
    PopulationFigure.objects.bulk_create(rows)


def graded(rng: random.Random, p: float, values: tuple[str, str, str]) -> str:
    """Best, middle or worst answer: the mean score (1, ½, 0) is ``p``."""
    draw = rng.random()
    return values[0] if draw < p - 0.1 else values[1] if draw < p + 0.1 else values[2]


def resident_answers(
    rng: random.Random, level: dict[str, float], age: str, kind: str = "normal"
) -> dict[str, Any]:
    """A resident's answers to the starter questionnaire: his or her community's levels, a mood of the day,
    the young knowing more from the net and the older taking part more."""
    mood = rng.gauss(0, 0.07)
    older = age in (AgeBand.A50, AgeBand.A60)

    def p(measure: str, shift: float = 0.0) -> float:
        return min(0.99, max(0.01, level[measure] + mood + shift))

    answers: dict[str, Any] = {}
    aware = rng.random() < p(Measure.AWARENESS, 0.12)
    answers["aw_campaign"] = "yes" if aware else "no"
    if aware:
        weights = (3, 2, 2, 4, 1) if older else (2, 5, 2, 2, 1)
        answers["aw_channel"] = sorted(
            set(rng.choices(["tv", "net", "board", "community", "other"], weights, k=2))
        )
    answers["aw_values"] = graded(rng, p(Measure.AWARENESS), ("all", "some", "no"))
    answers["aw_models"] = "yes" if rng.random() < p(Measure.AWARENESS, -0.15) else "no"
    answers["aw_sorting"] = graded(rng, p(Measure.AWARENESS), ("yes", "partly", "no"))
    support = rng.random()
    answers["sp_support"] = "yes" if support < p(Measure.SUPPORT) else "neutral" if support < 0.97 else "no"
    if answers["sp_support"] == "no" and rng.random() < 0.6:
        answers["sp_reason"] = rng.choice(REASONS)
    volunteer = rng.random() < p(Measure.PARTICIPATION, 0.08 if older else -0.04)
    answers["pa_volunteer"] = "yes" if volunteer else "no"
    if volunteer:
        answers["pa_times"] = rng.choice((1, 2, 3, 4, 5, 6, 8, 10, 12, 20, 24))
        answers["pa_activities"] = sorted(rng.sample(["clean", "traffic", "meeting"], rng.randint(1, 2)))
    elif rng.random() < p(Measure.PARTICIPATION) / 2:
        answers["pa_activities"] = [rng.choice(["clean", "traffic", "meeting"])]
    else:
        answers["pa_activities"] = ["none"]
    for code, shift in SCALE_SHIFTS.items():
        if kind in ("fabricated", "enthusiast"):
            answers[code] = "satisfied"
        elif rng.random() < p(Measure.SATISFACTION, shift):
            answers[code] = "satisfied" if rng.random() < 0.6 else "fair"
        else:
            answers[code] = "dissatisfied"
    if rng.random() < 0.12:
        answers["sa_suggest"] = rng.choice(SUGGESTIONS)
    return answers


def community_levels(rng: random.Random, communities: list[Unit]) -> dict[int, dict[str, float]]:
    """Each community's level of every measure in a first wave (``LEVELS``: mean and spread)."""
    return {
        c.pk: {m: min(0.97, max(0.1, rng.gauss(mean, spread))) for m, (mean, spread) in LEVELS.items()}
        for c in communities
    }
