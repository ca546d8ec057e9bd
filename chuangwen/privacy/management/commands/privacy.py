"""``chuangwen privacy purge [--dry-run]``: clear or delete personal data past retention now (the worker does
it daily); ``--dry-run`` only counts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from chuangwen.privacy.purge import purge

LABELS = {
    "reports": "随手拍（手机号、评价意见、来源摘要）",
    "supporters": "我也遇到（身份摘要）",
    "service_requests": "服务点单（联系人、电话）",
    "login_failures": "登录失败记录",
    "api_tokens": "过期或吊销的 API 令牌",
    "accounts": "停用账号（手机号、电子邮件）",
    "deliveries": "推送记录（接收地址、内容）",
}


class Command(BaseCommand):
    help = "个人信息：purge 清除或删除超过保留期的个人信息（--dry-run 只统计）"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        purge_parser = sub.add_parser("purge", help="清除或删除超过保留期的个人信息，并记入审计日志")
        purge_parser.add_argument("--dry-run", action="store_true", help="只统计将要处理的记录，不做修改")

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = bool(options.get("dry_run"))
        counts = purge(dry_run=dry_run)
        title = "将要处理（未修改）" if dry_run else "已处理"
        self.stdout.write(title + "：")
        for name, count in counts.items():
            self.stdout.write(f"  {LABELS.get(name, name)}：{count}")
