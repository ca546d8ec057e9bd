"""``chuangwen audit verify`` checks the hash chain and the external checkpoints; ``audit anchor`` writes a
checkpoint now (the worker does every ten minutes); ``audit prune`` drops entries past retention."""

from __future__ import annotations

import getpass
from datetime import datetime, time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.audit.checkpoints import CheckpointRefused, checkpoint_path, write_checkpoint
from chuangwen.audit.services import PruneRefused, prune, retention_limit, verify_chain


class Command(BaseCommand):
    help = "审计日志：verify 校验哈希链和外部锚点，anchor 立即写入外部锚点，prune 清理超过保留期的记录"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("verify", help="校验审计哈希链和外部锚点文件，指出第一条被篡改或删除的记录")
        sub.add_parser("anchor", help="校验上次锚点以来的记录，并把最新记录写入外部锚点文件")
        prune_parser = sub.add_parser("prune", help="删除保留期以前的审计记录（链仍可校验）")
        prune_parser.add_argument(
            "--before",
            help=(
                f"删除此日期（YYYY-MM-DD）以前的记录；"
                f"默认为保留期（{settings.AUDIT_RETENTION_DAYS} 天）的起点"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            self.verify()
        elif options["subcommand"] == "anchor":
            self.anchor()
        else:
            self.prune(options.get("before"))

    def verify(self) -> None:
        report = verify_chain()
        if not report.ok:
            # CommandError exits with status 1 and prints the message to stderr.
            raise CommandError(f"审计链已被破坏：{report.problem}（已校验 {report.checked} 条）")
        self.stdout.write(self.style.SUCCESS(f"审计链完整：{report.checked} 条"))
        for note in report.notes:
            self.stdout.write(note)

    def anchor(self) -> None:
        try:
            checkpoint = write_checkpoint()
        except CheckpointRefused as exc:
            raise CommandError(_("未写入外部锚点：%(problem)s") % {"problem": exc}) from exc
        if checkpoint is None:
            self.stdout.write(_("没有新的审计记录，未写入外部锚点"))
            return
        message = _("已写入外部锚点 %(path)s：%(summary)s")
        self.stdout.write(
            self.style.SUCCESS(message % {"path": checkpoint_path(), "summary": checkpoint.summary()})
        )

    def prune(self, before_text: str | None) -> None:
        before = retention_limit()
        if before_text:
            try:
                day = datetime.strptime(before_text, "%Y-%m-%d").date()
            except ValueError as exc:
                raise CommandError(f"日期格式应为 YYYY-MM-DD：{before_text}") from exc
            before = timezone.make_aware(datetime.combine(day, time.min))
        try:
            removed = prune(before, actor_name=f"cli:{getpass.getuser()}")
        except PruneRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"已清理 {removed} 条审计记录"))
