"""``import-xlsx units|users|sites FILE.xlsx [--as USERNAME] [--report OUT.xlsx]``: all-or-nothing import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from chuangwen.core.imports import SPEC_PATHS, run_import
from chuangwen.org.management.commands._common import acting_user


class Command(BaseCommand):
    help = "从 Excel（.xlsx）导入单位、用户或点位（有任何错误则全部不导入，并生成错误报告）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(SPEC_PATHS), help="导入类型")
        parser.add_argument("file", help=".xlsx 文件")
        parser.add_argument("--as", dest="username", help="以该用户的身份和管辖范围导入（默认：系统）")
        parser.add_argument("--report", help="有错误时把错误报告另存到此路径")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("文件不存在：%(p)s") % {"p": path})
        actor = acting_user(options["username"])
        result = run_import(options["kind"], str(path), actor, file_name=path.name)
        if result.ok:
            self.stdout.write(result.message)
            return
        for error in result.errors[:200]:
            self.stderr.write(str(error))
        if len(result.errors) > 200:
            self.stderr.write(_("……另有 %(n)s 处错误，见错误报告") % {"n": len(result.errors) - 200})
        if options["report"] and result.error_report:
            with default_storage.open(result.error_report, "rb") as report:
                Path(options["report"]).write_bytes(report.read())
            self.stderr.write(_("错误报告：%(p)s") % {"p": options["report"]})
        elif result.error_report:
            self.stderr.write(_("错误报告（存储路径）：%(p)s") % {"p": result.error_report})
        raise CommandError(result.message)
