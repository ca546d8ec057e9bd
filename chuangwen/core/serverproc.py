"""Run the real server (`chuangwen serve`) in a child process, for the ingest benchmark and the SIGKILL test.

Both must talk to the server exactly as a phone does, so they share this one way of starting, waiting for,
stopping and posting to it.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(
    env: dict[str, str], port: int, log: Path, *, worker: bool = True, timeout: float = 30
) -> subprocess.Popen[bytes]:
    """Start ``chuangwen serve`` in its own process group and wait until /healthz answers."""
    command = [sys.executable, "-m", "chuangwen.cli", "serve", "--port", str(port)]
    if not worker:
        command.append("--no-worker")
    handle = log.open("ab")  # kept open for the server's lifetime
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=handle, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    raise RuntimeError(f"server did not start:\n{log.read_text(errors='replace')[-3000:]}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)  # serve stops granian and the worker
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def multipart(fields: dict[str, str], data: bytes, filename: str = "IMG_0001.jpg") -> tuple[bytes, str]:
    """A multipart/form-data body with ``fields`` and one JPEG file, as a phone's upload sends it."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
    parts.append(head.encode() + b"Content-Type: image/jpeg\r\n\r\n" + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def isolated_env(var_dir: Path) -> dict[str, str]:
    """The environment of a server of its own: SQLite, queue and cache under ``var_dir``, plain settings."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "TASK_QUEUE_URL", "CACHE_URL"}}
    env.pop("MEDIA_ROOT", None)
    env.update(
        CHUANGWEN_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="chuangwen.settings", PYTHONPATH=str(ROOT)
    )
    return env


def children_of(pid: int) -> list[int]:
    """The live child processes of ``pid`` (read from /proc, so nothing beyond the standard library)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        # The command name in parentheses may hold spaces; the fields after it are fixed.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return sorted(found)


def command_line(pid: int) -> str:
    try:
        raw = (Path("/proc") / str(pid) / "cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace")
