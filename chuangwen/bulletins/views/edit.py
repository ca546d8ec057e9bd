"""Editing a draft: title, addressees, sections and their order, the wording blocks and the typical problems,
saved together (a refusal of any part changes nothing); and 按最新数据刷新."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chuangwen.accounts.models import User
from chuangwen.bulletins import services
from chuangwen.bulletins.machine import EDITABLE
from chuangwen.bulletins.models import Bulletin, TypicalProblem
from chuangwen.bulletins.views.common import office_bulletin, posted_version, refusal_text
from chuangwen.bulletins.views.forms import read_sections, read_wording, section_rows, wording_rows
from chuangwen.core.web import user_of

MAX_CAPTION = 300


def _candidates(bulletin: Bulletin, posted: dict[int, str] | None) -> list[dict[str, Any]]:
    """The findings one may pick, with whether each is picked and its caption (as posted, or as saved)."""
    saved = {t.finding_id: t.caption for t in TypicalProblem.objects.filter(bulletin=bulletin)}
    picks = saved if posted is None else posted
    return [
        {"finding": finding, "on": finding.pk in picks, "caption": picks.get(finding.pk, "")}
        for finding in services.candidate_findings(bulletin)
    ]


def _read_picks(request: HttpRequest, bulletin: Bulletin) -> dict[int, str]:
    """Finding id → caption of the checked candidates, in the candidates' order."""
    checked = set(request.POST.getlist("typical"))
    return {
        finding.pk: request.POST.get(f"caption_{finding.pk}", "")[: MAX_CAPTION + 1]
        for finding in services.candidate_findings(bulletin)
        if str(finding.pk) in checked
    }


def _save(bulletin: Bulletin, user: User, request: HttpRequest, picks: dict[int, str]) -> Bulletin:
    """Everything or nothing: the edit and the typical problems in one transaction."""
    sections = read_sections(request.POST)
    if isinstance(sections, str):
        raise services.Refused("invalid", sections, "sections")
    with transaction.atomic():
        saved = services.edit(
            bulletin, user, version=posted_version(request), title=request.POST.get("title", ""),
            addressees=request.POST.get("addressees", ""), sections=sections,
            wording=read_wording(request.POST),
        )  # fmt: skip
        return services.set_typical(saved, user, list(picks.items()), version=saved.version)


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = office_bulletin(request, pk)
    user = user_of(request)
    if bulletin.state not in EDITABLE:
        messages.error(request, _("只有起草中的通报可以修改"))
        return HttpResponseRedirect(reverse("bulletins:detail", args=[bulletin.pk]))
    error, status, posted = "", 200, None
    if request.method == "POST":
        posted = _read_picks(request, bulletin)
        try:
            _save(bulletin, user, request, posted)
        except services.Refused as exc:
            error, status = refusal_text(exc), 400
        else:
            messages.success(request, _("通报已保存"))
            return HttpResponseRedirect(reverse("bulletins:detail", args=[bulletin.pk]))
    shown = bulletin
    if posted is not None:  # show what was typed, not what is stored, beside the error
        shown = Bulletin(
            pk=bulletin.pk, title=request.POST.get("title", ""),
            addressees=request.POST.get("addressees", ""), version=bulletin.version,
            wording={**bulletin.wording, **read_wording(request.POST)},
        )  # fmt: skip
        chosen = read_sections(request.POST)
        shown.sections = chosen if isinstance(chosen, list) else bulletin.sections
    context = {
        "bulletin": bulletin,
        "shown": shown,
        "error": error,
        "section_rows": section_rows(shown.sections),
        "wording_rows": wording_rows(shown.wording),
        "candidates": _candidates(bulletin, posted),
        "typical_count": bulletin.template.typical_count,
    }
    return render(request, "bulletins/edit.html", context, status=status)


@login_required
@require_POST
def refresh(request: HttpRequest, pk: int) -> HttpResponse:
    """按最新数据刷新: the draft's numbers rebuilt from the records as they stand now."""
    bulletin = office_bulletin(request, pk)
    try:
        services.refresh(bulletin, user_of(request), version=posted_version(request))
    except services.Refused as exc:
        messages.error(request, refusal_text(exc))
    else:
        messages.success(request, _("已按最新数据刷新"))
    return HttpResponseRedirect(reverse("bulletins:edit", args=[bulletin.pk]))
