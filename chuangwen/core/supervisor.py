"""What ``chuangwen serve`` needs to stay up: refuse a port another server already serves, and restart a
child process (granian, the huey worker) that dies, with backoff, until told to stop.

Granian binds its port with SO_REUSEPORT, so a second server on a busy port would bind it too and the kernel
would split requests between two databases. A probe bound *without* SO_REUSEPORT fails on a port someone is
listening on, which is the check we want before granian starts.
"""

from __future__ import annotations

import errno
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

# Backoff after a child dies: 1 s, 2 s, 4 s … up to 30 s; a child that ran a minute starts again at 1 s.
FIRST_DELAY = 1.0
MAX_DELAY = 30.0
HEALTHY_AFTER = 60.0


class PortBusy(Exception):
    pass


def ensure_port_free(host: str, port: int) -> None:
    """Raise PortBusy with a Chinese message when something already listens on host:port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # SO_REUSEADDR only tolerates leftover TIME_WAIT connections of a server that just stopped; on Linux
        # it never allows binding a port that has a listening socket.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
            probe.listen(1)
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                raise PortBusy(busy_port_message(host, port)) from exc
            raise


def busy_port_message(host: str, port: int) -> str:
    return _(
        "端口 %(port)s 已被占用（%(host)s:%(port)s 上已有服务在运行，可能是另一个创文实例）。"
        "没有启动新的服务：两个服务共用一个端口会把请求分到两个数据库。"
        "请先停止原来的服务，或用 --port 或环境变量 CHUANGWEN_PORT 换一个端口。"
    ) % {"host": host, "port": port}


@dataclass
class Child:
    """One supervised process: how to start it and when it may start again."""

    name: str
    command: list[str]
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    delay: float = FIRST_DELAY
    next_start: float = 0.0
    restarts: int = field(default=0)


@dataclass
class Supervisor:
    children: list[Child]
    say: Callable[[str], None]
    stopping: bool = False

    def run(self, poll: float = 0.5) -> None:
        """Start every child and keep them running until stop() is called (by a signal handler)."""
        while not self.stopping:
            now = time.monotonic()
            for child in self.children:
                self.tend(child, now)
            time.sleep(poll)
        self.shutdown()

    def tend(self, child: Child, now: float) -> None:
        if self.stopping:
            return  # Ctrl-C reaches the children too: their exit now is no failure
        if child.proc is None:
            if now >= child.next_start:
                child.proc = subprocess.Popen(child.command)
                child.started_at = now
            return
        code = child.proc.poll()
        if code is None:
            return
        child.proc = None
        if now - child.started_at >= HEALTHY_AFTER:
            child.delay = FIRST_DELAY
        child.next_start = now + child.delay
        child.restarts += 1
        self.say(
            _("%(name)s 意外退出（退出码 %(code)s），%(delay)s 秒后重启。")
            % {"name": child.name, "code": code, "delay": f"{child.delay:g}"}
        )
        child.delay = min(child.delay * 2, MAX_DELAY)

    def stop(self, *_args: object) -> None:
        self.stopping = True

    def shutdown(self, timeout: float = 10) -> None:
        running = [c.proc for c in self.children if c.proc is not None and c.proc.poll() is None]
        for proc in running:
            proc.send_signal(signal.SIGTERM)
        for proc in running:
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
