"""The survey rules that pages, the API and commands share: who may do what, the response intake (validated,
deduplicated, counted against quotas without overshoot, checked for quality), review, call-backs and coaching
visits (docs/surveys.md)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.audit.services import record
from chuangwen.reports.limits import keyed_hash
from chuangwen.surveys import quality
from chuangwen.surveys.definition import clean_answers, definition, fingerprint
from chuangwen.surveys.models import (
    COUNTED_STATUSES,
    AgeBand,
    Callback,
    CoachingVisit,
    Mode,
    QuotaCell,
    Response,
    ResponseStatus,
    Sex,
    StaffRole,
    Stratum,
    Wave,
    WaveStaff,
    WaveState,
)

if TYPE_CHECKING:
    from chuangwen.accounts.models import User
    from chuangwen.org.models import Unit

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
DEVICE_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_INTERVIEW = timedelta(hours=12)
CLOCK_SKEW = timedelta(minutes=10)
PARADATA_KEYS = 300
PARADATA_SECONDS = 86_400


class Invalid(Exception):
    """Bad input: ``errors`` maps each field (``answers.<code>`` for answers) to Chinese reasons."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("；".join(m for ms in errors.values() for m in ms))
        self.errors = errors


class Refused(Exception):
    """Well-formed, but not allowed now: ``code`` says why for machines (closed, quota_full, answered, …)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


# --- who ----------------------------------------------------------------------------------------------------


def staff_role(wave: Wave, user: User) -> str | None:
    if not user.is_authenticated:
        return None
    return WaveStaff.objects.filter(wave=wave, user=user).values_list("role", flat=True).first()


def may_run(wave: Wave, user: User) -> bool:
    """The office that owns the wave (its coordinators) runs it: plan, staff, open, close, publish."""
    from chuangwen.accounts.models import Role

    return bool(
        user.is_authenticated and user.role == Role.COORDINATOR and user.unit_id == wave.owner_unit_id
    )


def may_interview(wave: Wave, user: User) -> bool:
    return may_run(wave, user) or staff_role(wave, user) in (StaffRole.INTERVIEWER, StaffRole.SUPERVISOR)


def may_review(wave: Wave, user: User) -> bool:
    return may_run(wave, user) or staff_role(wave, user) == StaffRole.SUPERVISOR


# --- respondents --------------------------------------------------------------------------------------------


def normalise_phone(phone: str) -> str:
    phone = re.sub(r"[\s-]", "", phone or "")
    return phone[3:] if phone.startswith("+86") else phone


def phone_key(phone: str) -> str:
    """The keyed hash a phone number is kept as (coaching visits and responses share it)."""
    return keyed_hash("survey-phone", normalise_phone(phone))


def device_key(device: str) -> str:
    return keyed_hash("survey-device", device)


def coached(key: str, unit_path: str, day: date, days: int) -> bool:
    """Whether this household was coached (应知应会) within ``days`` before ``day`` anywhere in the stratum's
    street or community."""
    if not key or days <= 0:
        return False
    return CoachingVisit.objects.filter(
        respondent_key=key,
        visited_on__gte=day - timedelta(days=days),
        visited_on__lte=day,
        unit__path__startswith=unit_path,
    ).exists()


def record_coaching(unit: Unit, phone: str, visited_on: date, user: User, note: str = "") -> CoachingVisit:
    phone = normalise_phone(phone)
    errors: dict[str, list[str]] = {}
    if not PHONE_RE.match(phone):
        errors["phone"] = [_("手机号格式不正确，应为 11 位手机号码")]
    today = timezone.localdate()
    if visited_on > today or visited_on < today - timedelta(days=366):
        errors["visited_on"] = [_("宣传日期应在过去一年内，且不晚于今天")]
    if len(note) > 300:
        errors["note"] = [_("备注最多 300 个字")]
    if errors:
        raise Invalid(errors)
    with transaction.atomic():
        visit = CoachingVisit.objects.create(
            unit=unit, respondent_key=phone_key(phone), visited_on=visited_on, note=note, recorded_by=user
        )
        record(None, "survey.coaching", obj=visit, actor=user, detail={"unit": unit.code})
    return visit


# --- intake -------------------------------------------------------------------------------------------------


@dataclass
class Submission:
    """One response as a client sends it (the API's and the pages' forms are turned into this)."""

    client_id: str
    stratum_id: int
    age_band: str
    sex: str
    resident: bool
    answers: Any
    started_at: datetime
    submitted_at: datetime
    paradata: Any = field(default_factory=dict)
    lat: float | None = None
    lng: float | None = None
    accuracy_m: float | None = None
    phone: str = ""
    device: str = ""


def _check_envelope(wave: Wave, sub: Submission, mode: str, now: datetime) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if sub.age_band not in AgeBand.values:
        errors["age_band"] = [_("请选择受访者年龄段（18–65 岁）")]
    if sub.sex not in Sex.values:
        errors["sex"] = [_("请选择受访者性别")]
    if not sub.resident:
        errors["resident"] = [_("受访者须在本地居住满半年，不符合条件的不能作为样本")]
    if sub.submitted_at < sub.started_at:
        errors["submitted_at"] = [_("完成时间早于开始时间")]
    elif sub.submitted_at - sub.started_at > MAX_INTERVIEW:
        errors["submitted_at"] = [_("单次访问用时不能超过 12 小时")]
    if sub.submitted_at > now + CLOCK_SKEW:
        errors["submitted_at"] = [_("完成时间晚于服务器时间，请校准手机时钟")]
    first = timezone.make_aware(datetime.combine(wave.starts_on, datetime.min.time()))
    last = timezone.make_aware(datetime.combine(wave.ends_on + timedelta(days=1), datetime.min.time()))
    if not first - CLOCK_SKEW <= sub.started_at <= last:
        errors["started_at"] = [
            _("访问时间不在本轮调查期内（%(a)s 至 %(b)s）") % {"a": wave.starts_on, "b": wave.ends_on}
        ]
    if (sub.lat is None) != (sub.lng is None):
        errors["lat"] = [_("经纬度须同时提供")]
    elif sub.lat is not None and sub.lng is not None:
        if not (-90 <= sub.lat <= 90 and -180 <= sub.lng <= 180):
            errors["lat"] = [_("经纬度超出范围")]
    if sub.accuracy_m is not None and not 0 <= sub.accuracy_m <= 100_000:
        errors["accuracy_m"] = [_("定位精度超出范围")]
    if sub.phone and not PHONE_RE.match(normalise_phone(sub.phone)):
        errors["phone"] = [_("手机号格式不正确，应为 11 位手机号码")]
    if sub.device and not DEVICE_RE.match(sub.device):
        errors["device"] = [_("设备标识格式不正确")]
    if mode == Mode.SELF and not (sub.phone or sub.device):
        errors["phone"] = [_("请填写手机号（只用于防止重复作答，不保存号码）")]
    if mode == Mode.PHONE and not sub.phone:
        errors["phone"] = [_("电话访问须记录受访者手机号（只保存不可逆的哈希）")]
    return errors


def _clean_paradata(raw: Any) -> tuple[dict[str, Any], list[str]]:
    """Per-question seconds ({"seconds": {code: s}}) and the device's clock offset, bounded."""
    if raw in (None, ""):
        return {}, []
    if not isinstance(raw, dict):
        return {}, [_("过程数据格式错误")]
    seconds = raw.get("seconds") or {}
    if not isinstance(seconds, dict) or len(seconds) > PARADATA_KEYS:
        return {}, [_("过程数据格式错误或过大")]
    clean: dict[str, float] = {}
    for code, value in seconds.items():
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not 0 <= value <= PARADATA_SECONDS
        ):
            return {}, [_("过程数据中题目 %(code)s 的用时无效") % {"code": str(code)[:40]}]
        clean[str(code)[:40]] = round(float(value), 1)
    out: dict[str, Any] = {"seconds": clean}
    offset = raw.get("clock_offset_s")
    if isinstance(offset, (int, float)) and not isinstance(offset, bool) and abs(offset) <= 7 * 86400:
        out["clock_offset_s"] = round(float(offset), 1)
    start = _position(raw.get("start"))
    if start:
        out["start"] = start  # where the interview began; the response's lat/lng are where it ended
    return out, []


def _number(value: Any, low: float, high: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        return None
    return float(value)


def _position(raw: Any) -> dict[str, float] | None:
    if not isinstance(raw, dict):
        return None
    lat, lng = _number(raw.get("lat"), -90, 90), _number(raw.get("lng"), -180, 180)
    if lat is None or lng is None:
        return None
    out = {"lat": round(lat, 6), "lng": round(lng, 6)}
    accuracy = _number(raw.get("accuracy_m"), 0, 100_000)
    if accuracy is not None:
        out["accuracy_m"] = round(accuracy, 1)
    return out


def _existing(wave: Wave, client_id: uuid.UUID) -> Response | None:
    return Response.objects.filter(wave=wave, client_id=client_id).first()


def submit(wave: Wave, sub: Submission, mode: str, interviewer: User | None = None) -> tuple[Response, bool]:
    """Take one response: ``(response, True)`` when stored now, ``(stored, False)`` for a resend of the same
    ``client_id``. Raises ``Invalid`` (which fields, why) or ``Refused`` (closed wave or quota,
    a respondent who has answered already); either way nothing is stored."""
    try:
        client_id = uuid.UUID(str(sub.client_id))
    except ValueError:
        raise Invalid({"client_id": [_("客户端编号应为 UUID")]}) from None
    stored = _existing(wave, client_id)
    if stored is not None:
        return stored, False
    if not wave.is_fielding:
        raise Refused("closed", _("本轮调查未在进行中，不能再提交答卷"))
    if mode not in wave.modes:
        raise Refused("mode", _("本轮调查不接受“%(mode)s”方式的答卷") % {"mode": Mode(mode).label})
    now = timezone.now()
    errors = _check_envelope(wave, sub, mode, now)
    paradata, paradata_errors = _clean_paradata(sub.paradata)
    if paradata_errors:
        errors["paradata"] = paradata_errors
    defn = definition(wave.questionnaire)
    answers, answer_errors = clean_answers(defn, sub.answers)
    errors.update(answer_errors)
    stratum = Stratum.objects.select_related("unit").filter(wave=wave, pk=sub.stratum_id).first()
    if stratum is None:
        errors["stratum"] = [_("样本社区不属于本轮调查")]
    if errors:
        raise Invalid(errors)
    assert stratum is not None
    cell = QuotaCell.objects.filter(stratum=stratum, age_band=sub.age_band, sex=sub.sex).first()
    if cell is None:
        raise Refused("quota_full", _("%(unit)s 没有该年龄段和性别的配额") % {"unit": stratum.unit.name})
    key = phone_key(sub.phone) if sub.phone else (device_key(sub.device) if sub.device else "")
    response = Response(
        wave=wave, client_id=client_id, stratum=stratum, cell=cell, mode=mode, interviewer=interviewer,
        respondent_key=key, answers=answers, paradata=paradata, fingerprint=fingerprint(answers),
        started_at=sub.started_at, submitted_at=sub.submitted_at,
        duration_seconds=int((sub.submitted_at - sub.started_at).total_seconds()),
        lat=sub.lat, lng=sub.lng, accuracy_m=sub.accuracy_m,
    )  # fmt: skip
    excluded = coached(key, stratum.unit.path, timezone.localdate(sub.submitted_at), wave.coaching_days)
    response.flags = [] if excluded else quality.flags_for(wave, stratum, defn, response)
    if excluded:
        response.status = ResponseStatus.EXCLUDED
    else:
        response.status = ResponseStatus.FLAGGED if response.flags else ResponseStatus.ACCEPTED
    if mode != Mode.SELF and not excluded and quality.picked_for_callback(wave, str(client_id)):
        response.callback = Callback.PICKED
    try:
        with transaction.atomic():
            _take_places(wave, stratum, cell, response, excluded)
            response.save()
            if not excluded and quality.is_duplicate(response, wave):
                response.flags = [*response.flags, "duplicate"]
                response.status = ResponseStatus.FLAGGED
                response.save(update_fields=["flags", "status"])
    except IntegrityError:
        stored = _existing(wave, client_id)
        if stored is not None:
            return stored, False
        raise Refused("answered", _("该受访者（手机号或设备）已经答过本轮问卷")) from None
    return response, True


def _take_places(wave: Wave, stratum: Stratum, cell: QuotaCell, response: Response, excluded: bool) -> None:
    """Count the response in its cell and stratum, each only while below target: the conditional UPDATE is
    atomic on both databases, so concurrent submissions never overshoot a quota."""
    if (
        response.respondent_key
        and Response.objects.filter(wave=wave, respondent_key=response.respondent_key).exists()
    ):
        raise Refused("answered", _("该受访者（手机号或设备）已经答过本轮问卷"))
    if excluded:
        return
    if not QuotaCell.objects.filter(pk=cell.pk, filled__lt=F("target")).update(filled=F("filled") + 1):
        raise Refused(
            "quota_full",
            _("%(unit)s %(age)s%(sex)s的配额已满，请访问其他受访者")
            % {"unit": stratum.unit.name, "age": AgeBand(cell.age_band).label, "sex": Sex(cell.sex).label},
        )
    if not Stratum.objects.filter(pk=stratum.pk, filled__lt=F("target")).update(filled=F("filled") + 1):
        raise Refused("quota_full", _("%(unit)s 的样本量已满") % {"unit": stratum.unit.name})


# --- review -------------------------------------------------------------------------------------------------


def _release(response: Response) -> None:
    QuotaCell.objects.filter(pk=response.cell_id, filled__gt=0).update(filled=F("filled") - 1)
    Stratum.objects.filter(pk=response.stratum_id, filled__gt=0).update(filled=F("filled") - 1)


def _refuse_if_published(response: Response) -> None:
    if Wave.objects.filter(pk=response.wave_id, state=WaveState.PUBLISHED).exists():
        raise Refused("published", _("本轮调查结果已发布，答卷不能再改动"))


def review(response: Response, user: User, action: str, note: str = "") -> Response:
    """A supervisor accepts a flagged interview or rejects one (its quota place opens again)."""
    if len(note) > 500:
        raise Invalid({"note": [_("审核意见最多 500 个字")]})
    if action not in ("accept", "reject"):
        raise Invalid({"action": [_("审核操作应为 accept（有效）或 reject（作废）")]})
    if action == "reject" and not note.strip():
        raise Invalid({"note": [_("作废答卷须写明理由")]})
    with transaction.atomic():
        current = Response.objects.select_for_update().get(pk=response.pk)
        _refuse_if_published(current)
        if action == "accept" and current.status != ResponseStatus.FLAGGED:
            raise Refused("state", _("只有待审核的答卷可以确认有效"))
        if action == "reject" and current.status not in COUNTED_STATUSES:
            raise Refused("state", _("该答卷已作废或已排除"))
        if action == "reject":
            _release(current)
        current.status = ResponseStatus.ACCEPTED if action == "accept" else ResponseStatus.REJECTED
        current.review_note, current.reviewed_by, current.reviewed_at = note.strip(), user, timezone.now()
        current.save(update_fields=["status", "review_note", "reviewed_by", "reviewed_at"])
        record(
            None,
            f"survey.response.{action}",
            obj=current,
            actor=user,
            detail={"wave": current.wave_id, "flags": current.flags},
        )
    return current


def record_callback(
    response: Response, user: User, outcome: str, note: str = "", phone: str = ""
) -> Response:
    """The result of a call-back: confirmed, or failed (the interview is then rejected). A phone number told
    during the call-back is compared by its hash with the one the interview recorded."""
    if outcome not in (Callback.CONFIRMED, Callback.FAILED):
        raise Invalid({"outcome": [_("回访结果应为 confirmed（属实）或 failed（不符）")]})
    if len(note) > 500:
        raise Invalid({"note": [_("回访记录最多 500 个字")]})
    if phone and not PHONE_RE.match(normalise_phone(phone)):
        raise Invalid({"phone": [_("手机号格式不正确，应为 11 位手机号码")]})
    with transaction.atomic():
        current = Response.objects.select_for_update().get(pk=response.pk)
        _refuse_if_published(current)
        if current.callback != Callback.PICKED:
            raise Refused("state", _("该答卷不在待回访名单中"))
        if phone and current.respondent_key and phone_key(phone) != current.respondent_key:
            outcome, note = Callback.FAILED, (note + " " + _("回访所得手机号与访问记录不符")).strip()
        current.callback, current.callback_note = outcome, note.strip()[:500]
        fields = ["callback", "callback_note"]
        if outcome == Callback.FAILED and current.status in COUNTED_STATUSES:
            _release(current)
            current.status, current.review_note = ResponseStatus.REJECTED, _("回访不符")
            current.reviewed_by, current.reviewed_at = user, timezone.now()
            fields += ["status", "review_note", "reviewed_by", "reviewed_at"]
        current.save(update_fields=fields)
        record(None, "survey.callback", obj=current, actor=user, detail={"outcome": outcome})
    return current
