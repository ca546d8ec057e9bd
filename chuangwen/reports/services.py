"""Citizen reports (随手拍): submitting, rating and reopening (``public.py``: what the public sees;
``guard.py``: "me too" and the duplicate guard; ``triage.py``: the coordinator's triage).

The contract the web pages and the Open311 app (``chuangwen/open311``) call:

- ``submit_report(...) -> CitizenReport``: validated (``ValidationError`` keyed by field, in Chinese),
  idempotent by ``client_id``; limits (``RateLimited``, ``limits.py``) per sender address (web only), device
  and phone number, checked and counted before any photo is looked at; every photo checked before any is
  stored (one bad photo: nothing stored), the files written durably, then the photos' rows, the case (source
  citizen, state new) and the report in one transaction;
- ``public.public_status(report) -> PublicStatus``: what the public may know of the report's case;
- ``CitizenReport.objects.visible_to(user)`` and ``find_by_code(code)`` (public lookup).

The case changes state only through ``cases.services.apply``; a citizen's reopening is the machine's
``reporter_reopen`` taken by the portal's system user (``portal_user``).
"""

from __future__ import annotations

import math
import re
import secrets
import uuid
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.accounts.models import Role, User
from chuangwen.audit.services import record
from chuangwen.cases import services as case_services
from chuangwen.cases.models import CaseSource, CaseState
from chuangwen.evidence.errors import EvidenceError
from chuangwen.evidence.images import PreparedPhoto, decode_slot
from chuangwen.evidence.models import Evidence, EvidenceKind
from chuangwen.evidence.services import insert_row, prepare_upload
from chuangwen.evidence.storage import store_original
from chuangwen.org.coords import gcj02_to_wgs84
from chuangwen.org.geo import LocationError, locate_area_unit
from chuangwen.org.models import Unit
from chuangwen.reports import limits
from chuangwen.reports.limits import RateLimited as RateLimited  # the contract's name for callers
from chuangwen.reports.limits import keyed_hash
from chuangwen.reports.models import CitizenReport, ReportCategory, ReportSource

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile
    from django.http import HttpRequest

    from chuangwen.standards.models import CheckItem

PORTAL_USERNAME = "citizen-portal"
CODE_PREFIX = "SP"
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud over the phone
CODE_LENGTH = 8
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
DESCRIPTION_MIN, DESCRIPTION_MAX = 5, 1000
# A site this close to the reported point lends the report its routing (check item rules, responsible unit).
SITE_RADIUS_M = 200.0


# --- small helpers ------------------------------------------------------------------------------------------


def address_hash(ip: str | None) -> str:
    return keyed_hash("ip", ip) if ip else ""


def normalise_phone(phone: str) -> str:
    phone = re.sub(r"[\s-]", "", phone or "")
    return phone[3:] if phone.startswith("+86") else phone


def new_tracking_code() -> str:
    return CODE_PREFIX + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def find_by_code(code: str) -> CitizenReport | None:
    """The public lookup: a report by its tracking code (case and spaces forgiven), or None."""
    code = re.sub(r"\s", "", code or "").upper()
    if not code:
        return None
    return CitizenReport.objects.select_related("case", "category").filter(tracking_code=code).first()


def root_unit() -> Unit:
    unit = Unit.objects.filter(parent__isnull=True).order_by("depth", "pk").first()
    if unit is None:
        raise ValidationError({"lat": [_("尚未建立单位，暂不能受理随手拍")]})
    return unit


def portal_user() -> User:
    """The citizen portal's system user (role citizen, at the root unit, no password that works), made on
    first use. It uploads the citizens' photos, opens their cases and takes ``reporter_reopen``."""
    user = User.objects.filter(username=PORTAL_USERNAME).select_related("unit").first()
    if user is not None:
        return user
    try:
        with transaction.atomic():
            return User.objects.create(
                username=PORTAL_USERNAME,
                role=Role.CITIZEN,
                unit=root_unit(),
                full_name=_("随手拍市民"),
                password=make_password(None),
                is_active=True,
            )
    except IntegrityError:
        return User.objects.get(username=PORTAL_USERNAME)


def active_categories() -> list[ReportCategory]:
    return list(ReportCategory.objects.filter(active=True).order_by("sort_order", "code"))


def current_check_item(code: str) -> CheckItem | None:
    """The check item of that code in the active standard (else the newest version that has it)."""
    from chuangwen.standards.models import CheckItem

    if not code:
        return None
    items = CheckItem.objects.filter(code=code).select_related("site_type__standard")
    return items.order_by("-site_type__standard__is_active", "-site_type__standard__version", "-pk").first()


# --- submitting ---------------------------------------------------------------------------------------------


def _number(value: Any, field: str, low: float, high: float, errors: dict[str, list[str]]) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors.setdefault(field, []).append(_("请提供位置（经纬度须为数字）"))
        return 0.0
    if not math.isfinite(number) or not low <= number <= high:
        word = _("纬度") if field == "lat" else _("经度")
        errors.setdefault(field, []).append(
            _("%(word)s须在 %(low)s 到 %(high)s 之间") % {"word": word, "low": int(low), "high": int(high)}
        )
    return number


def _validate(
    category: Any,
    description: str,
    lat: Any,
    lng: Any,
    photos: Sequence[Any],
    phone: str,
    address: str,
) -> tuple[float, float, str]:
    errors: dict[str, list[str]] = {}
    if not isinstance(category, ReportCategory) or not category.active:
        errors["category"] = [_("请选择问题类别")]
    text = (description or "").strip()
    if len(text) < DESCRIPTION_MIN:
        errors["description"] = [_("请描述问题，至少 %(n)d 个字") % {"n": DESCRIPTION_MIN}]
    elif len(text) > DESCRIPTION_MAX:
        errors["description"] = [_("问题描述不能超过 %(n)d 个字") % {"n": DESCRIPTION_MAX}]
    lat_f = _number(lat, "lat", -90, 90, errors)
    lng_f = _number(lng, "lng", -180, 180, errors)
    phone = normalise_phone(phone)
    if phone and not PHONE_RE.match(phone):
        errors["phone"] = [_("手机号格式不正确，应为 11 位手机号码")]
    if len(address or "") > 200:
        errors["address"] = [_("地址不能超过 200 个字")]
    limit = int(settings.REPORTS_MAX_PHOTOS)
    if len(photos) > limit:
        errors["photos"] = [_("最多上传 %(n)d 张照片") % {"n": limit}]
    if errors:
        raise ValidationError(errors)
    return lat_f, lng_f, phone


def captcha_required(ip: str | None) -> bool:
    """From the REPORTS_CAPTCHA_AFTER-th attempt of an address within its window on, the page asks for a
    captcha (refused attempts count: they were counted before their photos were looked at)."""
    if not ip:
        return False
    (address,) = limits.report_limits(ip, None, "")
    return limits.used(address) >= int(settings.REPORTS_CAPTCHA_AFTER)


def _locate(lng: float, lat: float) -> Unit:
    try:
        match = locate_area_unit(lng, lat)
    except LocationError as exc:
        raise ValidationError({"lat": [str(exc)]}) from exc
    return Unit.objects.get(pk=match.unit_id)


def _check_photos(photos: Sequence[Any]) -> list[PreparedPhoto]:
    """Every photo checked and re-encoded before any is stored: one bad photo refuses the whole report and
    leaves nothing behind."""
    prepared = []
    for index, upload in enumerate(photos):
        try:
            prepared.append(prepare_upload(upload))
        except EvidenceError as exc:
            prefix = _("第 %(n)d 张照片：") % {"n": index + 1} if len(photos) > 1 else ""
            raise ValidationError({"photos": [prefix + exc.message]}) from exc
    return prepared


def _photo_rows(
    prepared: list[PreparedPhoto], names: list[str], client_id: uuid.UUID, lat: float, lng: float, user: User
) -> list[Evidence]:
    """The photos' rows, inside the report's transaction. Their client ids derive from the report's, so a
    resend stores nothing twice."""
    rows = []
    for index, (photo, name) in enumerate(zip(prepared, names, strict=True)):
        fields = {"kind": EvidenceKind.PROBLEM, "lat": lat, "lng": lng}
        evidence, _created = insert_row(uuid.uuid5(client_id, f"photo-{index}"), user, photo, name, fields)
        rows.append(evidence)
    return rows


def _admit(
    photos: list[Any], source: str, ip: str | None, device: str | None, phone: str, captcha_passed: bool
) -> list[PreparedPhoto]:
    """Count the attempt against its limits, then check its photos. With photos, in one of the process's
    decoding slots taken first, so that a busy server (``Busy``) counts nothing."""
    with decode_slot() if photos else nullcontext():
        web = source == ReportSource.WEB
        counted = limits.take(limits.report_limits(ip if web else None, device, phone))
        if web and counted.get("address", 0) > int(settings.REPORTS_CAPTCHA_AFTER) and not captcha_passed:
            raise ValidationError({"captcha": [_("请输入验证码")]})  # a race past the page's check
        return _check_photos(photos)


def submit_report(
    *,
    category: ReportCategory,
    description: str,
    lat: float,
    lng: float,
    client_id: uuid.UUID,
    photos: Sequence[UploadedFile] | Iterable[Any] = (),
    phone: str = "",
    address: str = "",
    gcj02: bool = False,
    source: str = "web",
    integration: Any = None,
    ip: str | None = None,
    device: str | None = None,
    captcha_passed: bool = False,
    request: HttpRequest | None = None,
) -> CitizenReport:
    """A citizen's report: validated, rate-limited, idempotent by ``client_id``; the case waits in ``new``.

    Raises ValidationError (keyed by category, description, lat, lng, phone, address, photos, client_id,
    captcha: a web report beyond REPORTS_CAPTCHA_AFTER of its address needs ``captcha_passed``), RateLimited
    (per address for web reports, per device and per phone number always), evidence's ``Busy`` (no decoding
    slot: nothing counted or stored)."""
    if not isinstance(client_id, uuid.UUID):
        try:
            client_id = uuid.UUID(str(client_id))
        except ValueError as exc:
            raise ValidationError({"client_id": [_("客户端编号格式不正确")]}) from exc
    existing = CitizenReport.objects.filter(client_id=client_id).select_related("case", "category").first()
    if existing is not None:
        return existing  # a resend: the same report, nothing new
    photo_list = list(photos)
    lat_f, lng_f, phone = _validate(category, description, lat, lng, photo_list, phone, address)
    if gcj02:
        lng_f, lat_f = gcj02_to_wgs84(lng_f, lat_f)
    area = _locate(lng_f, lat_f)
    prepared = _admit(photo_list, source, ip, device, phone, captcha_passed)
    user = portal_user()
    # Durably on disk before the rows; a transaction that fails below leaves files no row points to, which
    # the evidence sweep removes after its grace period.
    names = [store_original(photo.data, photo.sha256) for photo in prepared]
    text = description.strip()
    integration_name = str(getattr(integration, "name", integration) or "")
    try:
        with transaction.atomic():
            evidence = _photo_rows(prepared, names, client_id, lat_f, lng_f, user)
            return _create(
                category, text, lat_f, lng_f, client_id, evidence, phone, (address or "").strip(),
                source, integration_name, address_hash(ip), area, user, request,
            )  # fmt: skip
    except IntegrityError:
        raced = CitizenReport.objects.filter(client_id=client_id).select_related("case", "category").first()
        if raced is None:
            raise
        return raced


def _create(
    category: ReportCategory,
    text: str,
    lat: float,
    lng: float,
    client_id: uuid.UUID,
    evidence: list[Evidence],
    phone: str,
    address: str,
    source: str,
    integration: str,
    ip_hash: str,
    area: Unit,
    user: User,
    request: HttpRequest | None,
) -> CitizenReport:
    item = current_check_item(category.check_item_code)
    for _attempt in range(10):
        code = new_tracking_code()
        if not CitizenReport.objects.filter(tracking_code=code).exists():
            break
    if evidence:
        Evidence.objects.filter(pk__in=[e.pk for e in evidence]).update(kind=EvidenceKind.PROBLEM)
    case = case_services.open_case(
        CaseSource.CITIZEN,
        user,
        request=request,
        data={"tracking_code": code, "channel": source},
        audit={"photos": len(evidence)},
        photos=evidence,
        title=f"{category.name}：{text}"[:60],
        description=text,
        check_item=item,
        area_unit=area,
        address=address,
        lat=lat,
        lng=lng,
    )
    return CitizenReport.objects.create(
        tracking_code=code,
        case=case,
        category=category,
        description=text,
        lat=lat,
        lng=lng,
        address=address,
        phone=phone,
        client_id=client_id,
        source=source,
        integration=integration,
        address_hash=ip_hash,
    )


# --- rating and reopening -------------------------------------------------------------------------------


def rate_report(
    report: CitizenReport, rating: Any, comment: str = "", request: HttpRequest | None = None
) -> CitizenReport:
    """The citizen's 1–5 rating of a closed report, once."""
    try:
        value = int(rating)
    except (TypeError, ValueError):
        value = 0
    errors: dict[str, list[str]] = {}
    if not 1 <= value <= 5:
        errors["rating"] = [_("请选择 1 到 5 星的评价")]
    if len(comment or "") > 500:
        errors["rating_comment"] = [_("评价意见不能超过 500 个字")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = CitizenReport.objects.select_for_update().select_related("case").get(pk=report.pk)
        if current.case.state != CaseState.CLOSED:
            raise ValidationError({"rating": [_("问题办结后才能评价")]})
        if _rated_this_closure(current):
            raise ValidationError({"rating": [_("您已评价过本次办理结果")]})
        now = timezone.now()
        CitizenReport.objects.filter(pk=current.pk).update(
            rating=value, rating_comment=(comment or "").strip(), rated_at=now
        )
        record(
            request,
            "report.rate",
            obj=current.case,
            actor=portal_user(),
            detail={"tracking_code": current.tracking_code, "rating": value},
        )
    report.refresh_from_db()
    return report


def _rated_this_closure(report: CitizenReport) -> bool:
    """Rated since the case was last closed (a reopened and closed again report may be rated again)."""
    closed_at = report.case.closed_at
    if report.rating is None or report.rated_at is None:
        return False
    return closed_at is None or report.rated_at >= closed_at


def can_rate(report: CitizenReport) -> bool:
    return report.case.state == CaseState.CLOSED and not _rated_this_closure(report)


def reopen_deadline(report: CitizenReport) -> datetime | None:
    closed_at = report.case.closed_at
    if report.case.state != CaseState.CLOSED or closed_at is None:
        return None
    return closed_at + timedelta(days=int(settings.REPORTS_REOPEN_DAYS))


def can_reopen(report: CitizenReport, now: datetime | None = None) -> bool:
    until = reopen_deadline(report)
    return until is not None and (now or timezone.now()) <= until


def reopen_report(report: CitizenReport, reason: str, request: HttpRequest | None = None) -> CitizenReport:
    """The citizen says the problem is not fixed: within REPORTS_REOPEN_DAYS of the closure the case goes back
    to rework (``reporter_reopen``, counted against the unit)."""
    report = CitizenReport.objects.select_related("case").get(pk=report.pk)
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("请说明问题为什么没有解决")]})
    if len(reason) > 500:
        raise ValidationError({"reason": [_("理由不能超过 500 个字")]})
    if report.case.state != CaseState.CLOSED:
        raise ValidationError({"reason": [_("只有已办结的问题可以申请重新办理")]})
    if not can_reopen(report):
        raise ValidationError(
            {"reason": [_("已超过办结后 %(n)d 天，不能再申请重新办理") % {"n": settings.REPORTS_REOPEN_DAYS}]}
        )
    with transaction.atomic():
        case_services.apply(
            report.case,
            "reporter_reopen",
            portal_user(),
            reason=reason.strip(),
            data={"tracking_code": report.tracking_code},
            request=request,
        )
        CitizenReport.objects.filter(pk=report.pk).update(reopened_at=timezone.now())
    report.refresh_from_db()
    return report
