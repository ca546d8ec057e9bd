"""``chuangwen restore DIR``: check a backup made by ``chuangwen backup`` and bring it back."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chuangwen.core.backup import BackupError, read_manifest, restore_backup


class Command(BaseCommand):
    help = "从 chuangwen backup 生成的目录恢复数据库与文件（当前数据库的内容将被替换）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", help="备份目录")
        parser.add_argument(
            "--noinput", "--no-input", action="store_false", dest="interactive", help="不询问确认"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        directory = Path(options["directory"])
        try:
            manifest = read_manifest(directory)
            if options["interactive"] and not self.confirm(manifest):
                raise CommandError("已取消恢复")
            restore_backup(directory, actor_name=f"cli:{getpass.getuser()}")
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"恢复完成：{directory}（备份时间 {manifest['started_at']}，"
                f"文件 {manifest['file_count']} 个）。"
                "如程序版本比备份新，请再运行 chuangwen migrate。"
            )
        )

    def confirm(self, manifest: dict[str, Any]) -> bool:
        answer = input(
            f"将用 {manifest['started_at']} 的备份替换当前数据库的全部内容，确定继续吗？输入 yes 确认："
        )
        return answer.strip().lower() == "yes"
