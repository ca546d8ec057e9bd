"""Data for the ranking benchmark: a city with a year of published rounds, 1 M judgements and 200 k cases.

    .venv/bin/python bench/scoring/generate.py [--visits 50000] [--cases 200000] [--items-per-type 20]
        [--seed 1] [--var-dir /tmp/cw-bench-scoring]
        [--database-url postgres://postgres@127.0.0.1:5432/bench_scoring]

SQLite (default): a fresh database in the private var dir (deleted first). PostgreSQL: the named database is
dropped and created again (never ``test``, which belongs to the test suite). Then:

- migrate; the unit tree of ``bench/cases`` (``build_units``) at city scale: 1 city, 3 districts, 36 streets,
  ≈200 communities, 60 departments (≈300 units); a coordinator and 60 inspectors at the city;
- the default standard (``load_default_standard``, CW-2026 v1) with its ten site types and weights; each
  type's checklist is padded to ``--items-per-type`` binary items (``ZD-P08`` …, 1–3 points) because the
  starter checklist has only 4–8 items per type and a visit judges each item once (unique visit × item):
  20 items × 50 000 visits = 1 M judgements, as in a real city's longer checklists;
- 5 000 sites over the communities (type mix, 30 % declared), responsible: the community (70 %) or a
  department of the same district (30 %); each site has a hidden "quality" (street × community × site, and
  the department for its sites) that sets how often its items fail, so units really differ;
- 12 months (the complete months before the current one), each with a city-wide unannounced round (暗访,
  days 3–20, 2/3 of the visits), a revisit round (回头看, days 22–27, from the second month, mostly sites that
  scored < 92 in the month's 暗访) and a self-check round (自查) per district; all published 2–3 days after
  their end. Visits finished inside their round's period; 98 % accepted, 2 % sent back; 1 % refused or not
  possible (no score, no judgement);
- a judgement for every item of the site's type per visit: ≈3 % not applicable, not conforming with the site's
  probability (×0.7 in revisits, ×0.5 in self-checks; veto items ×0.02), counts 1–5 for per-occurrence items.
  ``Visit.score`` and ``score_rate`` are computed from these judgements with ``rounds.scoring`` (the real
  rules), so they are consistent;
- a ``Finding`` (dispatched) for every not-conforming judgement of an accepted visit of a published 暗访 or
  回头看, and a case for each, opened at publication (so a round period's cases are its findings' cases);
- the rest of ``--cases`` as citizen reports, hotline orders and instructions, opened over the same 12 months
  (rising volume), on a site half of the time; routed like ``bench/cases`` (community 55 %, street 15 %,
  department 30 %; findings to the site's responsible unit or its street). State by age (older: mostly closed;
  open ones older than 4 months mostly suspended), ≈2.5 % rejected/duplicate/cancelled; deadlines by the real
  ``add_workdays``/``warn_point`` (``bench.cases.generate.Deadlines``), 7 % extended once or twice (deadline
  moved by 5 working days each), closed at 30–140 % of the allowed time (so some late), 10 % of closed cases
  reworked (closed later), ``recurrence_of`` when a case of the same site opens within 90 days after one
  closed (60 %); a ``reverify_fail`` event (falsified rectification: a penalty) on 0.2 % of closed cases.

All rows of visits, judgements, findings and cases are written with explicit ids by raw multi-row INSERTs
(SQLite) or COPY (PostgreSQL), 20 000 judgements per transaction, then ANALYZE (VACUUM ANALYZE on PostgreSQL).
Writes ``bench.json`` (vendor, database URL, counts, the months and rounds to rank) into the var dir.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.cases.generate import (  # noqa: E402
    DEADLINE_DAYS,
    FINAL_MIX,
    OPEN_MIX,
    TITLES,
    Deadlines,
    build_units,
    database_size,
    picker,
    prepare_database,
)

DEFAULT_VAR_DIR = Path("/tmp/cw-bench-scoring")
CITY: dict[str, Any] = {
    "districts": 3,
    "streets": 12,
    "communities": (5, 6),
    "departments": 20,
    "sites": 5000,
}
CODE_PREFIX = "SC"  # bench scoring cases: SC0000001 …
BATCH = 20_000
MONTHS = 12
# Share of the site registry per type (codes of the default standard).
TYPE_MIX = [("ZD", 15), ("BJ", 20), ("NM", 6), ("LJ", 20), ("JK", 10), ("GJ", 10), ("GC", 6), ("GD", 4),
            ("XX", 5), ("GW", 4)]  # fmt: skip
OTHER_SOURCES = [("citizen", 50), ("hotline", 40), ("instruction", 10)]
# Visits per month: 暗访, 回头看, 自查 (per district) in these proportions of --visits / 12.
VISIT_SPLIT = {"unannounced": 0.62, "revisit": 0.19, "self_check": 0.19}


# --- raw bulk insert with explicit ids ----------------------------------------------------------------------


class Table:
    """The columns of one model (primary key included) with their defaults and per-vendor adapters."""

    def __init__(self, model: Any) -> None:
        from django.db import connection

        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.names = [f.attname for f in self.fields]
        self.columns = [f.column for f in self.fields]
        self.defaults = {f.attname: (None if f.primary_key else f.get_default()) for f in self.fields}
        self.table = model._meta.db_table
        self.rows: list[tuple[Any, ...]] = []
        self.count = 0
        ops = connection.ops
        self.adapt: list[tuple[int, Any]] = []
        if connection.vendor != "postgresql":
            for i, f in enumerate(self.fields):
                kind = f.get_internal_type()
                if kind == "DateTimeField":
                    self.adapt.append((i, ops.adapt_datetimefield_value))
                elif kind == "DateField":
                    self.adapt.append((i, ops.adapt_datefield_value))
                elif kind == "UUIDField":
                    self.adapt.append((i, lambda v: v.hex if v is not None else None))

    def add(self, **values: Any) -> None:
        row = [values.get(name, default) for name, default in self.defaults.items()]
        for i, adapt in self.adapt:
            row[i] = adapt(row[i])
        self.rows.append(tuple(row))


class Loader:
    """Buffers rows of several tables and writes them in dependency order, one transaction per flush."""

    def __init__(self, models: list[Any], batch: int) -> None:
        from django.db import connection

        self.tables = [Table(m) for m in models]
        self.by_model = {t.model: t for t in self.tables}
        self.batch = batch
        self.postgres = connection.vendor == "postgresql"

    def __getitem__(self, model: Any) -> Table:
        return self.by_model[model]

    def maybe_flush(self) -> None:
        if any(len(t.rows) >= self.batch for t in self.tables):
            self.flush()

    def flush(self) -> None:
        from django.db import connection, transaction

        with transaction.atomic(), connection.cursor() as cursor:
            for t in self.tables:
                if not t.rows:
                    continue
                columns = ", ".join(t.columns)
                if self.postgres:
                    with cursor.cursor.copy(f"COPY {t.table} ({columns}) FROM STDIN") as copy:
                        for values in t.rows:
                            copy.write_row(values)
                else:
                    per = max(1, 30_000 // len(t.columns))  # under SQLite's limit of bound variables
                    marks = "(" + ",".join(["%s"] * len(t.columns)) + ")"
                    for at in range(0, len(t.rows), per):
                        part = t.rows[at : at + per]
                        cursor.execute(
                            f"INSERT INTO {t.table} ({columns}) VALUES {','.join([marks] * len(part))}",
                            [v for values in part for v in values],
                        )
                t.count += len(t.rows)
                t.rows = []
        print("  " + ", ".join(f"{t.count:,} {t.table}" for t in self.tables), end="\r", flush=True)

    def finish(self) -> None:
        from django.core.management.color import no_style
        from django.db import connection

        self.flush()
        print()
        if self.postgres:  # explicit ids: move the sequences past them
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [t.model for t in self.tables]):
                    cursor.execute(sql)


# --- the city ---------------------------------------------------------------------------------------------


def build_people(top: Any) -> tuple[int, list[int]]:
    from chuangwen.accounts.models import User

    rows = [User(username="bs_coord", role="coordinator", unit=top)]
    rows += [User(username=f"bs_insp_{i:02}", role="inspector", unit=top) for i in range(60)]
    for user in rows:
        user.set_unusable_password()
    User.objects.bulk_create(rows)
    coordinator = User.objects.get(username="bs_coord").pk
    inspectors = list(User.objects.filter(username__startswith="bs_insp_").values_list("pk", flat=True))
    return coordinator, inspectors


def build_standard(items_per_type: int) -> tuple[Any, dict[str, list[tuple[int, Any]]]]:
    """The default standard, each type padded to ``items_per_type`` items; {type code: [(item id, rule)]}."""
    from chuangwen.rounds.scoring import ItemRule
    from chuangwen.standards.models import CheckItem, SiteType
    from chuangwen.standards.services import load_default_standard

    standard = load_default_standard()
    extra = []
    for site_type in SiteType.objects.filter(standard=standard):
        have = site_type.items.count()
        for n in range(have, items_per_type):
            extra.append(
                CheckItem(
                    site_type=site_type, code=f"{site_type.code}-P{n + 1:02}", category="压测补充",
                    text=f"压测补充指标 {n + 1}", mode="binary", deduct=Decimal(1 + n % 3),
                    severity="general", deadline_days=3, duty="城管", sort_order=100 + n,
                )
            )  # fmt: skip
    CheckItem.objects.bulk_create(extra)
    checklists: dict[str, list[tuple[int, Any]]] = defaultdict(list)
    items = CheckItem.objects.filter(site_type__standard=standard).select_related("site_type")
    for item in items.order_by("site_type__sort_order", "sort_order", "code"):
        rule = ItemRule(item.mode, item.deduct, item.cap)
        checklists[item.site_type.code].append((item.pk, rule))
    return standard, dict(checklists)


def build_sites(units: dict[str, Any], n: int, rng: random.Random) -> list[dict[str, Any]]:
    from chuangwen.sites.models import Site

    street_of = {c.pk: c.parent_id for c in units["communities"]}
    district_of = {s.pk: s.parent_id for s in units["streets"]}
    departments_of: dict[int, list[int]] = defaultdict(list)
    for d in units["departments"]:
        departments_of[d.parent_id].append(d.pk)
    street_q = {s.pk: rng.uniform(0.03, 0.11) for s in units["streets"]}
    community_q = {c.pk: rng.uniform(0.7, 1.3) for c in units["communities"]}
    department_q = {d.pk: rng.uniform(0.7, 1.4) for d in units["departments"]}
    type_of = picker(rng, TYPE_MIX)
    rows, quality = [], []
    communities = [c.pk for c in units["communities"]]
    for i in range(n):
        area = rng.choice(communities)
        street = street_of[area]
        p = street_q[street] * community_q[area] * rng.uniform(0.6, 1.4)
        responsible = area
        if rng.random() < 0.3:
            responsible = rng.choice(departments_of[district_of[street]])
            p *= department_q[responsible]
        quality.append(min(p, 0.5))
        rows.append(
            Site(
                code=f"BSP{i:05}", name=f"测评点位{i + 1}", site_type=type_of(), lng=120.1 + rng.random() / 5,
                lat=30.2 + rng.random() / 5, area_unit_id=area, responsible_unit_id=responsible,
                declared=rng.random() < 0.3,
            )
        )  # fmt: skip
    Site.objects.bulk_create(rows, batch_size=1000)
    out = []
    for site, p in zip(Site.objects.order_by("code"), quality, strict=True):
        out.append(
            {
                "id": site.pk,
                "type": site.site_type,
                "area": site.area_unit_id,
                "street": street_of[site.area_unit_id],
                "district": district_of[street_of[site.area_unit_id]],
                "responsible": site.responsible_unit_id,
                "lat": site.lat,
                "lng": site.lng,
                "p": p,
            }
        )
    return out


def month_starts(today: date) -> list[date]:
    """The first days of the ``MONTHS`` complete months before ``today``'s month, oldest first."""
    first = today.replace(day=1)
    out = []
    for _ in range(MONTHS):
        first = (first - timedelta(days=1)).replace(day=1)
        out.append(first)
    return out[::-1]


def build_rounds(
    months: list[date], units: dict[str, Any], standard: Any, coordinator: int
) -> list[dict[str, Any]]:
    from chuangwen.rounds.models import Round, RoundKind, RoundStatus
    from chuangwen.workdays.services import TZ

    top = units["top"]
    plan = []
    for m, first in enumerate(months):
        plan.append(
            (RoundKind.UNANNOUNCED, f"{first:%Y年%m月}暗访", top, first.replace(day=3), first.replace(day=20))
        )
        if m > 0:
            plan.append(
                (
                    RoundKind.REVISIT,
                    f"{first:%Y年%m月}回头看",
                    top,
                    first.replace(day=22),
                    first.replace(day=27),
                )
            )
        for district in units["districts"]:
            name = f"{first:%Y年%m月}{district.name}自查"
            plan.append((RoundKind.SELF_CHECK, name, district, first.replace(day=5), first.replace(day=25)))
    rows = []
    for kind, name, owner, start, end in plan:
        published = datetime.combine(
            end + timedelta(days=2 if kind == RoundKind.REVISIT else 3), datetime.min.time()
        )
        rows.append(
            Round(
                name=name, kind=kind, standard=standard, owner_unit=owner, target_unit=owner,
                period_start=start, period_end=end, status=RoundStatus.PUBLISHED,
                published_at=published.replace(hour=10, tzinfo=TZ),
                published_by_id=coordinator, drawn_at=datetime.combine(start, datetime.min.time(), tzinfo=TZ),
                drawn_by_id=coordinator, created_by_id=coordinator,
            )
        )  # fmt: skip
    Round.objects.bulk_create(rows)
    return [
        {
            "id": r.pk,
            "kind": r.kind,
            "owner": r.owner_unit_id,
            "start": r.period_start,
            "end": r.period_end,
            "published_at": r.published_at,
        }
        for r in Round.objects.order_by("period_start", "pk")
    ]


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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--visits",
        type=int,
        default=51_500,
        help="visits planned over the 12 months (no revisit in the first)",
    )
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument(
        "--items-per-type", type=int, default=20, help="pad each site type's checklist to this"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--var-dir", type=Path, default=DEFAULT_VAR_DIR)
    parser.add_argument("--database-url", help="postgres://…/bench_scoring (default: SQLite in the var dir)")
    parser.add_argument("--batch", type=int, default=BATCH)
    args = parser.parse_args()

    started = time.perf_counter()
    prepare_database(args.var_dir, args.database_url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from chuangwen.cases.models import Case
    from chuangwen.rounds.models import Finding, Judgement, Visit
    from chuangwen.workdays.services import TZ

    call_command("migrate", interactive=False, verbosity=0)
    migrated = time.perf_counter()
    rng = random.Random(args.seed)
    now = datetime.now(TZ).replace(microsecond=0)
    months = month_starts(now.date())
    units = build_units(CITY, rng)
    coordinator, inspectors = build_people(units["top"])
    standard, checklists = build_standard(args.items_per_type)
    sites = build_sites(units, CITY["sites"], rng)
    rounds = build_rounds(months, units, standard, coordinator)
    unit_count = 1 + sum(len(units[k]) for k in ("districts", "streets", "communities", "departments"))
    print(
        f"{connection.vendor}: {unit_count} units, {len(sites)} sites, {len(rounds)} rounds, "
        f"{sum(len(v) for v in checklists.values())} check items",
        flush=True,
    )
    loader = Loader([Visit, Judgement, Finding], args.batch)
    finding_cases = generate_visits(
        loader, rounds, sites, checklists, coordinator, inspectors, args.visits, rng
    )
    loader.finish()
    visited = time.perf_counter()
    specs = finding_cases + other_cases(max(0, args.cases - len(finding_cases)), months, units, sites, rng)
    case_loader = Loader([Case], args.batch)
    tally = generate_cases(case_loader, specs, units, coordinator, now, months[0], rng)
    case_loader.finish()
    tally["reverify_fail_events"] = add_reverify_failures(
        case_loader[Case].falsified,  # type: ignore[attr-defined]
        coordinator,
        now,
    )
    loaded = time.perf_counter()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            connection.ensure_connection()
            connection.connection.autocommit = True
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    analysed = time.perf_counter()
    counts = {t.table: t.count for t in loader.tables + case_loader.tables}
    accepted = Visit.objects.filter(status="accepted", score__isnull=False).count()
    last_of = {kind: max(r["id"] for r in rounds if r["kind"] == kind) for kind in ("unannounced", "revisit")}
    info = {
        "vendor": connection.vendor,
        "database_url": args.database_url or "",
        "generated_at": now.isoformat(),
        "units": unit_count,
        "sites": len(sites),
        "rounds": len(rounds),
        "counts": counts,
        "accepted_scored_visits": accepted,
        "finding_cases": len(finding_cases),
        "case_mix": tally,
        "months": [f"{m:%Y-%m}" for m in months],
        "rank_rounds": last_of,
        "seconds": {
            "migrate": round(migrated - started, 1),
            "visits_judgements_findings": round(visited - migrated, 1),
            "cases": round(loaded - visited, 1),
            "analyze": round(analysed - loaded, 1),
            "total": round(time.perf_counter() - started, 1),
        },
        "size": database_size(args.var_dir),
    }
    (args.var_dir / "bench.json").write_text(json.dumps(info, indent=1, ensure_ascii=False))
    print(json.dumps(info, ensure_ascii=False))


if __name__ == "__main__":
    main()
