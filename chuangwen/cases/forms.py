"""Forms of the case pages: the worklist filters (shared with the API and exports) and one form per action."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chuangwen.cases import machine
from chuangwen.cases.models import OPEN_STATES, Case, CaseQuerySet, CaseSource, CaseState
from chuangwen.org.models import Unit
from chuangwen.sites.forms import unit_choices
from chuangwen.workdays.services import GREEN, RED, YELLOW, traffic_light

if TYPE_CHECKING:
    from chuangwen.accounts.models import User

LIGHT_CHOICES = [(GREEN, _("绿灯（正常）")), (YELLOW, _("黄灯（临期）")), (RED, _("红灯（超期）"))]
LIGHT_LABELS = {GREEN: _("绿灯"), YELLOW: _("黄灯"), RED: _("红灯"), "": _("无期限")}
# Lights are computed for the open cases that have a deadline; the others have none ("").
LIT_STATES = sorted(OPEN_STATES)


def light_of(case: Case, now: datetime) -> str:
    """The traffic light of one case now, or "" for a final case or one without a deadline."""
    if case.deadline is None or case.state not in OPEN_STATES:
        return ""
    paused = case.state == CaseState.SUSPENDED
    return traffic_light(case.opened_at, case.deadline, now, paused=paused)


def overdue_q(now: datetime) -> Q:
    """Overdue, in SQL: open, not suspended (挂账), past the deadline (the same rule as ``is_overdue``)."""
    return Q(state__in=LIT_STATES, deadline__lt=now) & ~Q(state=CaseState.SUSPENDED)


def _not_red_lights(cases: CaseQuerySet, now: datetime) -> dict[int, str]:
    """pk → green/yellow for the open cases with a deadline that are not overdue (computed, not stored)."""
    rows = (
        cases.filter(state__in=LIT_STATES, deadline__isnull=False)
        .exclude(overdue_q(now))
        .values_list("pk", "opened_at", "deadline", "state")
        .order_by()
    )
    return {
        pk: traffic_light(opened, deadline, now, paused=state == CaseState.SUSPENDED)
        for pk, opened, deadline, state in rows
        if deadline is not None
    }


def light_counts(cases: CaseQuerySet, now: datetime) -> dict[str, int]:
    lights = Counter(_not_red_lights(cases, now).values())
    return {
        GREEN: lights[GREEN],
        YELLOW: lights[YELLOW],
        RED: cases.filter(overdue_q(now), deadline__isnull=False).order_by().count(),
    }


def state_counts(cases: CaseQuerySet) -> dict[str, int]:
    rows = cases.order_by().values("state").annotate(n=Count("pk")).values_list("state", "n")
    found = dict(rows)
    return {state: found.get(state, 0) for state in CaseState.values}


class CaseFilterForm(forms.Form):
    q = forms.CharField(label=_("编号/标题/点位"), required=False, max_length=100)
    state = forms.ChoiceField(label=_("状态"), required=False)
    source = forms.ChoiceField(label=_("来源"), required=False)
    unit = forms.ChoiceField(label=_("责任单位"), required=False)
    light = forms.ChoiceField(label=_("红黄绿灯"), required=False)
    overdue = forms.BooleanField(label=_("只看超期"), required=False)

    def __init__(self, data: Any = None, *, user: User) -> None:
        super().__init__(data, label_suffix="")
        self.user = user
        any_choice = ("", _("全部"))
        self.choice_field("state").choices = [any_choice, *CaseState.choices]
        self.choice_field("source").choices = [any_choice, *CaseSource.choices]
        self.choice_field("unit").choices = [any_choice, *unit_choices(Unit.objects.visible_to(user))]
        self.choice_field("light").choices = [any_choice, *LIGHT_CHOICES]

    def choice_field(self, name: str) -> forms.ChoiceField:
        return cast(forms.ChoiceField, self.fields[name])

    def filter(self, cases: CaseQuerySet, now: datetime | None = None) -> CaseQuerySet:
        """Apply the valid filters to ``cases`` (already scoped to the viewer); invalid ones are reported."""
        now = now or timezone.now()
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if data.get("q"):
            q = data["q"].strip()
            cases = cases.filter(
                Q(code__icontains=q) | Q(title__icontains=q) | Q(site__name__icontains=q) | Q(site__code=q)
            )
        for name in ("state", "source"):
            if data.get(name):
                cases = cases.filter(**{name: data[name]})
        if data.get("unit"):
            unit = Unit.objects.visible_to(self.user).get(pk=int(data["unit"]))
            cases = cases.filter(unit__path__startswith=unit.path)
        if data.get("overdue") or data.get("light") == RED:
            cases = cases.filter(overdue_q(now), deadline__isnull=False)
        elif data.get("light"):
            lights = _not_red_lights(cases, now)
            cases = cases.filter(pk__in=[pk for pk, light in lights.items() if light == data["light"]])
        return cases


class ActionForm(forms.Form):
    """What one action needs; only the fields the table requires for it are present."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    unit = forms.ModelChoiceField(label=_("责任单位"), queryset=Unit.objects.none())
    planned_date = forms.DateField(label=_("计划完成日期"), widget=forms.DateInput(attrs={"type": "date"}))
    duplicate_of = forms.CharField(label=_("重复的案卷编号"), max_length=20)

    def __init__(self, data: Any = None, *, case: Case, action: str, user: User) -> None:
        super().__init__(data, initial={"expected_version": case.version}, label_suffix="", prefix=action)
        self.action = action
        self.label = machine.action_label(action)
        transition = machine.TABLE.get((case.state, action))
        self.requires = transition.requires if transition else frozenset()
        self.needs_photos = machine.PHOTOS in self.requires
        for name in ("reason", "unit", "planned_date", "duplicate_of"):
            if name not in self.requires:
                del self.fields[name]
        if "unit" in self.fields:
            field = cast(forms.ModelChoiceField, self.fields["unit"])
            field.queryset = Unit.objects.visible_to(user).filter(active=True).order_by("path")

    def add_service_errors(self, errors: dict[str, list[str]]) -> list[str]:
        """Put the service's field errors on the fields; return those without a field (e.g. photos)."""
        loose: list[str] = []
        for name, messages in errors.items():
            for message in messages:
                if name in self.fields:
                    self.add_error(name, message)
                else:
                    loose.append(message)
        return loose

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        kwargs: dict[str, Any] = {
            "reason": data.get("reason", ""),
            "unit": data.get("unit"),
            "planned_date": data.get("planned_date"),
            "expected_version": data["expected_version"],
        }
        if data.get("duplicate_of"):
            kwargs["data"] = {"duplicate_of": data["duplicate_of"].strip()}
        return kwargs
