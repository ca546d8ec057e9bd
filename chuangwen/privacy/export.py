"""Everything stored about one person, for an authorised officer (PIPL 第四十五条: answering a person's
request to see his or her data; 第五十四条: audits).

Who: the civilisation office's coordinators with a unit (``may_export``), and only inside their own unit's
subtree — every kind is read through its model's ``visible_to``, so another street's officer gets nothing of
this street. What: by phone number (citizen reports, “我也遇到”, Open311 account ids, volunteers, service
requests, accounts with their tokens and failed logins, survey answers and coaching visits keyed by the
number's hash) or by ID number (volunteers, through the keyed hash: the number itself is never stored).
Every export is audited with who, when, what was searched (the kind, a masked value and a keyed hash of it,
never the value) and how many records of each kind it found.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from chuangwen.accounts import capabilities
from chuangwen.accounts.models import ApiToken, LoginFailure, User
from chuangwen.audit.services import record
from chuangwen.core.xlsx import sheet_row
from chuangwen.reports.limits import keyed_hash
from chuangwen.reports.masking import mask_phone
from chuangwen.reports.models import CitizenReport, ReportSupporter
from chuangwen.reports.services import PHONE_RE, normalise_phone
from chuangwen.surveys.models import CoachingVisit, Response
from chuangwen.surveys.services import phone_key
from chuangwen.volunteers import rules
from chuangwen.volunteers.models import ServiceRequest, SignUp, Volunteer
from chuangwen.volunteers.services import id_hash

FORMATS = ("json", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The sheets / sections of the file, in this order, with their Chinese titles.
SECTIONS = {
    "citizen_reports": "随手拍",
    "supporters": "我也遇到",
    "volunteers": "志愿者",
    "signups": "志愿服务记录",
    "service_requests": "服务点单",
    "accounts": "账号",
    "survey_responses": "问卷答卷",
    "coaching_visits": "应知应会宣传",
}


def may_export(user: User | Any) -> bool:
    """The office's coordinator of a unit (the district's 文明办 for the district)."""
    return capabilities.may_export_personal_data(user)


class SearchBy(models.TextChoices):
    PHONE = "phone", gettext_lazy("手机号")
    ID_NUMBER = "id_number", gettext_lazy("身份证号")


@dataclass(frozen=True)
class Search:
    by: SearchBy
    value: str  # normalised; never written to the audit log or the file name

    @property
    def masked(self) -> str:
        return mask_phone(self.value) if self.by == SearchBy.PHONE else "*" * 14 + self.value[-4:]

    @property
    def digest(self) -> str:
        return keyed_hash(f"privacy-search-{self.by}", self.value)


def parse_search(phone: str, id_number: str, fmt: str = "json") -> Search:
    """One of phone or ID number, checked; ValidationError keyed by field before anything is read."""
    phone, id_number = normalise_phone(phone or ""), (id_number or "").strip().upper()
    errors: dict[str, list[str]] = {}
    if fmt not in FORMATS:
        errors["format"] = [_("导出格式只能是 json 或 xlsx")]
    if bool(phone) == bool(id_number):
        errors["phone"] = [_("请填写手机号或身份证号（二选一）")]
    elif phone and not PHONE_RE.match(phone):
        errors["phone"] = [_("手机号格式不正确，应为 11 位手机号码")]
    elif id_number:
        try:
            rules.parse_id_number(id_number, timezone.localdate())
        except ValueError as exc:
            errors["id_number"] = [_(str(exc))]
    if errors:
        raise ValidationError(errors)
    if phone:
        return Search(SearchBy.PHONE, phone)
    return Search(SearchBy.ID_NUMBER, rules.parse_id_number(id_number, timezone.localdate()).normalised)


def _moment(value: datetime | date | None) -> str:
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    return value.isoformat() if value is not None else ""


def _reports(officer: User, phone: str) -> list[dict[str, Any]]:
    rows = CitizenReport.objects.visible_to(officer).filter(phone=phone).select_related("case", "category")
    return [
        {
            "tracking_code": r.tracking_code,
            "case": r.case.code,
            "category": r.category.name,
            "submitted_at": _moment(r.created_at),
            "description": r.description,
            "address": r.address,
            "lat": r.lat,
            "lng": r.lng,
            "phone": r.phone,
            "channel": r.source,
            "integration": r.integration,
            "rating": r.rating,
            "rating_comment": r.rating_comment,
            "open311_account_id": getattr(getattr(r, "open311_submission", None), "account_id", ""),
        }
        for r in rows
    ]


def _supporters(officer: User, phone: str) -> list[dict[str, Any]]:
    reports = CitizenReport.objects.visible_to(officer)
    rows = ReportSupporter.objects.filter(report__in=reports, person_hash=keyed_hash("phone", phone))
    return [
        {"tracking_code": s.report.tracking_code, "at": _moment(s.created_at)}
        for s in rows.select_related("report")
    ]


def _volunteers(officer: User, search: Search) -> list[Volunteer]:
    scoped = Volunteer.objects.visible_to(officer).select_related("unit")
    if search.by == SearchBy.PHONE:
        return list(scoped.filter(phone=search.value))
    return list(scoped.filter(id_hash=id_hash(search.value)))


def _volunteer_row(v: Volunteer) -> dict[str, Any]:
    return {
        "number": v.number,
        "name": v.name,
        "phone": v.phone,
        "id_last4": v.id_last4,
        "birth_year": v.birth_year,
        "sex": v.sex,
        "community": v.unit.name,
        "skills": v.skills,
        "availability": v.availability,
        "registered_at": _moment(v.registered_at),
        "left_at": _moment(v.left_at),
        "confirmed_hours": round(v.confirmed_minutes / 60, 1),
        "teams": [m.team.name for m in v.memberships.select_related("team")],
        "certificates": [c.number for c in v.certificates.all()],
    }


def _signups(officer: User, volunteers: list[Volunteer]) -> list[dict[str, Any]]:
    rows = SignUp.objects.visible_to(officer).filter(volunteer__in=volunteers).select_related("activity")
    return [
        {
            "volunteer": s.volunteer.number,
            "activity": s.activity.title,
            "starts_at": _moment(s.activity.starts_at),
            "state": s.state,
            "signed_in_at": _moment(s.signed_in_at),
            "signed_out_at": _moment(s.signed_out_at),
            "sign_in_distance_m": s.sign_in_distance_m,
            "confirmed_minutes": s.confirmed_minutes,
        }
        for s in rows.select_related("volunteer")
    ]


def _requests(officer: User, phone: str) -> list[dict[str, Any]]:
    rows = ServiceRequest.objects.visible_to(officer).filter(requester_phone=phone)
    return [
        {
            "code": r.code,
            "category": r.category,
            "description": r.description,
            "requester_name": r.requester_name,
            "requester_phone": r.requester_phone,
            "state": r.state,
            "created_at": _moment(r.created_at),
            "rating": r.rating,
            "rating_comment": r.rating_comment,
        }
        for r in rows
    ]


def _accounts(officer: User, phone: str) -> list[dict[str, Any]]:
    rows = User.objects.visible_to(officer).filter(Q(phone=phone) | Q(username=phone)).select_related("unit")
    found = []
    for u in rows:
        tokens = ApiToken.objects.filter(user=u)
        failures = LoginFailure.objects.filter(username__iexact=u.username).order_by("-at")
        found.append(
            {
                "username": u.username,
                "full_name": u.full_name,
                "phone": u.phone,
                "email": u.email,
                "role": u.role,
                "unit": u.unit.name if u.unit else "",
                "active": u.is_active,
                "date_joined": _moment(u.date_joined),
                "last_login": _moment(u.last_login),
                "api_tokens": [
                    {"name": t.name, "created_at": _moment(t.created_at), "expires_at": _moment(t.expires_at)}
                    for t in tokens
                ],
                "login_failures": [{"at": _moment(f.at), "address": f.address} for f in failures[:100]],
            }
        )
    return found


def _surveys(officer: User, phone: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    key = phone_key(phone)
    responses = Response.objects.visible_to(officer).filter(respondent_key=key).select_related("wave")
    visits = CoachingVisit.objects.visible_to(officer).filter(respondent_key=key).select_related("unit")
    return (
        [
            {
                "wave": r.wave.name,
                "mode": r.mode,
                "submitted_at": _moment(r.submitted_at),
                "answers": r.answers,
            }
            for r in responses
        ],
        [{"community": v.unit.name, "visited_on": _moment(v.visited_on), "note": v.note} for v in visits],
    )


def collect(officer: User, search: Search) -> dict[str, list[dict[str, Any]]]:
    """Every section, each read through its model's scoping function for ``officer``."""
    volunteers = _volunteers(officer, search)
    found: dict[str, list[dict[str, Any]]] = {name: [] for name in SECTIONS}
    found["volunteers"] = [_volunteer_row(v) for v in volunteers]
    found["signups"] = _signups(officer, volunteers)
    if search.by == SearchBy.PHONE:
        found["citizen_reports"] = _reports(officer, search.value)
        found["supporters"] = _supporters(officer, search.value)
        found["service_requests"] = _requests(officer, search.value)
        found["accounts"] = _accounts(officer, search.value)
        found["survey_responses"], found["coaching_visits"] = _surveys(officer, search.value)
    return found


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content_type: str
    content: bytes
    counts: dict[str, int]


def _cell(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value


def _xlsx(found: dict[str, list[dict[str, Any]]]) -> bytes:
    book = Workbook(write_only=True)
    for name, title in SECTIONS.items():
        sheet = book.create_sheet(title)
        rows = found[name]
        if not rows:
            sheet.append(sheet_row(sheet, [_("（无记录）")]))
            continue
        headers = list(rows[0])
        sheet.append(sheet_row(sheet, headers))
        for row in rows:
            sheet.append(sheet_row(sheet, [_cell(row.get(h)) for h in headers]))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export(officer: User, search: Search, fmt: str, request: HttpRequest | None = None) -> ExportFile:
    """The file of everything about the person inside the officer's scope, audited (``privacy.export``)."""
    found = collect(officer, search)
    counts = {name: len(rows) for name, rows in found.items()}
    now = timezone.now()
    record(
        request,
        "privacy.export",
        actor=officer,
        detail={
            "by": search.by,
            "value": search.masked,
            "value_hash": search.digest,
            "format": fmt,
            "unit": officer.unit.code if officer.unit else "",
            "counts": counts,
        },
    )
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M%S")
    if fmt == "xlsx":
        return ExportFile(f"personal-data-{stamp}.xlsx", XLSX_TYPE, _xlsx(found), counts)
    body = {
        "searched": {"by": search.by, "value": search.masked},
        "exported_at": _moment(now),
        "exported_by": officer.get_username(),
        "scope_unit": officer.unit.name if officer.unit else "",
        "sections": {name: {"title": SECTIONS[name], "records": rows} for name, rows in found.items()},
    }
    content = json.dumps(body, ensure_ascii=False, indent=2, default=str).encode()
    return ExportFile(f"personal-data-{stamp}.json", "application/json", content, counts)
