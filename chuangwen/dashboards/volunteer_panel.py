"""The dashboards' 志愿服务 panel (overview and unit page): this month's and last month's confirmed hours,
registered volunteers and their share of residents aged 18–65, active volunteers, service requests fulfilled
and their mean rating, and a row per child unit. Every figure is ``volunteers.results`` for the viewer
(``visible_to``), cached like the other dashboard figures (``cache.cached``: per generation, viewer's scope,
unit, day and language); a confirmed record, a registration, an activity, a request event or a population
figure bumps the generation (``apps.py``).

A unit without any volunteer data gets ``{"has_data": False}``: the panel says so and shows no figure."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.urls import reverse
from django.utils import timezone

from chuangwen.accounts.capabilities import may_see_volunteer_work
from chuangwen.dashboards.cache import cached
from chuangwen.volunteers import results

if TYPE_CHECKING:
    from chuangwen.accounts.models import User
    from chuangwen.org.models import Unit


def _figures(f: results.Figures) -> dict[str, Any]:
    return {
        "unit_id": f.unit_id,
        "name": f.unit_name,
        "hours": f.hours,
        "resident_hours": f.resident_hours,
        "activities": f.activities,
        "registered": f.registered,
        "population": f.population,
        "share": f.share_text,
        "active": f.active,
        "requests_done": f.requests_done,
        "mean_rating": f.mean_rating,
        "has_data": f.has_data,
    }


def compute_panel(user: User, unit: Unit, now: datetime) -> dict[str, Any]:
    this = results.Window.for_month(timezone.localtime(now).date())
    last = this.previous_month()
    current = results.table_for(user, unit, this, as_of=now)
    before = results.unit_figures(user, unit, last, as_of=now)
    if not (current.has_data or before.has_data):
        return {"has_data": False, "month": this.key}
    return {
        "has_data": True,
        "month": this.key,
        "last_month": last.key,
        "this": _figures(current.total),
        "last": _figures(before),
        "rows": [_figures(row) for row in current.rows],
        "url": f"{reverse('volunteers:results_index')}?unit={unit.pk}"
        if may_see_volunteer_work(user)
        else "",
    }


def volunteer_panel(user: User, unit: Unit, now: datetime | None = None) -> dict[str, Any]:
    """The panel's figures for ``unit`` as ``user`` sees them (``{}`` outside the user's subtree)."""
    if not results.in_scope(user, unit):
        return {}
    moment = now or timezone.now()
    return cached("volunteer-panel", user, unit, moment, lambda: compute_panel(user, unit, moment))


HOURS_FIELDS = frozenset({"hours_state", "confirmed_minutes"})


def bump_on_signup(*args: Any, update_fields: Any = None, created: bool = False, **kwargs: Any) -> None:
    """A sign-up moves the panel only when its confirmed hours change (check-ins do not: bursts of them at an
    activity's start would otherwise empty every dashboard cache)."""
    from chuangwen.dashboards.cache import bump

    if created:
        return
    if update_fields is None or HOURS_FIELDS & set(update_fields):
        bump()
