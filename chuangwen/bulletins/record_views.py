"""The pages of the commendation and accountability records and the unit dossier (单位档案).

Every read goes through the models' ``visible_to`` (a unit outside the viewer's subtree is a 404); every
write through ``records`` (only the keeping office's coordinators; a refusal is shown naming its field).
These are internal pages: a commended person's name shows here and in the dossier, never on public pages.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chuangwen.accounts.models import User
from chuangwen.bulletins import records, services
from chuangwen.bulletins.models import (
    AccountabilityTalk,
    Bulletin,
    Commendation,
    Recipient,
    TalkKind,
    TalkState,
)
from chuangwen.bulletins.views.common import member, refusal_text
from chuangwen.org.models import Unit
from chuangwen.rankings.models import Ranking, RankingRow

PAGE_SIZE = 50
DOSSIER_MONTHS_DAYS = 366
DATE_WIDGET = forms.DateInput(attrs={"type": "date"})
TEXT_WIDGET = forms.Textarea(attrs={"rows": 4})


# --- forms --------------------------------------------------------------------------------------------------


class _RecordForm(forms.Form):
    """The fields both records share: the unit (below the office), and optional links to a bulletin and a
    ranking of the office's."""

    unit = forms.ModelChoiceField(label=gettext_lazy("单位"), queryset=Unit.objects.none())
    bulletin = forms.ModelChoiceField(
        label=gettext_lazy("所在通报"), queryset=Bulletin.objects.none(), required=False
    )
    ranking = forms.ModelChoiceField(
        label=gettext_lazy("依据排名"), queryset=Ranking.objects.none(), required=False
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assert user.unit is not None
        units = Unit.objects.visible_to(user).exclude(pk=user.unit.pk).filter(active=True)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        bulletins = Bulletin.objects.visible_to(user).filter(owner_unit_id=user.unit_id)
        self.fields["bulletin"].queryset = bulletins  # type: ignore[attr-defined]
        rankings = Ranking.objects.filter(rows__unit__path__startswith=user.unit.path).distinct()
        self.fields["ranking"].queryset = rankings  # type: ignore[attr-defined]


class CommendationForm(_RecordForm):
    title = forms.CharField(label=gettext_lazy("表彰名称"), max_length=records.MAX_TITLE)
    reason = forms.CharField(
        label=gettext_lazy("表彰事由"), max_length=records.MAX_REASON, widget=TEXT_WIDGET
    )
    date = forms.DateField(label=gettext_lazy("表彰日期"), widget=DATE_WIDGET)
    person_name = forms.CharField(
        label=gettext_lazy("受表彰个人"),
        max_length=records.MAX_PERSON,
        required=False,
        help_text=gettext_lazy("选填。个人姓名只在内部档案中显示，不会出现在公开页面。"),
    )
    field_order = ["unit", "title", "reason", "date", "person_name", "bulletin", "ranking"]


class TalkForm(_RecordForm):
    kind = forms.ChoiceField(label=gettext_lazy("类型"), choices=TalkKind.choices)
    reason = forms.CharField(label=gettext_lazy("事由"), max_length=records.MAX_REASON, widget=TEXT_WIDGET)
    meeting_date = forms.DateField(label=gettext_lazy("约谈日期"), widget=DATE_WIDGET)
    follow_up_due = forms.DateField(label=gettext_lazy("整改跟踪期限"), widget=DATE_WIDGET)
    field_order = ["unit", "kind", "reason", "meeting_date", "follow_up_due", "bulletin", "ranking"]


class FollowUpForm(forms.Form):
    outcome = forms.CharField(
        label=gettext_lazy("整改结果"), max_length=records.MAX_OUTCOME, widget=TEXT_WIDGET
    )
    close = forms.BooleanField(label=gettext_lazy("整改到位，办结"), required=False)


# --- helpers ------------------------------------------------------------------------------------------------


def _writer(request: HttpRequest) -> User:
    """A coordinator of an office (403 for anyone else; the service checks the unit again)."""
    user = member(request)
    assert user.unit_id is not None
    if not records.may_write(user, user.unit_id):
        raise PermissionDenied(_("只有文明办协调员可以登记表彰和约谈"))
    return user


def _refuse_into(form: forms.Form, exc: services.Refused) -> None:
    if exc.field in form.fields:
        form.add_error(exc.field, exc.message)
    else:
        form.add_error(None, refusal_text(exc))


def _page(request: HttpRequest, queryset: Any) -> Any:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _may_write(user: User) -> bool:
    return user.unit_id is not None and records.may_write(user, user.unit_id)


# --- commendations ------------------------------------------------------------------------------------------


@login_required
def commendation_list(request: HttpRequest) -> HttpResponse:
    user = member(request)
    rows = Commendation.objects.visible_to(user).select_related("unit", "owner_unit", "bulletin")
    context = {"page": _page(request, rows), "may_write": _may_write(user)}
    return render(request, "bulletins/records/commendation_list.html", context)


@login_required
def commendation_new(request: HttpRequest) -> HttpResponse:
    user = _writer(request)
    initial = {"date": timezone.localdate()}
    form = CommendationForm(request.POST or None, user=user, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                assert user.unit is not None
                praise = records.commend(user.unit, user, **data)
            except services.Refused as exc:
                _refuse_into(form, exc)
            else:
                messages.success(request, _("已登记表彰“%(t)s”") % {"t": praise.title})
                return HttpResponseRedirect(reverse("bulletins:commendations"))
    context = {"form": form, "heading": _("登记表彰"), "back": reverse("bulletins:commendations")}
    return render(request, "bulletins/records/form.html", context, status=status)


# --- talks --------------------------------------------------------------------------------------------------


@login_required
def talk_list(request: HttpRequest) -> HttpResponse:
    user = member(request)
    rows = AccountabilityTalk.objects.visible_to(user).select_related("unit", "owner_unit")
    state = request.GET.get("state", "")
    if state in TalkState.values:
        rows = rows.filter(state=state)
    context = {
        "page": _page(request, rows),
        "may_write": _may_write(user),
        "states": TalkState.choices,
        "state": state,
        "today": timezone.localdate(),
    }
    return render(request, "bulletins/records/talk_list.html", context)


@login_required
def talk_new(request: HttpRequest) -> HttpResponse:
    user = _writer(request)
    today = timezone.localdate()
    initial = {"meeting_date": today, "follow_up_due": today + timedelta(days=30)}
    form = TalkForm(request.POST or None, user=user, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                assert user.unit is not None
                talk = records.schedule_talk(user.unit, user, **form.cleaned_data)
            except services.Refused as exc:
                _refuse_into(form, exc)
            else:
                messages.success(request, _("已登记%(k)s") % {"k": talk.get_kind_display()})
                return HttpResponseRedirect(reverse("bulletins:talk_detail", args=[talk.pk]))
    context = {"form": form, "heading": _("登记约谈或通报批评"), "back": reverse("bulletins:talks")}
    return render(request, "bulletins/records/form.html", context, status=status)


def _visible_talk(user: User, pk: int) -> AccountabilityTalk:
    queryset = AccountabilityTalk.objects.visible_to(user).select_related(
        "unit", "owner_unit", "bulletin", "ranking", "created_by"
    )
    return get_object_or_404(queryset, pk=pk)


@login_required
def talk_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = member(request)
    talk = _visible_talk(user, pk)
    may_follow = records.may_write(user, talk.owner_unit_id) and talk.state != TalkState.CLOSED
    form: FollowUpForm | None = FollowUpForm(initial={"outcome": talk.outcome}) if may_follow else None
    status = 200
    if request.method == "POST":
        if not records.may_write(user, talk.owner_unit_id):
            raise PermissionDenied(_("只有约谈机关文明办协调员可以跟踪整改"))
        form, status = FollowUpForm(request.POST), 400
        if form.is_valid():
            try:
                talk = records.follow_up(talk, user, **form.cleaned_data)
            except services.Refused as exc:
                _refuse_into(form, exc)
            else:
                messages.success(request, _("已记录整改跟踪情况"))
                return HttpResponseRedirect(reverse("bulletins:talk_detail", args=[talk.pk]))
    context = {"talk": talk, "form": form, "overdue": _overdue(talk)}
    return render(request, "bulletins/records/talk_detail.html", context, status=status)


def _overdue(talk: AccountabilityTalk) -> bool:
    return talk.state != TalkState.CLOSED and talk.follow_up_due < timezone.localdate()


# --- the unit dossier ---------------------------------------------------------------------------------------


@login_required
def unit_dossier(request: HttpRequest, unit_id: int) -> HttpResponse:
    """单位档案: everything the office keeps about one unit of the viewer's subtree."""
    user = member(request)
    unit = get_object_or_404(Unit.objects.visible_to(user), pk=unit_id)
    since = timezone.now() - timedelta(days=DOSSIER_MONTHS_DAYS)
    talks = list(AccountabilityTalk.objects.visible_to(user).filter(unit=unit).select_related("owner_unit"))
    received = (
        Recipient.objects.visible_to(user)
        .filter(unit=unit)
        .select_related("bulletin", "read_by")
        .order_by("-bulletin__issued_at")
    )
    ranks = (
        RankingRow.objects.filter(unit=unit, ranking__published_at__gte=since)
        .select_related("ranking")
        .order_by("-ranking__published_at")
    )
    context = {
        "unit": unit,
        "commendations": Commendation.objects.visible_to(user).filter(unit=unit).select_related("owner_unit"),
        "talks": [(talk, _overdue(talk)) for talk in talks],
        "received": [(r, services.reason_labels(r.reasons)) for r in received],
        "ranks": ranks,
    }
    return render(request, "bulletins/records/dossier.html", context)
