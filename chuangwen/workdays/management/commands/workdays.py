"""``chuangwen workdays show YEAR | set DATE workday|holiday NAME | unset DATE``: the working calendar."""

from __future__ import annotations

import getpass
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from chuangwen.core.bounds import date_error
from chuangwen.workdays import services, table
from chuangwen.workdays.models import DayKind

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def _parse_date(text: str, *, bounded: bool = True) -> date:
    """The date typed; a new row's date must lie within the bounds (an old row outside them can be unset)."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise CommandError(_("日期格式应为 YYYY-MM-DD：%(text)s") % {"text": text}) from None
    reason = date_error(day, _("日期")) if bounded else None
    if reason is not None:
        raise CommandError(reason)
    return day


def _cli_actor() -> str:
    return f"cli:{getpass.getuser()}"


def _kind_label(info: services.DayInfo) -> str:
    return str(DayKind.WORKDAY.label if info.workday else DayKind.HOLIDAY.label)


class Command(BaseCommand):
    help = _("工作日历：查看某年的节假日与调休，设置或取消本地维护的日期")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show", help=_("列出某年的节假日与调休上班日及其来源"))
        show.add_argument("year", type=int)
        put = sub.add_parser("set", help=_("把某天设为工作日或休息日（本地维护，优先于官方日历）"))
        put.add_argument("date")
        put.add_argument("kind", choices=[DayKind.WORKDAY.value, DayKind.HOLIDAY.value])
        put.add_argument("name", nargs="?", default="")
        put.add_argument("--note", default="", help=_("依据，例如通知文号"))
        unset = sub.add_parser("unset", help=_("删除某天的本地维护记录，恢复官方日历"))
        unset.add_argument("date")

    def handle(self, *args: Any, **options: Any) -> None:
        {"show": self.do_show, "set": self.do_set, "unset": self.do_unset}[options["action"]](options)

    def do_show(self, options: dict[str, Any]) -> None:
        year: int = options["year"]
        if not 1 <= year <= 9999:
            raise CommandError(_("年份须在 1 至 9999 之间：%(year)s") % {"year": year})
        warning = services.unmaintained_warning(year)
        if warning:
            self.stdout.write(self.style.WARNING(warning))
        if year not in services.package_years():
            rule = str(services.SOURCE_LABELS[services.Source.WEEKEND_RULE])
            self.stdout.write(_("%(rule)s：周六、周日休息，周一至周五上班") % {"rule": rule})
        days = services.special_days(year)
        for info in days:
            line = f"{info.date.isoformat()} {WEEKDAYS[info.date.weekday()]}  {_kind_label(info)}  "
            line += f"{info.name or '-'}  [{info.source_label}]"
            if info.source == services.Source.LOCAL:
                base = services.base_day(info.date)
                if base.workday != info.workday:
                    line += _("（覆盖%(source)s：%(kind)s）") % {
                        "source": base.source_label,
                        "kind": _kind_label(base),
                    }
            self.stdout.write(line)
        if not days:
            self.stdout.write(_("%(year)d 年没有节假日或调休记录") % {"year": year})

    def do_set(self, options: dict[str, Any]) -> None:
        day = _parse_date(options["date"])
        row, created = table.set_day(
            day, options["kind"], options["name"], options["note"], action="workdays.calendar_day.cli_set",
            actor_name=_cli_actor(),
        )  # fmt: skip
        verb = _("已新增") if created else _("已更新")
        self.stdout.write(self.style.SUCCESS(f"{verb} {row}"))

    def do_unset(self, options: dict[str, Any]) -> None:
        day = _parse_date(options["date"], bounded=False)
        if not table.unset_day(day, action="workdays.calendar_day.cli_unset", actor_name=_cli_actor()):
            raise CommandError(_("%(date)s 没有本地维护记录") % {"date": day})
        base = services.base_day(day)
        self.stdout.write(
            self.style.SUCCESS(
                _("已删除 %(date)s 的本地维护记录，恢复为%(kind)s（%(source)s）")
                % {"date": day, "kind": _kind_label(base), "source": base.source_label}
            )
        )
