"""The page where a unit head (his or her unit) or a coordinator (any unit in scope) chooses, per kind of
notice, whether the unit hears it at once or in the next morning's digest."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from chuangwen.accounts.models import Role, User
from chuangwen.core.bounds import parse_ids
from chuangwen.core.web import user_of
from chuangwen.notify import preferences
from chuangwen.notify.models import NoticeKind, NoticeMode
from chuangwen.org.models import Unit
from chuangwen.sites.forms import unit_choices


def field_name(kind: str) -> str:
    return kind.replace(".", "_")


class PreferenceForm(forms.Form):
    """One choice per kind of notice; an error is shown after the kind's name (form_errors.html)."""

    def __init__(self, data: Any = None, *, initial: dict[str, str]) -> None:
        super().__init__(data, initial={field_name(k): v for k, v in initial.items()}, label_suffix="")
        for kind, label in NoticeKind.choices:
            self.fields[field_name(kind)] = forms.ChoiceField(
                label=label,
                choices=NoticeMode.choices,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("请选择通知方式。"),
                    "invalid_choice": _("通知方式只能是“即时通知”或“并入每日汇总”。"),
                },
            )

    def modes(self) -> dict[str, str]:
        return {kind: self.cleaned_data[field_name(kind)] for kind in NoticeKind.values}


def unit_for(request: HttpRequest, user: User) -> Unit:
    """The unit whose preferences are shown: a coordinator may pick any unit in scope (?unit=), a unit
    head only his or her own."""
    wanted = parse_ids(request.POST.get("unit") or request.GET.get("unit") or "")
    try:
        unit = preferences.preference_unit(user, wanted[0] if wanted else None)
    except preferences.NotAllowed as exc:
        raise PermissionDenied(str(exc)) from None
    if unit is None:
        raise Http404
    return unit


@login_required
def notice_preferences(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    unit = unit_for(request, user)
    current = preferences.unit_modes(unit)
    form = PreferenceForm(request.POST or None, initial=current)
    if request.method == "POST":
        if form.is_valid():
            preferences.save_unit_modes(unit, form.modes(), user=user, request=request)
            messages.success(request, _("已保存%(unit)s的通知方式。") % {"unit": unit.name})
            return HttpResponseRedirect(f"{reverse('notify:preferences')}?unit={unit.pk}")
        status = 400
    else:
        status = 200
    # A coordinator picks the unit from those in scope; a unit head has only his or her own.
    units = unit_choices(Unit.objects.visible_to(user)) if user.role == Role.COORDINATOR else []
    context = {"form": form, "unit": unit, "units": units, "chosen": str(unit.pk)}
    return render(request, "notify/preferences.html", context, status=status)
