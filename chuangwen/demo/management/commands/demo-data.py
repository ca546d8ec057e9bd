"""``chuangwen demo-data --scale district|city --seed N``: a deterministic synthetic territory."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from chuangwen.demo.services import SCALES, DemoRefused, build_demo


class Command(BaseCommand):
    help = _(
        "生成演示数据：一个合成的区（约 8 个街道、60 个社区、400 个点位）或市（约 10 个区、5000 个点位）"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=sorted(SCALES), default="district", help=_("规模：区或市"))
        parser.add_argument("--seed", type=int, default=1, help=_("随机种子；同一种子生成完全相同的数据"))
        parser.add_argument(
            "--reset",
            action="store_true",
            help=_("先删除已有的单位、点位、用户等业务数据（保留审计日志与测评标准）再生成"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # build_demo refuses in production mode (and --reset with it): the demo passwords are public.
        try:
            summary = build_demo(
                options["scale"], options["seed"], stdout=self.stdout, reset=options["reset"]
            )
        except DemoRefused as exc:
            raise CommandError(str(exc)) from None
        for line in summary.lines():
            self.stdout.write(line)
