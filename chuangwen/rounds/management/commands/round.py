"""``chuangwen round verify|draw|publish ROUND``: rounds from the console (ROUND: id or public id)."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from chuangwen.accounts.models import User
from chuangwen.rounds import services
from chuangwen.rounds.models import Round


def find_round(value: str) -> Round:
    """A round by its number or its public id (UUID)."""
    value = value.strip()
    found: Round | None = None
    if value.isdigit():
        found = Round.objects.filter(pk=int(value)).first()
    else:
        try:
            found = Round.objects.filter(public_id=uuid.UUID(value)).first()
        except ValueError:
            found = None
    if found is None:
        raise CommandError(_("找不到测评批次：%(value)s") % {"value": value})
    return found


class Command(BaseCommand):
    help = _("测评批次：校验抽样、抽样、发布")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        ver = sub.add_parser("verify", help=_("用保存的种子、候选点位清单和参数重新计算承诺值与抽样结果"))
        ver.add_argument("round")
        drw = sub.add_parser("draw", help=_("为草稿批次抽样（生成秘密种子并公示承诺值）"))
        drw.add_argument("round")
        drw.add_argument("--user", help=_("以该协调员的身份操作（用户名）"))
        pub = sub.add_parser("publish", help=_("发布批次：公开种子，不符合项转入待派遣"))
        pub.add_argument("round")
        pub.add_argument("--user", help=_("以该协调员的身份操作（用户名）"))
        pub.add_argument("--confirm-missing", action="store_true", help=_("有点位缺少测评时仍发布"))

    def handle(self, *args: Any, **options: Any) -> None:
        round_ = find_round(options["round"])
        {"verify": self.do_verify, "draw": self.do_draw, "publish": self.do_publish}[options["action"]](
            round_, options
        )

    def actor(self, options: dict[str, Any]) -> User | None:
        username = options.get("user")
        if not username:
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("找不到用户：%(name)s") % {"name": username})
        return user

    def do_verify(self, round_: Round, options: dict[str, Any]) -> None:
        report = services.verify_round(round_)
        for part in report.parts:
            mark = _("一致") if part.ok else _("不一致")
            self.stdout.write(f"{part.label}: {mark}")
            if not part.ok:
                self.stdout.write(f"  {_('保存值')}: {part.stored}\n  {_('重算值')}: {part.recomputed}")
        if not report.ok:
            raise CommandError(report.summary(), returncode=1)
        self.stdout.write(self.style.SUCCESS(report.summary()))

    def do_draw(self, round_: Round, options: dict[str, Any]) -> None:
        try:
            services.draw_round(round_, self.actor(options))
        except services.RoundError as exc:
            raise CommandError(exc.message) from None
        text = _("已抽样：%(n)d 个点位，总承诺值 %(c)s") % {
            "n": round_.entries.count(),
            "c": round_.commitment,
        }
        self.stdout.write(self.style.SUCCESS(text))

    def do_publish(self, round_: Round, options: dict[str, Any]) -> None:
        try:
            services.publish_round(round_, self.actor(options), confirm_missing=options["confirm_missing"])
        except services.RoundError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS(_("已发布，种子：%(seed)s") % {"seed": round_.seed}))
