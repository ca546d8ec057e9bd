"""SIGKILL of the real server (granian, as ``chuangwen serve`` starts it) while phones upload: every
acknowledged photo is there afterwards with its file, no row points to a missing file, and a resend after the
restart is answered from the stored row.

The server runs on the embedded default (SQLite in WAL mode, files on the local disk) in a fresh var dir:
DATABASE_URL, TASK_QUEUE_URL and CACHE_URL are removed from its environment even when the suite itself runs
on PostgreSQL and Redis. Temporary ``.tmp-*.part`` files and originals whose row never committed may be left
by the kill; ``chuangwen evidence sweep`` (hourly in the worker) removes them, and the test runs it with no
grace.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from chuangwen.core.serverproc import ROOT, free_port, multipart, start_server
from chuangwen.evidence.tests.photos import jpeg

UPLOADERS = 4
KILL_AFTER_ACKS = 40


def server_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "TASK_QUEUE_URL", "CACHE_URL"}}
    env.update(
        CHUANGWEN_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="chuangwen.settings", PYTHONPATH=str(ROOT)
    )
    env.pop("MEDIA_ROOT", None)
    return env


def start(var_dir: Path, port: int) -> subprocess.Popen[bytes]:
    return start_server(server_env(var_dir), port, var_dir / "server.log", worker=False, timeout=20)


def upload(port: int, seed: dict, client_id: str, data: bytes) -> tuple[int, dict]:
    fields = {"client_id": client_id, "round_id": str(seed["round_id"]), "site_id": str(seed["site_id"])}
    body, content_type = multipart(fields, data)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": content_type, "Authorization": f"Token {seed['token']}"}
    conn.request("POST", "/api/v1/evidence", body=body, headers=headers)
    response = conn.getresponse()
    return response.status, json.loads(response.read() or b"{}")


def hammer(port: int, seed: dict, photos: list[bytes], acked: dict, stop: threading.Event) -> None:
    index = 0
    while not stop.is_set():
        client_id = str(uuid.uuid4())
        try:
            status, body = upload(port, seed, client_id, photos[index % len(photos)])
        except (OSError, http.client.HTTPException, ValueError):
            continue  # the server is gone: nothing was acknowledged
        index += 1
        if status in (200, 201):
            acked[client_id] = body["sha256"]


def rows(var_dir: Path) -> dict[str, tuple[str, str]]:
    with sqlite3.connect(var_dir / "chuangwen.sqlite3") as db:
        found = db.execute("SELECT client_id, sha256, file FROM evidence_evidence").fetchall()
    return {str(uuid.UUID(client_id)): (sha, name) for client_id, sha, name in found}


def test_it_loses_nothing_acknowledged_when_the_server_is_killed(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    seeding = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "ingest" / "seed.py")],
        cwd=ROOT, env=server_env(var_dir), capture_output=True, text=True, check=True,
    )  # fmt: skip
    seed = json.loads(seeding.stdout.strip().splitlines()[-1])
    photos = [jpeg(seed=i, size=(640, 480)) for i in range(24)]
    port = free_port()
    server = start(var_dir, port)
    acked: dict[str, str] = {}
    stop = threading.Event()
    threads = [
        threading.Thread(target=hammer, args=(port, seed, photos, acked, stop)) for _ in range(UPLOADERS)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 15
    while len(acked) < KILL_AFTER_ACKS and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(server.pid, signal.SIGKILL)  # serve, granian and its workers, mid-stream
    server.wait()
    stop.set()
    for thread in threads:
        thread.join()
    assert len(acked) >= KILL_AFTER_ACKS, (var_dir / "server.log").read_text(errors="replace")[-3000:]

    server = start(var_dir, port)
    try:
        for client_id, sha in list(acked.items())[:10]:  # a resend after the restart is not a second row
            status, body = upload(port, seed, client_id, photos[0])
            assert (status, body["sha256"], body["duplicate"]) == (200, sha, True)
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()

    stored = rows(var_dir)
    media = var_dir / "media"
    for client_id, sha in acked.items():
        assert stored[client_id][0] == sha, f"acknowledged {client_id} lost"
    for sha, name in stored.values():
        assert hashlib.sha256((media / name).read_bytes()).hexdigest() == sha
    assert len(stored) == len(set(stored))

    subprocess.run(
        [sys.executable, "-m", "chuangwen.cli", "evidence", "sweep", "--grace", "0"],
        cwd=ROOT, env=server_env(var_dir), check=True, capture_output=True,
    )  # fmt: skip
    on_disk = {p.relative_to(media).as_posix() for p in (media / "evidence").rglob("*") if p.is_file()}
    assert on_disk == {name for _, name in stored.values()}  # no temp file, no orphan left
