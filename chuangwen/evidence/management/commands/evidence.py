"""``chuangwen evidence rebuild-derivatives | sweep``: photo upkeep from the shell."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from chuangwen.evidence.derivatives import build_derivatives
from chuangwen.evidence.models import Evidence
from chuangwen.evidence.storage import sweep


class Command(BaseCommand):
    help = _("证据照片：重建展示图、缩略图与感知哈希；清理临时文件与孤立文件")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        rebuild = sub.add_parser("rebuild-derivatives", help=_("重建展示图（水印）、缩略图与感知哈希"))
        rebuild.add_argument("--all", action="store_true", help=_("全部重建（默认只补齐尚未生成的）"))
        rebuild.add_argument("ids", nargs="*", type=int, help=_("只处理这些照片 ID"))
        clean = sub.add_parser("sweep", help=_("删除超过宽限期的临时文件，以及无记录指向的原图和派生图"))
        clean.add_argument("--grace", type=float, default=3600, help=_("宽限期（秒），默认 3600"))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "sweep":
            removed = sweep(grace_seconds=options["grace"])
            self.stdout.write(
                _("已删除 %(temp)d 个临时文件、%(orphans)d 个孤立原图、%(copies)d 个孤立派生图") % removed  # type: ignore[str-format]
            )
            return
        self.rebuild(options)

    def rebuild(self, options: dict[str, Any]) -> None:
        queryset = Evidence.objects.select_related("site", "uploader").exclude(
            file__startswith="bench-baseline/"
        )
        if options["ids"]:
            queryset = queryset.filter(pk__in=options["ids"])
        elif not options["all"]:
            queryset = queryset.filter(derivatives_done=False)
        started, done, failed = time.monotonic(), 0, 0
        for evidence in queryset.order_by("pk").iterator(chunk_size=200):
            try:
                build_derivatives(evidence)
                done += 1
            except Exception as exc:
                failed += 1
                self.stderr.write(_("照片 %(id)d 处理失败：%(error)s") % {"id": evidence.pk, "error": exc})
        self.stdout.write(
            _("已重建 %(done)d 张，失败 %(failed)d 张，用时 %(seconds).1f 秒")
            % {"done": done, "failed": failed, "seconds": time.monotonic() - started}
        )
