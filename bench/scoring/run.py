"""Ranking recompute benchmark: ``rankings.compute.compute_all`` per period, beside the same in DuckDB.

    .venv/bin/python bench/scoring/generate.py [--database-url postgres://postgres@127.0.0.1:5432/bench_scoring]
    .venv/bin/python bench/scoring/run.py [--var-dir /tmp/cw-bench-scoring] [--repeat 5]
        [--database-url postgres://…/bench_scoring]   # default: the database named in bench.json

For each period — the 12 months of ``bench.json`` and the latest 暗访 and 回头看 round — it times
``compute_all(period, as_of=…)`` (all three levels: street, community, department; on-site score with weights
and shrinkage, the six rectification indicators, rectification score, penalties, composite, ranks) on the
Django database, ``--repeat`` times after one unmeasured call, and reports min / median / max.

Reference: the rows that scoring reads (units, site-type weights, every visit with its round and site, every
case with its finding's round, the reverify_fail events) are read once from the same database with the ORM,
written to CSV in /tmp and loaded into a DuckDB file in /tmp (load time reported apart); then one DuckDB SQL
query per period computes the same numbers from the raw rows — the same filters (accepted, scored, published,
official kinds; finished in the month or of the round; cases routed, counted states, opened in the month or of
the round's findings), the same unit-of-level rule (the level's unit on the path; streets and communities by
the site's area, departments by the site's responsible unit), the same weights (site type × declared or
undeclared factor × revisit factor), the same shrinkage of a unit with fewer than ``min_sample`` visits,
``(n·mean + k·level mean) / (n + k)``, indicators, rectification score, penalties and composite with the
configuration of the standard version — timed the same way. Every unit of every level is compared:
visit and case counts and the six numerators exactly, scores (raw and shrunk on-site, rectification,
composite) within 0.01, rates within 0.0001, and ranks. Target (bench/README.md, "Targets"): ≤ 2 s for a
full recompute of one period (all levels).

DuckDB is an optional bench dependency (``pip install duckdb`` or ``pip install -e '.[bench]'``); without it
only the Django timings are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.scoring.reference import compare, load_duckdb, micros, reference_sql  # noqa: E402


def timed(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    """One unmeasured call, then ``repeat`` measured ones; the seconds and the last result."""
    result = fn()
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - started)
    return seconds, result


def fmt(seconds: list[float]) -> str:
    if not seconds:
        return f"{'–':>7} {'–':>7} {'–':>7}"
    return f"{min(seconds):7.3f} {statistics.median(seconds):7.3f} {max(seconds):7.3f}"


# --- main ---------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--var-dir", type=Path, default=Path("/tmp/cw-bench-scoring"))
    parser.add_argument("--database-url", help="default: the database named in the var dir's bench.json")
    parser.add_argument(
        "--repeat", type=int, default=5, help="measured calls per period (after one unmeasured)"
    )
    parser.add_argument("--months", type=int, default=12, help="rank the last N months of bench.json")
    parser.add_argument("--duckdb-file", type=Path, help="default: /tmp/cw-bench-scoring-<vendor>.duckdb")
    args = parser.parse_args()

    info = json.loads((args.var_dir / "bench.json").read_text())
    os.environ["CHUANGWEN_VAR_DIR"] = str(args.var_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuangwen.settings")
    database_url = args.database_url or info["database_url"]
    os.environ.pop("DATABASE_URL", None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from chuangwen.rankings.compute import Period, _standard, compute_all
    from chuangwen.rankings.config import ranking_config
    from chuangwen.rounds.models import Round

    try:
        import duckdb
    except ImportError:
        duckdb = None  # type: ignore[assignment]
        print(
            "duckdb is not installed, so there is no reference: `.venv/bin/pip install duckdb` "
            "(or `pip install -e '.[bench]'`). Timing compute_all only.",
            flush=True,
        )

    periods = [Period.for_month(date.fromisoformat(f"{m}-01")) for m in info["months"][-args.months :]]
    for kind in ("unannounced", "revisit"):
        periods.append(Period.for_round(Round.objects.get(pk=info["rank_rounds"][kind])))
    now = timezone.now()
    print(
        f"{connection.vendor}: {info['units']} units, {info['sites']:,} sites, "
        + ", ".join(f"{n:,} {t}" for t, n in info["counts"].items())
        + f"; {len(periods)} periods × {args.repeat} (+1 unmeasured)",
        flush=True,
    )

    con = None
    if duckdb is not None:
        path = args.duckdb_file or Path(f"/tmp/cw-bench-scoring-{connection.vendor}.duckdb")
        con, counts, export_s, load_s = load_duckdb(path)
        print(
            f"DuckDB {duckdb.__version__} ({path}): exported "
            + ", ".join(f"{n:,} {t}" for t, n in counts.items())
            + f" in {export_s:.1f} s (ORM → CSV), loaded in {load_s:.1f} s",
            flush=True,
        )

    rows = []
    all_ok = True
    for period in periods:
        as_of = min(now, period.end)
        config = ranking_config(_standard(period))
        django_s, result = timed(partial(compute_all, period, as_of=as_of), args.repeat)
        # Distinct records counted: every visit's site lies in a street; a case is routed to a street's
        # subtree or to a department.
        visits = sum(s.visits for s in result["street"])
        cases = sum(s.cases for s in result["street"]) + sum(s.cases for s in result["department"])
        duck_s: list[float] = []
        verdict = "no reference"
        if con is not None:
            sql = reference_sql(config)
            params = {
                "round_id": period.round_id,
                "start": micros(period.start),
                "end": micros(period.end),
                "as_of": micros(as_of),
            }

            def query(sql: str = sql, params: dict[str, Any] = params) -> list[dict[str, Any]]:
                cursor = con.execute(sql, params)
                names = [d[0] for d in cursor.description]
                return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]

            duck_s, duck_rows = timed(query, args.repeat)
            check = compare(result, duck_rows)
            ok = check["mismatched"] == 0 and check["rank_diffs"] == 0
            all_ok &= ok
            verdict = (
                f"{'agree' if ok else 'DIFFER'}: {check['units']} units, {check['mismatched']} differ, "
                f"{check['rank_diffs']} ranks differ, max |Δ| score {check['worst']['score']:.4f} "
                f"rate {check['worst']['rate']:.4f}"
            )
            for problem in check["problems"]:
                print(f"    {period.key}: {problem}")
        rows.append((period.key, visits, cases, django_s, duck_s, verdict))
        print(f"{period.key}: compute_all {fmt(django_s)}  duckdb {fmt(duck_s)}  {verdict}", flush=True)

    print(f"\n{connection.vendor}, seconds per full recompute of one period (3 levels), min / median / max:")
    print(f"{'period':<14} {'visits':>7} {'cases':>7}   {'compute_all':^23}   {'DuckDB':^23}   check")
    for key, visits, cases, django_s, duck_s, verdict in rows:
        print(
            f"{key:<14} {visits:>7,} {cases:>7,}   {fmt(django_s)}   {fmt(duck_s)}   {verdict.split(':')[0]}"
        )
    medians = [statistics.median(r[3]) for r in rows]
    worst = max(medians)
    print(
        f"all {len(rows)} periods: compute_all {sum(medians):.2f} s (sum of medians), worst median "
        f"{worst:.3f} s — target ≤ 2 s per period: {'met' if worst <= 2 else 'NOT met'}"
    )
    if con is not None:
        duck_total = sum(statistics.median(r[4]) for r in rows)
        agreement = "all units agree" if all_ok else "DIFFER"
        print(f"DuckDB: {duck_total:.2f} s (sum of medians); agreement: {agreement}")
        con.close()
    if not all_ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
