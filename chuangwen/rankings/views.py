"""Ranking pages: published rankings (public inside the system), the drill-down of a row (the unit and those
above it), the coordinator's compute-and-publish page, the public method page, self-check reliability and the
unit's "where to act" page with its what-if."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chuangwen.accounts.capabilities import may_publish_rankings, may_see_selfcheck
from chuangwen.accounts.models import User
from chuangwen.audit.services import record
from chuangwen.cases.exports import require_format, spreadsheet_response
from chuangwen.core.bounds import date_error, parse_ids
from chuangwen.core.web import user_of
from chuangwen.rankings import selfcheck, services, whatif
from chuangwen.rankings.compute import LEVELS, Period, UnitScore, compute
from chuangwen.rankings.config import INDICATOR_NAMES, INDICATORS
from chuangwen.rankings.drilldown import Drilldown, drilldown, may_see_unit, visible_row, visible_unit
from chuangwen.rankings.method import method
from chuangwen.rankings.models import LevelKind, Ranking, RankingRow
from chuangwen.rankings.services import row_out
from chuangwen.rounds.models import OFFICIAL_KINDS, Round, RoundStatus

# --- who may do what ---------------------------------------------------------------------------------------

ONLY_COORDINATORS = gettext_lazy("只有文明办协调员可以计算和发布排名。")
ONLY_OVERSEERS = gettext_lazy("只有文明办协调员和区领导可以查看此页面。")


def require_coordinator(request: HttpRequest) -> User:
    user = user_of(request)
    if not may_publish_rankings(user):
        raise PermissionDenied(str(ONLY_COORDINATORS))
    return user


def require_overseer(request: HttpRequest) -> User:
    user = user_of(request)
    if not may_see_selfcheck(user):
        raise PermissionDenied(str(ONLY_OVERSEERS))
    return user


# --- periods ----------------------------------------------------------------------------------------------


def period_rounds() -> Any:
    """Rounds a ranking may be made of: published, of the kinds that score."""
    return Round.objects.filter(status=RoundStatus.PUBLISHED, kind__in=OFFICIAL_KINDS).order_by(
        "-period_start"
    )


def recent_months(count: int = 12) -> list[date]:
    return list(reversed(selfcheck.recent_months(count)))


def parse_period(value: str) -> Period | None:
    """``round:<id>`` (a published round) or ``month:YYYY-MM``; anything else is None."""
    kind, _sep, rest = value.partition(":")
    if kind == "round" and (ids := parse_ids(rest)):
        round_ = period_rounds().filter(pk=ids[0]).first()
        return Period.for_round(round_) if round_ is not None else None
    if kind == "month":
        try:
            year, month = (int(part) for part in rest.split("-"))
            first = date(year, month, 1)
        except ValueError:
            return None
        # A month outside the date bounds (month:9999-12) is no period: its neighbours do not even exist.
        return Period.for_month(first) if date_error(first, "period") is None else None
    return None


def parse_level(value: str) -> str | None:
    return value if value in LEVELS else None


def choice_errors(period: Period | None, level: str | None) -> str:
    """What is wrong with a chosen period and level (API), naming the field; empty when both are valid."""
    problems = []
    if period is None:
        problems.append(_("period：请选择已发布的测评批次（round:<批次 ID>）或月份（month:YYYY-MM）"))
    if level is None:
        problems.append(_("level：排名对象须为 street、community 或 department"))
    return "；".join(problems)


def period_choices() -> list[tuple[str, str]]:
    months = [Period.for_month(m) for m in recent_months()]
    rounds = [(f"round:{r.pk}", f"{r.name}（{r.get_kind_display()}）") for r in period_rounds()[:50]]
    return [(p.key, services.period_title(p)) for p in months] + rounds


# --- rows for tables and exports ----------------------------------------------------------------------------


def percent(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return f"{Decimal(value) * 100:.2f}%"


def signed(value: Any) -> str:
    if value is None:
        return ""
    return f"+{value}" if value > 0 else str(value)


def row_view(row: RankingRow | UnitScore) -> dict[str, Any]:
    """One line of a ranking (a stored row or a live preview) as the templates show it: the API's fields,
    with the indicators as labelled percentages."""
    values = row_out(row)
    values["indicators"] = [
        {
            "name": name,
            "label": INDICATOR_NAMES[name],
            "value": percent(values["indicators"].get(name)),
            "count": values["counts"].get(name, 0),
        }
        for name in INDICATORS
    ]
    return values


RANKING_COLUMNS = [
    gettext_lazy("名次"),
    gettext_lazy("单位"),
    gettext_lazy("综合指数"),
    gettext_lazy("名次变化"),
    gettext_lazy("综合指数变化"),
    gettext_lazy("实地测评得分（收缩后）"),
    gettext_lazy("实地测评原始均分"),
    gettext_lazy("测评点位次数"),
    gettext_lazy("整改得分"),
    gettext_lazy("案卷数"),
    *(INDICATOR_NAMES[name] for name in INDICATORS),
    gettext_lazy("网上申报得分"),
    gettext_lazy("问卷调查得分"),
    gettext_lazy("问卷调查轮次"),
    gettext_lazy("志愿服务得分"),
    gettext_lazy("扣分"),
]


def ranking_rows(rows: list[dict[str, Any]]) -> list[list[Any]]:
    def num(value: Any) -> Any:
        return "" if value is None else value

    return [
        [
            r["rank"] if r["rank"] is not None else r["unranked_reason"],
            r["unit_name"],
            num(r["composite"]),
            signed(r["rank_change"]),
            signed(r["composite_change"]),
            num(r["onsite"]),
            num(r["onsite_raw"]),
            r["visits"],
            num(r["rectification"]),
            r["cases"],
            *(i["value"] for i in r["indicators"]),
            num(r["materials"]),
            num(r["survey"]),
            r["survey_detail"].get("wave", ""),
            num(r["volunteer"]),
            r["penalty"],
        ]
        for r in rows
    ]


# --- published rankings -------------------------------------------------------------------------------------


@login_required
def ranking_list(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    rankings = Ranking.objects.select_related("round").order_by("-published_at", "level")
    own = user.unit if user.unit_id is not None and user.unit and user.unit.kind in LEVELS else None
    return render(
        request,
        "rankings/list.html",
        {
            "rankings": rankings,
            "can_publish": may_publish_rankings(user),
            "can_oversee": may_see_selfcheck(user),
            "own": own,
        },
    )


@login_required
def ranking_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    ranking = get_object_or_404(Ranking.objects.select_related("standard", "published_by", "previous"), pk=pk)
    rows = list(ranking.rows.select_related("unit"))
    views = []
    for row in rows:
        view = row_view(row)
        view["open"] = may_see_unit(user, row.unit)
        views.append(view)
    return render(request, "rankings/detail.html", {"ranking": ranking, "rows": views})


@login_required
def ranking_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    require_format(fmt)
    ranking = get_object_or_404(Ranking, pk=pk)
    rows = ranking_rows([row_view(row) for row in ranking.rows.all()])
    header = [str(column) for column in RANKING_COLUMNS]
    response = spreadsheet_response(f"ranking-{ranking.pk}", _("排名"), header, rows, fmt)
    record(
        request,
        "ranking.export",
        obj=ranking,
        actor=user_of(request),
        detail={"format": fmt, "rows": len(rows)},
    )
    return response


# --- drill-down ---------------------------------------------------------------------------------------------


@login_required
def unit_detail(request: HttpRequest, pk: int, unit_id: int) -> HttpResponse:
    ranking, row = visible_row(user_of(request), pk, unit_id)
    return render(request, "rankings/unit.html", {"d": drilldown(ranking, row), "row": row_view(row)})


VISIT_COLUMNS = [
    gettext_lazy("测评批次"),
    gettext_lazy("点位编码"),
    gettext_lazy("点位"),
    gettext_lazy("日期"),
    gettext_lazy("点位类型权重"),
    gettext_lazy("申报点位"),
    gettext_lazy("回头看"),
    gettext_lazy("权重"),
    gettext_lazy("点位得分"),
    gettext_lazy("权重×得分"),
]
CASE_COLUMNS = [
    gettext_lazy("案卷编号"),
    gettext_lazy("标题"),
    gettext_lazy("状态"),
    gettext_lazy("点位"),
    gettext_lazy("立案时间"),
    gettext_lazy("整改期限"),
    gettext_lazy("结案时间"),
    *(INDICATOR_NAMES[name] for name in INDICATORS),
]


def visit_rows(d: Drilldown) -> list[list[Any]]:
    yes, no = _("是"), _("否")
    rows: list[list[Any]] = [
        [
            line.visit.round.name,
            line.visit.site.code,
            line.visit.site.name,
            _local_date(line.visit.finished_at or line.visit.received_at),
            line.site_type_weight,
            yes if line.declared else no,
            yes if line.revisit else no,
            line.weight,
            line.score,
            line.product,
        ]
        for line in d.visits
    ]
    rows.append([_("合计"), "", "", "", "", "", "", d.weight_sum, d.onsite_raw or "", d.product_sum])
    return rows


def case_rows(d: Drilldown) -> list[list[Any]]:
    yes = _("计入")

    def when(value: Any) -> str:
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""

    rows: list[list[Any]] = [
        [
            line.case.code,
            line.case.title,
            line.case.get_state_display(),
            line.case.site.name if line.case.site else "",
            when(line.case.opened_at),
            when(line.case.deadline),
            when(line.case.closed_at),
            *(yes if line.members[name] else "" for name in INDICATORS),
        ]
        for line in d.cases
    ]
    rows.append([_("合计"), "", "", "", "", "", "", *(d.counts[name] for name in INDICATORS)])
    return rows


def _local_date(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d") if value else ""


@login_required
def unit_export(request: HttpRequest, pk: int, unit_id: int, table: str, fmt: str) -> HttpResponse:
    require_format(fmt)
    ranking, row = visible_row(user_of(request), pk, unit_id)
    d = drilldown(ranking, row)
    if table == "visits":
        header, rows, title = [str(c) for c in VISIT_COLUMNS], visit_rows(d), _("实地测评")
    elif table == "cases":
        header, rows, title = [str(c) for c in CASE_COLUMNS], case_rows(d), _("案卷")
    else:
        raise PermissionDenied
    response = spreadsheet_response(f"ranking-{ranking.pk}-unit-{unit_id}-{table}", title, header, rows, fmt)
    detail = {"format": fmt, "table": table, "unit": unit_id, "rows": len(rows) - 1}
    record(request, "ranking.export_detail", obj=ranking, actor=user_of(request), detail=detail)
    return response


# --- compute and publish ------------------------------------------------------------------------------------


@login_required
def compute_page(request: HttpRequest) -> HttpResponse:
    user = require_coordinator(request)
    data = request.POST if request.method == "POST" else request.GET
    period_value = data.get("period", "")
    level = parse_level(data.get("level", "")) or LevelKind.STREET
    period = parse_period(period_value) if period_value else None
    error = ""
    if period_value and period is None:
        error = _("请选择已发布的测评批次或月份")
    if request.method == "POST" and period is not None and request.POST.get("confirmed") != "yes":
        # Publishing cannot be undone: the first POST only shows what will happen and asks again.
        confirm: dict[str, Any] = {"period_value": period_value, "level": level}
        confirm["existing"] = services.published(period, level)
        confirm["title"], confirm["level_label"] = services.period_title(period), LevelKind(level).label
        return render(request, "rankings/publish_confirm.html", confirm)
    if request.method == "POST" and period is not None:
        try:
            ranking = services.publish(period, level, user, request=request)
        except ValidationError as exc:
            error = "；".join(exc.messages)
        else:
            messages.success(request, _("已发布：%(title)s") % {"title": ranking.title})
            return HttpResponseRedirect(reverse("rankings:detail", args=[ranking.pk]))
    preview: list[dict[str, Any]] = []
    existing = None
    title = ""
    if period is not None:
        preview = [row_view(score) for score in compute(period, level)]
        existing = services.published(period, level)
        title = services.period_title(period)
    context = {
        "choices": period_choices(),
        "levels": LevelKind.choices,
        "period_value": period_value,
        "level": level,
        "period": period,
        "title": title,
        "preview": preview,
        "existing": existing,
        "error": error,
    }
    return render(request, "rankings/compute.html", context, status=400 if error else 200)


# --- the method page (public) -------------------------------------------------------------------------------


def method_page(request: HttpRequest) -> HttpResponse:
    return render(request, "rankings/method.html", {"m": method()})


# --- self-check reliability ---------------------------------------------------------------------------------


def _selfcheck_context(request: HttpRequest) -> dict[str, Any]:
    level = parse_level(request.GET.get("level", "")) or LevelKind.STREET
    months = selfcheck.recent_months(6)
    units = selfcheck.reliability(level, months=months)
    return {"level": level, "levels": LevelKind.choices, "months": months, "units": units}


@login_required
def selfcheck_page(request: HttpRequest) -> HttpResponse:
    require_overseer(request)
    return render(request, "rankings/selfcheck.html", _selfcheck_context(request))


@login_required
def selfcheck_export(request: HttpRequest, fmt: str) -> HttpResponse:
    require_format(fmt)
    require_overseer(request)
    context = _selfcheck_context(request)
    header = [_("单位"), _("月份"), _("配对点位数"), _("平均差值（自查−官方）"), _("预警"), _("持续偏高")]
    rows = [
        [
            unit.unit_name,
            f"{gap.month:%Y-%m}",
            len(gap.pairs),
            gap.gap if gap.gap is not None else "",
            _("是") if gap.flagged else "",
            _("是") if unit.rosier else "",
        ]
        for unit in context["units"]
        for gap in unit.months.values()
        if gap.pairs
    ]
    response = spreadsheet_response("selfcheck", _("自查可信度"), header, rows, fmt)
    record(
        request, "ranking.selfcheck_export", actor=user_of(request), detail={"format": fmt, "rows": len(rows)}
    )
    return response


# --- where to act -------------------------------------------------------------------------------------------


def _chosen(request: HttpRequest) -> list[int]:
    data = request.POST if request.method == "POST" else request.GET
    return parse_ids(",".join(data.getlist("case")))


@login_required
def act_page(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = visible_unit(user_of(request), unit_id)
    try:
        result, costs = whatif.plan(unit, _chosen(request))
    except whatif.NotRanked as exc:
        return render(request, "rankings/act.html", {"unit": unit, "error": str(exc)})
    title = services.period_title(result.period)
    return render(
        request, "rankings/act.html", {"unit": unit, "costs": costs, "result": result, "title": title}
    )


@login_required
def act_whatif(request: HttpRequest, unit_id: int) -> HttpResponse:
    """The htmx partial: before and after closing the ticked cases on time."""
    unit = visible_unit(user_of(request), unit_id)
    try:
        result = whatif.what_if(unit, _chosen(request))
    except whatif.NotRanked as exc:
        return HttpResponse(str(exc), status=400)
    return render(request, "rankings/partials/whatif.html", {"unit": unit, "result": result})
