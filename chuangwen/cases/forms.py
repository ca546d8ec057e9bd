"""Forms of the case pages: the worklist filters (shared with the API and exports) and one form per action."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chuangwen.cases import machine
from chuangwen.cases.case_photos import VERIFY_ACTIONS
from chuangwen.cases.deadlines import light_counts, light_of, light_q, overdue_q
from chuangwen.cases.models import (
    OPEN_STATES,
    Case,
    CaseQuerySet,
    CaseSource,
    CaseState,
    Escalation,
    EscalationLevel,
)
from chuangwen.core.bounds import ID_MAX, BoundedDateField, parse_ids
from chuangwen.evidence.models import EvidenceKind
from chuangwen.org.models import Unit
from chuangwen.sites.forms import unit_choices
from chuangwen.workdays.services import GREEN, RED, YELLOW, end_of_day

if TYPE_CHECKING:
    from chuangwen.accounts.models import User

# Importable from here for the views and the API.
__all__ = ["ActionForm", "CaseFilterForm", "light_counts", "light_of", "overdue_q", "state_counts"]

# The fix itself comes first on the case page (on a phone the forms stack): then the verification, the rest.
MAIN_ACTIONS = ("rectify", "verify_pass", "verify_fail", "reverify_pass", "reverify_fail", "accept")

LIGHT_CHOICES = [(GREEN, _("绿灯（正常）")), (YELLOW, _("黄灯（临期）")), (RED, _("红灯（超期）"))]
LIGHT_LABELS = {GREEN: _("绿灯"), YELLOW: _("黄灯"), RED: _("红灯"), "": _("无期限")}
# What awaits a decision on a case (the home page's to-do counts link here with ?pending=…).
PENDING_CHOICES = [
    ("return", _("退回申请待审批")),
    ("extension", _("延期申请待审批")),
    ("reverify", _("待抽查复核")),
    ("escalated", _("已报领导督办")),
]


def pending_q(kind: str) -> Q:
    """The cases awaiting the decision ``kind``, in SQL (open ones only, except re-verification picks)."""
    open_ = Q(state__in=sorted(OPEN_STATES))
    if kind == "return":
        return open_ & Q(return_requested=True)
    if kind == "extension":
        return open_ & Q(extension_requested_until__isnull=False)
    if kind == "reverify":
        return Q(state=CaseState.CLOSED, reverify_pending=True)
    if kind == "escalated":
        # Reported to the leaders for the deadline the case runs on now (a new deadline starts over).
        sent = Escalation.objects.filter(
            case=OuterRef("pk"), level=EscalationLevel.LEADER, deadline=OuterRef("deadline")
        )
        return open_ & Q(Exists(sent)) & ~Q(state=CaseState.SUSPENDED) & Q(deadline__isnull=False)
    raise ValueError(kind)


def state_counts(cases: CaseQuerySet) -> dict[str, int]:
    rows = cases.order_by().values("state").annotate(n=Count("pk")).values_list("state", "n")
    found = dict(rows)
    return {state: found.get(state, 0) for state in CaseState.values}


class UnitFilterField(forms.ChoiceField):
    """The viewer's units as a select. Its choices are read only when the select is drawn; a given value is
    checked with one query, so the API's list (no select drawn) never loads the whole unit tree."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.units = Unit.objects.none()

    def valid_value(self, value: Any) -> bool:
        ids = parse_ids(str(value)) if "," not in str(value) else []
        return bool(ids) and self.units.filter(pk=ids[0]).exists()


class CaseFilterForm(forms.Form):
    q = forms.CharField(label=_("编号/标题/点位"), required=False, max_length=100)
    state = forms.ChoiceField(label=_("状态"), required=False)
    source = forms.ChoiceField(label=_("来源"), required=False)
    unit = UnitFilterField(label=_("责任单位"), required=False)
    light = forms.ChoiceField(label=_("红黄绿灯"), required=False)
    overdue = forms.BooleanField(label=_("只看超期"), required=False)
    pending = forms.ChoiceField(label=_("待决事项"), required=False)

    def __init__(self, data: Any = None, *, user: User) -> None:
        super().__init__(data, label_suffix="")
        self.user = user
        any_choice = ("", _("全部"))
        self.choice_field("state").choices = [any_choice, *CaseState.choices]
        self.choice_field("source").choices = [any_choice, *CaseSource.choices]
        unit_field = cast(UnitFilterField, self.fields["unit"])
        unit_field.units = Unit.objects.visible_to(user)
        unit_field.choices = lambda: [any_choice, *unit_choices(Unit.objects.visible_to(user))]
        self.choice_field("light").choices = [any_choice, *LIGHT_CHOICES]
        self.choice_field("pending").choices = [any_choice, *PENDING_CHOICES]

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
        if data.get("overdue"):
            cases = cases.filter(light_q(RED, now))
        if data.get("light"):
            cases = cases.filter(light_q(data["light"], now))
        if data.get("pending"):
            cases = cases.filter(pending_q(data["pending"]))
        return cases


class ActionForm(forms.Form):
    """What one action needs; only the fields the table requires for it are present."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=ID_MAX)
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    unit = forms.ModelChoiceField(label=_("责任单位"), queryset=Unit.objects.none())
    planned_date = BoundedDateField(label=_("计划完成日期"), widget=forms.DateInput(attrs={"type": "date"}))
    duplicate_of = forms.CharField(label=_("重复的案卷编号"), max_length=20)
    deadline = BoundedDateField(label=_("申请延期至"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, data: Any = None, *, case: Case, action: str, user: User) -> None:
        super().__init__(data, initial={"expected_version": case.version}, label_suffix="", prefix=action)
        self.action = action
        self.label = machine.action_label(action)
        transition = machine.TABLE.get((case.state, action))
        self.requires = transition.requires if transition else frozenset()
        self.needs_photos = machine.PHOTOS in self.requires
        # A verifier may attach photos of the revisit (核查照片) when passing or failing a fix.
        self.allows_photos = self.needs_photos or action in VERIFY_ACTIONS
        self.photo_kind = (
            EvidenceKind.VERIFICATION if action in VERIFY_ACTIONS else EvidenceKind.RECTIFICATION
        )
        self.photo_label = _("核查照片") if action in VERIFY_ACTIONS else _("整改照片")
        for name in ("reason", "unit", "planned_date", "duplicate_of", "deadline"):
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
            "deadline": end_of_day(data["deadline"]) if data.get("deadline") else None,
        }
        if data.get("duplicate_of"):
            kwargs["data"] = {"duplicate_of": data["duplicate_of"].strip()}
        return kwargs
