"""问卷调查 benchmarks: the results of a 50 000-response wave, and the self-completion intake under load.

    .venv/bin/python bench/surveys.py results                     # 50 000 responses over 100 communities
    .venv/bin/python bench/surveys.py results --responses 5000 --communities 20
    .venv/bin/python bench/surveys.py intake                      # 60 s at 2 000 per minute, 8 clients
    .venv/bin/python bench/surveys.py intake --seconds 20 --rate 0   # as fast as the server goes

``results``: a fresh SQLite var dir; a district of ``--communities`` communities in streets of ten, residents
per age band and sex, the starter questionnaire, a wave planned (``plan.build_plan``) for ``--responses``
interviews and opened; then every quota place filled by rows written directly (the generator is not what is
measured): the demo's resident answers (``chuangwen.demo.residents.resident_answers``, levels differing by
community), ≈ 95 % accepted, 4 % rejected, 1 % excluded. It times ``results.compute(wave)`` — the weights,
every rate of every unit, indicator and question with its interval — ``--repeat`` times after one unmeasured
call, first as generated (every cell has ≥ 3 respondents: post-stratification), then with one cell cut to two
accepted respondents (raking, iterative proportional fitting over 100 strata × 5 age bands × 2 sexes). Target:
≤ 2 s.

``intake``: a fresh SQLite var dir with a wave fielding by self-completion over ``--strata`` communities whose
plan (``--target`` places) is smaller than what is sent, so that some cells fill up and refuse the rest; the
server started as the README does (``chuangwen serve``: granian, ``WEB_WORKERS`` workers, default 2; no task
worker); ``--clients`` threads with keep-alive connections POST ``/q/<token>/submit`` as the page's script
does (JSON: client_id, age band, sex, residence, answers, start and end time, per-question seconds; the CSRF
token of one page load per client; 30 % with a phone number, the others with their own ``cw_device`` cookie,
signed with the server's key as the page would have set it), paced at ``--rate`` per minute. 2 % of the posts
are resends of an earlier client id (answered 200, nothing counted again). The self-completion limits
(``surveys/limits.py``: 60 per address per hour, a captcha from the 10th) are constants, not settings: the
server runs behind ``TRUSTED_PROXIES=127.0.0.1`` and every respondent comes from its own address in
X-Forwarded-For, as behind the production proxy — one address would be stopped after 60. Afterwards it checks
the quotas in the database: no cell or stratum holds more than its target, each cell's ``filled`` equals its
counted responses, and the stored responses equal the 201 answers. Prints rate, p50, p99, the answers by
status and errors (anything but 201, 200 for a resend, 409 quota_full). Target: 2 000 per minute with
p99 ≤ 250 ms, quotas exact.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chuangwen.core.serverproc import free_port, isolated_env, start_server, stop_server  # noqa: E402


def setup_django(var_dir: Path, database_url: str | None) -> None:
    """This process on the var dir the server will use (its key signs the clients' device cookies); SQLite in
    the var dir, or a freshly created PostgreSQL database."""
    for name in ("DATABASE_URL", "TASK_QUEUE_URL", "CACHE_URL", "MEDIA_ROOT"):
        os.environ.pop(name, None)
    os.environ.update(isolated_env(var_dir))
    if database_url:
        admin(database_url, create=True)
        os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def admin(database_url: str, *, create: bool) -> None:
    """Create (afresh) or drop the bench's own PostgreSQL database; never a shared one."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not name or name in ("test", "postgres", "template0", "template1"):
        raise SystemExit(f"refusing to use database {name!r}: name a private one, e.g. bench_surveys")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')


def finish(var_dir: Path, args: argparse.Namespace) -> None:
    if args.keep:
        return
    shutil.rmtree(var_dir, ignore_errors=True)
    if args.database_url:
        from django.db import connections

        connections.close_all()
        admin(args.database_url, create=False)


def percentile(ms: list[float], p: float) -> float:
    return ms[min(len(ms) - 1, max(0, int(len(ms) * p + 0.999999) - 1))] if ms else float("nan")


# --- the world ----------------------------------------------------------------------------------------------


def build_wave(
    communities: int, total: int, starts: date, ends: date, modes: list[str], rng: random.Random
) -> tuple[Any, Any, dict[int, dict[str, float]]]:
    """A district, its communities (streets of ten) with residents, the starter questionnaire and an open wave
    planned for ``total`` over all communities. Returns (wave, coordinator, each community's levels)."""
    from chuangwen.accounts.models import Role, User
    from chuangwen.demo.residents import community_levels, population_figures
    from chuangwen.org.models import Unit, UnitKind
    from chuangwen.surveys import plan
    from chuangwen.surveys.spec import load_starter

    district = Unit.objects.create(code="BD", name="基准区", kind=UnitKind.DISTRICT)
    coordinator = User.objects.create_user("bench_coord", password="x", role=Role.COORDINATOR, unit=district)
    units = []
    for n in range(communities):
        if n % 10 == 0:
            street = Unit.objects.create(
                code=f"BD{n // 10:02d}", name=f"基准街道{n // 10 + 1}", kind=UnitKind.STREET, parent=district
            )
        code, name = f"BD{n // 10:02d}C{n % 10:02d}", f"基准社区{n + 1}"
        units.append(Unit.objects.create(code=code, name=name, kind=UnitKind.COMMUNITY, parent=street))
    population_figures(rng, units)
    questionnaire = load_starter(district, coordinator)
    wave = plan.create_wave(questionnaire, district, "基准调查", starts, ends, modes, coordinator)
    plan.build_plan(wave, units, total, min(10, total // communities), coordinator)
    plan.open_wave(wave, coordinator)
    return wave, coordinator, community_levels(rng, units)


# --- results ------------------------------------------------------------------------------------------------


def generate_responses(wave: Any, levels: dict[int, dict[str, float]], rng: random.Random) -> Counter[str]:
    """Every quota place filled: rows written directly (multi-row INSERT through bench/bulk.py)."""
    from django.utils import timezone

    from bench.bulk import Loader
    from chuangwen.demo.residents import resident_answers
    from chuangwen.surveys.definition import fingerprint
    from chuangwen.surveys.models import QuotaCell, Response, Stratum

    loader = Loader([Response], batch=5000, explicit_ids=False, labels={Response: "responses"})
    table = loader[Response]
    now = timezone.now()
    statuses: Counter[str] = Counter()
    cells = QuotaCell.objects.filter(stratum__wave=wave).select_related("stratum").order_by("pk")
    for cell in cells:
        for _n in range(cell.target):
            answers = resident_answers(rng, levels[cell.stratum.unit_id], cell.age_band)
            draw = rng.random()
            status = "accepted" if draw < 0.95 else "rejected" if draw < 0.99 else "excluded"
            statuses[status] += 1
            started = now - timedelta(days=rng.randint(1, 20), minutes=rng.randint(0, 600))
            seconds = rng.randint(240, 900)
            mode = "self" if rng.random() < 0.2 else "interviewer"
            table.add(
                wave_id=wave.pk, client_id=uuid.UUID(int=rng.getrandbits(128)), stratum_id=cell.stratum_id,
                cell_id=cell.pk, mode=mode, respondent_key=f"{rng.getrandbits(256):064x}",
                answers=json.dumps(answers, ensure_ascii=False), paradata="{}",
                fingerprint=fingerprint(answers),
                started_at=started, submitted_at=started + timedelta(seconds=seconds), received_at=started,
                duration_seconds=seconds, status=status, flags="[]", callback="",
            )  # fmt: skip
        loader.maybe_flush()
    loader.finish()
    for cell in cells:
        QuotaCell.objects.filter(pk=cell.pk).update(
            filled=Response.objects.filter(cell_id=cell.pk, status__in=("accepted", "flagged")).count()
        )
    for stratum in Stratum.objects.filter(wave=wave):
        filled = sum(stratum.cells.values_list("filled", flat=True))
        Stratum.objects.filter(pk=stratum.pk).update(filled=filled)
    return statuses


def time_compute(wave: Any, repeat: int, compute: Any = None) -> tuple[list[float], dict[str, Any]]:
    from chuangwen.surveys import results

    compute = compute or results.compute
    snapshot = compute(wave)  # unmeasured: imports, the definition, the first reads
    times = []
    for _n in range(repeat):
        started = time.perf_counter()
        snapshot = compute(wave)
        times.append(time.perf_counter() - started)
    return times, snapshot


def compare(wave: Any, repeat: int, snapshot: dict[str, Any]) -> None:
    """The vectorised reference beside: its time, and whether it finds the same numbers."""
    from bench.surveys_reference import differences, vectorised_compute

    times, reference = time_compute(wave, repeat, vectorised_compute)
    found = differences(snapshot, reference)
    report_compute(times, reference, "reference")
    print(f"  reference {'agrees' if not found else 'DIFFERS: ' + '; '.join(found[:5])}")


def run_results(args: argparse.Namespace) -> None:
    var_dir = Path(tempfile.mkdtemp(prefix="cw-bench-surveys-"))
    try:
        setup_django(var_dir, args.database_url)
        from django.db import connection

        from chuangwen.surveys.models import QuotaCell, Response

        rng = random.Random(args.seed)
        started = time.perf_counter()
        today = date.today()
        wave, _coordinator, levels = build_wave(
            args.communities, args.responses, today - timedelta(days=25), today, ["interviewer", "self"], rng
        )
        statuses = generate_responses(wave, levels, rng)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(
            f"generated {sum(statuses.values()):,} responses ({dict(statuses)}) over {args.communities} "
            f"communities in {time.perf_counter() - started:.0f} s ({connection.vendor}, {var_dir})"
        )
        times, snapshot = time_compute(wave, args.repeat)
        report_compute(times, snapshot)
        compare(wave, args.repeat, snapshot)
        # one populated cell cut to two accepted respondents: post-stratification no longer applies
        cell = QuotaCell.objects.filter(stratum__wave=wave, population__gt=0).order_by("pk").first()
        assert cell is not None
        keep = list(Response.objects.filter(cell=cell, status="accepted").values_list("pk", flat=True)[:2])
        Response.objects.filter(cell=cell, status="accepted").exclude(pk__in=keep).update(status="rejected")
        times, snapshot = time_compute(wave, args.repeat)
        report_compute(times, snapshot)
        compare(wave, args.repeat, snapshot)
        print("target: results.compute ≤ 2 s")
    finally:
        finish(var_dir, args)


def report_compute(times: list[float], snapshot: dict[str, Any], label: str = "compute") -> None:
    owner = snapshot["units"][str(snapshot["owner"])]
    rates = ", ".join(f"{m} {r['rate']:.3f}" for m, r in owner["measures"].items() if r)
    print(
        f"{label:<9} {snapshot['method']:<18} {snapshot['counts']['accepted']:>7,} accepted, "
        f"{len(snapshot['units'])} units, {len(snapshot['indicators'])} indicators — "
        f"min {min(times):.3f} s, median {statistics.median(times):.3f} s, max {max(times):.3f} s ({rates})"
    )


# --- intake -------------------------------------------------------------------------------------------------


@dataclass
class Plan:
    """What the clients send: one page per stratum, the cells to answer for, the pacing."""

    tokens: list[tuple[str, str, str]]  # (stratum token, age band, sex) per cell
    levels: list[dict[str, float]]  # per entry of tokens
    device_cookie: Any  # value → the signed cw_device cookie
    rate: float  # per second; 0: unpaced
    until: float
    start: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    issued: int = 0
    sent: list[dict[str, Any]] = field(default_factory=list)  # bodies, for resends

    def next_slot(self) -> tuple[int, float] | None:
        with self.lock:
            n = self.issued
            self.issued += 1
        if not self.rate:
            return (n, 0.0) if time.perf_counter() < self.until else None
        due = self.start + n / self.rate
        return (n, due) if due < self.until else None


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    answers: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    created: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def respondent(plan: Plan, rng: random.Random, n: int) -> tuple[str, dict[str, Any], str, str]:
    """A respondent's post: (path, body, device cookie, address)."""
    from chuangwen.demo.residents import resident_answers

    index = rng.randrange(len(plan.tokens))
    token, age, sex = plan.tokens[index]
    now_ = time.time()
    answers = resident_answers(rng, plan.levels[index], age)
    seconds = {code: round(rng.uniform(3, 30), 1) for code in answers}
    started = now_ - sum(seconds.values()) - 20
    body = {
        "client_id": str(uuid.uuid4()), "age_band": age, "sex": sex, "resident": True, "answers": answers,
        "started_at": iso(started), "submitted_at": iso(now_ - 1), "paradata": {"seconds": seconds},
    }  # fmt: skip
    device = ""
    if rng.random() < 0.3:
        body["phone"] = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
    else:
        device = plan.device_cookie(uuid.uuid4().hex)
    address = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
    return f"/q/{token}/submit", body, device, address


def iso(stamp: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(stamp, tz=UTC).isoformat()


def page_cookies(conn: http.client.HTTPConnection, token: str) -> str:
    """The CSRF cookie one page load gives (the page's script sends it back as X-CSRFToken)."""
    conn.request("GET", f"/q/{token}/", headers={"X-Forwarded-For": "10.255.255.254"})
    response = conn.getresponse()
    response.read()
    for header, value in response.getheaders():
        if header.lower() == "set-cookie" and value.startswith("csrftoken="):
            return value.split(";", 1)[0].split("=", 1)[1]
    raise RuntimeError(f"no CSRF cookie from the page (HTTP {response.status})")


def client(port: int, plan: Plan, tally: Tally, seed: int) -> None:
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    csrf = page_cookies(conn, plan.tokens[0][0])
    while (slot := plan.next_slot()) is not None:
        n, due = slot
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        with plan.lock:
            resend = bool(plan.sent) and rng.random() < 0.02
            previous = rng.choice(plan.sent) if resend else None
        if previous is not None:
            path, body, device, address = (
                previous["path"],
                previous["body"],
                previous["device"],
                previous["ip"],
            )
        else:
            path, body, device, address = respondent(plan, rng, n)
        cookies = f"csrftoken={csrf}" + (f"; cw_device={device}" if device else "")
        headers = {
            "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf,
            "Cookie": cookies, "X-Forwarded-For": address,
        }  # fmt: skip
        payload = json.dumps(body, ensure_ascii=False).encode()
        started = time.perf_counter()
        try:
            conn.request("POST", path, body=payload, headers=headers)
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            with tally.lock:
                tally.errors[type(exc).__name__] += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        elapsed = time.perf_counter() - started
        code = ""
        if response.status in (409, 422, 429):
            answer = json.loads(data)
            code = answer.get("code") or ",".join(answer.get("errors", {}))
        with tally.lock:
            tally.latencies.append(elapsed)
            label = f"{response.status} {code}".strip()
            tally.answers[label] += 1
            if response.status == 201:
                tally.created += 1
            if response.status not in (200, 201) and label != "409 quota_full":
                tally.errors[f"{label}: {data[:160].decode(errors='replace')}"] += 1
            if previous is None and response.status == 201:
                with plan.lock:
                    plan.sent.append({"path": path, "body": body, "device": device, "ip": address})
            if previous is not None and response.status != 200:
                tally.errors[f"resend answered {response.status}"] += 1
    conn.close()


def check_quotas(wave: Any, created: int) -> list[str]:
    from django.db.models import Count

    from chuangwen.surveys.models import COUNTED_STATUSES, QuotaCell, Response, Stratum

    problems = []
    counted = dict(
        Response.objects.filter(wave=wave, status__in=COUNTED_STATUSES)
        .values_list("cell_id")
        .annotate(n=Count("pk"))
        .values_list("cell_id", "n")
    )
    for cell in QuotaCell.objects.filter(stratum__wave=wave):
        if cell.filled > cell.target:
            problems.append(f"cell {cell.pk}: filled {cell.filled} > target {cell.target}")
        if cell.filled != counted.get(cell.pk, 0):
            problems.append(f"cell {cell.pk}: filled {cell.filled} ≠ {counted.get(cell.pk, 0)} responses")
    for stratum in Stratum.objects.filter(wave=wave):
        cells = sum(stratum.cells.values_list("filled", flat=True))
        if stratum.filled > stratum.target or stratum.filled != cells:
            problems.append(
                f"stratum {stratum.pk}: filled {stratum.filled}, target {stratum.target}, cells {cells}"
            )
    stored = Response.objects.filter(wave=wave).count()
    if stored != created:
        problems.append(f"{stored} responses stored, {created} answered 201")
    return problems


def run_intake(args: argparse.Namespace) -> None:
    var_dir = Path(tempfile.mkdtemp(prefix="cw-bench-surveys-intake-"))
    server = None
    try:
        setup_django(var_dir, args.database_url)
        from django.core import signing
        from django.db.models import F, Sum
        from django.utils import timezone

        from chuangwen.reports.limits import DEVICE_COOKIE, DEVICE_SALT
        from chuangwen.surveys.models import QuotaCell, Response

        rng = random.Random(args.seed)
        today = timezone.localdate()
        wave, _coordinator, levels = build_wave(
            args.strata, args.target, today - timedelta(days=1), today + timedelta(days=30), ["self"], rng
        )
        cells = list(QuotaCell.objects.filter(stratum__wave=wave).select_related("stratum").order_by("pk"))
        signer = signing.get_cookie_signer(salt=DEVICE_COOKIE + DEVICE_SALT)
        expected = args.rate * args.seconds / 60 if args.rate else float("nan")
        print(
            f"wave: {args.strata} communities, {len(cells)} cells, {args.target} places "
            f"(≈ {expected:.0f} posts expected at {args.rate} per minute)",
            flush=True,
        )
        port = free_port()
        # each client loads the page once for its CSRF cookie: static files served without a manifest
        env = {**isolated_env(var_dir), "TRUSTED_PROXIES": "127.0.0.1", "CHUANGWEN_PLAIN_STATIC": "1"}
        if args.database_url:
            env["DATABASE_URL"] = args.database_url
        server = start_server(env, port, var_dir / "server.log", worker=False)
        print(f"server: chuangwen serve on port {port}, var dir {var_dir}", flush=True)
        tally = Tally()

        def drive(seconds: float, counted: Tally) -> float:
            start = time.perf_counter() + 0.2
            plan = Plan(
                tokens=[(c.stratum.token, c.age_band, c.sex) for c in cells],
                levels=[levels[c.stratum.unit_id] for c in cells],
                device_cookie=signer.sign, rate=args.rate / 60, until=start + seconds, start=start,
            )  # fmt: skip
            threads = [
                threading.Thread(target=client, args=(port, plan, counted, args.seed * 1000 + i))
                for i in range(args.clients)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            return time.perf_counter() - start

        elapsed = drive(args.seconds, tally)
        ms = sorted(t * 1000 for t in tally.latencies)
        posts = len(ms)
        pace = f"paced at {args.rate:.0f} per minute" if args.rate else "unpaced"
        print(
            f"\n{args.clients} clients, {pace}, {elapsed:.1f} s: {posts} posts, "
            f"{posts / elapsed * 60:.0f} per minute, p50 {percentile(ms, 0.5):.1f} ms, "
            f"p95 {percentile(ms, 0.95):.1f} ms, p99 {percentile(ms, 0.99):.1f} ms, "
            f"max {ms[-1] if ms else 0:.1f} ms"
        )
        print("answers: " + ", ".join(f"{label} × {n}" for label, n in sorted(tally.answers.items())))
        print(f"errors: {sum(tally.errors.values())}")
        for what, n in tally.errors.most_common(10):
            print(f"  {n} × {what}")
        filled = QuotaCell.objects.filter(stratum__wave=wave).aggregate(n=Sum("filled"))["n"]
        full = QuotaCell.objects.filter(stratum__wave=wave, target__gt=0, filled__gte=F("target")).count()
        print(
            f"stored {Response.objects.filter(wave=wave).count()} responses; quota places filled {filled} of "
            f"{args.target}; {full} of {len(cells)} cells full"
        )
        problems = check_quotas(wave, tally.created)
        print("quotas exact" if not problems else "QUOTA PROBLEMS:\n  " + "\n  ".join(problems[:20]))
        print("target: 2 000 self-completions per minute, p99 ≤ 250 ms, quotas exact, no error")
        if problems:
            raise SystemExit(1)
    finally:
        if server is not None:
            stop_server(server)
        finish(var_dir, args)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the var dir (and database) afterwards")
    parser.add_argument("--database-url", help="postgres://…/bench_surveys, created afresh (default: SQLite)")
    sub = parser.add_subparsers(dest="part", required=True)
    results = sub.add_parser("results", help="time results.compute on a generated wave")
    results.add_argument("--responses", type=int, default=50_000)
    results.add_argument("--communities", type=int, default=100)
    results.add_argument("--repeat", type=int, default=5)
    intake = sub.add_parser("intake", help="POST self-completions to the running server")
    intake.add_argument("--seconds", type=float, default=60)
    intake.add_argument("--rate", type=float, default=2000, help="posts per minute (0: as fast as it goes)")
    intake.add_argument("--clients", type=int, default=8)
    intake.add_argument("--strata", type=int, default=20)
    intake.add_argument("--target", type=int, default=1600, help="quota places (fewer than the posts)")
    args = parser.parse_args()
    if args.part == "results":
        run_results(args)
    else:
        run_intake(args)


if __name__ == "__main__":
    main()
