"""``chuangwen backup DIR``: a consistent backup of the database and the files while the system runs."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chuangwen.core.backup import BackupError, make_backup


class Command(BaseCommand):
    help = "在系统运行时备份数据库与文件到目录 DIR（DIR 须为空目录或不存在）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", help="备份目录")

    def handle(self, *args: Any, **options: Any) -> None:
        directory = Path(options["directory"])
        try:
            manifest = make_backup(directory, actor_name=f"cli:{getpass.getuser()}")
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        database = manifest["database"]
        self.stdout.write(
            self.style.SUCCESS(
                f"备份完成：{directory}（{database['vendor']} 数据库 {database['bytes']} 字节，"
                f"文件 {manifest['file_count']} 个）"
            )
        )
        if manifest["media"] == "external":
            self.stdout.write(
                self.style.WARNING(
                    "文件保存在对象存储中，未包含在本备份内：请用对象存储自身的版本控制或复制功能保护它们。"
                )
            )
