"""``chuangwen create-admin USERNAME``: a 系统管理员 (the first or another) with a password you choose.

Interactive: the password is asked twice (not echoed). Scripts: ``--password-stdin`` reads one line.
"""

from __future__ import annotations

import getpass
import sys
from typing import Any, TextIO, cast

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from chuangwen.accounts.first_admin import DEFAULT_ROOT_CODE, AdminRefused, create_admin


class Command(BaseCommand):
    help = _("创建系统管理员账号（角色为系统管理员、超级用户），密码由您设定")
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help=_("用户名"))
        parser.add_argument("--full-name", default="", help=_("姓名"))
        parser.add_argument("--email", default="", help=_("电子邮箱"))
        parser.add_argument(
            "--unit", default=None, help=_("所属单位编码；不填则为唯一的顶级单位（没有单位时新建一个）")
        )
        parser.add_argument(
            "--root-code", default=DEFAULT_ROOT_CODE, help=_("数据库中没有单位时新建的顶级单位（市）的编码")
        )
        parser.add_argument("--root-name", default="", help=_("数据库中没有单位时新建的顶级单位（市）的名称"))
        parser.add_argument(
            "--password-stdin", action="store_true", help=_("从标准输入读取密码（一行），供脚本使用")
        )

    def execute(self, *args: Any, **options: Any) -> Any:
        # Tests pass a StringIO, as those of createsuperuser do.
        self.stdin = cast(TextIO, options.get("stdin") or sys.stdin)
        return super().execute(*args, **options)

    def handle(self, *args: Any, **options: Any) -> None:
        password = self.read_password(options["password_stdin"])
        try:
            made = create_admin(
                options["username"],
                password,
                full_name=options["full_name"].strip(),
                email=options["email"].strip(),
                unit_code=options["unit"],
                root_code=options["root_code"],
                root_name=options["root_name"],
            )
        except AdminRefused as exc:
            raise CommandError(str(exc)) from None
        if made.unit_created:
            self.stdout.write(
                _(
                    "已新建顶级单位“%(name)s”（编码 %(code)s，类型 市）；"
                    "可在管理后台改名，导入单位时以它为上级单位。"
                )
                % {"name": made.unit.name, "code": made.unit.code}
            )
        self.stdout.write(
            self.style.SUCCESS(
                _("已创建系统管理员 %(user)s（所属单位：%(unit)s）。")
                % {"user": made.user.get_username(), "unit": made.unit.name}
            )
        )
        if "admin" in settings.REQUIRE_2FA_ROLES:
            self.stdout.write(_("首次登录时须绑定动态口令（手机身份验证器应用）。"))

    def read_password(self, from_stdin: bool) -> str:
        if from_stdin:
            password = self.stdin.readline().rstrip("\r\n")
        elif self.stdin.isatty():
            password = getpass.getpass(_("密码："))
            if password != getpass.getpass(_("再次输入密码：")):
                raise CommandError(_("两次输入的密码不一致，未创建账号。"))
        else:
            raise CommandError(_("没有终端可以输入密码：请用 --password-stdin 从标准输入提供密码。"))
        if not password:
            raise CommandError(_("密码不能为空，未创建账号。"))
        return password
