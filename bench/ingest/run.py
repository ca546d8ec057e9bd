"""Photo ingest benchmark: submissions per second and p50/p99 latency at 16 concurrent clients.

1. prepares a fresh var dir (migrate, an inspector with an API token on a team of a round in progress:
   bench/ingest/seed.py);
2. starts the server the way the README does, ``chuangwen serve`` (granian WSGI with the same workers, and
   the huey worker that makes the derivatives in the background), with CHUANGWEN_BENCH_BASELINE=1;
3. drives 16 keep-alive clients for a fixed time against the baseline endpoint (stores the same bytes
   durably and one row, nothing else), then against POST /api/v1/evidence (sniff, verify, full decode, EXIF,
   re-encode, SHA-256, fsync + rename + directory fsync, row, derivatives queued);
4. prints requests per second, p50, p99 and errors of both side by side.

Every request sends a different ≈400 KB 2000×1500 JPEG: the quantisation tables of one generated photo are
varied per request, so that the stored (re-encoded) files differ too and content addressing cannot skip the
write. The output counts distinct stored hashes to show it.

    .venv/bin/python bench/ingest/run.py [--seconds 60] [--clients 16] [--no-worker] [--keep]
Target (bench/README.md, "Targets"): ingest ≥ 100 per second sustained, p99 ≤ 250 ms, no error.
"""

from __future__ import annotations

import argparse
import http.client
import io
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from chuangwen.core.serverproc import free_port, multipart, start_server, stop_server  # noqa: E402

INGEST = "/api/v1/evidence"
BASELINE = "/api/v1/evidence/_baseline"


def phone_photo() -> tuple[bytes, list[int]]:
    """A 2000×1500 phone-like JPEG of about 400 KB, and the offsets of its two quantisation tables."""
    import numpy as np
    from PIL import Image, ImageFilter

    rng = np.random.default_rng(1)
    width, height = 2000, 1500
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x / width * 200 + 30, y / height * 180 + 40, (x + y) / (width + height) * 150 + 60], -1)
    noise = np.kron(rng.normal(0, 25, (height // 8 + 1, width // 8, 3)), np.ones((8, 8, 1)))[:height]
    pixels = np.clip(base + noise + rng.normal(0, 2.5, (height, width, 3)), 0, 255).astype("uint8")
    im = Image.fromarray(pixels).filter(ImageFilter.GaussianBlur(1.2))
    out = io.BytesIO()
    im.save(out, "JPEG", quality=80)
    data = out.getvalue()
    tables, start = [], 0
    while (at := data.find(b"\xff\xdb", start)) != -1 and len(tables) < 2:
        tables.append(at + 5)  # marker, length (2), table id (1), then 64 values
        start = at + 2
    return data, tables


def variant(data: bytes, tables: list[int], n: int) -> bytes:
    """The photo with low-frequency quantisation steps raised by one according to the bits of ``n``."""
    out = bytearray(data)
    for table_index, table in enumerate(tables):
        for bit in range(12):
            if n >> (table_index * 12 + bit) & 1:
                out[table + 1 + bit] += 1
    return bytes(out)


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    hashes: set[str] = field(default_factory=set)
    elapsed: float = 0.0

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


def client(port: int, path: str, seed: dict, photo: tuple[bytes, list[int]], until: float, counter, result):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Token {seed['token']}"}
    while time.perf_counter() < until:
        fields = {
            "client_id": str(uuid.uuid4()),
            "kind": "problem",
            "round_id": str(seed["round_id"]),
            "site_id": str(seed["site_id"]),
            "captured_at": "2026-12-01T09:15:00+08:00",
            "lat": "30.05",
            "lng": "120.02",
            "accuracy": "8",
        }
        body, content_type = multipart(fields, variant(*photo, next(counter)))
        started = time.perf_counter()
        try:
            conn.request("POST", path, body=body, headers={**headers, "Content-Type": content_type})
            response = conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as exc:
            result.error(type(exc).__name__)
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        if response.status in (200, 201):
            result.latencies.append(time.perf_counter() - started)
            result.hashes.add(json.loads(payload)["sha256"])
        else:
            result.error(f"HTTP {response.status}: {payload[:120]!r}")
    conn.close()


def drive(port: int, path: str, seed: dict, photo, seconds: float, clients: int) -> Result:
    result = Result()
    counter = itertools.count(int(time.time()) % 1000 * 4096)
    until = time.perf_counter() + seconds
    threads = [
        threading.Thread(target=client, args=(port, path, seed, photo, until, counter, result))
        for _ in range(clients)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.elapsed = time.perf_counter() - started
    return result


def report(results: dict[str, Result], clients: int) -> None:
    print(f"\n{clients} concurrent clients, ≈400 KB 2000×1500 JPEG per request")
    columns = ("requests", "per s", "p50 ms", "p99 ms", "errors", "files")
    print(f"{'endpoint':<10} " + " ".join(f"{c:>8}" for c in columns))
    for name, result in results.items():
        ms = sorted(t * 1000 for t in result.latencies)
        p50 = statistics.median(ms) if ms else float("nan")
        p99 = ms[max(0, int(len(ms) * 0.99) - 1)] if ms else float("nan")
        rps = len(ms) / result.elapsed if result.elapsed else 0.0
        errors = sum(result.errors.values())
        print(
            f"{name:<10} {len(ms):>8} {rps:>8.1f} {p50:>8.1f} {p99:>8.1f} {errors:>8} {len(result.hashes):>8}"
        )
        for what, count in sorted(result.errors.items()):
            print(f"           {count} × {what}")
    print("target: ingest ≥ 100 per second, p99 ≤ 250 ms, no error")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60, help="per endpoint (default 60)")
    parser.add_argument("--warmup", type=float, default=3, help="unmeasured seconds before each endpoint")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--no-worker", action="store_true", help="serve without the huey worker")
    parser.add_argument("--only", choices=["baseline", "ingest"], help="drive one endpoint only")
    parser.add_argument("--keep", action="store_true", help="keep the var dir afterwards")
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="cw-bench-ingest-"))
    env = {**os.environ, "CHUANGWEN_VAR_DIR": str(var_dir), "CHUANGWEN_BENCH_BASELINE": "1"}
    env.setdefault("DJANGO_SETTINGS_MODULE", "chuangwen.settings")
    seeded = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "ingest" / "seed.py")],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    seed = json.loads(seeded.stdout.strip().splitlines()[-1])
    photo = phone_photo()
    port = free_port()
    server = start_server(env, port, var_dir / "server.log", worker=not args.no_worker)
    worker = "off" if args.no_worker else "on"
    print(f"server: chuangwen serve on port {port}, var dir {var_dir}, task worker {worker}", flush=True)
    results: dict[str, Result] = {}
    try:
        for name, path in (("baseline", BASELINE), ("ingest", INGEST)):
            if args.only and args.only != name:
                continue
            if args.warmup:
                drive(port, path, seed, photo, args.warmup, args.clients)
            results[name] = drive(port, path, seed, photo, args.seconds, args.clients)
            print(f"{name}: done", flush=True)
    finally:
        stop_server(server)
        if not args.keep:
            shutil.rmtree(var_dir, ignore_errors=True)
    report(results, args.clients)


if __name__ == "__main__":
    main()
