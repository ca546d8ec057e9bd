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
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.bulk import Loader  # noqa: E402
from bench.cases.generate import build_units, database_size, prepare_database  # noqa: E402
from bench.scoring.records import add_reverify_failures, generate_cases, generate_visits, other_cases  # noqa: E402
from bench.scoring.world import (  # noqa: E402
    CITY,
    build_people,
    build_rounds,
    build_sites,
    build_standard,
    month_starts,
)

DEFAULT_VAR_DIR = Path("/tmp/cw-bench-scoring")
BATCH = 20_000


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
