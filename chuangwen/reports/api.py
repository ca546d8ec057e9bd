"""Triage of citizen reports (随手拍 分拣) for the office's systems, under /api/v1/reports/triage: the queue,
one report, and the three actions of the triage page — accept and dispatch, reject with a reason, mark as
duplicate and merge — calling the same functions (``reports/triage.py``, through ``cases.services.apply``,
which checks the transition and writes the audit log). Docs: docs/reports.md, "API".

Coordinators act, leaders read, everyone else 403; a report outside the caller's scope is 404. Writes are
idempotent by ``client_id`` (``core/api_writes.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import ValidationError
from pydantic import StringConstraints

from chuangwen.accounts import capabilities
from chuangwen.accounts.models import User
from chuangwen.cases.exceptions import Conflict, TransitionRefused
from chuangwen.cases.models import CaseState
from chuangwen.core.api_errors import ApiError
from chuangwen.core.api_writes import READ_ERRORS, WRITE_ERRORS, ClientId, forbidden, once, refuse
from chuangwen.core.bounds import OFFSET_MAX, Id, IdPath
from chuangwen.core.web import user_of
from chuangwen.reports import public, triage
from chuangwen.reports.masking import phone_for
from chuangwen.reports.models import CitizenReport

router = Router(tags=["随手拍分拣"])

PAGE_SIZE = 50
TABS = {"new": (CaseState.NEW,), "all": ()}
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
# Where the services' field names point in the bodies.
FIELDS = {"unit": "unit_id", "reason": "reason", "duplicate_of": "duplicate_of"}


class UnitRef(Schema):
    id: int = Field(description="单位 ID")
    name: str = Field(description="单位名称")


class StatusOut(Schema):
    code: Literal["received", "accepted", "in_progress", "closed", "rejected", "duplicate"] = Field(
        description="市民看到的状态编码"
    )
    label: str = Field(description="市民看到的状态")
    notes: str = Field(description="市民看到的说明（不予受理的理由、重复时保留的查询码）")


class ReportOut(Schema):
    id: int = Field(description="随手拍 ID")
    tracking_code: str = Field(description="查询码")
    category: str = Field(description="类别编码")
    category_name: str = Field(description="类别名称")
    description: str = Field(description="问题描述")
    address: str = Field(description="地址")
    lat: float = Field(description="纬度（WGS-84）")
    lng: float = Field(description="经度（WGS-84）")
    phone: str = Field(description="手机号：协调员看到全号，其他人看到 138****5678 的形式")
    supporters: int = Field(description="“我也遇到”人数")
    created_at: datetime = Field(description="提交时间")
    case_id: int = Field(description="案卷 ID")
    case_code: str = Field(description="案卷编号")
    case_state: str = Field(description="案卷状态编码（new 为待分拣）")
    unit: UnitRef | None = Field(description="责任单位（待分拣时为空）")
    status: StatusOut = Field(description="市民看到的状态")


class ReportPage(Schema):
    count: int = Field(description="符合条件的随手拍总数")
    limit: int = Field(description="本页最多条数")
    offset: int = Field(description="本页起始位置")
    items: list[ReportOut] = Field(description="本页随手拍（待分拣：先到的在前；全部：新的在前）")


class QueueFilters(Schema):
    tab: Literal["new", "all"] = Field("new", description="new 待分拣 | all 全部")
    limit: int = Field(PAGE_SIZE, ge=1, le=PAGE_SIZE, description="每页条数（1–50）")
    offset: int = Field(0, ge=0, le=OFFSET_MAX, description="跳过的条数（0–10 000 000）")


class AcceptIn(Schema):
    client_id: ClientId
    unit_id: Id = Field(description="责任单位 ID（调用者范围内、启用的单位；建议见详情的 suggestion）")
    explanation: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = Field(
        "", description="分派依据（记入办理记录，可空）"
    )


class RejectIn(Schema):
    client_id: ClientId
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)] = Field(
        description="不予受理的理由（市民可见，必填，至多 1000 字）"
    )


class DuplicateIn(Schema):
    client_id: ClientId
    duplicate_of: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)] = (
        Field(description="保留的随手拍查询码（SP…）或案卷编号")
    )
    reason: Text = Field("", description="说明（可空，默认“与 … 为同一问题”）")


def report_out(report: CitizenReport, user: User, status: public.PublicStatus) -> dict[str, Any]:
    case = report.case
    unit = case.unit
    return {
        "id": report.pk,
        "tracking_code": report.tracking_code,
        "category": report.category.code,
        "category_name": report.category.name,
        "description": report.description,
        "address": report.address,
        "lat": report.lat,
        "lng": report.lng,
        "phone": phone_for(user, report.phone),
        "supporters": report.supporters,
        "created_at": report.created_at,
        "case_id": case.pk,
        "case_code": case.code,
        "case_state": case.state,
        "unit": {"id": unit.pk, "name": unit.name} if unit is not None else None,
        "status": {"code": status.code, "label": status.label, "notes": status.notes},
    }


def _overseer(request: HttpRequest) -> User:
    """The triage page's rule: coordinators and leaders (``may_oversee``), everyone else 403."""
    user = user_of(request)
    if not capabilities.may_oversee(user):
        raise forbidden(_("只有文明办协调员和区领导可以查看此页面。"))
    return user


def _coordinator(request: HttpRequest) -> User:
    user = _overseer(request)
    if not capabilities.is_coordinator(user):
        raise forbidden(_("只有文明办协调员可以分拣随手拍。"))
    return user


def visible_report(user: User, report_id: int) -> CitizenReport:
    report = (
        CitizenReport.objects.visible_to(user)
        .select_related("case", "category", "case__unit", "case__area_unit")
        .filter(pk=report_id)
        .first()
    )
    if report is None:
        raise ApiError(404, "not_found", _("随手拍不存在"))
    return report


@router.get("/triage", response={200: ReportPage, **READ_ERRORS}, summary="分拣队列（调用者范围内的随手拍）")
def queue(request: HttpRequest, filters: Query[QueueFilters]) -> dict[str, Any]:
    user = _overseer(request)
    reports = CitizenReport.objects.visible_to(user).select_related("case", "category", "case__unit")
    if TABS[filters.tab]:
        reports = reports.filter(case__state__in=TABS[filters.tab]).order_by("created_at", "id")
    shown = list(reports[filters.offset : filters.offset + filters.limit])
    statuses = public.public_statuses(shown)
    return {
        "count": reports.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [report_out(r, user, s) for r, s in zip(shown, statuses, strict=True)],
    }


class NearbyOut(Schema):
    kind: Literal["report", "case"] = Field(description="report 随手拍 | case 其他案卷")
    tracking_code: str = Field(description="随手拍查询码（案卷为空）")
    title: str = Field(description="类别或测评指标")
    status: str = Field(description="状态")
    distance_m: float = Field(description="距离（米）")
    created_at: datetime = Field(description="提交或立案时间")
    supporters: int = Field(description="“我也遇到”人数")


class SiteOut(Schema):
    id: int = Field(description="点位 ID")
    code: str = Field(description="点位编码")
    name: str = Field(description="点位名称")
    distance_m: float = Field(description="距离（米）")


class SuggestionOut(Schema):
    unit: UnitRef = Field(description="建议的责任单位")
    explanation: str = Field(description="分派依据")
    usable: bool = Field(description="建议的单位在调用者范围内且启用（否则须另选）")


class ReportDetailOut(ReportOut):
    check_item_code: str = Field(description="类别对应的测评指标编码")
    duty: str = Field(description="类别的责任类别")
    photo_ids: list[int] = Field(description="市民上传的照片（证据 ID，经 /evidence 页面按范围查看）")
    site: SiteOut | None = Field(description="200 米内最近的点位")
    duplicates: list[NearbyOut] = Field(description="附近同类、未办结的随手拍（可合并到其中之一）")
    nearby_cases: list[NearbyOut] = Field(description="附近同类、未办结的其他案卷")
    suggestion: SuggestionOut | None = Field(description="建议的责任单位（仅待分拣时）")
    can_act: bool = Field(description="调用者现在可以分拣（协调员，且待分拣）")


def detail_out(report: CitizenReport, user: User) -> dict[str, Any]:
    """What the triage page shows of one report (``triage_views.triage_detail``)."""
    page = triage.triage_context(report, user)
    site, distance = page["site"]
    suggestion = page["suggestion"]
    return {
        **report_out(report, user, public.public_status(report)),
        "check_item_code": report.category.check_item_code,
        "duty": report.category.duty,
        "photo_ids": [photo.pk for photo in triage.report_photos(report)],
        "site": {"id": site.pk, "code": site.code, "name": site.name, "distance_m": distance}
        if site
        else None,
        "duplicates": [vars(item) for item in page["duplicates"]],
        "nearby_cases": [vars(item) for item in page["nearby_cases"]],
        "suggestion": (
            {
                "unit": {"id": suggestion.unit.pk, "name": suggestion.unit.name},
                "explanation": suggestion.explanation,
                "usable": page["suggestion_usable"],
            }
            if suggestion is not None
            else None
        ),
        "can_act": capabilities.is_coordinator(user) and report.case.state == CaseState.NEW,
    }


@router.get(
    "/triage/{int:report_id}",
    response={200: ReportDetailOut, **READ_ERRORS},
    summary="一件随手拍（分拣页面的内容）",
)
def detail(request: HttpRequest, report_id: IdPath) -> dict[str, Any]:
    user = _overseer(request)
    return detail_out(visible_report(user, report_id), user)


# --- the three actions --------------------------------------------------------------------------------


def _act(request: HttpRequest, report_id: int, client_id: Any, action: str, run: Any) -> dict[str, Any]:
    """Each action: a coordinator, a report in scope, once per client id; refusals as in the cases API."""
    user = _coordinator(request)
    report = visible_report(user, report_id)

    def apply() -> str:
        try:
            run(report, user)
        except DjangoValidationError as exc:
            raise _field_errors(exc) from None
        except TransitionRefused as exc:
            raise refuse(403, "refused", exc.message) from None
        except Conflict as exc:
            raise refuse(409, "conflict", exc.message) from None
        return str(report_id)

    # A resend (applied once already) is answered like the first send: the report as it is now.
    once(user.pk, client_id, f"report.{action}:{report_id}", apply)
    return detail_out(visible_report(user, report_id), user)


def _field_errors(exc: DjangoValidationError) -> ValidationError:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return ValidationError(
        [
            {"loc": ["body", "body", *([FIELDS.get(name, name)] if name != "__all__" else [])],
             "msg": message, "type": "value_error"}
            for name, messages in errors.items()
            for message in messages
        ]
    )  # fmt: skip


WRITE = {200: ReportDetailOut, **WRITE_ERRORS}


@router.post("/triage/{int:report_id}/accept", response=WRITE, summary="受理并派遣（派往所选责任单位）")
def accept(request: HttpRequest, report_id: IdPath, body: AcceptIn) -> dict[str, Any]:
    def run(report: CitizenReport, user: User) -> None:
        unit = triage.chosen_unit(user, body.unit_id)
        triage.accept_report(report, user, unit, explanation=body.explanation, request=request)

    return _act(request, report_id, body.client_id, "accept", run)


@router.post("/triage/{int:report_id}/reject", response=WRITE, summary="不予受理（理由市民可见）")
def reject(request: HttpRequest, report_id: IdPath, body: RejectIn) -> dict[str, Any]:
    def run(report: CitizenReport, user: User) -> None:
        triage.reject_report(report, user, body.reason, request=request)

    return _act(request, report_id, body.client_id, "reject", run)


@router.post("/triage/{int:report_id}/duplicate", response=WRITE, summary="标记重复并合并“我也遇到”")
def duplicate(request: HttpRequest, report_id: IdPath, body: DuplicateIn) -> dict[str, Any]:
    def run(report: CitizenReport, user: User) -> None:
        triage.mark_duplicate(report, user, body.duplicate_of, body.reason, request=request)

    return _act(request, report_id, body.client_id, "duplicate", run)
