"""The phone-interview (CATI, 电话访问) script page of a wave: the opening script the interviewer reads
(greeting, purpose, the 18–65 and half-a-year checks), the respondent's community, age band, sex and phone
number (kept only as a keyed hash), the questionnaire (runner.js) and the closing words. The answers go as
JSON to ``waves/<id>/phone/submit`` → ``services.submit(…, "phone", interviewer=user)``; the page then resets
for the next call and shows how many phone interviews the interviewer has done today.

For the wave's interviewers, supervisors and the coordinators of its office (``services.may_interview``):
403 for anyone else who sees the wave, 404 outside ``Wave.objects.visible_to``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from chuangwen.accounts.models import User
from chuangwen.core.web import user_of
from chuangwen.surveys.definition import definition, public_definition
from chuangwen.surveys.models import Mode, QuotaCell, Response, Stratum, Wave
from chuangwen.surveys.services import Invalid, Refused, may_interview, submit
from chuangwen.surveys.views import intake
from chuangwen.surveys.views.waves import wave_nav


def _wave(request: HttpRequest, wave_id: int) -> Wave:
    user = user_of(request)
    queryset = Wave.objects.visible_to(user).select_related("questionnaire", "owner_unit")
    wave = get_object_or_404(queryset, pk=wave_id)
    if not may_interview(wave, user):
        raise PermissionDenied(_("只有本轮调查的调查员、督导和组织单位的协调员可以做电话访问。"))
    return wave


def unavailable(wave: Wave) -> Refused | None:
    """Why the wave takes no phone interviews now, or None while it does."""
    if Mode.PHONE not in wave.modes:
        return Refused("mode", _("本轮调查不接受电话访问。"))
    today = timezone.localdate()
    if not wave.is_fielding or not wave.starts_on <= today <= wave.ends_on:
        return Refused(
            "closed",
            _("本轮调查未在进行中（调查期 %(a)s 至 %(b)s），不能做电话访问。")
            % {"a": wave.starts_on, "b": wave.ends_on},
        )
    return None


def done_today(wave: Wave, user: User) -> int:
    """Phone interviews this interviewer submitted to the wave today (whatever became of them in review)."""
    return Response.objects.filter(
        wave=wave, interviewer=user, mode=Mode.PHONE, received_at__date=timezone.localdate()
    ).count()


def _strata(wave: Wave) -> list[Stratum]:
    cells = Prefetch("cells", queryset=QuotaCell.objects.order_by("age_band", "sex"))
    return list(wave.strata.select_related("unit").prefetch_related(cells))


def _strings() -> dict[str, Any]:
    return {
        "runner": intake.runner_messages(),
        "labels": intake.group_labels(),
        "cell_full": _("%(unit)s %(group)s的配额已满：请向受访者致谢并礼貌结束访问，不要继续提问。"),
        "stratum_full": _("%(unit)s 的样本已满：请向受访者致谢并礼貌结束访问。"),
        "stratum": _("请选择受访者所在的社区"),
        "age_band": _("请选择受访者年龄段（18–65 岁）"),
        "sex": _("请选择受访者性别"),
        "resident": _("受访者须在本地居住满半年，不符合条件的不能作为样本"),
        "phone": _("手机号格式不正确，应为 11 位手机号码"),
        "phone_needed": _("电话访问须记录受访者手机号（只保存不可逆的哈希）"),
        "check": _("还有内容没有填写或填写有误，请查看标红的提示。"),
        "saved": _("本次访问已提交。可以开始下一个电话访问。"),
        "sending": _("正在提交…"),
        "submit": _("提交本次访问"),
        "network": _("网络异常，本次访问还没有提交成功。请检查网络后再次点击“提交本次访问”，不会重复提交。"),
        "expired": _("页面已过期，请刷新页面后重新提交。"),
        "login": _("登录已失效：请在新标签页重新登录后，回到本页再次提交（已填内容仍保留）。"),
        "server": _("服务器暂时无法处理，请稍后再次点击“提交本次访问”，不会重复提交。"),
    }


@never_cache
@login_required
@require_GET
def cati(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = _wave(request, wave_id)
    user = user_of(request)
    reason = unavailable(wave)
    context: dict[str, Any] = {
        "wave": wave,
        "reason": reason.message if reason else "",
        "done_today": done_today(wave, user),
        "wave_nav": wave_nav(wave, user, "cati"),
    }
    if reason is None:
        full = public_definition(definition(wave.questionnaire))
        strata = _strata(wave)
        open_by_stratum = {s.pk: intake.open_cells(s) for s in strata}
        context.update(
            {
                "intro": full["intro"],
                "definition": full,
                "strata": [{"stratum": s, "full": not open_by_stratum[s.pk]} for s in strata],
                "choices": intake.screening_choices(),
                "config": {
                    "wave": wave.pk,
                    "submit_url": reverse("surveys:cati_submit", args=[wave.pk]),
                    "server_now": intake.server_now(),
                    "strata": {
                        str(s.pk): {"name": s.unit.name, "open": open_by_stratum[s.pk]} for s in strata
                    },
                },
                "strings": _strings(),
            }
        )
    return render(request, "surveys/cati.html", context)


@require_POST
def cati_submit(request: HttpRequest, wave_id: int) -> JsonResponse:
    if not request.user.is_authenticated:
        return JsonResponse({"detail": _("登录已失效，请重新登录后再提交")}, status=401)
    try:
        wave = _wave(request, wave_id)
    except PermissionDenied as exc:
        return JsonResponse({"detail": str(exc)}, status=403)
    user = user_of(request)
    try:
        body = intake.read_body(request)
    except intake.BadBody as exc:
        return intake.bad_body(exc)
    client_id = intake.client_id_of(body)
    if client_id is None:
        return intake.invalid({"client_id": [_("客户端编号应为 UUID")]})
    previous = Response.objects.filter(wave=wave, client_id=client_id).first()
    if previous is not None:  # a resend after a lost answer: the stored result
        return intake.stored(previous, created=False, done_today=done_today(wave, user))
    reason = unavailable(wave)
    if reason is not None:
        return intake.refused(reason)
    try:
        sub = intake.submission_from(body, body.get("stratum"))
        response, created = submit(wave, sub, Mode.PHONE, interviewer=user)
    except Invalid as exc:
        return intake.invalid(exc.errors)
    except Refused as exc:
        stratum = _strata_of(wave, body.get("stratum"))
        extra = {"open_cells": intake.open_cells(stratum)} if stratum is not None else {}
        return intake.refused(exc, **extra)
    return intake.stored(response, created, done_today=done_today(wave, user))


def _strata_of(wave: Wave, stratum_id: Any) -> Stratum | None:
    try:
        pk = int(stratum_id)
    except (TypeError, ValueError):
        return None
    return wave.strata.prefetch_related("cells").filter(pk=pk).first()


urlpatterns = [
    path("waves/<int:wave_id>/phone/", cati, name="cati"),
    path("waves/<int:wave_id>/phone/submit", cati_submit, name="cati_submit"),
]
