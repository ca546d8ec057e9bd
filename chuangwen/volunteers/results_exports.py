"""The .xlsx exports of the results page: the results table, and volunteers, service records (服务记录) and
teams in the field layout of the national volunteer information system (全国志愿服务信息系统) data elements.

What leaves the system: the ID number is never exported (it is not even stored), only its last four
characters; the mobile number in full only to a coordinator (文明办, who keeps the national system in step),
masked ``138****0001`` for everyone else. Every export is audited as ``volunteer.results_export`` with the
table, unit, month, row count and whether phone numbers left in full.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chuangwen.accounts.models import Role
from chuangwen.volunteers import rules
from chuangwen.volunteers.models import HoursState, SignUp, Team, TeamKind, Volunteer
from chuangwen.volunteers.results import Figures, Table, Window

if TYPE_CHECKING:
    from chuangwen.accounts.models import User
    from chuangwen.org.models import Unit

SEX = {"m": gettext_lazy("男"), "f": gettext_lazy("女")}


def phone_in_full(user: User) -> bool:
    """Only the office (coordinators) exports mobile numbers in full."""
    return user.role == Role.COORDINATOR


def mask_phone(phone: str) -> str:
    """``13800000001`` → ``138****0001``; anything shorter than 7 characters is hidden completely."""
    phone = phone or ""
    if len(phone) < 7:
        return "****" if phone else ""
    return f"{phone[:3]}****{phone[-4:]}"


def local(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def hours(minutes: int | None) -> Decimal:
    return (Decimal(minutes or 0) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _blank(value: Any) -> Any:
    return "" if value is None else value


# --- (a) the results table ----------------------------------------------------------------------------------


RESULTS_COLUMNS = [
    gettext_lazy("单位编码"),
    gettext_lazy("单位"),
    gettext_lazy("组织服务时长（小时）"),
    gettext_lazy("本单位志愿者服务时长（小时）"),
    gettext_lazy("开展活动（次）"),
    gettext_lazy("注册志愿者（人）"),
    gettext_lazy("18–65 岁常住人口"),
    gettext_lazy("注册率"),
    gettext_lazy("活跃志愿者（人）"),
    gettext_lazy("完成服务需求（件）"),
    gettext_lazy("平均评价（星）"),
]


def results_line(f: Figures) -> list[Any]:
    return [
        f.unit_code,
        f.unit_name,
        f.hours,
        f.resident_hours,
        f.activities,
        f.registered,
        _blank(f.population),
        _blank(f.share),
        f.active,
        f.requests_done,
        _blank(f.mean_rating),
    ]


def results_rows(table: Table) -> list[list[Any]]:
    total = results_line(table.total)
    total[1] = _("%(name)s（合计）") % {"name": table.total.unit_name}
    return [*(results_line(row) for row in table.rows), total]


# --- (b) volunteers -----------------------------------------------------------------------------------------


VOLUNTEER_COLUMNS = [
    gettext_lazy("志愿者编号"),
    gettext_lazy("姓名"),
    gettext_lazy("性别"),
    gettext_lazy("出生年份"),
    gettext_lazy("身份证号（后四位）"),
    gettext_lazy("手机号"),
    gettext_lazy("所在社区"),
    gettext_lazy("注册时间"),
    gettext_lazy("累计服务时长（小时）"),
    gettext_lazy("星级"),
    gettext_lazy("所属队伍"),
]


def volunteer_rows(user: User, unit: Unit, window: Window) -> list[list[Any]]:
    """Registered volunteers (not left) homed in the unit's subtree, by number."""
    full = phone_in_full(user)
    volunteers = (
        Volunteer.objects.visible_to(user)
        .filter(unit__path__startswith=unit.path, left_at__isnull=True)
        .select_related("unit")
        .prefetch_related("memberships__team")
        .order_by("number")
    )
    return [
        [
            v.number,
            v.name,
            str(SEX.get(v.sex, "")),
            _blank(v.birth_year),
            v.id_last4,
            v.phone if full else mask_phone(v.phone),
            v.unit.name,
            local(v.registered_at),
            hours(v.confirmed_minutes),
            rules.stars(v.confirmed_minutes),
            "、".join(sorted(m.team.name for m in v.memberships.all())),
        ]
        for v in volunteers
    ]


# --- (c) service records ------------------------------------------------------------------------------------


RECORD_COLUMNS = [
    gettext_lazy("志愿者编号"),
    gettext_lazy("姓名"),
    gettext_lazy("活动名称"),
    gettext_lazy("组织队伍"),
    gettext_lazy("服务开始时间"),
    gettext_lazy("服务结束时间"),
    gettext_lazy("服务时长（小时）"),
    gettext_lazy("记录时间"),
    gettext_lazy("记录人"),
]


def record_rows(user: User, unit: Unit, window: Window) -> list[list[Any]]:
    """Confirmed records of activities of the unit's teams that ended in the window: service runs from
    sign-in to sign-out inside the activity's own time; the hours are the confirmed ones; 记录时间 and
    记录人 are the confirmation's."""
    records = (
        SignUp.objects.visible_to(user)
        .filter(
            activity__team__unit__path__startswith=unit.path,
            hours_state=HoursState.CONFIRMED,
            activity__ends_at__gte=window.start,
            activity__ends_at__lt=window.end,
        )
        .select_related("volunteer", "activity__team", "confirmed_by")
        .order_by("activity__starts_at", "activity_id", "volunteer__number")
    )
    rows = []
    for r in records:
        a = r.activity
        start = max(a.starts_at, r.signed_in_at) if r.signed_in_at else a.starts_at
        end = min(a.ends_at, r.signed_out_at) if r.signed_out_at else a.ends_at
        recorder = r.confirmed_by
        rows.append(
            [
                r.volunteer.number,
                r.volunteer.name,
                a.title,
                a.team.name,
                local(start),
                local(end),
                hours(r.confirmed_minutes),
                local(r.confirmed_at),
                (recorder.full_name or recorder.username) if recorder else "",
            ]
        )
    return rows


# --- (d) teams ----------------------------------------------------------------------------------------------


TEAM_COLUMNS = [
    gettext_lazy("队伍编号"),
    gettext_lazy("队伍名称"),
    gettext_lazy("队伍类型"),
    gettext_lazy("所属单位"),
    gettext_lazy("成立时间"),
    gettext_lazy("成员数"),
    gettext_lazy("管理员"),
]


def team_rows(user: User, unit: Unit, window: Window) -> list[list[Any]]:
    teams = (
        Team.objects.visible_to(user)
        .filter(unit__path__startswith=unit.path)
        .select_related("unit")
        .prefetch_related("managers")
        .annotate(members=Count("memberships"))
        .order_by("unit__path", "code")
    )
    return [
        [
            t.code,
            t.name,
            str(TeamKind(t.kind).label) if t.kind in TeamKind.values else t.kind,
            t.unit.name,
            timezone.localtime(t.created_at).date().isoformat() if t.created_at else "",
            t.members,  # type: ignore[attr-defined]
            "、".join(sorted(m.full_name or m.username for m in t.managers.all())),
        ]
        for t in teams
    ]


@dataclass(frozen=True)
class Export:
    title: Promise
    columns: Sequence[Promise]
    rows: (
        Callable[[User, Unit, Window], list[list[Any]]] | None
    )  # None: the results table (built by the view)


EXPORTS: dict[str, Export] = {
    "results": Export(gettext_lazy("志愿服务成效"), RESULTS_COLUMNS, None),
    "volunteers": Export(gettext_lazy("志愿者"), VOLUNTEER_COLUMNS, volunteer_rows),
    "records": Export(gettext_lazy("服务记录"), RECORD_COLUMNS, record_rows),
    "teams": Export(gettext_lazy("志愿服务队伍"), TEAM_COLUMNS, team_rows),
}
