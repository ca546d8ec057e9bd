"""Data for the case list benchmark: a district (or a city) with its units, sites, people and N cases.

    .venv/bin/python bench/cases/generate.py [--cases 1000000] [--scale district|city] [--seed 1]
        [--var-dir /tmp/cw-bench-cases] [--database-url postgres://postgres@127.0.0.1:5432/bench_cases]

SQLite (default): a fresh database in the private var dir (deleted first). PostgreSQL: the named database is
dropped and created again (never ``test``, which belongs to the test suite). Then: migrate, the unit tree
(district: 1 district, 12 streets, ≈150 communities, 40 departments; city: 1 city, 6 districts, ≈300 units),
sites (3 000 / 5 000), a handler and a unit head per unit plus coordinators, leaders and verifiers at the top,
and N cases inserted in id order = opening order with raw multi-row inserts (SQLite) or COPY (PostgreSQL)
in batches, one transaction per batch. Finally ANALYZE (VACUUM ANALYZE on PostgreSQL, so that counts can use
index-only scans as they would once autovacuum has run). Writes ``bench.json`` (API tokens of the users the
run drives, their units) into the var dir and prints the timings.

Cases: opened over the last two years (rising volume); the state follows the age (≈92 % of the last month's
cases are still open, ≈20 % of the three months before, ≈5 % of older ones — those mostly suspended),
≈15 % open overall, ≈4 % rejected, duplicates or cancelled, the rest closed. Routed to the community where
the problem is (55 %), its street (15 %) or a department (30 %); new cases are unrouted.
Deadlines: a dispatch moment (``deadline_from``: the opening rounded up to the next half hour) plus 3, 5, 7,
10 or 15 working days by ``chuangwen.workdays.services.add_workdays`` and ``warn_at`` by ``warn_point`` —
the real functions, called once per distinct (dispatch moment, days) with the calendar's ``is_workday``
precomputed per date (and checked against the unpatched functions on a sample).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import time
from bisect import bisect
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.bulk import Loader  # noqa: E402

DEFAULT_VAR_DIR = Path("/tmp/cw-bench-cases")
CODE_PREFIX = "BC"  # bench cases: BC0000001 …, never a real AJ code
BATCH = 20_000

SCALES = {
    # streets per district, communities per street (range), departments per district, sites
    "district": {"districts": 1, "streets": 12, "communities": (10, 15), "departments": 40, "sites": 3000},
    "city": {"districts": 6, "streets": 5, "communities": (5, 9), "departments": 8, "sites": 5000},
}
OPEN_MIX = [
    ("new", 5),
    ("dispatched", 25),
    ("accepted", 35),
    ("returned", 2),
    ("rectified", 15),
    ("rework", 8),
    ("suspended", 10),
]
FINAL_MIX = [("closed", 96), ("rejected", 2), ("duplicate", 1), ("cancelled", 1)]
SOURCES = [("finding", 55), ("citizen", 25), ("hotline", 15), ("instruction", 5)]
DEADLINE_DAYS = [(3, 20), (5, 35), (7, 25), (10, 12), (15, 8)]
TITLES = [
    "垃圾乱堆放",
    "占道经营",
    "非机动车乱停放",
    "墙面乱涂乱画",
    "绿化带损毁",
    "公益广告缺失",
    "道路破损",
    "窨井盖缺失",
    "楼道堆物",
    "车辆违停",
]


def picker(rng: random.Random, weighted: list[tuple[Any, int]]) -> Any:
    values = [v for v, _ in weighted]
    cum: list[int] = []
    total = 0
    for _, w in weighted:
        total += w
        cum.append(total)

    def pick() -> Any:
        return values[bisect(cum, rng.random() * total)]

    return pick


def prepare_database(var_dir: Path, database_url: str | None) -> None:
    """A fresh private var dir; with PostgreSQL a freshly created database as well."""
    shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True)
    os.environ["CHUANGWEN_VAR_DIR"] = str(var_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuangwen.settings")
    if not database_url:
        os.environ.pop("DATABASE_URL", None)
        return
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not name or name in ("test", "postgres", "template0", "template1"):
        raise SystemExit(f"refusing to use database {name!r}: name a private one, e.g. bench_cases")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = database_url


def build_units(scale: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    from chuangwen.demo.territory import insert_units
    from chuangwen.org.models import Unit, UnitKind

    top: Unit | None = None
    if scale["districts"] > 1:
        top = insert_units([Unit(code="BCITY", name="压测市", kind=UnitKind.CITY)])[0]
    districts = insert_units(
        [
            Unit(code=f"BD{d:02}", name=f"压测{d + 1}区", kind=UnitKind.DISTRICT, parent=top, sort_order=d)
            for d in range(scale["districts"])
        ]
    )
    streets = insert_units(
        [
            Unit(
                code=f"{d.code}S{s:02}",
                name=f"{d.name}{s + 1}街道",
                kind=UnitKind.STREET,
                parent=d,
                sort_order=s,
            )
            for d in districts
            for s in range(scale["streets"])
        ]
    )
    departments = insert_units(
        [
            Unit(code=f"{d.code}B{b:02}", name=f"{d.name}第{b + 1}部门", kind=UnitKind.DEPARTMENT, parent=d)
            for d in districts
            for b in range(scale["departments"])
        ]
    )
    low, high = scale["communities"]
    communities = insert_units(
        [
            Unit(code=f"{s.code}C{c:02}", name=f"{s.name}{c + 1}社区", kind=UnitKind.COMMUNITY, parent=s)
            for s in streets
            for c in range(rng.randint(low, high))
        ]
    )
    return {
        "top": top or districts[0],
        "districts": districts,
        "streets": streets,
        "departments": departments,
        "communities": communities,
    }


def build_people(units: dict[str, Any]) -> dict[str, Any]:
    """A handler and a unit head per unit, three coordinators, a leader and a verifier per top unit."""
    from chuangwen.accounts.models import User

    rows: list[User] = []
    tops = (
        [units["top"], *units["districts"]] if units["top"] not in units["districts"] else units["districts"]
    )
    for unit in tops:
        for n in range(3):
            rows.append(User(username=f"bc_coord_{unit.pk}_{n}", role="coordinator", unit=unit))
        rows.append(User(username=f"bc_leader_{unit.pk}", role="leader", unit=unit))
        rows.append(User(username=f"bc_verifier_{unit.pk}", role="verifier", unit=unit))
    for kind in ("streets", "departments", "communities"):
        for unit in units[kind]:
            rows.append(User(username=f"bc_handler_{unit.pk}", role="handler", unit=unit))
            rows.append(User(username=f"bc_head_{unit.pk}", role="unit_head", unit=unit))
    for user in rows:
        user.set_unusable_password()  # token auth only
    User.objects.bulk_create(rows, batch_size=1000)
    return {user.username: user for user in User.objects.filter(username__startswith="bc_")}


def build_sites(units: dict[str, Any], n: int, rng: random.Random) -> list[tuple[int, str, int, int]]:
    """(id, name, area unit id, responsible unit id) of ``n`` sites."""
    from chuangwen.sites.models import Site

    communities, departments = units["communities"], units["departments"]
    rows = []
    for i in range(n):
        area = rng.choice(communities)
        responsible = area if rng.random() < 0.7 else rng.choice(departments)
        rows.append(
            Site(
                code=f"BCP{i:05}", name=f"压测点位{i + 1}", site_type="ZD", lng=120.1 + rng.random() / 10,
                lat=30.2 + rng.random() / 10, area_unit=area, responsible_unit=responsible,
            )
        )  # fmt: skip
    Site.objects.bulk_create(rows, batch_size=1000)
    return list(Site.objects.values_list("id", "name", "area_unit_id", "responsible_unit_id"))


class Deadlines:
    """add_workdays / warn_point with the calendar precomputed per date, cached per (start, days)."""

    def __init__(self, first: date, last: date) -> None:
        from chuangwen.workdays import services

        self.services = services
        self.real_is_workday = services.is_workday
        day, self.workday = first, {}
        while day <= last:
            self.workday[day] = self.real_is_workday(day)
            day += timedelta(days=1)
        self.cache: dict[tuple[datetime, int], tuple[datetime, datetime]] = {}

    def _fast_is_workday(self, d: date) -> bool:
        known = self.workday.get(d)
        return self.real_is_workday(d) if known is None else known

    def __call__(self, start: datetime, days: int) -> tuple[datetime, datetime]:
        key = (start, days)
        found = self.cache.get(key)
        if found is None:
            self.services.is_workday = self._fast_is_workday  # type: ignore[assignment]
            try:
                deadline = self.services.add_workdays(start, days)
                found = (deadline, self.services.warn_point(start, deadline))
            finally:
                self.services.is_workday = self.real_is_workday  # type: ignore[assignment]
            self.cache[key] = found
        return found

    def check(self, rng: random.Random, samples: int = 100) -> None:
        """The cached figures equal the unpatched functions' on a sample."""
        for start, days in rng.sample(sorted(self.cache), min(samples, len(self.cache))):
            deadline = self.services.add_workdays(start, days)
            expected = (deadline, self.services.warn_point(start, deadline))
            if self.cache[(start, days)] != expected:
                raise AssertionError(f"deadline mismatch for {start} + {days}: {self.cache[(start, days)]}")


def case_rows(
    n: int, units: dict[str, Any], sites: list[tuple[int, str, int, int]], people: dict[str, Any], seed: int
) -> Iterator[dict[str, Any]]:
    """N cases as column dicts, in opening order (oldest first)."""
    from chuangwen.workdays.services import TZ

    rng = random.Random(seed)
    now = datetime.now(TZ).replace(microsecond=0)
    days_back = 730
    deadlines = Deadlines((now - timedelta(days=days_back + 1)).date(), (now + timedelta(days=60)).date())
    source_of = picker(rng, SOURCES)
    open_state = picker(rng, OPEN_MIX)
    final_state = picker(rng, FINAL_MIX)
    days_of = picker(rng, DEADLINE_DAYS)
    street_of = {c.pk: c.parent_id for c in units["communities"]}
    communities = [c.pk for c in units["communities"]]
    departments = [d.pk for d in units["departments"]]
    coordinator = next(u for u in people.values() if u.role == "coordinator").pk
    # Volume rises over the two years: the age in days is days_back * (1 - sqrt(u)), sorted oldest first.
    ages = sorted((days_back * (1 - rng.random() ** 0.5) * 86400 for _ in range(n)), reverse=True)
    for i, age in enumerate(ages):
        opened = now - timedelta(seconds=int(age))
        if rng.random() < 0.85:  # mostly office hours
            opened = opened.replace(hour=rng.randint(8, 17))
            if opened > now:
                opened -= timedelta(days=1)
        age_days = (now - opened).days
        # Open: most of the last month, a fifth of the three months before, a few older ones, which are
        # mostly suspended (挂账) — long-lived open cases are planned work, not forgotten ones.
        p_open, p_suspended = (0.92, 0.0) if age_days < 30 else (0.2, 0.3) if age_days < 120 else (0.045, 0.6)
        if rng.random() >= p_open:
            state = final_state()
        else:
            state = "suspended" if rng.random() < p_suspended else open_state()
        source = source_of()
        site = rng.choice(sites) if source == "finding" or rng.random() < 0.5 else None
        area = site[2] if site else rng.choice(communities)
        r = rng.random()
        unit: int | None = area if r < 0.55 else street_of[area] if r < 0.7 else rng.choice(departments)
        if site and r >= 0.7 and site[3] in departments:
            unit = site[3]
        routed = state not in ("new", "rejected", "duplicate") and not (state == "cancelled" and r < 0.3)
        row: dict[str, Any] = {
            "code": f"{CODE_PREFIX}{i + 1:07}",
            "source": source,
            "state": state,
            "title": f"{rng.choice(TITLES)}（{site[1] if site else '市民反映'}）",
            "site_id": site[0] if site else None,
            "unit_id": unit if routed else None,
            "area_unit_id": area,
            "opened_at": opened,
            "created_by_id": coordinator,
            "updated_at": opened,
        }
        if routed:
            # Dispatched at the next half hour after opening (or later for a few).
            start = opened.replace(minute=0, second=0) + timedelta(minutes=30 if opened.minute < 30 else 60)
            start += timedelta(days=rng.choice((0, 0, 0, 1)))
            deadline, warn_at = deadlines(start, days_of())
            row.update(deadline=deadline, deadline_from=start, warn_at=warn_at)
            if state == "closed":
                row["closed_at"] = min(now, start + (deadline - start) * rng.uniform(0.3, 1.4))
                row["updated_at"] = row["closed_at"]
            elif state == "suspended":
                row["suspended_until"] = (now + timedelta(days=rng.randint(10, 90))).date()
            elif state == "rework":
                row["rework_count"] = 1
        yield row
    deadlines.check(rng)


def insert_cases(rows: Iterator[dict[str, Any]], batch: int) -> int:
    """The cases in the order given, ids assigned by the database (so 1 … N in opening order)."""
    from chuangwen.cases.models import Case

    loader = Loader([Case], batch, explicit_ids=False, labels={Case: "cases"})
    cases = loader[Case]
    for row in rows:
        cases.add(**row)
        loader.maybe_flush()
    loader.finish()
    return cases.count


def database_size(var_dir: Path) -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            return str(cursor.fetchone()[0])
    size = sum(p.stat().st_size for p in var_dir.glob("chuangwen.sqlite3*"))
    return f"{size / 2**20:.0f} MB"


def bench_users(units: dict[str, Any], people: dict[str, Any]) -> list[dict[str, Any]]:
    """The users the run drives: the top coordinator, a street handler, a community handler; their units."""
    from chuangwen.accounts.services import issue_token
    from chuangwen.org.models import Unit

    top = units["top"]
    street = units["streets"][0]
    community = next(c for c in units["communities"] if c.parent_id == street.pk)
    levels = [
        ("coordinator", people[f"bc_coord_{top.pk}_0"], top),
        ("street", people[f"bc_handler_{street.pk}"], street),
        ("community", people[f"bc_handler_{community.pk}"], community),
    ]
    out = []
    for level, user, unit in levels:
        # Filter units: the user's own unit and the units one and two levels below it.
        below = list(
            Unit.objects.filter(path__startswith=unit.path, depth__lte=unit.depth + 2)
            .exclude(kind="department")
            .values_list("id", flat=True)
        )
        out.append(
            {
                "level": level,
                "username": user.username,
                "unit": unit.pk,
                "filter_units": below,
                "token": issue_token(user, "bench-cases"),
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--scale", choices=sorted(SCALES), default="district")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--var-dir", type=Path, default=DEFAULT_VAR_DIR)
    parser.add_argument("--database-url", help="postgres://…/bench_cases (default: SQLite in the var dir)")
    parser.add_argument("--batch", type=int, default=BATCH)
    args = parser.parse_args()

    started = time.perf_counter()
    prepare_database(args.var_dir, args.database_url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    migrated = time.perf_counter()
    rng = random.Random(args.seed)
    units = build_units(SCALES[args.scale], rng)
    people = build_people(units)
    sites = build_sites(units, SCALES[args.scale]["sites"], rng)
    unit_count = sum(len(v) for k, v in units.items() if k != "top") + (
        units["top"] not in units["districts"]
    )
    print(f"{connection.vendor}: {unit_count} units, {len(people)} users, {len(sites)} sites", flush=True)
    inserted = insert_cases(case_rows(args.cases, units, sites, people, args.seed), args.batch)
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
    info = {
        "vendor": connection.vendor,
        "database_url": args.database_url or "",
        "scale": args.scale,
        "cases": inserted,
        "units": unit_count,
        "sites": len(sites),
        "users": bench_users(units, people),
        "seconds": {
            "migrate": round(migrated - started, 1),
            "cases": round(loaded - migrated, 1),
            "analyze": round(analysed - loaded, 1),
            "total": round(time.perf_counter() - started, 1),
        },
        "size": database_size(args.var_dir),
    }
    (args.var_dir / "bench.json").write_text(json.dumps(info, indent=1))
    print(json.dumps({k: v for k, v in info.items() if k != "users"}, ensure_ascii=False))


if __name__ == "__main__":
    main()
