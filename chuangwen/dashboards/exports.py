"""Spreadsheet downloads of the overview's tables (the same service functions as the page, so the file holds
exactly what the viewer sees): worst sites, sub-units, problem categories, recurrence hot spots."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chuangwen.accounts.models import User
from chuangwen.audit.services import record
from chuangwen.cases.exports import require_format, spreadsheet_response
from chuangwen.core.web import user_of
from chuangwen.dashboards import services
from chuangwen.org.models import Unit


def _worst(user: User, unit: Unit) -> tuple[list[str], list[list[Any]]]:
    rows = services.worst_sites(user, unit, timezone.now())
    header = [_("点位编码"), _("点位"), _("最近得分"), _("得分率（%）"), _("测评批次"), _("日期")]
    return header, [
        [s.site.code, s.site.name, s.score, s.rate, s.round_name, s.as_dict()["date"] or ""] for s in rows
    ]


def _children(user: User, unit: Unit) -> tuple[list[str], list[list[Any]]]:
    rows = services.child_rows(user, unit, timezone.now())
    header = [_("单位"), _("类型"), _("在办案卷"), _("超期"), _("最近一批平均得分")]
    return header, [[r["name"], r["kind"], r["open"], r["overdue"], r["mean_score"]] for r in rows]


def _categories(user: User, unit: Unit) -> tuple[list[str], list[list[Any]]]:
    rows = services.top_categories(user, unit, timezone.now())
    header = [_("问题类别"), _("不符合项"), _("问题数量")]
    return header, [[r["category"], r["count"], r["problems"]] for r in rows]


def _hotspots(user: User, unit: Unit) -> tuple[list[str], list[list[Any]]]:
    rows = services.recurrence_hotspots(user, unit)
    header = [_("点位编码"), _("点位"), _("复发案卷"), _("重复不合格"), _("合计")]
    return header, [[h.site.code, h.site.name, h.recurrences, h.repeated_failures, h.weight] for h in rows]


TABLES: dict[str, tuple[Callable[[User, Unit], tuple[list[str], list[list[Any]]]], Promise]] = {
    "worst": (_worst, gettext_lazy("得分最低的点位")),
    "children": (_children, gettext_lazy("下级单位")),
    "categories": (_categories, gettext_lazy("问题类别")),
    "hotspots": (_hotspots, gettext_lazy("复发热点")),
}


def export_table(request: HttpRequest, unit: Unit, table: str, fmt: str) -> HttpResponse:
    """One table of the viewer's overview as CSV or xlsx, with an audit entry."""
    require_format(fmt)
    if table not in TABLES:
        raise Http404
    build, title = TABLES[table]
    user = user_of(request)
    header, rows = build(user, unit)
    record(request, "dashboard.export", actor=user, detail={"table": table, "format": fmt, "rows": len(rows)})
    return spreadsheet_response(f"dashboard-{table}", str(title), header, rows, fmt)
