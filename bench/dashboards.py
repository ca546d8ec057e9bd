"""Dashboard overview benchmark: GET /api/v1/dashboards/overview beside GET /healthz, in the same run.

    .venv/bin/python bench/dashboards.py [--var-dir /tmp/cw-bench-dash] [--clients 8] [--seconds 10]

On first use it migrates the var dir, builds the demo district (``demo-data --scale district --seed 1``, a few
minutes) and issues an API token for ``demo_coordinator`` (kept in ``bench.json``). Then it starts the server
the way the README does (``chuangwen serve``: granian, ``WEB_WORKERS`` workers, default 2; no task worker)
and, for each scenario, runs ``--clients`` client *processes* (threads would share one GIL and measure the
client), each with one keep-alive connection, for ``--seconds`` seconds after a one-second warm-up:

- ``healthz``: the cheapest answer of the server (one ``SELECT 1``), the ceiling of this machine;
- ``overview cached``: the overview as the coordinator, served from the dashboards' cache;
- ``overview uncached``: the same with ``DASHBOARD_CACHE_SECONDS=0`` (a second server), what every read cost
  before the cache.

Prints requests, req/s, p50/p95/p99/max per scenario. Target: cached ≥ 1,000/s with p99 ≤ 50 ms at 8 clients.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chuangwen.core.serverproc import free_port, start_server, stop_server  # noqa: E402

OVERVIEW = "/api/v1/dashboards/overview"


def chuangwen(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "chuangwen.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"chuangwen {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def prepare(var_dir: Path, env: dict[str, str]) -> str:
    """The coordinator's token; the demo district is built once per var dir."""
    info = var_dir / "bench.json"
    if info.exists():
        token: str = json.loads(info.read_text())["token"]
        return token
    var_dir.mkdir(parents=True, exist_ok=True)
    chuangwen(env, "migrate", "--noinput")
    print("building the demo district (a few minutes) …", flush=True)
    chuangwen(env, "demo-data", "--scale", "district", "--seed", "1")
    out = chuangwen(env, "issue-token", "demo_coordinator", f"bench-{int(time.time())}")
    token = next(line.strip() for line in out.splitlines()[1:] if line.strip())
    info.write_text(json.dumps({"token": token}))
    return token


def client(port: int, path: str, token: str, start: float, stop: float, out: multiprocessing.Queue) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Token {token}"} if token else {}
    latencies: list[float] = []
    errors = 0
    while (now := time.perf_counter()) < stop:
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            ok = response.status == 200
        except OSError:
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            ok = False
        if now >= start:  # the first second warms the workers and the cache up
            latencies.append(time.perf_counter() - now)
            errors += not ok
    out.put((latencies, errors))


def drive(port: int, path: str, token: str, clients: int, seconds: float) -> tuple[list[float], int, float]:
    start = time.perf_counter() + 1.0
    stop = start + seconds
    out: multiprocessing.Queue = multiprocessing.Queue()
    procs = [
        multiprocessing.Process(target=client, args=(port, path, token, start, stop, out))
        for _ in range(clients)
    ]
    for proc in procs:
        proc.start()
    latencies: list[float] = []
    errors = 0
    for _ in procs:
        got, failed = out.get()
        latencies += got
        errors += failed
    for proc in procs:
        proc.join()
    return sorted(t * 1000 for t in latencies), errors, seconds


def percentile(ms: list[float], p: float) -> float:
    return ms[min(len(ms) - 1, max(0, int(len(ms) * p + 0.999999) - 1))] if ms else float("nan")


def line(name: str, ms: list[float], errors: int, seconds: float) -> str:
    cells = [len(ms), len(ms) / seconds, *(percentile(ms, p) for p in (0.5, 0.95, 0.99)), ms[-1] if ms else 0]
    return (
        f"{name:<20} {cells[0]:>8} {cells[1]:>8.0f} "
        + " ".join(f"{c:>8.1f}" for c in cells[2:])
        + (f" {errors:>8}")
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--var-dir", type=Path, default=Path("/tmp/cw-bench-dash"))
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "TASK_QUEUE_URL", "CACHE_URL"}}
    env.update(CHUANGWEN_VAR_DIR=str(args.var_dir), DJANGO_SETTINGS_MODULE="chuangwen.settings")
    token = prepare(args.var_dir, env)
    rows = []
    for cache_seconds, scenarios in (("60", ["healthz", "overview cached"]), ("0", ["overview uncached"])):
        port = free_port()
        server = start_server(
            {**env, "DASHBOARD_CACHE_SECONDS": cache_seconds}, port, args.var_dir / "server.log"
        )
        try:
            for name in scenarios:
                path = "/healthz" if name == "healthz" else OVERVIEW
                rows.append(line(name, *drive(port, path, token, args.clients, args.seconds)))
                print(f"{name}: done", flush=True)
        finally:
            stop_server(server)
    print(
        f"\n{args.clients} client processes, {args.seconds:g} s each, "
        f"WEB_WORKERS={env.get('WEB_WORKERS', '2')}"
    )
    columns = ("requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors")
    print(f"{'scenario':<20} " + " ".join(f"{c:>8}" for c in columns))
    print("\n".join(rows))
    print("target: overview cached ≥ 1,000 req/s, p99 ≤ 50 ms")


if __name__ == "__main__":
    main()
