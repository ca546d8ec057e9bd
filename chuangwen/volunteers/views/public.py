"""The volunteer's phone pages under /v/: self-registration, the activities with sign-up, and the volunteer's
own page with the export of the own record and leaving (docs/volunteers.md).

The rules are ``services``'; these views only read the form, call them and show a refusal next to its field.
The ID number typed into the registration form is never written back into a page."""

from __future__ import annotations

import time
from datetime import datetime
from itertools import groupby
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chuangwen.accounts.middleware import SESSION_SEEN, SESSION_STARTED
from chuangwen.audit.services import client_address, record
from chuangwen.core.bounds import parse_ids
from chuangwen.core.web import user_of
from chuangwen.core.xlsx import XLSX_CONTENT_TYPE, write_table
from chuangwen.org.models import Unit, UnitKind
from chuangwen.reports import limits
from chuangwen.reports.masking import mask_phone
from chuangwen.volunteers import services
from chuangwen.volunteers.models import (
    Activity,
    ActivityState,
    Certificate,
    HoursState,
    SignUp,
    SignUpState,
    Volunteer,
)

# The skills and times a volunteer may tick when registering (stored as the Chinese words themselves).
SKILLS = (
    ("文明劝导", gettext_lazy("文明劝导")),
    ("交通引导", gettext_lazy("交通引导")),
    ("环境整治", gettext_lazy("环境整治")),
    ("医疗急救", gettext_lazy("医疗急救")),
    ("法律咨询", gettext_lazy("法律咨询")),
    ("心理疏导", gettext_lazy("心理疏导")),
    ("助老助残", gettext_lazy("助老助残")),
    ("文艺宣传", gettext_lazy("文艺宣传")),
    ("信息技术", gettext_lazy("信息技术")),
    ("外语翻译", gettext_lazy("外语翻译")),
)
AVAILABILITY = (
    ("工作日白天", gettext_lazy("工作日白天")),
    ("工作日晚上", gettext_lazy("工作日晚上")),
    ("周末", gettext_lazy("周末")),
    ("节假日", gettext_lazy("节假日")),
)
REGISTER_FIELDS = ("name", "phone", "id_number", "unit", "skills", "availability", "password", "password2")
LIST_MAX = 200


def masked_id(last4: str) -> str:
    """The ID number as a volunteer sees it: fourteen stars and the last four characters."""
    return "*" * 14 + last4 if last4 else ""


def communities_by_street() -> list[tuple[str, list[Unit]]]:
    """Active communities grouped under their streets (for the registration's select)."""
    rows = (
        Unit.objects.filter(kind=UnitKind.COMMUNITY, active=True)
        .select_related("parent")
        .order_by("path", "code")
    )
    return [
        (street, list(units))
        for street, units in groupby(rows, key=lambda u: u.parent.name if u.parent is not None else "")
    ]


def streets() -> list[Unit]:
    return list(Unit.objects.filter(kind=UnitKind.STREET, active=True).order_by("path", "code"))


def register_limit(ip: str) -> limits.Limit:
    message = _("注册过于频繁：同一网络 %(window)s内最多注册 %(n)d 次，请于 %(when)s 后再试")
    key = f"volunteer-register:address:{limits.keyed_hash('address', ip)}"
    # Registrations per sender address and window (counted like citizen reports, refused attempts included).
    limit, window = settings.VOLUNTEER_REGISTER_ADDRESS_LIMIT, settings.VOLUNTEER_WINDOW_SECONDS
    return limits.Limit("address", key, max(1, limit), max(1, window), message)


def volunteer_of(request: HttpRequest) -> Volunteer:
    """The signed-in user's volunteer record (403 for an account that is not a volunteer's)."""
    volunteer = (
        Volunteer.objects.filter(user=user_of(request), left_at__isnull=True).select_related("unit").first()
    )
    if volunteer is None:
        raise PermissionDenied(_("您的账号不是志愿者账号。"))
    return volunteer


def start_session(request: HttpRequest, user: Any) -> None:
    """Log the new volunteer in as the login page does (a new session key, the timeout clocks started)."""
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    now = time.time()
    request.session[SESSION_STARTED] = now
    request.session[SESSION_SEEN] = now


def _register_context(values: dict[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors,
        "other_errors": [m for key, found in errors.items() if key not in REGISTER_FIELDS for m in found],
        "groups": communities_by_street(),
        "skills": SKILLS,
        "availability": AVAILABILITY,
    }


@sensitive_post_parameters("id_number", "password", "password2")
@never_cache
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "volunteers/public/register.html", _register_context({}, {}))
    post = request.POST
    # What is shown again after a refusal: never the ID number nor the passwords.
    values: dict[str, Any] = {
        "name": post.get("name", "")[:100],
        "phone": post.get("phone", "")[:20],
        "unit": post.get("unit", ""),
        "skills": post.getlist("skills")[:50],
        "availability": post.getlist("availability")[:50],
    }
    errors: dict[str, list[str]] = {}
    ip = client_address(request)
    status = 400
    try:
        if ip:
            limits.take([register_limit(ip)])
    except limits.RateLimited as exc:
        errors["limit"] = [exc.message]
        status = 429
    else:
        unit_ids = parse_ids(values["unit"])
        password = post.get("password", "")
        if password != post.get("password2", ""):
            errors["password2"] = [_("两次输入的密码不一致")]
        else:
            try:
                volunteer = services.register(
                    services.Registration(
                        name=values["name"],
                        phone=values["phone"],
                        id_number=post.get("id_number", "")[:40],
                        unit_id=unit_ids[0] if unit_ids else 0,
                        password=password,
                        skills=[s for s in values["skills"] if s in dict(SKILLS)],
                        availability=[a for a in values["availability"] if a in dict(AVAILABILITY)],
                    )
                )
            except services.Refused as exc:
                errors[exc.field or "form"] = [exc.message]
            else:
                assert volunteer.user is not None
                start_session(request, volunteer.user)
                messages.success(
                    request, _("注册成功，您的志愿者编号为 %(number)s") % {"number": volunteer.number}
                )
                return redirect("volunteer_public:me")
    response = render(
        request, "volunteers/public/register.html", _register_context(values, errors), status=status
    )
    if status == 429:
        response["Retry-After"] = str(settings.VOLUNTEER_WINDOW_SECONDS)
    return response


# --- activities ---------------------------------------------------------------------------------------------


def _places(activity: Activity) -> tuple[int, int]:
    signed = activity.signups.filter(state=SignUpState.SIGNED).count()
    waiting = activity.signups.filter(state=SignUpState.WAITING).count()
    return max(0, activity.places - signed), waiting


@require_GET
def activity_list(request: HttpRequest) -> HttpResponse:
    from chuangwen.volunteers.api.activities import upcoming

    rows = upcoming(timezone.now())
    chosen = parse_ids(request.GET.get("street", ""))[:1]
    street = Unit.objects.filter(pk=chosen[0], kind=UnitKind.STREET).first() if chosen else None
    if street is not None:
        rows = rows.filter(team__unit__path__startswith=street.path)
    items = [
        {"activity": a, "places_left": max(0, a.places - a.signed_count), "waiting": a.waiting_count}
        for a in rows[:LIST_MAX]
    ]
    return render(
        request,
        "volunteers/public/activity_list.html",
        {"items": items, "streets": streets(), "street": street},
    )


def _own_signup(request: HttpRequest, activity: Activity) -> tuple[Volunteer | None, SignUp | None]:
    if not request.user.is_authenticated:
        return None, None
    volunteer = Volunteer.objects.filter(user=user_of(request), left_at__isnull=True).first()
    if volunteer is None:
        return None, None
    return volunteer, SignUp.objects.filter(activity=activity, volunteer=volunteer).first()


@require_GET
def activity_detail(request: HttpRequest, activity_id: int) -> HttpResponse:
    activity = get_object_or_404(Activity.objects.select_related("team", "team__unit"), pk=activity_id)
    places_left, waiting = _places(activity)
    volunteer, signup = _own_signup(request, activity)
    now = timezone.now()
    live = signup is not None and signup.state != SignUpState.CANCELLED
    open_for_signup = activity.state == ActivityState.PUBLISHED and now < activity.starts_at
    return render(
        request,
        "volunteers/public/activity_detail.html",
        {
            "activity": activity,
            "places_left": places_left,
            "waiting": waiting,
            "volunteer": volunteer,
            "signup": signup if live else None,
            "may_sign_up": volunteer is not None and open_for_signup and not live,
            "may_cancel": live and activity.state == ActivityState.PUBLISHED and now < activity.starts_at,
            "open_for_signup": open_for_signup,
            "login_url": f"{reverse('accounts:login')}?{urlencode({'next': request.path})}",
        },
    )


@login_required
@require_POST
def activity_sign_up(request: HttpRequest, activity_id: int) -> HttpResponse:
    volunteer = volunteer_of(request)
    activity = get_object_or_404(Activity, pk=activity_id)
    try:
        signup = services.sign_up(activity, volunteer)
    except services.Refused as exc:
        messages.error(request, exc.message)
    else:
        if signup.state == SignUpState.SIGNED:
            messages.success(request, _("报名成功"))
        else:
            messages.warning(request, _("名额已满，您已进入候补名单"))
    return redirect("volunteer_public:activity", activity_id=activity.pk)


@login_required
@require_POST
def activity_cancel(request: HttpRequest, activity_id: int) -> HttpResponse:
    volunteer = volunteer_of(request)
    activity = get_object_or_404(Activity, pk=activity_id)
    signup = SignUp.objects.select_related("activity").filter(activity=activity, volunteer=volunteer).first()
    if signup is None or signup.state == SignUpState.CANCELLED:
        messages.error(request, _("您没有报名该活动"))
    else:
        try:
            services.cancel_signup(signup)
        except services.Refused as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已取消报名"))
    return redirect("volunteer_public:activity", activity_id=activity.pk)


# --- the volunteer's own page -------------------------------------------------------------------------------


def _record_rows(volunteer: Volunteer) -> Any:
    return (
        SignUp.objects.filter(volunteer=volunteer)
        .select_related("activity", "activity__team")
        .order_by("-activity__starts_at", "-pk")
    )


@never_cache
@login_required
@require_GET
def me(request: HttpRequest) -> HttpResponse:
    volunteer = volunteer_of(request)
    now = timezone.now()
    rows = _record_rows(volunteer)
    upcoming_rows = (
        rows.filter(
            state__in=[SignUpState.SIGNED, SignUpState.WAITING],
            activity__ends_at__gt=now,
            hours_state=HoursState.NONE,
        )
        .exclude(activity__state=ActivityState.CANCELLED)
        .order_by("activity__starts_at", "pk")
    )
    past = rows.filter(
        (Q(activity__ends_at__lte=now) & ~Q(state=SignUpState.CANCELLED)) | ~Q(hours_state=HoursState.NONE)
    )
    figures = services.summary(volunteer)
    certificates = Certificate.objects.filter(volunteer=volunteer).select_related("team")
    return render(
        request,
        "volunteers/public/me.html",
        {
            "volunteer": volunteer,
            "phone": mask_phone(volunteer.phone),
            "id_shown": masked_id(volunteer.id_last4),
            "summary": figures,
            "stars_text": "★" * int(figures["stars"]),
            "upcoming": upcoming_rows[:LIST_MAX],
            "past": past[:LIST_MAX],
            "certificates": certificates[:LIST_MAX],
        },
    )


def _local(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value is not None else ""


@never_cache
@login_required
@require_GET
def me_export(request: HttpRequest) -> HttpResponse:
    """The volunteer's own record as .xlsx: one row per sign-up (nothing of anyone else)."""
    volunteer = volunteer_of(request)
    headers = [
        _("志愿者编号"),
        _("活动名称"),
        _("组织队伍"),
        _("活动地点"),
        _("开始时间"),
        _("结束时间"),
        _("报名状态"),
        _("签到时间"),
        _("签退时间"),
        _("实测时长（分钟）"),
        _("确认时长（分钟）"),
        _("时长状态"),
    ]
    rows = [
        [
            volunteer.number,
            s.activity.title,
            s.activity.team.name,
            s.activity.place,
            _local(s.activity.starts_at),
            _local(s.activity.ends_at),
            s.get_state_display(),
            _local(s.signed_in_at),
            _local(s.signed_out_at),
            s.measured_minutes,
            s.confirmed_minutes,
            s.get_hours_state_display(),
        ]
        for s in _record_rows(volunteer)
    ]
    record(request, "volunteer.export_own", obj=volunteer, detail={"rows": len(rows)})
    response = HttpResponse(write_table(headers, rows, _("我的志愿服务记录")), content_type=XLSX_CONTENT_TYPE)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="volunteer-{volunteer.number}-{stamp}.xlsx"'
    return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def me_leave(request: HttpRequest) -> HttpResponse:
    volunteer = volunteer_of(request)
    if request.method != "POST":
        return render(request, "volunteers/public/leave.html", {"volunteer": volunteer})
    if request.POST.get("confirm") != "yes":
        context = {"volunteer": volunteer, "error": _("请勾选确认后再申请注销")}
        return render(request, "volunteers/public/leave.html", context, status=400)
    number = volunteer.number
    services.leave(volunteer, user_of(request))
    logout(request)
    return render(request, "volunteers/public/left.html", {"number": number})
