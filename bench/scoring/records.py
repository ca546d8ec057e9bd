"""The ranking benchmark's records: visits with their judgements and findings, cases, reverify_fail events.

Part of ``bench/scoring/generate.py`` (which puts the repository on ``sys.path``); visits, judgements,
findings and cases are written with explicit ids through ``bench.bulk.Loader``.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from bench.bulk import Loader
from bench.cases.generate import DEADLINE_DAYS, FINAL_MIX, OPEN_MIX, TITLES, Deadlines, picker
from bench.scoring.world import MONTHS

CODE_PREFIX = "SC"  # bench scoring cases: SC0000001 …
OTHER_SOURCES = [("citizen", 50), ("hotline", 40), ("instruction", 10)]
# Visits per month: 暗访, 回头看, 自查 (per district) in these proportions of --visits / 12.
VISIT_SPLIT = {"unannounced": 0.62, "revisit": 0.19, "self_check": 0.19}


# --- visits, judgements, findings --------------------------------------------------------------------------


def generate_visits(
    loader: Loader,
    rounds: list[dict[str, Any]],
    sites: list[dict[str, Any]],
    checklists: dict[str, list[tuple[int, Any]]],
    coordinator: int,
    inspectors: list[int],
    visits_total: int,
    rng: random.Random,
) -> list[tuple[datetime, dict[str, Any]]]:
    """Writes visits, judgements and findings; returns the finding cases to open as (opened_at, spec)."""
    from chuangwen.rounds import scoring
    from chuangwen.rounds.models import Finding, Judgement, Visit
    from chuangwen.workdays.services import TZ

    per_month = visits_total / MONTHS
    by_district: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for site in sites:
        by_district[site["district"]].append(site)
    visits, judgements, findings = loader[Visit], loader[Judgement], loader[Finding]
    visit_id = judgement_id = finding_id = 0
    finding_cases: list[tuple[datetime, dict[str, Any]]] = []
    failed_last: list[dict[str, Any]] = []  # sites that scored < 92 in the latest 暗访
    nc, conforming, na = scoring.NOT_CONFORMING, scoring.CONFORMING, scoring.NOT_APPLICABLE
    per_occurrence, veto = scoring.PER_OCCURRENCE, scoring.VETO
    for rnd in rounds:
        kind = rnd["kind"]
        if kind == "unannounced":
            chosen = rng.sample(sites, round(per_month * VISIT_SPLIT["unannounced"]))
        elif kind == "revisit":
            n = round(per_month * VISIT_SPLIT["revisit"])
            chosen = rng.sample(failed_last, min(len(failed_last), n * 4 // 5))
            taken = {s["id"] for s in chosen}
            chosen += [s for s in rng.sample(sites, n) if s["id"] not in taken][: n - len(chosen)]
        else:
            pool = by_district[rnd["owner"]]
            chosen = rng.sample(pool, round(per_month * VISIT_SPLIT["self_check"] / len(by_district)))
        factor = {"unannounced": 1.0, "revisit": 0.7, "self_check": 0.5}[kind]
        official = kind != "self_check"
        days = (rnd["end"] - rnd["start"]).days + 1
        failed_now = []
        for site in chosen:
            visit_id += 1
            day = rnd["start"] + timedelta(days=rng.randrange(days))
            started = datetime(day.year, day.month, day.day, rng.randint(8, 17), rng.randrange(60), tzinfo=TZ)
            finished = started + timedelta(minutes=rng.randint(15, 45), seconds=rng.randrange(60))
            r = rng.random()
            outcome = "done" if r < 0.99 else "refused" if r < 0.995 else "not_possible"
            status = "accepted" if rng.random() < 0.98 else "sent_back"
            score = rate = None
            fails: list[tuple[int, Any, int, int]] = []
            if outcome == "done":
                p = site["p"] * factor
                applicable = good = 0
                for item_id, rule in checklists[site["type"]]:
                    judgement_id += 1
                    r = rng.random()
                    if r < 0.03:
                        result, count = na, 0
                    else:
                        applicable += 1
                        if r < 0.03 + (p * 0.02 if rule.mode == veto else p):
                            count = (
                                min(5, int(rng.expovariate(0.9)) + 1) if rule.mode == per_occurrence else 1
                            )
                            result = nc
                            fails.append((judgement_id, rule, count, item_id))
                        else:
                            result, count = conforming, 0
                            good += 1
                    judgements.add(
                        id=judgement_id, visit_id=visit_id, check_item_id=item_id, result=result, count=count
                    )
                score = scoring.site_score(
                    scoring.ScoredJudgement(rule, nc, count) for _j, rule, count, _i in fails
                )
                rate = scoring.score_rate([conforming] * good + [nc] * (applicable - good))
                if kind == "unannounced" and score < 92:
                    failed_now.append(site)
            visits.add(
                id=visit_id, client_id=uuid.UUID(int=rng.getrandbits(128), version=4), round_id=rnd["id"],
                site_id=site["id"], inspector_id=rng.choice(inspectors), outcome=outcome,
                exception_reason="" if outcome == "done" else "商户拒绝配合",
                lat=site["lat"] + rng.uniform(-2e-4, 2e-4), lng=site["lng"] + rng.uniform(-2e-4, 2e-4),
                accuracy_m=rng.uniform(5, 30), distance_m=rng.uniform(0, 60), started_at=started,
                finished_at=finished, received_at=finished + timedelta(minutes=rng.randint(1, 10)),
                status=status,
                score=score, score_rate=rate, reviewed_by_id=coordinator,
                reviewed_at=datetime.combine(rnd["end"] + timedelta(days=1), datetime.min.time(), tzinfo=TZ),
            )  # fmt: skip
            if official and status == "accepted":
                for j_id, rule, count, item_id in fails:
                    finding_id += 1
                    deduction = scoring.item_deduction(rule, nc, count)
                    findings.add(
                        id=finding_id, judgement_id=j_id, round_id=rnd["id"], visit_id=visit_id,
                        site_id=site["id"], check_item_id=item_id, count=count, deduction=deduction,
                        status="dispatched", created_at=rnd["published_at"],
                    )  # fmt: skip
                    opened = rnd["published_at"] + timedelta(minutes=rng.randint(5, 60 * 24))
                    spec = {"source": "finding", "site": site, "item": item_id, "finding": finding_id}
                    finding_cases.append((opened, spec))
            loader.maybe_flush()
        if kind == "unannounced":
            failed_last = failed_now
    return finding_cases


# --- cases ------------------------------------------------------------------------------------------------


def other_cases(
    n: int, months: list[date], units: dict[str, Any], sites: list[dict[str, Any]], rng: random.Random
) -> list[tuple[datetime, dict[str, Any]]]:
    """Citizen reports, hotline orders, instructions over the 12 months (rising volume)."""
    from chuangwen.workdays.services import TZ

    start = datetime.combine(months[0], datetime.min.time(), tzinfo=TZ)
    last = months[-1]
    end = datetime.combine((last + timedelta(days=32)).replace(day=1), datetime.min.time(), tzinfo=TZ)
    span = (end - start).total_seconds()
    source_of = picker(rng, OTHER_SOURCES)
    out = []
    for _ in range(n):
        opened = end - timedelta(seconds=int(span * (1 - rng.random() ** 0.5)) + 1)
        if rng.random() < 0.85:
            opened = opened.replace(hour=rng.randint(8, 17))
        site = rng.choice(sites) if rng.random() < 0.5 else None
        out.append((opened, {"source": source_of(), "site": site, "item": None, "finding": None}))
    return out


def generate_cases(
    loader: Loader,
    specs: Iterable[tuple[datetime, dict[str, Any]]],
    units: dict[str, Any],
    coordinator: int,
    now: datetime,
    first: date,
    rng: random.Random,
) -> dict[str, int]:
    from chuangwen.cases.models import Case

    cases = loader[Case]
    deadlines = Deadlines(first - timedelta(days=1), (now + timedelta(days=120)).date())
    open_state = picker(rng, OPEN_MIX)
    final_state = picker(rng, FINAL_MIX)
    days_of = picker(rng, DEADLINE_DAYS)
    street_of = {c.pk: c.parent_id for c in units["communities"]}
    district_of = {s.pk: s.parent_id for s in units["streets"]}
    communities = [c.pk for c in units["communities"]]
    departments_of: dict[int, list[int]] = defaultdict(list)
    for d in units["departments"]:
        departments_of[d.parent_id].append(d.pk)
    last_closed: dict[int, tuple[int, datetime]] = {}
    falsified: list[tuple[int, datetime]] = []
    tally: dict[str, int] = defaultdict(int)
    for case_id, (opened, spec) in enumerate(sorted(specs, key=lambda s: s[0]), start=1):
        site = spec["site"]
        finding = spec["source"] == "finding"
        age_days = (now - opened).days
        p_open, p_suspended = (0.5, 0.1) if age_days < 45 else (0.15, 0.3) if age_days < 120 else (0.04, 0.6)
        if rng.random() >= p_open:
            state = "closed" if finding else final_state()
        else:
            state = "suspended" if rng.random() < p_suspended else open_state()
            if finding and state == "new":
                state = "dispatched"
        area = site["area"] if site else rng.choice(communities)
        r = rng.random()
        if finding:
            unit: int = site["responsible"] if r < 0.85 else street_of[area]
        else:
            district = district_of[street_of[area]]
            unit = area if r < 0.55 else street_of[area] if r < 0.7 else rng.choice(departments_of[district])
            if site and r >= 0.7 and site["responsible"] != site["area"]:
                unit = site["responsible"]
        routed = state not in ("new", "rejected", "duplicate") and not (state == "cancelled" and r < 0.3)
        row: dict[str, Any] = {
            "id": case_id,
            "code": f"{CODE_PREFIX}{case_id:07}",
            "source": spec["source"],
            "state": state,
            "title": rng.choice(TITLES),
            "site_id": site["id"] if site else None,
            "finding_id": spec["finding"],
            "check_item_id": spec["item"],
            "unit_id": unit if routed else None,
            "area_unit_id": area,
            "opened_at": opened,
            "created_by_id": coordinator,
            "updated_at": opened,
        }
        if routed:
            start = opened.replace(minute=0, second=0, microsecond=0)
            start += timedelta(minutes=30 if opened.minute < 30 else 60, days=rng.choice((0, 0, 0, 1)))
            days = days_of()
            extensions = (2 if rng.random() < 0.1 else 1) if rng.random() < 0.07 else 0
            deadline, warn_at = deadlines(start, days + 5 * extensions)
            row.update(deadline=deadline, deadline_from=start, warn_at=warn_at, extension_count=extensions)
            if state == "closed":
                reworked = rng.random() < 0.1
                share = rng.uniform(0.6, 1.8) if reworked else rng.uniform(0.3, 1.4)
                closed_at = min(now, start + (deadline - start) * share)
                row.update(closed_at=closed_at, updated_at=closed_at)
                if reworked:
                    row["rework_count"] = 2 if rng.random() < 0.2 else 1
                if site:
                    last_closed[site["id"]] = (case_id, closed_at)
                if rng.random() < 0.002:  # a random re-verification found the rectification falsified
                    falsified.append((case_id, closed_at))
            elif state == "suspended":
                row["suspended_until"] = (now + timedelta(days=rng.randint(10, 90))).date()
            elif state == "rework":
                row["rework_count"] = 2 if rng.random() < 0.2 else 1
        if site and site["id"] in last_closed:
            earlier, closed_at = last_closed[site["id"]]
            if (
                earlier != case_id
                and closed_at < opened <= closed_at + timedelta(days=90)
                and rng.random() < 0.6
            ):
                row["recurrence_of_id"] = earlier
                tally["recurrences"] += 1
        tally[state] += 1
        tally["extended"] += row.get("extension_count", 0) > 0
        tally["reworked"] += row.get("rework_count", 0) > 0
        cases.add(**row)
        loader.maybe_flush()
    deadlines.check(rng)
    cases.falsified = falsified  # type: ignore[attr-defined]
    return dict(tally)


def add_reverify_failures(falsified: list[tuple[int, datetime]], coordinator: int, now: datetime) -> int:
    """``reverify_fail`` events (the penalty of a falsified rectification) on a few closed cases."""
    from chuangwen.cases.models import CaseEvent

    events = [
        CaseEvent(
            case_id=case_id, action="reverify_fail", from_state="closed", to_state="rework",
            actor_id=coordinator, at=min(now, closed_at + timedelta(days=3)), reason="抽查复核：整改不实",
        )
        for case_id, closed_at in falsified
    ]  # fmt: skip
    CaseEvent.objects.bulk_create(events, batch_size=1000)
    return len(events)
