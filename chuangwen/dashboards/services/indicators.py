"""Key indicators of a unit and their monthly trend (docs/dashboards.md, "Where each number comes from")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.cases.deadlines import light_counts, overdue_q
from chuangwen.cases.models import NOT_COUNTED_STATES, OPEN_STATES, CaseState
from chuangwen.dashboards.services.scope import scoped_cases, scored_visits
from chuangwen.rounds.models import VisitQuerySet

if TYPE_CHECKING:
    from chuangwen.accounts.models import User
    from chuangwen.org.models import Unit

# Trends, worst sites and problem categories look back this many months (the current one included).
WINDOW_MONTHS = 12
# 处置率 on the overview: of the cases opened in the last DISPOSAL_DAYS days, the share closed now.
DISPOSAL_DAYS = 30
# Cases that never were real work: they count neither as opened nor in 处置率.


# --- Key indicators ----


def _float(value: Decimal | float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


@dataclass
class Indicators:
    round_id: int | None = None
    round_name: str = ""
    visits: int = 0
    mean_score: float | None = None
    mean_rate: float | None = None  # percent
    previous_round_name: str = ""
    previous_mean_score: float | None = None
    score_change: float | None = None
    open_total: int = 0
    lights: dict[str, int] = field(default_factory=dict)
    overdue: int = 0
    recent_cases: int = 0
    recent_closed: int = 0
    disposal_rate: float | None = None  # percent

    def as_dict(self) -> dict[str, Any]:
        return {
            "round": {"id": self.round_id, "name": self.round_name} if self.round_id else None,
            "visits": self.visits,
            "mean_score": self.mean_score,
            "mean_rate": self.mean_rate,
            "previous_round": self.previous_round_name or None,
            "previous_mean_score": self.previous_mean_score,
            "score_change": self.score_change,
            "open_cases": self.open_total,
            "lights": self.lights,
            "overdue": self.overdue,
            "recent_cases": self.recent_cases,
            "recent_closed": self.recent_closed,
            "disposal_rate": self.disposal_rate,
            "disposal_days": DISPOSAL_DAYS,
        }


def _round_means(visits: VisitQuerySet, round_id: int) -> dict[str, Any]:
    return visits.filter(round_id=round_id).aggregate(
        n=Count("pk"), score=Avg("score"), rate=Avg("score_rate")
    )


def indicators(user: User, unit: Unit, now: datetime | None = None) -> Indicators:
    """The key indicators of a unit: the latest published round's mean site score and score rate (and the
    change against the round before), open cases by traffic light, overdue cases and 处置率."""
    now = now or timezone.now()
    result = Indicators()
    visits = scored_visits(user, unit)
    rounds = list(
        visits.order_by("-round__published_at", "-round_id")
        .values_list("round_id", "round__name", "round__published_at")
        .distinct()[:2]
    )
    if rounds:
        latest = _round_means(visits, rounds[0][0])
        result.round_id, result.round_name = rounds[0][0], rounds[0][1]
        result.visits = latest["n"]
        result.mean_score = _float(latest["score"])
        result.mean_rate = _float(latest["rate"] * 100 if latest["rate"] is not None else None, 1)
        if len(rounds) > 1:
            previous = _round_means(visits, rounds[1][0])
            result.previous_round_name = rounds[1][1]
            result.previous_mean_score = _float(previous["score"])
            if result.mean_score is not None and result.previous_mean_score is not None:
                result.score_change = round(result.mean_score - result.previous_mean_score, 2)
    cases = scoped_cases(user, unit)
    open_cases = cases.filter(state__in=OPEN_STATES)
    result.open_total = open_cases.count()
    result.lights = light_counts(open_cases, now)
    result.overdue = cases.filter(overdue_q(now)).count()
    recent = cases.filter(opened_at__gte=now - timedelta(days=DISPOSAL_DAYS)).exclude(
        state__in=NOT_COUNTED_STATES
    )
    counts = recent.aggregate(n=Count("pk"), closed=Count("pk", filter=Q(state=CaseState.CLOSED)))
    result.recent_cases, result.recent_closed = counts["n"], counts["closed"]
    if result.recent_cases:
        result.disposal_rate = round(100 * result.recent_closed / result.recent_cases, 1)
    return result


# --- Trends ----


def month_keys(now: datetime, months: int = WINDOW_MONTHS) -> list[str]:
    """The last ``months`` months, oldest first, as "YYYY-MM" in local time (the current month last)."""
    local = timezone.localtime(now)
    year, month = local.year, local.month
    keys = []
    for _i in range(months):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return keys[::-1]


def window_start(now: datetime, months: int = WINDOW_MONTHS) -> datetime:
    first = month_keys(now, months)[0]
    year, month = (int(part) for part in first.split("-"))
    return timezone.make_aware(datetime(year, month, 1), timezone.get_current_timezone())


def _month_key(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return f"{value.year:04d}-{value.month:02d}"


def trend(user: User, unit: Unit, now: datetime | None = None) -> dict[str, Any]:
    """Per month of the window: mean site score and score rate of the visits made that month (official
    rounds, published), cases opened and cases closed."""
    now = now or timezone.now()
    keys = month_keys(now)
    since = window_start(now)
    tz = timezone.get_current_timezone()
    scores = {
        _month_key(row["month"]): row
        for row in scored_visits(user, unit)
        .filter(received_at__gte=since)
        .annotate(month=TruncMonth("received_at", tzinfo=tz))
        .order_by()
        .values("month")
        .annotate(n=Count("pk"), score=Avg("score"), rate=Avg("score_rate"))
    }
    cases = scoped_cases(user, unit).exclude(state__in=NOT_COUNTED_STATES)
    opened = {
        _month_key(row["month"]): row["n"]
        for row in cases.filter(opened_at__gte=since)
        .annotate(month=TruncMonth("opened_at", tzinfo=tz))
        .order_by()
        .values("month")
        .annotate(n=Count("pk"))
    }
    closed = {
        _month_key(row["month"]): row["n"]
        for row in cases.filter(closed_at__gte=since, state=CaseState.CLOSED)
        .annotate(month=TruncMonth("closed_at", tzinfo=tz))
        .order_by()
        .values("month")
        .annotate(n=Count("pk"))
    }

    def rate(key: str) -> float | None:
        value = scores.get(key, {}).get("rate")
        return None if value is None else round(float(value) * 100, 1)

    return {
        "months": keys,
        "visits": [scores.get(k, {}).get("n", 0) for k in keys],
        "mean_score": [_float(scores.get(k, {}).get("score")) for k in keys],
        "mean_rate": [rate(k) for k in keys],
        "opened": [opened.get(k, 0) for k in keys],
        "closed": [closed.get(k, 0) for k in keys],
    }


# --- Chart labels ----


def chart_labels() -> dict[str, str]:
    """The words the charts show, translated on the server."""
    return {
        "mean_score": _("平均得分"),
        "mean_rate": _("得分率（%）"),
        "opened": _("新立案卷"),
        "closed": _("结案"),
        "problems": _("不符合项"),
        "no_data": _("暂无数据"),
    }
