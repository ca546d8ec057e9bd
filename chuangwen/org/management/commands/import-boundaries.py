"""``import-boundaries FILE.geojson [--match code|name] [--as USERNAME]``: unit boundaries, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from chuangwen.org.boundaries import BoundaryImportError, import_boundaries
from chuangwen.org.management.commands._common import acting_user


class Command(BaseCommand):
    help = "从 GeoJSON FeatureCollection 导入单位边界（全部成功或全部不导入）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="GeoJSON 文件（WGS-84）")
        parser.add_argument("--match", choices=["code", "name"], default="code", help="按单位编码或名称对应")
        parser.add_argument("--as", dest="username", help="以该用户的管辖范围导入（默认：系统）")
        parser.add_argument("--no-relocate", action="store_true", help="不重新判定已有点位的所在区域")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("文件不存在：%(p)s") % {"p": path})
        actor = acting_user(options["username"])
        try:
            result = import_boundaries(
                path.read_bytes(), match=options["match"], actor=actor, relocate=not options["no_relocate"]
            )
        except BoundaryImportError as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                _("边界导入失败，未写入任何数据（%(n)s 处错误）") % {"n": len(exc.problems)}
            ) from exc
        self.stdout.write(_("已导入 %(n)s 个单位的边界") % {"n": result.updated})
        if result.sites:
            self.stdout.write(
                _("点位重新判定：变更 %(moved)s，不变 %(unchanged)s，位于辖区外 %(outside)s") % result.sites
            )
