"""Case list benchmark: GET /api/v1/cases?unit=…&state=…&limit=50 over a generated database, p50/p95/p99/max.

    .venv/bin/python bench/cases/generate.py [--database-url postgres://postgres@127.0.0.1:5432/bench_cases]
    .venv/bin/python bench/cases/run.py [--requests 2000] [--clients 2] [--var-dir /tmp/cw-bench-cases]

Starts the server the way the README does (``chuangwen serve``: granian, ``WEB_WORKERS`` workers, default 2;
without the task worker) on the var dir and database that ``generate.py`` left (its ``bench.json`` names the
database and holds the API tokens), then for each user level — the top coordinator, a street handler, a
community handler — and for each of the two scenarios — ``with_counts=false`` (the page and its total count)
and ``with_counts=true`` (plus the counts by state and by traffic light; fewer requests, as they are slow
over a big subtree) — sends the given number of requests from ``--clients`` keep-alive clients with
``Authorization: Token …``. Each request picks (seeded) one of the user's units (the own unit, or one or two
levels below) and one state (closed, the big one, or an open state). The first ``--warmup`` requests of each
scenario are not measured. Prints requests, req/s, p50, p95, p99 and max per scenario, and the share of pages
that came back full.
Target (bench/README.md, "Targets"): p99 ≤ 50 ms for the page of 50 filtered by unit subtree and state.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from chuangwen.core.serverproc import free_port, start_server, stop_server  # noqa: E402

LIST = "/api/v1/cases"
STATES = ["closed", "closed", "dispatched", "accepted", "rectified", "rework", "suspended"]


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    full_pages: int = 0
    elapsed: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, what: str) -> None:
        with self.lock:
            self.errors[what] = self.errors.get(what, 0) + 1


def queries(user: dict[str, Any], with_counts: bool, n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        params = {
            "unit": rng.choice(user["filter_units"]),
            "state": rng.choice(STATES),
            "limit": 50,
            "with_counts": "true" if with_counts else "false",
        }
        out.append(f"{LIST}?{urlencode(params)}")
    return out


def client(
    port: int, token: str, todo: list[str], lock: threading.Lock, result: Result, measure: bool
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Token {token}"}
    while True:
        with lock:
            if not todo:
                break
            path = todo.pop()
        started = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as exc:
            result.error(type(exc).__name__)
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            continue
        took = time.perf_counter() - started
        if response.status != 200:
            result.error(f"HTTP {response.status}: {payload[:160]!r}")
            continue
        if measure:
            full = len(json.loads(payload)["items"]) == 50
            with result.lock:
                result.latencies.append(took)
                result.full_pages += full
    conn.close()


def drive(port: int, token: str, paths: list[str], clients: int, measure: bool = True) -> Result:
    result = Result()
    todo = list(reversed(paths))
    lock = threading.Lock()
    threads = [
        threading.Thread(target=client, args=(port, token, todo, lock, result, measure))
        for _ in range(clients)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.elapsed = time.perf_counter() - started
    return result


def percentile(ms: list[float], p: float) -> float:
    """Nearest-rank percentile of sorted values."""
    if not ms:
        return float("nan")
    return ms[min(len(ms) - 1, max(0, int(len(ms) * p + 0.999999) - 1))]


def report(info: dict[str, Any], results: dict[str, Result], clients: int) -> None:
    print(
        f"\n{info['vendor']}, {info['cases']:,} cases, {info['units']} units ({info['scale']}), "
        f"{clients} concurrent clients, page of 50"
    )
    columns = ("requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "full %", "errors")
    print(f"{'scenario':<28} " + " ".join(f"{c:>8}" for c in columns))
    for name, result in results.items():
        ms = sorted(t * 1000 for t in result.latencies)
        rps = len(ms) / result.elapsed if result.elapsed else 0.0
        full = 100 * result.full_pages / len(ms) if ms else 0.0
        cells = (
            f"{len(ms):>8} {rps:>8.1f} {percentile(ms, 0.5):>8.1f} {percentile(ms, 0.95):>8.1f} "
            f"{percentile(ms, 0.99):>8.1f} {(ms[-1] if ms else float('nan')):>8.1f} {full:>8.0f} "
            f"{sum(result.errors.values()):>8}"
        )
        print(f"{name:<28} {cells}")
        for what, count in sorted(result.errors.items()):
            print(f"      {count} × {what}")
    print("target: p99 ≤ 50 ms (filter by unit subtree and state, page of 50)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--var-dir", type=Path, default=Path("/tmp/cw-bench-cases"))
    parser.add_argument("--requests", type=int, default=2000, help="measured requests per page scenario")
    parser.add_argument(
        "--counts-requests", type=int, default=300, help="measured requests per with_counts scenario"
    )
    parser.add_argument("--warmup", type=int, default=100, help="unmeasured requests before each scenario")
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--levels", default="coordinator,street,community")
    parser.add_argument("--scenarios", default="page,with_counts", help="page, with_counts or both")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    info = json.loads((args.var_dir / "bench.json").read_text())
    env = {**os.environ, "CHUANGWEN_VAR_DIR": str(args.var_dir)}
    env.setdefault("DJANGO_SETTINGS_MODULE", "chuangwen.settings")
    env.pop("DATABASE_URL", None)
    if info["database_url"]:
        env["DATABASE_URL"] = info["database_url"]
    port = free_port()
    server = start_server(env, port, args.var_dir / "server.log", worker=False)
    print(f"server: chuangwen serve on port {port}, {info['vendor']}, var dir {args.var_dir}", flush=True)
    levels = args.levels.split(",")
    scenarios = args.scenarios.split(",")
    results: dict[str, Result] = {}
    try:
        for level in levels:
            user = next(u for u in info["users"] if u["level"] == level)
            for scenario in scenarios:
                with_counts = scenario == "with_counts"
                seed = args.seed * 1000 + levels.index(level) * 10 + with_counts
                n = args.counts_requests if with_counts else args.requests
                paths = queries(user, with_counts, args.warmup + n, seed)
                drive(port, user["token"], paths[: args.warmup], args.clients, measure=False)
                name = f"{level} {scenario}"
                results[name] = drive(port, user["token"], paths[args.warmup :], args.clients)
                print(f"{name}: done", flush=True)
    finally:
        stop_server(server)
    report(info, results, args.clients)


if __name__ == "__main__":
    main()
