"""``chuangwen reports seed-categories``: add the starter public categories that are missing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from chuangwen.reports.categories import seed
from chuangwen.reports.models import ReportCategory


class Command(BaseCommand):
    help = _("随手拍：补充缺少的默认问题类别（seed-categories）")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("task", choices=["seed-categories"])

    def handle(self, *args: Any, **options: Any) -> None:
        added = seed(ReportCategory)
        self.stdout.write(_("已补充 %(n)d 个随手拍类别") % {"n": added})
