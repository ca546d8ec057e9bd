"""Editing and deleting a draft round (only drafts; both audited in rounds/drafts.py)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chuangwen.core.bounds import parse_ids
from chuangwen.core.web import user_of
from chuangwen.rounds import drafts, services
from chuangwen.rounds.forms import RoundForm
from chuangwen.rounds.models import RoundStatus
from chuangwen.rounds.views import _refused, confirm_page, confirmed, managed_round
from chuangwen.standards.models import Standard


@login_required
def round_edit(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = managed_round(request, pk)
    if round_.status != RoundStatus.DRAFT:
        return _refused(request, round_, services.RoundError(_("只有草稿状态的批次可以编辑。")))
    user = user_of(request)
    chosen = parse_ids(request.POST.get("standard") or request.GET.get("standard") or "")
    standard = Standard.objects.filter(pk=chosen[0]).first() if chosen else None
    standard = standard or round_.standard
    initial = drafts.initial_data(round_)
    initial["standard"] = standard.pk
    form = RoundForm(request.POST or None, initial=initial, user=user, standard=standard)
    if request.method == "POST" and form.is_valid():
        try:
            drafts.update_round(round_, form.service_data(), user)
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        except services.RoundError as exc:
            return _refused(request, round_, exc)
        else:
            messages.success(request, _("已保存草稿“%(name)s”。") % {"name": round_.name})
            return HttpResponseRedirect(reverse("rounds:detail", args=[round_.pk]))
    context = {
        "form": form,
        "standards": Standard.objects.order_by("code", "-version"),
        "standard": standard,
        "round": round_,
        "picker_url": reverse("rounds:edit", args=[round_.pk]),
    }
    return render(request, "rounds/form.html", context)


@login_required
@require_POST
def round_delete(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = managed_round(request, pk)
    if round_.status != RoundStatus.DRAFT:
        return _refused(request, round_, services.RoundError(_("只有草稿状态的批次可以删除。")))
    if not confirmed(request):
        return confirm_page(request, round_, "delete")
    name = round_.name
    try:
        drafts.delete_round(round_, user_of(request))
    except services.RoundError as exc:
        return _refused(request, round_, exc)
    messages.success(request, _("已删除草稿“%(name)s”。") % {"name": name})
    return HttpResponseRedirect(reverse("rounds:list"))
