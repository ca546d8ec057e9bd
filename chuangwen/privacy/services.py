"""A citizen's own report (个人信息查阅、删除权, PIPL 第四十五条、第四十七条): by tracking code + phone number
the citizen sees what is kept about him or her with the report, and may have it removed.

The phone number is the secret: a wrong pair answers exactly as an unknown code (:class:`NotFound`), every
attempt is counted before the lookup against limits per sender address, device and tracking code (the code's
limit is counted whether the code exists or not, so a refusal reveals nothing), and the page asks for the
report pages' captcha after a few attempts of one address. Removal anonymises the reporter's fields only
(:func:`anonymise_reports`); the report, its case and photos stay for the campaign. Both are audited, without
the phone number.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.audit.services import record
from chuangwen.evidence.models import Evidence
from chuangwen.open311.models import Submission
from chuangwen.reports import limits
from chuangwen.reports.limits import Limit, keyed_hash
from chuangwen.reports.masking import mask_phone
from chuangwen.reports.models import CitizenReport
from chuangwen.reports.services import PHONE_RE, find_by_code, normalise_phone

CODE_MAX = 16


class NotFound(Exception):
    """No report with this tracking code and phone number: one answer for an unknown code and a wrong pair."""

    def __init__(self) -> None:
        super().__init__(not_found_message())


def not_found_message() -> str:
    return _("未找到与该查询码和手机号相符的随手拍，或其个人信息已删除")


def clean_code(code: str) -> str:
    return re.sub(r"\s", "", code or "").upper()


def check_fields(code: str, phone: str) -> tuple[str, str]:
    """The tracking code and phone number, normalised; ValidationError keyed by field, before any count."""
    errors: dict[str, list[str]] = {}
    code, phone = clean_code(code), normalise_phone(phone)
    if not code:
        errors["tracking_code"] = [_("请填写查询码")]
    elif len(code) > CODE_MAX:
        errors["tracking_code"] = [_("查询码不超过 %(n)d 个字符") % {"n": CODE_MAX}]
    if not phone:
        errors["phone"] = [_("请填写提交随手拍时留下的手机号")]
    elif not PHONE_RE.match(phone):
        errors["phone"] = [_("手机号格式不正确，应为 11 位手机号码")]
    if errors:
        raise ValidationError(errors)
    return code, phone


def _limit(field: str, value: str, limit: int, message: str) -> Limit:
    key = f"privacy:{field}:{keyed_hash(field, value)}"
    return Limit(
        field, key, max(1, int(limit)), max(1, int(settings.PRIVACY_REQUEST_WINDOW_SECONDS)), message
    )


def address_limit(ip: str) -> Limit:
    message = _("查询过于频繁：同一网络 %(window)s内最多查询 %(n)d 次，请于 %(when)s 后再试")
    return _limit("address", ip, settings.PRIVACY_REQUEST_ADDRESS_LIMIT, message)


def request_limits(ip: str | None, device: str | None, code: str) -> list[Limit]:
    """The limits one attempt falls under: its sender address, its device and the tracking code tried."""
    found = [address_limit(ip)] if ip else []
    if device:
        message = _("查询过于频繁：同一设备 %(window)s内最多查询 %(n)d 次，请于 %(when)s 后再试")
        found.append(_limit("device", device, settings.PRIVACY_REQUEST_DEVICE_LIMIT, message))
    message = _("该查询码 %(window)s内已尝试 %(n)d 次，请于 %(when)s 后再试")
    found.append(_limit("code", code, settings.PRIVACY_REQUEST_CODE_LIMIT, message))
    return found


def captcha_required(ip: str | None) -> bool:
    """From the PRIVACY_REQUEST_CAPTCHA_AFTER-th attempt of an address within the window, the page asks for
    a captcha."""
    if not ip:
        return False
    return limits.used(address_limit(ip)) >= int(settings.PRIVACY_REQUEST_CAPTCHA_AFTER)


def _matching(code: str, phone: str) -> CitizenReport | None:
    report = find_by_code(code)
    stored = report.phone if report is not None else ""
    # Compared in constant time; a report kept without a number (or already anonymised) never matches.
    same = hmac.compare_digest(stored.encode(), phone.encode()) if stored else False
    return report if report is not None and same else None


def find_own(code: str, phone: str, *, ip: str | None, device: str | None) -> CitizenReport:
    """The citizen's report: fields checked, the attempt counted (RateLimited), then looked up (NotFound)."""
    code, phone = check_fields(code, phone)
    limits.take(request_limits(ip, device, code))
    report = _matching(code, phone)
    if report is None:
        raise NotFound
    return report


def own_data(report: CitizenReport) -> dict[str, Any]:
    """Everything kept with the report that is about the reporter, and what the report itself says."""
    submission = Submission.objects.filter(report=report).first()
    return {
        "tracking_code": report.tracking_code,
        "category": report.category.name,
        "submitted_at": timezone.localtime(report.created_at).isoformat(),
        "description": report.description,
        "address": report.address,
        "phone": report.phone,
        "channel": report.get_source_display(),
        "sender_address_hash_kept": bool(report.address_hash),
        "rating": report.rating,
        "rating_comment": report.rating_comment,
        "supporters": report.supporters,
        "photos": Evidence.objects.filter(case_events__case_id=report.case_id, case_events__action="open")
        .distinct()
        .count(),
        "open311_account_id": submission.account_id if submission else "",
    }


def anonymise_reports(reports: QuerySet[CitizenReport]) -> int:
    """Clear the reporter's personal fields of these reports (and of their Open311 submissions); the report's
    content, rating, supporters count and case stay. Returns how many reports still had something."""
    touched = reports.exclude(phone="", address_hash="", rating_comment="")
    ids = list(touched.values_list("pk", flat=True))
    if not ids:
        return 0
    CitizenReport.objects.filter(pk__in=ids).update(phone="", address_hash="", rating_comment="")
    Submission.objects.filter(report_id__in=ids).update(account_id="", media_url="")
    return len(ids)


@dataclass(frozen=True)
class Forgotten:
    tracking_code: str
    at: datetime


def forget(report: CitizenReport, request: HttpRequest | None = None) -> Forgotten:
    """The citizen's request: anonymise this report's reporter fields, audited (masked number only)."""
    with transaction.atomic():
        masked = mask_phone(report.phone)
        anonymise_reports(CitizenReport.objects.filter(pk=report.pk))
        record(
            request,
            "privacy.citizen_delete",
            obj=report,
            actor_name="citizen",
            detail={"tracking_code": report.tracking_code, "phone": masked},
        )
    return Forgotten(report.tracking_code, timezone.now())


def viewed(report: CitizenReport, request: HttpRequest | None = None) -> None:
    """Audit a citizen's successful look at the personal data kept with the report."""
    record(
        request,
        "privacy.citizen_view",
        obj=report,
        actor_name="citizen",
        detail={"tracking_code": report.tracking_code},
    )
