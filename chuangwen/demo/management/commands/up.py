"""Set up the embedded default and run it: migrate, static files, demo data on first start, then serve.

In production mode no demo data is ever built (its passwords are public), and the system is not served until
an administrator exists (``chuangwen create-admin USERNAME``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from chuangwen.accounts.first_admin import active_admin_exists, missing_admin_message
from chuangwen.accounts.models import User
from chuangwen.core.supervisor import PortBusy, ensure_port_free


class Command(BaseCommand):
    help = "初始化数据库与演示数据，并启动系统"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=settings.CHUANGWEN_HOST)
        parser.add_argument("--port", type=int, default=settings.CHUANGWEN_PORT)
        parser.add_argument("--no-serve", action="store_true", help="只初始化，不启动服务")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_serve"]:
            # Before migrating or printing 「已就绪」: a busy port means another server already serves there.
            try:
                ensure_port_free(options["host"], options["port"])
            except PortBusy as exc:
                raise CommandError(str(exc)) from exc
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        if settings.PRODUCTION:
            self.production_checks(serve=not options["no_serve"])
        elif not User.objects.exists():
            self.stdout.write("首次启动：生成演示区县数据……")
            call_command("demo-data", scale="district", seed=1)
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(self.style.SUCCESS(f"\n创文已就绪：{url}"))
        if not settings.PRODUCTION:
            self.print_demo_accounts()
        if not options["no_serve"]:
            call_command("serve", host=options["host"], port=options["port"])

    def production_checks(self, *, serve: bool) -> None:
        self.stdout.write(_("生产模式：不生成演示数据。"))
        if active_admin_exists():
            return
        if serve:
            raise CommandError(missing_admin_message())
        # Setting up without serving is the step before create-admin (it needs the migrated database).
        self.stdout.write(self.style.WARNING(missing_admin_message()))

    def print_demo_accounts(self) -> None:
        from chuangwen.demo.services import DEMO_PASSWORD

        self.stdout.write(f"演示账号（每个角色一个，密码均为 {DEMO_PASSWORD}）：")
        seen: set[str] = set()
        for user in User.objects.filter(username__startswith="demo_").select_related("unit").order_by("id"):
            if user.role in seen:
                continue
            seen.add(user.role)
            self.stdout.write(
                f"  {user.get_role_display():<10} {user.username:<20} {user.display_name}（{user.unit}）"
            )
