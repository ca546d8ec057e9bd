"""``chuangwen serve`` as a service: a busy port is refused, and dead workers come back while it answers."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chuangwen.core.serverproc import (
    ROOT,
    children_of,
    command_line,
    free_port,
    isolated_env,
    start_server,
    stop_server,
)

WEB_WORKERS = 2


def run(env: dict[str, str], *args: str, timeout: float = 60) -> tuple[int, str]:
    """Run ``chuangwen ARGS``; one that goes on serving is killed and the test fails."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "chuangwen.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"chuangwen {' '.join(args)} started serving on a busy port")
    return proc.returncode, output


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[dict[str, str], int, subprocess.Popen[bytes]]]:
    env = isolated_env(tmp_path)
    env["WEB_WORKERS"] = str(WEB_WORKERS)
    code, output = run(env, "migrate", "--noinput", timeout=180)
    assert code == 0, output
    port = free_port()
    server = start_server(env, port, tmp_path / "server.log", worker=True, timeout=40)
    yield env, port, server
    stop_server(server)


def healthy(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except OSError:
        return False


def answers_within(port: int, tries: int) -> bool:
    for _ in range(tries):
        if healthy(port):
            return True
        time.sleep(0.1)
    return False


def processes(server: subprocess.Popen[bytes]) -> tuple[int, list[int], int]:
    """(granian master, its web workers, huey worker) under ``chuangwen serve``."""
    kids = children_of(server.pid)
    granian = next(pid for pid in kids if "granian" in command_line(pid))
    huey = next(pid for pid in kids if "run_huey" in command_line(pid))
    return granian, children_of(granian), huey


def test_it_refuses_a_port_another_server_already_serves(served: tuple) -> None:
    env, port, _server = served
    code, output = run(env, "serve", "--port", str(port), "--no-worker")
    assert code != 0
    assert f"端口 {port} 已被占用" in output and "CHUANGWEN_PORT" in output
    # `up` reads CHUANGWEN_PORT as `serve` does, and refuses the same way before touching anything.
    code, output = run({**env, "CHUANGWEN_PORT": str(port)}, "up")
    assert code != 0 and f"端口 {port} 已被占用" in output
    assert "创文已就绪" not in output
    assert healthy(port)  # the first server goes on alone


def test_it_respawns_a_killed_web_worker_and_task_worker(served: tuple) -> None:
    _env, port, server = served
    granian, workers, huey = processes(server)
    assert len(workers) == WEB_WORKERS
    os.kill(workers[0], signal.SIGKILL)
    os.kill(huey, signal.SIGKILL)

    deadline = time.monotonic() + 30
    answered = 0
    while time.monotonic() < deadline:
        # A connection queued on the killed worker's socket is reset (unless the kernel's tcp_migrate_req is
        # on); a client's retry must reach the surviving worker.
        assert answers_within(port, tries=3), "the service stopped answering"
        answered += 1
        kids = children_of(server.pid)
        new_huey = [pid for pid in kids if "run_huey" in command_line(pid) and pid != huey]
        new_workers = [pid for pid in children_of(granian) if pid not in workers]
        if new_huey and new_workers and len(children_of(granian)) == WEB_WORKERS:
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"not back in 30 s: web {children_of(granian)}, serve {children_of(server.pid)}")
    assert server.poll() is None and answered > 0
    assert processes(server)[0] == granian  # the same granian, not a restart of everything
