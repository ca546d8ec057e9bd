"""``export-xlsx units|users|sites OUT.xlsx [--as USERNAME]``: export with the import's columns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from chuangwen.core.imports import SPEC_PATHS, export_xlsx, get_spec
from chuangwen.org.management.commands._common import acting_user


class Command(BaseCommand):
    help = "把单位、用户或点位导出为 Excel（.xlsx），列与导入模板相同，可修改后再导入"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(SPEC_PATHS), help="导出类型")
        parser.add_argument("output", help="输出的 .xlsx 文件")
        parser.add_argument("--as", dest="username", help="只导出该用户管辖范围内的数据（默认：全部）")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = acting_user(options["username"])
        queryset = get_spec(options["kind"]).queryset_for(actor)
        content = export_xlsx(options["kind"], queryset, actor=actor)
        Path(options["output"]).write_bytes(content)
        self.stdout.write(_("已导出 %(n)s 行到 %(p)s") % {"n": queryset.count(), "p": options["output"]})
