"""``chuangwen issue-token USERNAME NAME [--totp CODE] [--days N]``: an API token for phones and integrations.

The key is printed once; only its SHA-256 is stored. A user whose web login asks for a second factor must give
a fresh TOTP code here too (``--totp``, or typed when asked), so a token never skips it.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.accounts.models import ApiToken, User
from chuangwen.accounts.services import TokenRefused, issue_token, second_factor_due, token_digest


class Command(BaseCommand):
    help = _("为用户签发 API 令牌（只显示一次）；须动态口令的用户要提供当前口令")
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help=_("用户名"))
        parser.add_argument("name", help=_("令牌名称，如“督查手机”"))
        parser.add_argument("--totp", default=None, help=_("该用户手机上显示的 6 位动态口令"))
        parser.add_argument(
            "--days", type=int, default=None, help=_("有效天数（默认且最多为 API_TOKEN_DAYS）")
        )

    def execute(self, *args: Any, **options: Any) -> Any:
        self.stdin = cast(TextIO, options.get("stdin") or sys.stdin)
        return super().execute(*args, **options)

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(_("用户“%(u)s”不存在或已停用。") % {"u": options["username"]})
        code = options["totp"]
        if code is None and second_factor_due(user) and user.totp_enabled and self.stdin.isatty():
            self.stdout.write(
                _("请输入用户 %(u)s 手机上显示的动态口令：") % {"u": user.get_username()}, ending=""
            )
            self.stdout.flush()
            code = self.stdin.readline().strip()
        try:
            key = issue_token(user, options["name"], totp_code=code, days=options["days"])
        except TokenRefused as exc:
            raise CommandError(str(exc)) from None
        token = ApiToken.objects.get(key_hash=token_digest(key))
        expires = timezone.localtime(token.expires_at).strftime("%Y-%m-%d %H:%M")
        self.stdout.write(_("令牌（只显示这一次，请立即妥善保存）："))
        self.stdout.write(key)
        self.stdout.write(_("有效期至 %(when)s；可在管理后台吊销。") % {"when": expires})
