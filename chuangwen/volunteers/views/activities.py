"""The organiser's pages under /volunteers/activities/: the activities of the teams the user manages, posting
and cancelling one, the roster with the confirmation of hours, and the full-screen check-in QR code whose
code turns every ``rules.CODE_SECONDS`` (docs/volunteers.md).

Only the managers of an activity's team (``services.manages_team``) reach its pages; anyone else gets 404."""

from __future__ import annotations

import io
from typing import Any

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chuangwen.accounts.models import User
from chuangwen.core.bounds import ID_MAX, BoundedDateTimeField
from chuangwen.core.web import user_of
from chuangwen.volunteers import attendance, rules, services
from chuangwen.volunteers.models import Activity, ActivityState, HoursState, SignUp, SignUpState, Team
from chuangwen.volunteers.views.public import SKILLS

_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
LIST_MAX = 200
# The service refusal's field → the form's field.
FORM_FIELD = {"site_id": "site_id", "cancel_until": "cancel_until", "lat": "lat", "team": "team"}


class ActivityForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.none(), label=gettext_lazy("组织队伍"))
    title = forms.CharField(label=gettext_lazy("活动名称"), max_length=100)
    description = forms.CharField(
        label=gettext_lazy("活动内容"), max_length=services.TEXT_MAX, required=False, widget=forms.Textarea
    )
    place = forms.CharField(label=gettext_lazy("活动地点"), max_length=services.PLACE_MAX)
    lat = forms.FloatField(label=gettext_lazy("纬度（WGS-84）"), min_value=-90, max_value=90)
    lng = forms.FloatField(label=gettext_lazy("经度（WGS-84）"), min_value=-180, max_value=180)
    radius_m = forms.IntegerField(
        label=gettext_lazy("签到范围（米）"),
        initial=200,
        min_value=services.RADIUS_RANGE[0],
        max_value=services.RADIUS_RANGE[1],
    )
    starts_at = BoundedDateTimeField(label=gettext_lazy("开始时间"), widget=_DATETIME)
    ends_at = BoundedDateTimeField(label=gettext_lazy("结束时间"), widget=_DATETIME)
    places = forms.IntegerField(label=gettext_lazy("招募人数"), min_value=1, max_value=services.PLACES_MAX)
    skills = forms.MultipleChoiceField(
        label=gettext_lazy("所需技能"), choices=SKILLS, required=False, widget=forms.CheckboxSelectMultiple
    )
    cancel_until = BoundedDateTimeField(
        label=gettext_lazy("可取消报名截止时间"),
        required=False,
        widget=_DATETIME,
        help_text=gettext_lazy("留空为活动开始前 2 小时"),
    )
    site_id = forms.IntegerField(
        label=gettext_lazy("关联点位 ID"), required=False, min_value=1, max_value=ID_MAX
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["team"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = services.managed_teams(user).filter(active=True)

    def draft(self) -> services.ActivityDraft:
        data = self.cleaned_data
        return services.ActivityDraft(
            title=data["title"],
            place=data["place"],
            lat=data["lat"],
            lng=data["lng"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            places=data["places"],
            description=data["description"] or "",
            radius_m=data["radius_m"],
            skills=list(data["skills"]),
            cancel_until=data["cancel_until"],
            site_id=data["site_id"],
        )


def managed_activity(request: HttpRequest, activity_id: int) -> Activity:
    """An activity of a team the user manages; 404 for everybody else."""
    activity = Activity.objects.select_related("team", "team__unit", "site").filter(pk=activity_id).first()
    if activity is None or not services.manages_team(user_of(request), activity.team):
        raise Http404
    return activity


@login_required
@require_GET
def activity_list(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    teams = services.managed_teams(user)
    rows = (
        Activity.objects.filter(team__in=teams).select_related("team").order_by("-starts_at", "pk")[:LIST_MAX]
    )
    return render(
        request,
        "volunteers/activities/list.html",
        {"activities": rows, "may_post": teams.filter(active=True).exists(), "now": timezone.now()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def activity_new(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    form = ActivityForm(request.POST or None, user=user)
    if not services.managed_teams(user).exists():
        raise Http404
    if request.method == "POST" and form.is_valid():
        try:
            activity = services.post_activity(form.cleaned_data["team"], user, form.draft())
        except services.Refused as exc:
            field = FORM_FIELD.get(exc.field, exc.field)
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            messages.success(request, _("活动已发布"))
            return redirect("volunteers:activity_detail", activity_id=activity.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "volunteers/activities/new.html", {"form": form}, status=status)


def _roster(activity: Activity) -> list[SignUp]:
    return list(
        activity.signups.select_related("volunteer", "confirmed_by").order_by("state", "created_at", "pk")
    )


@login_required
@require_GET
def activity_detail(request: HttpRequest, activity_id: int) -> HttpResponse:
    activity = managed_activity(request, activity_id)
    roster = _roster(activity)
    groups = [(state, label, [s for s in roster if s.state == state]) for state, label in SignUpState.choices]
    return render(
        request,
        "volunteers/activities/detail.html",
        {
            "activity": activity,
            "groups": groups,
            "signed": sum(1 for s in roster if s.state == SignUpState.SIGNED),
            "pending": sum(1 for s in roster if s.hours_state == HoursState.PENDING),
            "may_cancel": activity.state == ActivityState.PUBLISHED,
            "max_minutes": activity.minutes,
        },
    )


@login_required
@require_POST
def activity_cancel(request: HttpRequest, activity_id: int) -> HttpResponse:
    activity = managed_activity(request, activity_id)
    try:
        services.cancel_activity(activity, user_of(request), request.POST.get("reason", "")[:200])
    except services.Refused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("活动已取消"))
    return redirect("volunteers:activity_detail", activity_id=activity.pk)


@login_required
@require_POST
def activity_confirm(request: HttpRequest, activity_id: int, signup_id: int) -> HttpResponse:
    """Confirm the measured minutes (nothing typed) or correct them with a reason."""
    activity = managed_activity(request, activity_id)
    signup = SignUp.objects.select_related("volunteer").filter(pk=signup_id, activity=activity).first()
    if signup is None:
        raise Http404
    signup.activity = activity
    typed = request.POST.get("minutes", "").strip()
    minutes: int | None = None
    if typed:
        if not (typed.isascii() and typed.isdigit() and len(typed) <= 5):
            messages.error(request, _("时长应为整数分钟"))
            return redirect("volunteers:activity_detail", activity_id=activity.pk)
        minutes = int(typed)
    try:
        attendance.confirm_hours(
            signup, user_of(request), minutes=minutes, reason=request.POST.get("reason", "")
        )
    except services.Refused as exc:
        messages.error(request, f"{signup.volunteer.number}：{exc.message}")
    else:
        messages.success(
            request,
            _("已确认 %(number)s 的服务时长 %(n)d 分钟")
            % {"number": signup.volunteer.number, "n": signup.confirmed_minutes or 0},
        )
    return redirect("volunteers:activity_detail", activity_id=activity.pk)


# --- the check-in screen ------------------------------------------------------------------------------------


def checkin_url(request: HttpRequest, activity: Activity, code: str) -> str:
    path = reverse("volunteer_public:checkin", args=[activity.pk])
    return request.build_absolute_uri(f"{path}?c={code}")


@never_cache
@login_required
@require_GET
def activity_qr(request: HttpRequest, activity_id: int) -> HttpResponse:
    activity = managed_activity(request, activity_id)
    code, seconds_left = rules.current_code(activity.code_key, timezone.now())
    return render(
        request,
        "volunteers/activities/qr.html",
        {
            "activity": activity,
            "code": code,
            "seconds_left": seconds_left,
            "code_url": reverse("api:volunteer_activity_code", kwargs={"activity_id": activity.pk}),
            "svg_url": reverse("volunteers:activity_qr_svg", args=[activity.pk]),
            "js_strings": {"seconds": _("%(n)s 秒后更换"), "offline": _("网络中断，二维码可能已过期")},
        },
    )


@login_required
@require_GET
def activity_qr_svg(request: HttpRequest, activity_id: int) -> HttpResponse:
    """The QR code of the check-in page with the code of this moment; never cached anywhere."""
    activity = managed_activity(request, activity_id)
    code, _seconds = rules.current_code(activity.code_key, timezone.now())
    out = io.BytesIO()
    segno.make(checkin_url(request, activity, code), error="m").save(
        out, kind="svg", scale=8, border=2, title=_("志愿服务签到二维码")
    )
    response = HttpResponse(out.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "no-store, max-age=0"
    return response
