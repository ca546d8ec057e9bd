"""A district after a year of work: monthly 暗访 and 回头看 rounds, the streets' 自查 rounds, cases opened,
reworked and closed over time, and each month's rankings published at the start of the next.

Everything goes through the real services with the process clock moved (``time_machine``, only inside
``at``): every record carries the moment it would have had, so case history agrees with the case's fields.
Case moves wait in a queue and run in time order between the rounds; those due after "now" never run, which
leaves the recent cases open, as they would be.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.conf import settings
from django.utils import timezone

from chuangwen.accounts.models import Role, User
from chuangwen.cases import services as case_services
from chuangwen.cases.intake import open_cases_for_round
from chuangwen.cases.models import Case, CaseState
from chuangwen.org.models import Unit, UnitKind
from chuangwen.rankings.compute import LEVELS, Period
from chuangwen.rankings.services import publish
from chuangwen.rounds import sampling
from chuangwen.rounds.models import Round, RoundKind, RoundSite
from chuangwen.rounds.services import (
    build_teams,
    create_round,
    draw_round,
    eligible_inspectors,
    eligible_sites,
    publish_round,
    snapshot_of,
    start_round,
)
from chuangwen.standards.models import Standard

SHANGHAI = ZoneInfo(settings.TIME_ZONE)  # the district's local time (settings)
PAST_MONTHS = 12  # completed months before the current one: twelve month rankings
SELF_CHECK_MONTHS = 3  # the streets' 自查 in the last months (the reliability page looks at six)
SELF_CHECK_QUOTAS = {"ZD": 1, "BJ": 1}  # a street's 自查 when the office drew none of its sites that month
SELF_CHECK_TRIES = 32  # draws a street tries, keeping the one that meets most of the office's sites
ROSIER_STREETS = (1, 5)  # street indexes whose own judgements are much kinder than the office's
# A past month's 暗访 (12 sites, fewer than the current one: the year must stay quick to build).
HISTORY_QUOTAS = {"ZD": 2, "BJ": 2, "NM": 1, "LJ": 2, "JK": 1, "GJ": 1, "GC": 1, "XX": 1, "GW": 1}


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    """Run the block with the process clock standing at ``moment`` (restored on exit)."""
    with time_machine.travel(moment, tick=False):
        yield


def on(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), SHANGHAI)


def month_firsts(today: date, count: int) -> list[date]:
    """The first days of the last ``count`` months, oldest first, the current month last."""
    firsts = [today.replace(day=1)]
    while len(firsts) < count:
        firsts.append((firsts[-1] - timedelta(days=1)).replace(day=1))
    return firsts[::-1]


VisitPlayer = Callable[[Round, RoundSite, datetime, User, float], None]


@dataclass
class Story:
    """The year being written: the clock's end ("now"), the people, and the case moves still to come."""

    rng: random.Random
    now: datetime
    district: Unit
    standard: Standard
    coordinator: User
    inspectors: list[User]
    play_visit: VisitPlayer  # activity._visit_round's payload step, with a strictness
    rounds: list[str] = field(default_factory=list)
    queue: list[tuple[datetime, int, Callable[[], None]]] = field(default_factory=list)
    serial: int = 0  # ties in the queue run in the order they were planned

    def later(self, moment: datetime, action: Callable[[], None]) -> None:
        if moment < self.now:
            self.serial += 1
            heapq.heappush(self.queue, (moment, self.serial, action))

    def run_until(self, moment: datetime) -> None:
        while self.queue and self.queue[0][0] <= moment:
            when, _key, action = heapq.heappop(self.queue)
            with at(when):
                action()

    def seed(self) -> str:
        return f"{self.rng.getrandbits(256):064x}"


def build_year(story: Story) -> Round | None:
    """Twelve completed months and the current one up to now; returns the last 暗访 (for the next 回头看)."""
    firsts = month_firsts(timezone.localdate(story.now), PAST_MONTHS + 1)
    previous: Round | None = None
    for index, first in enumerate(firsts):
        if index > 0:
            _month_rankings(story, firsts[index - 1], on(first, 2, 10))
        if previous is not None and on(first, 5, 17) < story.now:
            _official(story, first, RoundKind.REVISIT, {"failed_share": "0.3", "random_extra": 1})
        if index == len(firsts) - 1:
            break  # the current month's 暗访 is the round in progress (activity.build_activity)
        strictness = 0.7 - 0.3 * index / PAST_MONTHS  # the district gets better over the year
        if index == len(firsts) - 2:
            # last month's 暗访 is a full one whose cases are still waiting: activity._move_cases plays
            # its scenarios (accepted, returned, suspended, overdue …) on them
            previous = _official(story, first, RoundKind.UNANNOUNCED, _quotas(full=True), 1.0, plan=False)
        else:
            previous = _official(story, first, RoundKind.UNANNOUNCED, _quotas(), strictness)
        if index >= len(firsts) - 1 - SELF_CHECK_MONTHS:
            _self_checks(story, first, previous)
    story.run_until(story.now)
    return previous


def _quotas(*, full: bool = False) -> dict[str, Any]:
    if full:
        from chuangwen.demo.activity import _unannounced

        return _unannounced()
    return {"type_quotas": dict(HISTORY_QUOTAS), "declared_cap": "0.3", "street_max": 3}


def _official(
    story: Story,
    first: date,
    kind: str,
    params: dict[str, Any],
    strictness: float = 0.5,
    *,
    plan: bool = True,
) -> Round:
    """A round of the office: 回头看 on days 2–4 (published on the 5th), 暗访 on days 10–13 (the 14th)."""
    start = first + timedelta(days=1 if kind == RoundKind.REVISIT else 9)
    days = 3 if kind == RoundKind.REVISIT else 4
    label = RoundKind(kind).label
    name = f"{first.year}年{first.month}月{label}"
    round_ = _open_round(story, name, kind, start, days, params, story.coordinator, story.inspectors)
    _visit(story, round_, start, days, story.coordinator, strictness)
    _publish(story, round_, story.coordinator, on(start + timedelta(days=days), 17), plan=plan)
    return round_


def _open_round(
    story: Story,
    name: str,
    kind: str,
    start: date,
    days: int,
    params: dict[str, Any],
    actor: User,
    people: list[User] | None,
    seed: Callable[[Round], str] | None = None,
) -> Round:
    opened = on(start - timedelta(days=1), 15)
    story.run_until(opened)
    with at(opened):
        data = {"name": name, "kind": kind, "standard": story.standard, "period_start": start}
        data |= {"period_end": start + timedelta(days=days), "target_unit": actor.unit, "params": params}
        round_ = create_round(data, actor)
        draw_round(round_, actor, seed=seed(round_) if seed else story.seed())
        build_teams(round_, people or list(eligible_inspectors(round_)), actor=actor)
        start_round(round_, actor)
    story.rounds.append(name)
    return round_


def _visit(story: Story, round_: Round, start: date, days: int, reviewer: User, strictness: float) -> None:
    entries = list(
        RoundSite.objects.filter(round=round_)
        .select_related("site", "team")
        .prefetch_related("team__members")
        .order_by("team_id", "route_order")
    )
    timed = [
        (on(start + timedelta(days=index % days), 9) + timedelta(minutes=15 * (index // days)), index, entry)
        for index, entry in enumerate(entries)
    ]
    for when, _index, entry in sorted(timed, key=lambda t: (t[0], t[1])):
        story.run_until(when)
        with at(when + timedelta(minutes=40)):  # received a little after the visit ends
            story.play_visit(round_, entry, when, reviewer, strictness)


def _publish(story: Story, round_: Round, actor: User, moment: datetime, *, plan: bool = True) -> None:
    story.run_until(moment)
    with at(moment):
        publish_round(round_, actor, confirm_missing=True)
        # the district office dispatches (a street's coordinator may not route to the departments)
        opened = open_cases_for_round(round_, story.coordinator).opened
    for case in opened if plan else ():
        _plan_case(story, case.pk, moment)


def _month_rankings(story: Story, first: date, moment: datetime) -> None:
    if moment >= story.now:
        return
    story.run_until(moment)
    # every month the street ranking; the last month's also at community and department level (each
    # ranking takes a while to compute, and the demo must build quickly)
    levels = LEVELS if moment > story.now - timedelta(days=31) else (UnitKind.STREET,)
    with at(moment):
        for level in levels:
            publish(Period.for_month(first), level, story.coordinator)


# --- the streets' self-checks ----------------------------------------------------------------------


def _self_checks(story: Story, first: date, official: Round) -> None:
    """Each street checks some of its own sites after the month's 暗访 (days 16–18, published the 19th):
    one of each type the office drew in the street. Of several draws it keeps the one meeting most of the
    sites the office visited, so that the reliability page has pairs to compare (a demo convenience: the
    draw itself is the real, verifiable one)."""
    streets = list(Unit.objects.filter(kind=UnitKind.STREET, parent=story.district).order_by("code"))
    drawn = RoundSite.objects.filter(round=official).select_related("site__area_unit")
    start = first + timedelta(days=15)
    for number, street in enumerate(streets):
        actor = User.objects.filter(role=Role.COORDINATOR, unit=street).order_by("username").first()
        if actor is None:
            continue
        mine = [e.site for e in drawn if e.site.area_unit and e.site.area_unit.path.startswith(street.path)]
        quotas = {site.site_type: 1 for site in mine} or dict(SELF_CHECK_QUOTAS)
        visited = {site.code for site in mine}
        name = f"{street.name}{first.year}年{first.month}月自查"
        round_ = _open_round(
            story, name, RoundKind.SELF_CHECK, start, 2, {"type_quotas": quotas}, actor, None,
            seed=partial(_closest_seed, story, visited=visited),
        )  # fmt: skip
        strictness = 0.15 if number in ROSIER_STREETS else 0.6
        _visit(story, round_, start, 3, actor, strictness)
        _publish(story, round_, actor, on(start + timedelta(days=3), 17))


def _closest_seed(story: Story, round_: Round, visited: set[str]) -> str:
    params = sampling.normalize_params(round_.params, revisit=False)
    snapshot = snapshot_of(round_, list(eligible_sites(round_, params)), params)
    best, most = "", -1
    for _try in range(SELF_CHECK_TRIES):
        seed = story.seed()
        met = len(set(sampling.draw(seed, snapshot, params).selected) & visited)
        if met > most:
            best, most = seed, met
    return best


# --- cases over time -------------------------------------------------------------------------------


def _handler(case: Case) -> User | None:
    return User.objects.filter(role=Role.HANDLER, unit=case.unit, is_active=True).order_by("username").first()


def _plan_case(story: Story, case_id: int, opened: datetime) -> None:
    """Accept within two days, rectify within about two weeks (some late), verify within three days; one
    case in seven fails verification and is reworked."""
    rng = story.rng
    accepted = opened + timedelta(hours=rng.uniform(2, 40))
    rectified = accepted + timedelta(days=rng.uniform(1, 14 if rng.random() < 0.85 else 30))
    verified = rectified + timedelta(days=rng.uniform(0.3, 3))
    story.later(accepted, lambda: _move(case_id, CaseState.DISPATCHED, "accept", story))
    story.later(rectified, lambda: _move(case_id, CaseState.ACCEPTED, "rectify", story))
    if rng.random() < 1 / 7:
        story.later(verified, lambda: _move(case_id, CaseState.RECTIFIED, "verify_fail", story))
        again = verified + timedelta(days=rng.uniform(2, 7))
        story.later(again, lambda: _move(case_id, CaseState.REWORK, "rectify", story))
        verified = again + timedelta(days=rng.uniform(0.3, 3))
    story.later(verified, lambda: _move(case_id, CaseState.RECTIFIED, "verify_pass", story))


def _move(case_id: int, expected: str, action: str, story: Story) -> None:
    case = Case.objects.select_related("unit", "site", "check_item").get(pk=case_id)
    handler = _handler(case)
    if case.state != expected or handler is None:
        return  # moved another way (or nobody to move it): the story of this case ends here
    verifier = User.objects.get(username="demo_verifier")
    if action == "accept":
        case_services.apply(case, "accept", handler)
    elif action == "rectify":
        from chuangwen.demo.activity import _rectification_photo

        photo = _rectification_photo(case, handler, story.rng)
        case_services.apply(case, "rectify", handler, reason="已按要求整改完毕", photos=[photo])
    elif action == "verify_fail":
        case_services.apply(case, "verify_fail", verifier, reason="现场仍有问题，请返工")
    else:
        case_services.apply(case, "verify_pass", verifier)
