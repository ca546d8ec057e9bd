"""Check-in benchmark: a big event, 1 000 volunteers signing in within one minute.

1. prepares a fresh var dir (migrate; an activity with 1 000 places and 1 000 signed-up volunteers, each with
   an API token as the phone app has) — ``seed`` below, run in a child process with the var dir set;
2. starts the server the way the README does, ``chuangwen serve`` (granian, the huey worker);
3. sends the 1 000 check-ins to ``POST /api/v1/volunteers/activities/{id}/check-in`` spread evenly over
   ``--seconds`` (open loop: a request leaves on time whether or not earlier ones have answered, up to
   ``--clients`` in flight), each with the code of the moment (it turns every 20 s), a position near the place
   and its own client id; a share of them (``--resend``) is sent a second time with the same client id, as a
   phone that lost the answer would;
   (each client first makes ``--warmup`` unmeasured reads, as a server that has been up a while has its
   connections open);
4. prints p50/p99 latency, errors, and from the database: sign-ins recorded (must be 1 000: none lost) and
   distinct client ids (none doubled).

    .venv/bin/python bench/volunteers/checkin.py [--volunteers 1000] [--seconds 60] [--clients 32]
Target (bench/README.md, "Targets"): p99 ≤ 250 ms, none lost or doubled.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from chuangwen.core.serverproc import free_port, start_server, stop_server  # noqa: E402

PLACE = (30.2500, 120.1600)


def seed(count: int) -> dict[str, object]:
    """Runs in the child process: the district, a team, the activity starting now, ``count`` volunteers."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuangwen.settings")
    django.setup()
    from datetime import timedelta

    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", interactive=False, verbosity=0)
    from chuangwen.accounts.models import Role, User
    from chuangwen.accounts.services import issue_token
    from chuangwen.org.models import Unit, UnitKind
    from chuangwen.volunteers import rules, services
    from chuangwen.volunteers.models import Team

    district = Unit.objects.create(code="BV01", name="压测区", kind=UnitKind.DISTRICT)
    street = Unit.objects.create(code="BV0101", name="压测街道", kind=UnitKind.STREET, parent=district)
    community = Unit.objects.create(code="BV010101", name="压测社区", kind=UnitKind.COMMUNITY, parent=street)
    organiser = User.objects.create(username="bench_organiser", role=Role.HANDLER, unit=street)
    team = Team.objects.create(code="BV-T001", name="压测志愿服务队", unit=street)
    now = timezone.now()
    draft = services.ActivityDraft(
        title="压测：大型活动签到", place="压测广场", lat=PLACE[0], lng=PLACE[1],
        starts_at=now + timedelta(minutes=5), ends_at=now + timedelta(hours=4), places=count, radius_m=300,
        cancel_until=now + timedelta(minutes=4),
    )  # fmt: skip
    activity = services.post_activity(team, organiser, draft, now=now)
    hashed = make_password("Bench-2026-volunteer")
    tokens = []
    for n in range(count):
        body = f"330106{1960 + n % 40}0101{n % 1000:03d}"
        total = sum(int(d) * w for d, w in zip(body, rules._ID_WEIGHTS, strict=True))
        reg = services.Registration(
            name=f"志愿者{n}", phone=f"139{n:08d}", id_number=body + rules._ID_CHECK[total % 11],
            unit_id=community.pk, password="",
        )  # fmt: skip
        volunteer = services.register(reg, now=now, password_hash=hashed)
        services.sign_up(activity, volunteer, now=now)
        assert volunteer.user is not None
        tokens.append(issue_token(volunteer.user, "bench"))
    return {"activity_id": activity.pk, "code_key": activity.code_key, "tokens": tokens}


def counts(activity_id: int) -> dict[str, int]:
    """Runs in the child process after the run: what the database holds."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuangwen.settings")
    django.setup()
    from chuangwen.volunteers.models import SignUp

    rows = SignUp.objects.filter(activity_id=activity_id)
    signed_in = rows.exclude(signed_in_at=None)
    return {
        "signed_in": signed_in.count(),
        "distinct_client_ids": signed_in.values("sign_in_client_id").distinct().count(),
        "rows": rows.count(),
    }


def _child(var: Path, function: str, arg: str) -> dict[str, object]:
    env = {**os.environ, "CHUANGWEN_VAR_DIR": str(var)}
    code = (
        "import json, sys; sys.path.insert(0, 'bench/volunteers'); import checkin; "
        f"print(json.dumps(checkin.{function}({arg})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def code_now(key: str) -> str:
    from datetime import UTC, datetime

    from chuangwen.volunteers import rules

    return rules.current_code(key, datetime.now(UTC))[0]


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuangwen.settings")
    var = Path(tempfile.mkdtemp(prefix="chuangwen-bench-checkin-"))
    print(f"seeding {args.volunteers} volunteers in {var} …", flush=True)
    started = time.perf_counter()
    seeded = _child(var, "seed", str(args.volunteers))
    print(f"seeded in {time.perf_counter() - started:.1f} s", flush=True)
    port = free_port()
    env = {**os.environ, "CHUANGWEN_VAR_DIR": str(var)}
    server = start_server(env, port, var / "server.log")
    activity_id, key = int(seeded["activity_id"]), str(seeded["code_key"])  # type: ignore[call-overload]
    tokens: list[str] = list(seeded["tokens"])  # type: ignore[call-overload]
    path = f"/api/v1/volunteers/activities/{activity_id}/check-in"
    jobs: queue.Queue[tuple[float, str, str] | None] = queue.Queue()
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    timeline: list[tuple[float, float]] = []
    begin = 0.0

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for token in tokens[: args.warmup]:  # unmeasured: the server's processes start their connections
            conn.request("GET", f"/api/v1/volunteers/activities/{activity_id}", headers={
                "Authorization": f"Token {token}"})  # fmt: skip
            conn.getresponse().read()
        while (job := jobs.get()) is not None:
            due, token, client_id = job
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            body = json.dumps({"code": code_now(key), "lat": PLACE[0] + 0.0005, "lng": PLACE[1],
                               "accuracy_m": 15, "client_id": client_id})  # fmt: skip
            sent = time.perf_counter()
            try:
                conn.request("POST", path, body, {"Authorization": f"Token {token}",
                                                  "Content-Type": "application/json"})  # fmt: skip
                answer = conn.getresponse()
                answer.read()
                status = answer.status
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status, _reason = 0, str(exc)
            took = time.perf_counter() - sent
            with lock:
                latencies.append(took)
                timeline.append((sent - begin, took))
                if status != 200:
                    errors.append(str(status))

    try:
        begin = time.perf_counter() + 3  # after the warm-up
        step = args.seconds / len(tokens)
        every = round(1 / args.resend) if args.resend > 0 else 0
        plan = []
        for n, token in enumerate(tokens):
            client_id = str(uuid.uuid4())
            plan.append((begin + n * step, token, client_id))
            if every and n % every == 0:
                plan.append((begin + n * step + 2.0, token, client_id))  # the same request again
        plan.sort()
        for job in plan:
            jobs.put(job)
        threads = [threading.Thread(target=client) for _n in range(args.clients)]
        for _n in threads:
            jobs.put(None)
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - begin
    finally:
        stop_server(server)
    stored = _child(var, "counts", str(activity_id))
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(f"requests {len(ordered)} (check-ins {len(tokens)}, resends {len(ordered) - len(tokens)}) "
          f"in {elapsed:.1f} s; p50 {statistics.median(ordered) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
          f"max {ordered[-1] * 1000:.0f} ms; errors {len(errors)} {sorted(set(errors))}")  # fmt: skip
    slowest = sorted(timeline, key=lambda t: -t[1])[:8]
    print("slowest (sent at s: ms): " + ", ".join(f"{at:.1f}: {took * 1000:.0f}" for at, took in slowest))
    print(f"database: signed in {stored['signed_in']} of {len(tokens)}, distinct client ids "
          f"{stored['distinct_client_ids']}, sign-up rows {stored['rows']}")  # fmt: skip
    ok = stored["signed_in"] == len(tokens) == stored["distinct_client_ids"] and not errors and p99 <= 0.25
    print("target met" if ok else "TARGET MISSED")
    if not args.keep:
        shutil.rmtree(var, ignore_errors=True)
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--volunteers", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--resend", type=float, default=0.1, help="share of check-ins sent twice")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured reads per client before the run")
    parser.add_argument("--keep", action="store_true")
    return run(parser.parse_args())


if __name__ == "__main__":
    raise SystemExit(main())
