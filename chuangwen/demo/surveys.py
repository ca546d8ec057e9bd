"""问卷调查 in the demo district: residents of every community, the starter questionnaire, and two waves —
three months ago and last month — planned over two communities of every street, fielded by the demo's
inspectors (interviews with a GPS position inside the community, phone interviews) and by residents
themselves (self-completion with a device key), checked by a supervisor (flags accepted or rejected,
call-backs recorded), a few coached households kept out of the sample, then closed and published.

Everything goes through the real services (``plan.create_wave`` / ``build_plan`` / ``open_wave`` /
``close_wave``, ``services.submit`` / ``review`` / ``record_callback`` / ``record_coaching``,
``results.publish``) with the clock moved by ``history.at``, so every response, review and audit entry
carries the moment it would have had. It runs before the year's rankings (``activity.build_activity``): a
ranking finds the waves published at its date. What residents answer (``demo/residents.py``) differs by
community and improves from the first wave to the second.
"""

from __future__ import annotations

import heapq
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from django.utils import timezone
from shapely.geometry import shape

from chuangwen.accounts.models import User
from chuangwen.demo.geometry import PointSampler
from chuangwen.demo.history import at, on
from chuangwen.demo.residents import GAINS, community_levels, population_figures, resident_answers
from chuangwen.org.models import Unit, UnitKind
from chuangwen.standards.models import Standard
from chuangwen.surveys import plan, results, services
from chuangwen.surveys import spec as survey_spec
from chuangwen.surveys.models import (
    Callback,
    Mode,
    Questionnaire,
    QuotaCell,
    Response,
    ResponseStatus,
    StaffRole,
    Wave,
    WaveStaff,
)

# Each wave samples PER_STREET communities of every street (the same ones) and plans PER_COMMUNITY interviews
# in each, up to MAX_SAMPLE: every response goes through the real intake, and the demo must build quickly.
PER_STREET = 2
PER_COMMUNITY = 12
MAX_SAMPLE = 400
MINIMUM = 8  # per community, whatever its size
WAVE_MONTHS_BACK = (3, 1)  # the waves' months, counted back from the current one
FIELD_DAYS = (5, 24)  # fieldwork from the 5th to the 24th of the month; published on the 27th
MODES = [Mode.INTERVIEWER, Mode.SELF, Mode.PHONE]
INTERVIEWERS = ("demo_inspector", "demo_inspector_2", "demo_inspector_3", "demo_inspector_4")
SUPERVISOR = "demo_verifier"
SELF_SHARE = 0.2  # of a cell's places, answered by residents on the stratum's QR code
PHONE_MODE_SHARE = 0.05  # of the others, interviewed by phone
PHONE_GIVEN = 0.6  # interviewees who give a phone number (for the call-back)
UNFILLED = 0.04  # cells left one short when the wave closes
# Per wave: interviews with a problem for the supervisor (too fast and alike: made up at home; outside the
# community; no position; one interview entered twice), enthusiasts (everything 满意: flagged, then accepted),
# self-completions clicked through, households coached (应知应会) before their interview, publicity visits.
SPECIALS = {"fabricated": 3, "outside": 2, "no_position": 2, "enthusiast": 3, "rushed": 2}
COACHED, PUBLICITY = 2, 6
# A wave's first accepted interview called back after the 2nd was made up. Which interviews are picked
# depends on the server's secret key (a fresh one per install), so how many varies: about 10 % of the
# interviews, never as few as 3 in practice, but well below 8 in some installs.
CALLBACK_FAIL_AFTER = 2

REVIEW_NOTES = {
    "duplicate": "同一访问重复录入，保留第一份",
    "outside_area": "定位不在样本社区内，调查员未能说明原因",
    "too_fast": "用时过短，不足以读完全部题目",
    "straight_lined": "督导电话核实：受访者对各项工作确实都满意",
    "no_position": "室内访问未能定位，已与社区核实访问地点",
}


@dataclass
class Planned:
    """One response as it will be sent: who, where, when, what, and what is special about it."""

    client_id: str
    cell: QuotaCell
    mode: str
    kind: str = "normal"
    interviewer: User | None = None
    started: datetime | None = None
    seconds: int = 600
    phone: str = ""
    device: str = ""
    answers: dict[str, Any] = field(default_factory=dict)
    position: tuple[float, float] | None = None  # (lng, lat)

    @property
    def submitted(self) -> datetime:
        assert self.started is not None
        return self.started + timedelta(seconds=self.seconds)


@dataclass
class Desk:
    """The step's state: the generator, the people, the communities and their levels, the work still to do."""

    rng: random.Random
    district: Unit
    coordinator: User
    supervisor: User
    interviewers: list[User]
    communities: list[Unit]  # the sampled ones
    levels: dict[int, dict[str, float]]  # community id → measure → level (first wave)
    samplers: dict[int, PointSampler] = field(default_factory=dict)
    queue: list[tuple[datetime, int, Callable[[], object]]] = field(default_factory=list)
    serial: int = 0
    last: datetime | None = None  # nothing of the wave is scheduled after this (its publication)
    callbacks: int = 0  # of the wave
    failed: bool = False  # a call-back of the wave found an accepted interview made up

    def later(self, moment: datetime, action: Callable[[], object]) -> None:
        if self.last is not None:
            moment = min(moment, self.last)
        self.serial += 1
        heapq.heappush(self.queue, (moment, self.serial, action))

    def run_until(self, moment: datetime) -> None:
        while self.queue and self.queue[0][0] <= moment:
            when, _serial, action = heapq.heappop(self.queue)
            with at(when):
                action()

    def client_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128)))

    def sampler(self, unit: Unit) -> PointSampler:
        if unit.pk not in self.samplers:
            self.samplers[unit.pk] = PointSampler(unit.boundary or {}, 0.0003)
        return self.samplers[unit.pk]


def build_surveys(seed: int, now: datetime) -> list[Wave]:
    """The district's two survey waves up to ``now``; the same seed and "now" give the same data."""
    rng = random.Random(f"chuangwen-demo:{seed}:surveys")
    district = Unit.objects.filter(kind=UnitKind.DISTRICT).order_by("path").first()
    coordinator = User.objects.filter(username="demo_coordinator").first()
    supervisor = User.objects.filter(username=SUPERVISOR).first()
    interviewers = list(User.objects.filter(username__in=INTERVIEWERS).order_by("username"))
    if district is None or coordinator is None or supervisor is None or not interviewers:
        return []
    communities = list(
        Unit.objects.filter(kind=UnitKind.COMMUNITY, path__startswith=district.path, boundary__isnull=False)
        .select_related("parent")
        .order_by("code")
    )
    if not communities:
        return []
    levels = community_levels(rng, communities)
    desk = Desk(rng, district, coordinator, supervisor, interviewers, _sample(rng, communities), levels)
    today = timezone.localdate(now)
    created = on(_month(today, -WAVE_MONTHS_BACK[0]) - timedelta(days=10), 10)
    with at(created):
        population_figures(rng, communities)
        questionnaire = _questionnaire(district, coordinator)
    waves = []
    for number, back in enumerate(WAVE_MONTHS_BACK):
        first = _month(today, -back)
        if on(first.replace(day=FIELD_DAYS[1]) + timedelta(days=3), 11) < now:
            waves.append(_wave(desk, questionnaire, first, number))
    _current_wave(desk, questionnaire, today)
    return waves


def _current_wave(desk: Desk, questionnaire: Questionnaire, today: date) -> Wave:
    """This month's wave, fielding from yesterday for three weeks with no answers yet, so that the
    interviewer's phone app, the CATI page and the self-completion links can be tried on the demo."""
    start, end = today - timedelta(days=1), today + timedelta(days=20)
    name = f"{today.year} 年 {today.month} 月市民问卷调查（进行中）"
    with at(on(start - timedelta(days=2), 10)):
        wave = plan.create_wave(questionnaire, desk.district, name, start, end, list(MODES), desk.coordinator)
        total = min(MAX_SAMPLE, PER_COMMUNITY * len(desk.communities))
        plan.build_plan(wave, desk.communities, total, MINIMUM, desk.coordinator)
        WaveStaff.objects.bulk_create(
            [WaveStaff(wave=wave, user=u, role=StaffRole.INTERVIEWER) for u in desk.interviewers]
            + [WaveStaff(wave=wave, user=desk.supervisor, role=StaffRole.SUPERVISOR)]
        )
    with at(on(start, 8)):
        plan.open_wave(wave, desk.coordinator)
    return wave


def _month(day: date, months: int) -> date:
    """The first day of the month ``months`` away from ``day``'s."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _sample(rng: random.Random, communities: list[Unit]) -> list[Unit]:
    """The sampled communities, ``PER_STREET`` of every street (the same in both waves)."""
    streets: dict[int, list[Unit]] = {}
    for community in communities:
        streets.setdefault(community.parent_id or 0, []).append(community)
    chosen = [c for units in streets.values() for c in rng.sample(units, min(PER_STREET, len(units)))]
    return sorted(chosen, key=lambda c: c.code)


def _questionnaire(district: Unit, coordinator: User) -> Questionnaire:
    """The starter questionnaire, tied to the active standard when that has every indicator the starter
    names."""
    standard = Standard.objects.filter(is_active=True).order_by("-version").first()
    starter = survey_spec.read_yaml(survey_spec.STARTER.read_bytes())
    wanted = {q.get("indicator") for s in starter["sections"] for q in s["questions"]} - {None}
    known = survey_spec.indicator_codes(standard) or set()
    return survey_spec.load_starter(district, coordinator, standard if wanted <= known else None)


# --- one wave ---------------------------------------------------------------------------------------------


def _wave(desk: Desk, questionnaire: Questionnaire, first: date, number: int) -> Wave:
    """Plan, open, field, review, close and publish one wave; the supervisor's work runs in time order with
    the interviews."""
    start, end = first.replace(day=FIELD_DAYS[0]), first.replace(day=FIELD_DAYS[1])
    coordinator = desk.coordinator
    name = f"{first.year} 年 {first.month} 月市民问卷调查"
    with at(on(start - timedelta(days=7), 10)):
        wave = plan.create_wave(questionnaire, desk.district, name, start, end, list(MODES), coordinator)
        total = min(MAX_SAMPLE, PER_COMMUNITY * len(desk.communities))
        plan.build_plan(wave, desk.communities, total, MINIMUM, coordinator)
        WaveStaff.objects.bulk_create(
            [WaveStaff(wave=wave, user=u, role=StaffRole.INTERVIEWER) for u in desk.interviewers]
            + [WaveStaff(wave=wave, user=desk.supervisor, role=StaffRole.SUPERVISOR)]
        )
    with at(on(start - timedelta(days=1), 16)):
        plan.open_wave(wave, coordinator)
    published = on(end + timedelta(days=3), 10)
    desk.callbacks, desk.failed = 0, False
    desk.last = published - timedelta(hours=1)
    for item in _plan_responses(desk, wave, number, start, end):
        desk.later(item.submitted + timedelta(seconds=30), partial(_submit, desk, wave, item))
    closing = on(end + timedelta(days=1), 8, 30)
    desk.run_until(closing)
    with at(closing):
        plan.close_wave(wave, coordinator)
    desk.run_until(desk.last)
    with at(published):
        return results.publish(wave, coordinator)


def _plan_responses(desk: Desk, wave: Wave, number: int, start: date, end: date) -> list[Planned]:
    """Every response of the wave: each cell filled (a few one short), a fifth by self-completion, the special
    cases of ``SPECIALS``, coached households beside the quotas, an interview entered twice."""
    rng = desk.rng
    cells = list(
        QuotaCell.objects.filter(stratum__wave=wave)
        .select_related("stratum__unit__parent")
        .order_by("stratum__unit__code", "age_band", "sex")
    )
    items: list[Planned] = []
    for cell in cells:
        count = cell.target - (cell.target > 0 and rng.random() < UNFILLED)
        for _n in range(count):
            mode = Mode.SELF if rng.random() < SELF_SHARE else Mode.INTERVIEWER
            if mode == Mode.INTERVIEWER and rng.random() < PHONE_MODE_SHARE:
                mode = Mode.PHONE
            items.append(Planned(desk.client_id(), cell, mode))
    interviews = [i for i in items if i.mode == Mode.INTERVIEWER]
    chosen = rng.sample(interviews, sum(v for k, v in SPECIALS.items() if k != "rushed"))
    kinds = [k for k, v in SPECIALS.items() if k != "rushed" for _n in range(v)]
    for item, kind in zip(chosen, kinds, strict=True):
        item.kind = kind
    for item in rng.sample([i for i in items if i.mode == Mode.SELF], SPECIALS["rushed"]):
        item.kind = "rushed"
    coached = [
        Planned(desk.client_id(), rng.choice(cells), Mode.INTERVIEWER, "coached") for _n in range(COACHED)
    ]
    items += coached
    twice = _entered_twice(rng, items)
    levels = {c.pk: _level(desk, c.pk, number) for c in desk.communities}
    phones: set[str] = set()
    for item in items:
        item.answers = resident_answers(rng, levels[item.cell.stratum.unit_id], item.cell.age_band, item.kind)
        _who(desk, item, phones)
    _schedule(desk, items, start, end)
    if twice is not None:  # the same interview entered again a minute later
        items.append(replace(twice, client_id=desk.client_id(), kind="duplicate", seconds=twice.seconds + 60))
    for item in coached:
        visited = timezone.localdate(item.submitted) - timedelta(days=rng.randint(3, 20))
        record = partial(
            services.record_coaching, item.cell.stratum.unit, item.phone, visited, desk.coordinator
        )
        desk.later(on(visited, 15), partial(record, note="入户宣传创建应知应会"))
    for _n in range(PUBLICITY):
        community = rng.choice(desk.communities)
        visited = start + timedelta(days=rng.randint(0, (end - start).days))
        record = partial(services.record_coaching, community, _phone(rng, phones), visited, desk.coordinator)
        desk.later(on(visited, rng.randint(9, 16)), partial(record, note="发放创建宣传册"))
    return sorted(items, key=lambda i: i.submitted)


def _level(desk: Desk, unit_id: int, number: int) -> dict[str, float]:
    """A community's levels in wave ``number``: each gains by the second wave, some more than others."""
    base = desk.levels[unit_id]
    gain = desk.rng.uniform(0.5, 1.5) * number
    return {m: min(0.98, base[m] + GAINS[m] * gain) for m in base}


def _phone(rng: random.Random, used: set[str]) -> str:
    while True:
        phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
        if phone not in used:
            used.add(phone)
            return phone


def _who(desk: Desk, item: Planned, phones: set[str]) -> None:
    """The respondent's key (a phone number or the browser's device key) and, for interviews, the position."""
    rng = desk.rng
    if item.mode == Mode.SELF:
        if rng.random() < 0.3:
            item.phone = _phone(rng, phones)
        else:
            item.device = f"{rng.getrandbits(128):032x}"
        return
    if item.kind == "entered_twice":
        pass  # no phone number: a second entry with one would be refused as the same respondent
    elif item.mode == Mode.PHONE or item.kind == "coached" or rng.random() < PHONE_GIVEN:
        item.phone = _phone(rng, phones)
    if item.mode == Mode.INTERVIEWER and item.kind != "no_position":
        unit = item.cell.stratum.unit
        if item.kind == "outside":
            unit = _farthest(desk, unit)
        item.position = desk.sampler(unit).sample(rng)


def _farthest(desk: Desk, unit: Unit) -> Unit:
    here = shape(unit.boundary).centroid
    return max(desk.communities, key=lambda c: (shape(c.boundary).centroid.distance(here), c.code))


def _schedule(desk: Desk, items: list[Planned], start: date, end: date) -> None:
    """Interviews through each interviewer's day (9:00–18:00, a street per interviewer, community after
    community); self-completions whenever residents find the time (7:00–22:00)."""
    rng = desk.rng
    days = (end - start).days + 1
    streets = sorted({_street(i) for i in items})
    rounds: dict[int, list[Planned]] = {u.pk: [] for u in desk.interviewers}
    for item in items:
        if item.mode == Mode.SELF:
            item.started = on(
                start + timedelta(days=rng.randrange(days)), rng.randint(7, 21), rng.randint(0, 59)
            )
            item.seconds = rng.randint(50, 100) if item.kind == "rushed" else rng.randint(240, 780)
            continue
        street = streets.index(_street(item))
        item.interviewer = desk.interviewers[street % len(desk.interviewers)]
        rounds[item.interviewer.pk].append(item)
    for planned in rounds.values():
        rng.shuffle(planned)
        planned.sort(key=lambda i: i.cell.stratum.unit.code)
        slot = days * 540 / max(1, len(planned))  # minutes of the fieldwork per interview
        for n, item in enumerate(planned):
            offset = n * slot + rng.uniform(0, slot * 0.3)
            day, minute = divmod(offset, 540)
            item.started = on(start + timedelta(days=int(day)), 9) + timedelta(seconds=round(minute * 60))
            if item.kind == "fabricated":
                item.seconds = rng.randint(45, 100)
            else:
                item.seconds = int(min(slot * 0.6, rng.uniform(7, 16)) * 60)


def _street(item: Planned) -> str:
    parent = item.cell.stratum.unit.parent
    return parent.code if parent else ""


def _entered_twice(rng: random.Random, items: list[Planned]) -> Planned | None:
    """An interview that will be entered twice, in a cell of two places or more: the second entry takes the
    place of another response of the cell, which is then not made."""
    per_cell: dict[int, list[Planned]] = {}
    for item in items:
        if item.kind == "normal":
            per_cell.setdefault(item.cell.pk, []).append(item)
    pairs = [cell for cell in per_cell.values() if len(cell) > 1]
    if not pairs:
        return None
    original, dropped = rng.choice(pairs)[:2]
    items.remove(dropped)
    original.mode, original.kind = Mode.INTERVIEWER, "entered_twice"
    return original


# --- the paradata -------------------------------------------------------------------------------------------


def _paradata(rng: random.Random, answers: dict[str, Any], seconds: int) -> dict[str, Any]:
    """Seconds per question, adding up to a little less than the whole interview."""
    shares = {code: rng.uniform(0.5, 1.5) for code in answers}
    total = sum(shares.values())
    return {"seconds": {code: round(seconds * 0.9 * s / total, 1) for code, s in shares.items()}}


# --- the work as it happens -------------------------------------------------------------------------------


def _submit(desk: Desk, wave: Wave, item: Planned) -> None:
    """One response through the intake; a flagged one waits for the supervisor the next morning, an interview
    picked for a call-back is called back a day or two later (``quality.picked_for_callback``: a keyed hash
    of the client id). What happens here draws on the response's own generator, so one response's fate never
    shifts another's."""
    assert item.started is not None
    rng = random.Random(item.client_id)
    lng, lat = item.position if item.position else (None, None)
    sub = services.Submission(
        client_id=item.client_id, stratum_id=item.cell.stratum_id, age_band=item.cell.age_band,
        sex=item.cell.sex, resident=True, answers=item.answers, started_at=item.started,
        submitted_at=item.submitted, paradata=_paradata(rng, item.answers, item.seconds),
        lat=lat, lng=lng, accuracy_m=round(rng.uniform(5, 30), 1) if item.position else None,
        phone=item.phone, device=item.device,
    )  # fmt: skip
    response, _created = services.submit(wave, sub, item.mode, item.interviewer)
    next_day = timezone.localdate(item.submitted) + timedelta(days=1)
    if response.status == ResponseStatus.FLAGGED:
        desk.later(on(next_day, 9, rng.randint(0, 59)), partial(_review, desk, response.pk))
    if response.callback == Callback.PICKED:
        moment = on(next_day + timedelta(days=rng.randint(0, 1)), rng.randint(14, 17), rng.randint(0, 59))
        desk.later(moment, partial(_callback, desk, response.pk))


def _review(desk: Desk, pk: int) -> None:
    """Made up, elsewhere or entered twice: rejected; an enthusiast or a missing position: accepted."""
    response = Response.objects.get(pk=pk)
    wrong = [f for f in ("duplicate", "outside_area", "too_fast") if f in response.flags]
    note = REVIEW_NOTES[wrong[0]] if wrong else "；".join(REVIEW_NOTES.get(f, "") for f in response.flags)
    services.review(response, desk.supervisor, "reject" if wrong else "accept", note)


def _callback(desk: Desk, pk: int) -> None:
    """Confirmed, except an interview made up: one already rejected for it, or once a wave an accepted one
    (after ``CALLBACK_FAIL_AFTER`` call-backs; it is then rejected)."""
    response = Response.objects.get(pk=pk)
    desk.callbacks += 1
    status, flags = response.status, set(response.flags)
    made_up = status == ResponseStatus.REJECTED and bool({"too_fast", "outside_area"} & flags)
    caught = status == ResponseStatus.ACCEPTED and desk.callbacks > CALLBACK_FAIL_AFTER and not desk.failed
    desk.failed = desk.failed or caught
    if made_up or caught:
        note, outcome = "回访时受访者表示没有接受过访问", Callback.FAILED
    else:
        note, outcome = "电话回访，受访者确认接受过访问", Callback.CONFIRMED
    services.record_callback(response, desk.supervisor, outcome, note)
