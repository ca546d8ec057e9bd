"""``chuangwen csp-reports prune`` deletes Content-Security-Policy reports past their retention period."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from chuangwen.core.csp_reports import prune


class Command(BaseCommand):
    help = "内容安全策略报告：prune 删除超过保留期的报告"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("prune", help=f"删除 {settings.CSP_REPORT_RETENTION_DAYS} 天以前的报告")

    def handle(self, *args: Any, **options: Any) -> None:
        removed = prune()
        self.stdout.write(self.style.SUCCESS(_("已清理 %(n)d 条内容安全策略报告") % {"n": removed}))
