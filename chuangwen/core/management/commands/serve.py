"""Run the production WSGI server (granian) and the task worker (huey) together, until stopped.

In production mode it refuses to start while no administrator exists (``chuangwen create-admin USERNAME``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chuangwen.accounts.first_admin import active_admin_exists, missing_admin_message


def refuse_unsafe_production_start() -> None:
    """Production serves nobody until an admin exists and no account keeps the public demo password."""
    from chuangwen.core.demo import public_password_accounts, public_password_message

    if not active_admin_exists():
        raise CommandError(missing_admin_message())
    if usernames := public_password_accounts():
        raise CommandError(public_password_message(usernames))


class Command(BaseCommand):
    help = "启动 Web 服务（granian）与后台任务进程（huey）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("CHUANGWEN_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("CHUANGWEN_PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "2")))
        parser.add_argument("--no-worker", action="store_true", help="不启动后台任务进程")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            refuse_unsafe_production_start()
        bindir = os.path.dirname(sys.executable)
        web = [
            os.path.join(bindir, "granian"),
            "--interface",
            "wsgi",
            "--host",
            options["host"],
            "--port",
            str(options["port"]),
            "--workers",
            str(options["workers"]),
            "--blocking-threads",
            "4",
            "--no-ws",
            "chuangwen.wsgi:application",
        ]
        procs = [subprocess.Popen(web)]
        if not options["no_worker"]:
            procs.append(subprocess.Popen([sys.executable, "-m", "chuangwen.cli", "run_huey", "--quiet"]))

        def stop(signum: int, _frame: Any) -> None:
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while all(p.poll() is None for p in procs):
                time.sleep(0.5)
        finally:
            stop(signal.SIGTERM, None)
            for p in procs:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
