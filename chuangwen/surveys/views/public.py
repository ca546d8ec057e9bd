"""The self-completion pages under /q/ (问卷自填: no account, phone first, nothing personal shown back).

- ``/q/<token>/`` the questionnaire of one stratum's public link (the link or its QR code on a poster): the
  community, the screening questions (age band, sex, half a year's residence) — a respondent whose age × sex
  cell is full is told so before answering —, the questionnaire (runner.js), an optional phone number;
- ``/q/<token>/submit`` takes the answers (JSON) through ``services.submit`` in mode "self", behind the
  limits of ``surveys.limits`` and, beyond their threshold, the image captcha of the citizen reports;
- ``/q/<token>/qr.svg`` the QR code of the link, for posters.
"""

from __future__ import annotations

import io
from typing import Any

import segno
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from chuangwen.audit.services import client_address
from chuangwen.reports import captcha
from chuangwen.reports.limits import RateLimited, device_id, remember_device, take
from chuangwen.surveys import limits
from chuangwen.surveys.definition import definition, public_definition
from chuangwen.surveys.models import Mode, QuotaCell, Response, Stratum, Wave, WaveState
from chuangwen.surveys.services import PHONE_RE, Invalid, Refused, normalise_phone, submit
from chuangwen.surveys.views import intake

# Fields shown next to their input on the page; any other error goes in the box above the submit button.
SCREENING_FIELDS = ("age_band", "sex", "resident", "phone", "captcha")


def _stratum(token: str) -> Stratum:
    queryset = Stratum.objects.select_related("wave__questionnaire", "unit").prefetch_related(
        Prefetch("cells", queryset=QuotaCell.objects.order_by("age_band", "sex"))
    )
    return get_object_or_404(queryset, token=token)


def unavailable(wave: Wave) -> Refused | None:
    """Why the link takes no answers today (``code`` closed or mode, the words for the respondent), or None
    while it does."""
    today = timezone.localdate()
    if wave.state == WaveState.DRAFT or (wave.is_fielding and today < wave.starts_on):
        starts = date_format(wave.starts_on, "Y年n月j日")
        return Refused("closed", _("本轮调查将于 %(date)s 开始，欢迎届时参与。") % {"date": starts})
    if not wave.is_fielding or today > wave.ends_on:
        return Refused("closed", _("本轮调查已经结束，感谢您的关注。"))
    if Mode.SELF not in wave.modes:
        return Refused("mode", _("本轮调查不接受扫码自填，感谢您的关注。"))
    return None


def _strings() -> dict[str, Any]:
    return {
        "runner": intake.runner_messages(),
        "labels": intake.group_labels(),
        "cell_full": _("感谢您的关注！本社区 %(group)s居民的问卷名额已经收满，您本次无需填写。"),
        "all_full": _("感谢您的关注！本社区本轮调查的问卷名额已经收满，您无需再填写。"),
        "screening": _("请先选择年龄段和性别，并确认在本地居住满半年，然后开始答题。"),
        "check": _("还有题目没有答完或填写有误，请查看标红的提示。"),
        "phone": _("手机号格式不正确，应为 11 位手机号码"),
        "phone_needed": _("此浏览器未开启 Cookie，请填写手机号（只用于防止重复作答，不保存号码）"),
        "sending": _("正在提交…"),
        "submit": _("提交问卷"),
        "network": _("网络异常，问卷还没有提交成功。请检查网络后再次点击“提交问卷”，不会重复提交。"),
        "expired": _("页面已过期，请刷新页面后重新提交。"),
        "server": _("服务器暂时无法处理，请稍后再次点击“提交问卷”，不会重复提交。"),
    }


@never_cache
@remember_device
@require_GET
def start(request: HttpRequest, token: str) -> HttpResponse:
    stratum = _stratum(token)
    wave = stratum.wave
    full = public_definition(definition(wave.questionnaire))
    context: dict[str, Any] = {
        "stratum": stratum,
        "wave": wave,
        "title": full["title"],
        "intro": full["intro"],
    }
    reason = unavailable(wave)
    if reason is not None:
        return render(request, "surveys/public_closed.html", {**context, "reason": reason.message})
    cells = intake.open_cells(stratum)
    needs_captcha = limits.captcha_required(client_address(request))
    context.update(
        {
            "definition": full,
            "stratum_full": not cells,
            "captcha_image": captcha.new_challenge(request.session) if needs_captcha and cells else "",
            "choices": intake.screening_choices(),
            "config": {
                "token": stratum.token,
                "submit_url": reverse("survey_public:submit", args=[stratum.token]),
                "server_now": intake.server_now(),
                "open_cells": cells,
            },
            "strings": _strings(),
        }
    )
    return render(request, "surveys/public_start.html", context)


def _answered_detail(exc: Refused, phone: str) -> str:
    if exc.code == "answered" and not phone:
        return _(
            "这台手机（浏览器）已经提交过本轮问卷。如果您与家人共用一台手机，请填写您本人的手机号后再提交。"
        )
    return exc.message


@remember_device
@require_POST
def submit_view(request: HttpRequest, token: str) -> JsonResponse:
    # Without the cells: only a refusal lists them, and it reads them afresh.
    stratum = get_object_or_404(Stratum.objects.select_related("wave__questionnaire", "unit"), token=token)
    wave = stratum.wave
    try:
        body = intake.read_body(request)
    except intake.BadBody as exc:
        return intake.bad_body(exc)
    client_id = intake.client_id_of(body)
    if client_id is None:
        return intake.invalid({"client_id": [_("客户端编号应为 UUID")]})
    previous = Response.objects.filter(wave=wave, client_id=client_id).first()
    if previous is not None:  # a resend after a lost answer: the stored result, nothing counted again
        return intake.stored(previous, created=False)
    reason = unavailable(wave)
    if reason is not None:
        return intake.refused(reason)
    ip = client_address(request)
    if limits.captcha_required(ip) and not captcha.verify(request.session, str(body.get("captcha") or "")):
        return intake.invalid(
            {"captcha": [_("验证码不正确或已失效，请输入新的验证码")]},
            captcha=captcha.new_challenge(request.session),
        )
    device = device_id(request) or ""
    phone = body.get("phone") if isinstance(body.get("phone"), str) else ""
    phone = normalise_phone(phone or "")
    try:
        counted = take(limits.survey_limits(ip, device, phone if PHONE_RE.match(phone) else ""))
    except RateLimited as exc:
        return intake.limited(exc)
    # A captcha is good for one request: from the threshold on, every answer brings the next one.
    more = counted.get("address", 0) >= limits.CAPTCHA_AFTER
    extra = {"captcha": captcha.new_challenge(request.session)} if more else {}
    try:
        sub = intake.submission_from(body, stratum.pk, device=device)
        response, created = submit(wave, sub, Mode.SELF)
    except Invalid as exc:
        return intake.invalid(exc.errors, **extra)
    except Refused as exc:
        stratum = _stratum(token)
        detail = Refused(exc.code, _answered_detail(exc, phone))
        return intake.refused(detail, open_cells=intake.open_cells(stratum), **extra)
    return intake.stored(response, created)


@require_GET
def qr(request: HttpRequest, token: str) -> HttpResponse:
    """The QR code (SVG) of the stratum's link, for posters and leaflets."""
    stratum = get_object_or_404(Stratum, token=token)
    url = request.build_absolute_uri(reverse("survey_public:start", args=[stratum.token]))
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=4, border=2, title=_("问卷调查二维码"))
    response = HttpResponse(out.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=86400"
    return response


urlpatterns = [
    path("<str:token>/", start, name="start"),
    path("<str:token>/submit", submit_view, name="submit"),
    path("<str:token>/qr.svg", qr, name="qr"),
]
