"""Results of volunteer service per unit and period (the staff results page, its exports, the API, the
dashboards' 志愿服务 panel and the rankings' volunteer component all read them here).

For each unit asked for, over its whole subtree, in a window ``[start, end)`` cut at ``as_of``:

- **organised hours** (``minutes``): confirmed minutes (``SignUp.hours_state == confirmed``, confirmed at or
  before ``as_of``) of activities that ended in the window, counted for the unit of the activity's **team**
  (where the service was organised);
- **residents' hours** (``resident_minutes``): the same records counted for the **volunteer's home
  community** (what the unit's own registered volunteers served, wherever they served it);
- **activities held**: activities not cancelled whose end lies in the window and before ``as_of``, by the
  team's unit;
- **registered volunteers**: volunteers homed in the subtree registered before the window's end and at or
  before ``as_of``, and not left by then;
- **population**: the sum of ``surveys.PopulationFigure.count`` in the subtree (residents aged 18–65 only),
  ``None`` when no figure exists; the **share** registered ÷ population is then ``None`` too, never 0;
- **active volunteers**: registered volunteers (as above) with at least one confirmed record in the window;
- **requests fulfilled**: service requests now ``done`` or ``rated`` whose ``done`` event lies in the window,
  by the request's community, with the mean of their ratings (1–5) where rated.

Every figure is one aggregate query grouped by unit id, rolled up along the unit paths (never a loop over
volunteers). ``Sources.of(user)`` starts every query from the models' ``visible_to``; the rankings use
``Sources.everything()``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from chuangwen.org.models import Unit
from chuangwen.surveys.models import PopulationFigure
from chuangwen.volunteers.models import (
    Activity,
    ActivityState,
    HoursState,
    RequestEvent,
    RequestState,
    ServiceRequest,
    SignUp,
    Volunteer,
)

if TYPE_CHECKING:
    from chuangwen.accounts.models import User

TZ = ZoneInfo(settings.TIME_ZONE)
FULFILLED = (RequestState.DONE, RequestState.RATED)
HOUR_QUANTUM = Decimal("0.1")
RATE_QUANTUM = Decimal("0.0001")


# --- the window ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """``[start, end)`` in the district's time; ``month`` set for a calendar month."""

    start: datetime
    end: datetime
    month: date | None = None

    @classmethod
    def for_month(cls, day: date) -> Window:
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return cls(
            datetime.combine(first, time(), tzinfo=TZ), datetime.combine(following, time(), tzinfo=TZ), first
        )

    @classmethod
    def for_dates(cls, first: date, last: date) -> Window:
        """The days ``first`` to ``last`` inclusive."""
        return cls(
            datetime.combine(first, time(), tzinfo=TZ),
            datetime.combine(last + timedelta(days=1), time(), tzinfo=TZ),
        )

    def previous_month(self) -> Window:
        return Window.for_month((self.month or self.start.date()).replace(day=1) - timedelta(days=1))

    @property
    def key(self) -> str:
        return f"{self.month:%Y-%m}" if self.month else f"{self.start:%Y-%m-%d}/{self.end:%Y-%m-%d}"


def parse_month(text: str) -> date | None:
    """``YYYY-MM`` → its first day, or None for anything else."""
    text = (text or "").strip()
    if (
        len(text) != 7
        or not text.isascii()
        or text[4] != "-"
        or not (text[:4].isdigit() and text[5:].isdigit())
    ):
        return None
    try:
        return date(int(text[:4]), int(text[5:]), 1)
    except ValueError:
        return None


# --- where the queries start --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sources:
    """The querysets every figure starts from: the viewer's ``visible_to`` of each model, or everything."""

    signups: QuerySet[SignUp]  # scoped by the activity's team unit (organised hours)
    resident_signups: QuerySet[SignUp]  # scoped by the volunteer's home unit (residents' hours, active)
    activities: QuerySet[Activity]
    volunteers: QuerySet[Volunteer]
    requests: QuerySet[ServiceRequest]
    population: QuerySet[PopulationFigure]

    @classmethod
    def of(cls, user: User) -> Sources:
        volunteers = Volunteer.objects.visible_to(user)
        return cls(
            SignUp.objects.visible_to(user),
            SignUp.objects.filter(volunteer__in=volunteers.values("pk")),
            Activity.objects.visible_to(user),
            volunteers,
            ServiceRequest.objects.visible_to(user),
            PopulationFigure.objects.visible_to(user),
        )

    @classmethod
    def everything(cls) -> Sources:
        return cls(
            SignUp.objects.all(),
            SignUp.objects.all(),
            Activity.objects.all(),
            Volunteer.objects.all(),
            ServiceRequest.objects.all(),
            PopulationFigure.objects.all(),
        )


# --- the figures --------------------------------------------------------------------------------------------


def _hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / 60).quantize(HOUR_QUANTUM, rounding=ROUND_HALF_UP)


def ratio(part: int, whole: int | None) -> Decimal | None:
    """part ÷ whole to four decimals; None without a whole."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATE_QUANTUM, rounding=ROUND_HALF_UP)


@dataclass
class Figures:
    unit_id: int
    unit_code: str
    unit_name: str
    unit_kind: str
    minutes: int = 0  # organised: activities of teams in the subtree
    resident_minutes: int = 0  # served by volunteers homed in the subtree
    activities: int = 0
    registered: int = 0
    population: int | None = None  # residents aged 18–65 (PopulationFigure); None without any figure
    active: int = 0
    requests_done: int = 0
    rated: int = 0
    rating_sum: int = 0

    @property
    def hours(self) -> Decimal:
        return _hours(self.minutes)

    @property
    def resident_hours(self) -> Decimal:
        return _hours(self.resident_minutes)

    @property
    def share(self) -> Decimal | None:
        """Registered volunteers ÷ residents aged 18–65; None without a population figure (never 0)."""
        return ratio(self.registered, self.population)

    @property
    def share_text(self) -> str:
        """The share as a percentage with two decimals ("12.50%"); "—" without a population figure."""
        share = self.share
        return "—" if share is None else f"{share * 100:.2f}%"

    @property
    def active_share(self) -> Decimal | None:
        return ratio(self.active, self.registered)

    @property
    def mean_rating(self) -> Decimal | None:
        if not self.rated:
            return None
        return (Decimal(self.rating_sum) / Decimal(self.rated)).quantize(Decimal("0.01"), ROUND_HALF_UP)

    @property
    def has_data(self) -> bool:
        """Anything at all to show (a population figure alone is not volunteer data)."""
        return bool(
            self.minutes or self.resident_minutes or self.activities or self.registered or self.requests_done
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit_id": self.unit_id,
            "unit_code": self.unit_code,
            "unit_name": self.unit_name,
            "unit_kind": self.unit_kind,
            "hours": self.hours,
            "minutes": self.minutes,
            "resident_hours": self.resident_hours,
            "resident_minutes": self.resident_minutes,
            "activities": self.activities,
            "registered": self.registered,
            "population": self.population,
            "share": self.share,
            "active": self.active,
            "active_share": self.active_share,
            "requests_done": self.requests_done,
            "rated": self.rated,
            "mean_rating": self.mean_rating,
        }


@dataclass
class _Rollup:
    """Unit id (any unit of the subtrees) → the asked-for units whose subtree holds it (itself included)."""

    targets: list[Unit]
    of: dict[int, list[int]] = field(default_factory=dict)

    @classmethod
    def build(cls, targets: list[Unit]) -> _Rollup:
        rollup = cls(targets)
        if not targets:
            return rollup
        wanted = {unit.pk for unit in targets}
        inside = Q()
        for unit in targets:
            inside |= Q(path__startswith=unit.path)
        for pk, path in Unit.objects.filter(inside).values_list("pk", "path"):
            hits = [int(part) for part in path.strip("/").split("/") if part and int(part) in wanted]
            if hits:
                rollup.of[pk] = hits
        return rollup

    def add(self, out: dict[int, Figures], rows: Iterable[tuple[Any, ...]], *names: str) -> None:
        """Add each grouped row ``(unit id, value, …)`` to the figures of every target above the unit."""
        for unit_id, *values in rows:
            for target in self.of.get(unit_id, ()):
                figures = out[target]
                for name, value in zip(names, values, strict=True):
                    current = getattr(figures, name)
                    setattr(figures, name, (current or 0) + (value or 0))


def figures(
    units: Iterable[Unit], window: Window, *, sources: Sources, as_of: datetime | None = None
) -> dict[int, Figures]:
    """Unit id → the figures of its subtree in ``window`` (cut at ``as_of``, default now), one aggregate query
    per figure."""
    targets = list(units)
    out = {u.pk: Figures(u.pk, u.code, u.name, u.kind) for u in targets}
    if not targets:
        return out
    as_of = as_of or timezone.now()
    rollup = _Rollup.build(targets)
    ids = list(rollup.of)

    confirmed = Q(hours_state=HoursState.CONFIRMED, activity__ends_at__gte=window.start)
    confirmed &= Q(activity__ends_at__lt=window.end, confirmed_at__lte=as_of)
    organised = (
        sources.signups.filter(confirmed, activity__team__unit_id__in=ids)
        .order_by()
        .values("activity__team__unit_id")
        .annotate(m=Sum("confirmed_minutes"))
        .values_list("activity__team__unit_id", "m")
    )
    rollup.add(out, organised, "minutes")

    # Registered by the cut (before the window's end, at or before ``as_of``) and not left by then.
    registered = Q(registered_at__lt=window.end, registered_at__lte=as_of) & (
        Q(left_at__isnull=True) | Q(left_at__gte=window.end) | Q(left_at__gt=as_of)
    )
    as_member = Q(volunteer__registered_at__lt=window.end, volunteer__registered_at__lte=as_of) & (
        Q(volunteer__left_at__isnull=True)
        | Q(volunteer__left_at__gte=window.end)
        | Q(volunteer__left_at__gt=as_of)
    )
    served = (
        sources.resident_signups.filter(confirmed, volunteer__unit_id__in=ids)
        .order_by()
        .values("volunteer__unit_id")
        .annotate(m=Sum("confirmed_minutes"), a=Count("volunteer_id", distinct=True, filter=as_member))
        .values_list("volunteer__unit_id", "m", "a")
    )
    rollup.add(out, served, "resident_minutes", "active")

    held = (
        sources.activities.exclude(state=ActivityState.CANCELLED)
        .filter(team__unit_id__in=ids, ends_at__gte=window.start, ends_at__lt=window.end, ends_at__lte=as_of)
        .order_by()
        .values("team__unit_id")
        .annotate(n=Count("pk"))
        .values_list("team__unit_id", "n")
    )
    rollup.add(out, held, "activities")

    people = (
        sources.volunteers.filter(registered, unit_id__in=ids)
        .order_by()
        .values("unit_id")
        .annotate(n=Count("pk"))
        .values_list("unit_id", "n")
    )
    rollup.add(out, people, "registered")

    residents = (
        sources.population.filter(unit_id__in=ids)
        .order_by()
        .values("unit_id")
        .annotate(n=Sum("count"))
        .values_list("unit_id", "n")
    )
    rollup.add(out, residents, "population")

    done_in_window = RequestEvent.objects.filter(
        request=OuterRef("pk"),
        to_state=RequestState.DONE,
        at__gte=window.start,
        at__lt=window.end,
        at__lte=as_of,
    )
    fulfilled = (
        sources.requests.filter(Exists(done_in_window), state__in=FULFILLED, unit_id__in=ids)
        .order_by()
        .values("unit_id")
        .annotate(n=Count("pk"), r=Count("rating"), s=Sum("rating"))
        .values_list("unit_id", "n", "r", "s")
    )
    rollup.add(out, fulfilled, "requests_done", "rated", "rating_sum")
    return out


# --- a unit and its children --------------------------------------------------------------------------------


@dataclass
class Table:
    """A unit's total and one row per active child unit, for one window."""

    unit: Unit
    window: Window
    as_of: datetime
    total: Figures
    rows: list[Figures]

    @property
    def has_data(self) -> bool:
        return self.total.has_data

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit": {"id": self.unit.pk, "code": self.unit.code, "name": self.unit.name},
            "period": self.window.key,
            "start": self.window.start,
            "end": self.window.end,
            "total": self.total.as_dict(),
            "rows": [row.as_dict() for row in self.rows],
        }


def children_of(unit: Unit) -> list[Unit]:
    return list(Unit.objects.filter(parent=unit, active=True).order_by("sort_order", "code"))


def in_scope(user: User, unit: Unit) -> bool:
    return bool(user.is_authenticated and user.unit is not None and unit.path.startswith(user.unit.path))


def table_for(user: User, unit: Unit, window: Window, *, as_of: datetime | None = None) -> Table:
    """The user's view of ``unit`` and its children (every query from ``visible_to(user)``). A unit outside
    the user's subtree is refused with ``PermissionError`` (the pages answer 404)."""
    if not in_scope(user, unit):
        raise PermissionError(unit.pk)
    as_of = as_of or timezone.now()
    children = children_of(unit)
    found = figures([unit, *children], window, sources=Sources.of(user), as_of=as_of)
    return Table(unit, window, as_of, found[unit.pk], [found[child.pk] for child in children])


def unit_figures(user: User, unit: Unit, window: Window, *, as_of: datetime | None = None) -> Figures:
    """One unit's subtree for the user (``PermissionError`` outside the user's subtree)."""
    if not in_scope(user, unit):
        raise PermissionError(unit.pk)
    return figures([unit], window, sources=Sources.of(user), as_of=as_of)[unit.pk]
