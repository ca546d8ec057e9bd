"""``chuangwen cases route-preview ROUND`` shows where each finding will go; ``cases intake ROUND`` opens,
routes and dispatches the cases of a published round (what publication does by itself; safe to repeat);
``cases sweep`` and ``cases digest`` run the deadline escalation and the daily digest now (the task queue
runs them on its own schedule)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from chuangwen.accounts.models import User
from chuangwen.cases import intake, routing, sweeps
from chuangwen.rounds.management.commands.round import find_round
from chuangwen.rounds.models import Round


class Command(BaseCommand):
    help = _("案卷：分派预览、为已发布批次立案派遣")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        pre = sub.add_parser("route-preview", help=_("列出批次每个不符合项将派往的单位及依据"))
        pre.add_argument("round")
        run = sub.add_parser("intake", help=_("为已发布批次的待派遣不符合项立案并派遣（可重复执行）"))
        run.add_argument("round")
        run.add_argument("--user", help=_("以该协调员的身份派遣（默认为发布人）"))
        sub.add_parser("sweep", help=_("立即执行期限巡检：临期提醒、超期上报、超期多日报领导"))
        sub.add_parser("digest", help=_("立即发送各单位案卷日报（同一天重复执行不重发）"))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "sweep":
            result = sweeps.sweep()
            self.stdout.write(self.style.SUCCESS(_("催办升级：%(r)s") % {"r": str(result) or _("无")}))
            return
        if options["action"] == "digest":
            told = sweeps.daily_digest()
            self.stdout.write(self.style.SUCCESS(_("已向 %(n)d 个单位发送日报") % {"n": told}))
            return
        round_ = find_round(options["round"])
        if options["action"] == "route-preview":
            self.do_preview(round_)
        else:
            self.do_intake(round_, options.get("user"))

    def do_preview(self, round_: Round) -> None:
        rows = routing.preview(round_)
        for finding, decision in rows:
            self.stdout.write(
                f"{finding.site.code} {finding.site.name}\t{finding.check_item.code}\t"
                f"{decision.unit.name}\t{decision.explanation}"
            )
        self.stdout.write(_("共 %(n)d 个不符合项") % {"n": len(rows)})

    def do_intake(self, round_: Round, username: str | None) -> None:
        actor = None
        if username:
            actor = User.objects.filter(username=username).first()
            if actor is None:
                raise CommandError(_("找不到用户：%(name)s") % {"name": username})
        result = intake.open_cases_for_round(round_, actor)
        text = _("新立案 %(n)d 件，已派遣 %(d)d 件，待人工分拣 %(k)d 件") % {
            "n": len(result.opened),
            "d": result.dispatched,
            "k": result.left_new,
        }
        self.stdout.write(self.style.SUCCESS(text))
