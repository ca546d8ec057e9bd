"""A small production cluster on this machine for ``test_two_servers.py``: one PostgreSQL database and one
Redis queue of its own, a local S3-compatible server (moto's, installed from requirements.lock), two
``chuangwen serve --no-worker`` app servers and one ``chuangwen run_huey`` task worker.

Everything is started in its own process group and torn down by process id; the database is created and
dropped here, the queue name and the bucket are fresh, so parallel test workers never share any of them.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from chuangwen.core.serverproc import ROOT, free_port

BUCKET = "chuangwen-two-servers"
S3_KEY, S3_SECRET = "two-servers", "two-servers-secret"


def postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


def redis_url() -> str | None:
    url = os.environ.get("TASK_QUEUE_URL", "")
    return url if url.startswith("redis://") else None


def with_database(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def _libpq(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


@contextmanager
def fresh_database(url: str) -> Iterator[str]:
    """A new, empty database on the server of ``url`` (dropped afterwards, connections and all)."""
    name = f"cw_two_{uuid.uuid4().hex[:12]}"
    admin = with_database(url, "postgres")
    with psycopg.connect(_libpq(admin), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_database(url, name)
    finally:
        with psycopg.connect(_libpq(admin), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def query(url: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(_libpq(url)) as conn:
        return conn.execute(sql, args).fetchall()


def stop_group(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    """Signal the whole process group of ``proc`` (it was started with a session of its own) and reap it."""
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def healthy(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except OSError:
        return False


def start_s3(log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """moto's S3-compatible server on a free port (objects kept in its memory for its lifetime)."""
    port = free_port()
    command = [
        os.path.join(os.path.dirname(sys.executable), "moto_server"),
        "-H",
        "127.0.0.1",
        "-p",
        str(port),
    ]
    handle = log.open("ab")
    proc = subprocess.Popen(command, cwd=ROOT, stdout=handle, stderr=handle, start_new_session=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/")
            conn.getresponse().read()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    stop_group(proc)
    raise RuntimeError(f"S3 server did not start:\n{log.read_text(errors='replace')[-3000:]}")


def s3_client(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id=S3_KEY, aws_secret_access_key=S3_SECRET,
        region_name="us-east-1",
    )  # fmt: skip


@dataclass
class Cluster:
    """The processes of one cluster and the environment they share."""

    base: Path
    env: dict[str, str]
    servers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    worker: subprocess.Popen[bytes] | None = None

    def env_for(self, name: str) -> dict[str, str]:
        """Each process has a var dir of its own: nothing it needs may live on local disk."""
        var_dir = self.base / f"var-{name}"
        var_dir.mkdir(exist_ok=True)
        return {**self.env, "CHUANGWEN_VAR_DIR": str(var_dir)}

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "chuangwen.cli", *args], cwd=ROOT, env=self.env_for("admin"),
            capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip

    def script(self, path: Path, *args: str, timeout: float = 120) -> Any:
        done = subprocess.run(
            [sys.executable, str(path), *args], cwd=ROOT, env=self.env_for("admin"),
            capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    def launch_servers(self, *names: str) -> None:
        """``chuangwen serve --no-worker`` for each name, all starting at once (see ``wait_for_servers``)."""
        for name in names:
            port = free_port()
            handle = (self.base / f"server-{name}.log").open("ab")
            command = [sys.executable, "-m", "chuangwen.cli", "serve", "--port", str(port), "--no-worker"]
            self.servers[name] = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env_for(name),
                stdout=handle,
                stderr=handle,
                start_new_session=True,
            )
            self.ports[name] = port

    def wait_for_servers(self, timeout: float = 60) -> None:
        """Until every launched server answers /healthz."""
        deadline = time.monotonic() + timeout
        waiting = set(self.servers)
        while waiting and time.monotonic() < deadline:
            for name in sorted(waiting):
                if healthy(self.ports[name]):
                    waiting.discard(name)
            time.sleep(0.2)
        if waiting:
            logs = "\n".join(self.log(f"server-{name}.log")[-2000:] for name in waiting)
            raise RuntimeError(f"servers {sorted(waiting)} did not start:\n{logs}")

    def start_worker(self) -> None:
        """The task worker as on a worker host (``chuangwen run_huey``), logging each task it executes."""
        handle = (self.base / "worker.log").open("ab")
        self.worker = subprocess.Popen(
            [sys.executable, "-m", "chuangwen.cli", "run_huey"], cwd=ROOT, env=self.env_for("worker"),
            stdout=handle, stderr=handle, start_new_session=True,
        )  # fmt: skip

    def log(self, name: str) -> str:
        path = self.base / name
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        for proc in self.servers.values():
            if proc.poll() is None:
                stop_group(proc)
        if self.worker is not None and self.worker.poll() is None:
            stop_group(self.worker, signal.SIGTERM)


def cluster_env(database_url: str, queue_url: str, s3_endpoint: str, base: Path) -> dict[str, str]:
    """The environment every process of the cluster shares, as docs/production.md sets it (development mode:
    no TLS proxy here), with limits raised so that one test client is never refused as an abuser."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "MEDIA_ROOT"))}
    env.update(
        DJANGO_SETTINGS_MODULE="chuangwen.settings",
        PYTHONPATH=str(ROOT),
        DATABASE_URL=database_url,
        TASK_QUEUE_URL=queue_url,
        TASK_QUEUE_NAME=f"cw-two-{uuid.uuid4().hex[:12]}",
        CACHE_URL=os.environ.get("CACHE_URL", queue_url),
        STORAGE_BACKEND="s3",
        S3_BUCKET=BUCKET,
        S3_ENDPOINT_URL=s3_endpoint,
        S3_ACCESS_KEY=S3_KEY,
        S3_SECRET_KEY=S3_SECRET,
        SECRET_KEY=f"two-servers-{uuid.uuid4().hex}",
        AUDIT_HMAC_KEY=f"tw:{uuid.uuid4().hex}",
        AUDIT_ANCHOR_FILE=str(base / "audit-anchors.jsonl"),
        WEB_WORKERS="1",
        TASK_WORKERS="2",
        TASK_WORKER_NICENESS="0",
        REPORTS_ADDRESS_LIMIT="100000",
        REPORTS_DEVICE_LIMIT="100000",
        REPORTS_CAPTCHA_AFTER="100000",
        EVIDENCE_DECODE_WAIT_SECONDS="20",
    )
    return env
