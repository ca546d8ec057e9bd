"""Run the production WSGI server (granian) and the task worker (huey) together, until stopped.

A web worker that dies is respawned by granian; granian itself and the huey worker are restarted here with
backoff (``chuangwen.core.supervisor``). A port another server already listens on is refused before anything
starts.

In production mode it refuses to start while no administrator exists (``chuangwen create-admin USERNAME``).
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from chuangwen.core import start_checks
from chuangwen.core.supervisor import Child, PortBusy, Supervisor, ensure_port_free


def refuse_unsafe_production_start() -> None:
    """Production serves nobody until the apps' start checks hold (``core/start_checks.py``: an active admin
    exists, no account keeps the public demo password)."""
    if reasons := start_checks.refusals():
        raise CommandError(reasons[0])


def web_command(host: str, port: int, workers: int, max_rss: int) -> list[str]:
    """granian, respawning a web worker that dies (OOM killer, crash) and recycling one that grows too big."""
    return [
        os.path.join(os.path.dirname(sys.executable), "granian"),
        "--interface",
        "wsgi",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--blocking-threads",
        "4",
        "--no-ws",
        "--respawn-failed-workers",
        "--respawn-interval",
        "1",
        *(["--workers-max-rss", str(max_rss)] if max_rss > 0 else []),
        "chuangwen.wsgi:application",
    ]


class Command(BaseCommand):
    help = "启动 Web 服务（granian）与后台任务进程（huey），进程意外退出时自动重启"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=settings.CHUANGWEN_HOST)
        parser.add_argument("--port", type=int, default=settings.CHUANGWEN_PORT)
        parser.add_argument("--workers", type=int, default=settings.WEB_WORKERS)
        parser.add_argument(
            "--max-rss",
            type=int,
            default=settings.WEB_WORKER_MAX_RSS,
            help="单个 Web 工作进程内存上限（MiB），超过后自动替换；0 表示不限",
        )
        parser.add_argument("--no-worker", action="store_true", help="不启动后台任务进程")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            refuse_unsafe_production_start()
        try:
            ensure_port_free(options["host"], options["port"])
        except PortBusy as exc:
            raise CommandError(str(exc)) from exc
        children = [
            Child(
                _("Web 服务"),
                web_command(options["host"], options["port"], options["workers"], options["max_rss"]),
            )
        ]
        if not options["no_worker"]:
            worker = [sys.executable, "-m", "chuangwen.cli", "run_huey", "--quiet"]
            children.append(Child(_("后台任务进程"), worker))
        supervisor = Supervisor(children, say=lambda line: self.stderr.write(line))
        signal.signal(signal.SIGTERM, supervisor.stop)
        signal.signal(signal.SIGINT, supervisor.stop)
        supervisor.run()
