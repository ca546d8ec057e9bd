"""The page the check-in QR code opens on the volunteer's phone: ``/v/checkin/<activity>/?c=<code>``.

The page itself checks nothing: its script (``static/volunteers/checkin.js``) asks for the position and sends
the code, the position and a fresh request id to the API (``POST …/check-in`` or ``…/check-out``), where
``attendance.check_in``/``check_out`` apply the code, the time window and the geofence."""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from chuangwen.volunteers.models import Activity, SignUp, SignUpState
from chuangwen.volunteers.views.public import volunteer_of

CODE_RE = re.compile(r"^\d{1,16}$")


def js_strings() -> dict[str, str]:
    return {
        "locating": _("正在获取位置…"),
        "sending": _("正在提交…"),
        "denied": _("无法获取位置：请在手机设置中允许浏览器使用定位后重试"),
        "unsupported": _("此浏览器不支持定位，无法签到"),
        "no_code": _("没有签到码：请扫描组织者手机上的二维码"),
        "signed_in": _("签到成功"),
        "signed_out": _("签退成功"),
        "at": _("时间：%(time)s"),
        "distance": _("距活动地点约 %(m)s 米"),
        "minutes": _("实测服务时长 %(n)s 分钟，待组织方确认"),
        "failed": _("提交失败，请检查网络后重试"),
        "login": _("登录已失效，请重新登录后再扫码"),
    }


@never_cache
@login_required
@require_GET
def checkin(request: HttpRequest, activity_id: int) -> HttpResponse:
    volunteer = volunteer_of(request)
    activity = get_object_or_404(Activity.objects.select_related("team"), pk=activity_id)
    code = request.GET.get("c", "").strip()
    signup = SignUp.objects.filter(activity=activity, volunteer=volunteer).first()
    return render(
        request,
        "volunteers/public/checkin.html",
        {
            "activity": activity,
            "code": code if CODE_RE.match(code) else "",
            "signup": signup if signup is not None and signup.state == SignUpState.SIGNED else None,
            "check_in_url": reverse("api:volunteer_check_in", kwargs={"activity_id": activity.pk}),
            "check_out_url": reverse("api:volunteer_check_out", kwargs={"activity_id": activity.pk}),
            "js_strings": js_strings(),
        },
    )
