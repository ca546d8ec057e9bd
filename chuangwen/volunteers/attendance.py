"""Attendance (签到签退 and 时长确认): a volunteer signs in and out by the organiser's rotating code inside
the activity's geofence and time window, idempotent by the phone's client id; the organiser then confirms the
measured minutes or corrects them with a reason. The rules themselves are in ``rules``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.accounts.models import User
from chuangwen.audit.services import record
from chuangwen.volunteers import rules
from chuangwen.volunteers.models import Activity, ActivityState, HoursState, SignUp, SignUpState, Volunteer
from chuangwen.volunteers.services import CORRECTION_REASON_MAX, Refused, manages_team, refresh_total

# --- check-in -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    lat: float
    lng: float
    accuracy_m: float | None = None


def _check_place_and_code(
    activity: Activity, code: str, position: Position, now: datetime, leaving: bool
) -> int:
    if not rules.code_is_fresh(activity.code_key, code.strip(), now):
        raise Refused("stale_code", _("签到码已过期，请扫描组织者手机上最新的二维码"), "code")
    opens = activity.starts_at - timedelta(minutes=rules.CHECK_IN_EARLY_MINUTES)
    closes = activity.ends_at + timedelta(minutes=rules.CHECK_OUT_LATE_MINUTES)
    last_in = activity.ends_at  # nobody signs in after the end
    if now < opens or now > (closes if leaving else last_in):
        raise Refused("outside_time", _("不在活动签到签退时间内"), "time")
    if not (-90 <= position.lat <= 90 and -180 <= position.lng <= 180):
        raise Refused("invalid", _("坐标不在地球上"), "lat")
    distance = rules.distance_to(position.lat, position.lng, activity.lat, activity.lng)
    if not rules.inside_fence(distance, activity.radius_m, position.accuracy_m):
        raise Refused(
            "outside_fence",
            _("您距活动地点约 %(d)d 米，须在 %(r)d 米范围内签到")
            % {"d": round(distance), "r": activity.radius_m},
            "position",
        )
    return round(distance)


def check_in(
    activity: Activity, volunteer: Volunteer, code: str, position: Position, client_id: uuid.UUID,
    *, now: datetime | None = None,
) -> SignUp:  # fmt: skip
    """Sign in by the rotating code inside the geofence and the time window. The same ``client_id`` sent
    again answers the same sign-up; a second sign-in by another request keeps the first time."""
    now = now or timezone.now()
    done = SignUp.objects.filter(sign_in_client_id=client_id).first()
    if done is not None:
        if done.volunteer_id != volunteer.pk:
            raise Refused("invalid", _("请求编号重复"), "client_id")
        return done
    if activity.state == ActivityState.CANCELLED:
        raise Refused("closed", _("活动已取消"), "activity")
    distance = _check_place_and_code(activity, code, position, now, leaving=False)
    with transaction.atomic():
        signup = SignUp.objects.select_for_update().filter(activity=activity, volunteer=volunteer).first()
        if signup is None or signup.state != SignUpState.SIGNED:
            raise Refused("not_signed_up", _("您没有报名该活动（或仍在候补），不能签到"), "activity")
        if signup.signed_in_at is not None:
            return signup
        signup.signed_in_at, signup.sign_in_client_id, signup.sign_in_distance_m = now, client_id, distance
        signup.save(update_fields=["signed_in_at", "sign_in_client_id", "sign_in_distance_m"])
    return signup


def check_out(
    activity: Activity, volunteer: Volunteer, code: str, position: Position, client_id: uuid.UUID,
    *, now: datetime | None = None,
) -> SignUp:  # fmt: skip
    """Sign out the same way; the measured minutes wait for the organiser's confirmation."""
    now = now or timezone.now()
    done = SignUp.objects.filter(sign_out_client_id=client_id).first()
    if done is not None:
        if done.volunteer_id != volunteer.pk:
            raise Refused("invalid", _("请求编号重复"), "client_id")
        return done
    if activity.state == ActivityState.CANCELLED:
        raise Refused("closed", _("活动已取消"), "activity")
    distance = _check_place_and_code(activity, code, position, now, leaving=True)
    with transaction.atomic():
        signup = SignUp.objects.select_for_update().filter(activity=activity, volunteer=volunteer).first()
        if signup is None or signup.signed_in_at is None:
            raise Refused("not_signed_in", _("您还没有签到，不能签退"), "activity")
        if signup.signed_out_at is not None:
            return signup
        signup.signed_out_at, signup.sign_out_client_id, signup.sign_out_distance_m = now, client_id, distance
        signup.measured_minutes = rules.measured_minutes(
            activity.starts_at, activity.ends_at, signup.signed_in_at, now
        )
        signup.hours_state = HoursState.PENDING
        signup.save(
            update_fields=[
                "signed_out_at", "sign_out_client_id", "sign_out_distance_m",
                "measured_minutes", "hours_state",
            ]
        )  # fmt: skip
    return signup


# --- hours --------------------------------------------------------------------------------------------------


def confirm_hours(signup: SignUp, user: User, *, minutes: int | None = None, reason: str = "",
                  now: datetime | None = None) -> SignUp:  # fmt: skip
    """The organiser confirms the measured minutes, or corrects them with a reason: never beyond the
    activity's own time, never for someone who did not sign in. A confirmed record may be corrected again."""
    now = now or timezone.now()
    activity = signup.activity
    if not manages_team(user, activity.team):
        raise Refused("forbidden", _("只有活动组织方可以确认时长"), "signup")
    if signup.signed_in_at is None:
        raise Refused("not_signed_in", _("该志愿者没有签到，不能记录时长"), "signup")
    if now < activity.ends_at and signup.signed_out_at is None:
        raise Refused("running", _("活动尚未结束，该志愿者也未签退"), "signup")
    measured = signup.measured_minutes
    if minutes is None:
        if measured is None:
            raise Refused("invalid", _("该志愿者未签退，请填写核实的时长和理由"), "minutes")
        minutes = measured
    ceiling = rules.measured_minutes(
        activity.starts_at, activity.ends_at, signup.signed_in_at, activity.ends_at
    )
    if not 0 <= minutes <= ceiling:
        raise Refused(
            "invalid", _("时长应在 0–%(n)d 分钟之间（签到时起至活动结束）") % {"n": ceiling}, "minutes"
        )
    reason = reason.strip()
    if minutes != measured and not reason:
        raise Refused("invalid", _("更正时长须说明理由"), "reason")
    if len(reason) > CORRECTION_REASON_MAX:
        raise Refused("invalid", _("理由不超过 %(n)d 字") % {"n": CORRECTION_REASON_MAX}, "reason")
    with transaction.atomic():
        before = signup.confirmed_minutes
        signup.confirmed_minutes, signup.correction_reason = minutes, reason if minutes != measured else ""
        signup.hours_state, signup.confirmed_by, signup.confirmed_at = HoursState.CONFIRMED, user, now
        signup.save(
            update_fields=[
                "confirmed_minutes",
                "correction_reason",
                "hours_state",
                "confirmed_by",
                "confirmed_at",
            ]
        )
        refresh_total(signup.volunteer)
        record(
            None, "volunteer.hours_confirm", obj=signup, actor=user,
            detail={"measured": measured, "before": before, "minutes": minutes,
                    "corrected": minutes != measured},
        )  # fmt: skip
    return signup
