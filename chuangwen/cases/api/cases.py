"""API of the cases: the worklist with the page's filters, one case with its history, and actions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, P, PathEx, Query, Router, Schema
from ninja.errors import ValidationError

from chuangwen.cases import machine, photochecks, services
from chuangwen.cases.exceptions import CaseNotFound, Conflict, TransitionRefused
from chuangwen.cases.forms import CaseFilterForm, light_counts, light_of, state_counts
from chuangwen.cases.instructions import instruction_rows
from chuangwen.cases.models import Case, CaseSource, CaseState
from chuangwen.core.api_errors import ApiError, ErrorOut
from chuangwen.core.bounds import ID_MAX, OFFSET_MAX, Id, IdPath
from chuangwen.core.web import user_of
from chuangwen.org.models import Unit
from chuangwen.workdays.services import end_of_day

router = Router(tags=["案卷"])

PAGE_SIZE = 50
MAX_PHOTOS = 50


class UnitRef(Schema):
    id: int = Field(description="单位 ID")
    name: str = Field(description="单位名称")


class CaseOut(Schema):
    id: int = Field(description="案卷 ID")
    code: str = Field(description="案卷编号")
    title: str = Field(description="标题")
    state: str = Field(description="状态编码")
    state_name: str = Field(description="状态名称")
    source: str = Field(description="来源编码")
    site_id: int | None = Field(description="点位 ID")
    site_name: str = Field(description="点位名称")
    unit: UnitRef | None = Field(description="责任单位（待分拣时为空）")
    area_unit: UnitRef | None = Field(description="所在区域")
    opened_at: datetime = Field(description="立案时间")
    deadline: datetime | None = Field(description="整改期限")
    light: str = Field(description="红黄绿灯：green、yellow、red；已结或无期限为空")
    version: int = Field(description="版本号（提交操作时作为 expected_version 回传）")


class EventOut(Schema):
    action: str = Field(description="操作编码")
    action_name: str = Field(description="操作名称")
    from_state: str = Field(description="原状态")
    to_state: str = Field(description="新状态")
    actor: str = Field(description="操作人")
    at: datetime = Field(description="时间")
    reason: str = Field(description="理由")
    photo_ids: list[int] = Field(description="照片（证据 ID）")


class ComparisonOut(Schema):
    changed: float = Field(description="对齐后不同区域占比（0–1）")
    inliers: int = Field(description="几何校验后吻合的特征点数")
    mirrored: bool = Field(description="整改照片是否被镜像翻转")
    overlap: float = Field(description="整改照片覆盖相似照片的面积占比（0–1）")


class PhotoFlagOut(Schema):
    evidence_id: int = Field(description="整改照片（证据 ID）")
    kind: str = Field(description="疑点：before_open、far_from_site、same_as_problem、reused、no_location")
    label: str = Field(description="疑点名称")
    detail: str = Field(description="说明")
    other_evidence_id: int | None = Field(description="相似的照片（证据 ID）；调用者无权查看的案卷的照片为空")
    comparison: ComparisonOut | None = Field(
        description="特征点比对结果（同一张照片、重复使用的疑点）；照片过于单调时按感知哈希判定，为空"
    )
    comparison_url: str | None = Field(
        description="比对图（相似照片、对齐后的整改照片、差异）的地址；无权查看时为空"
    )


class PhotoCaptureOut(Schema):
    evidence_id: int = Field(description="照片（证据 ID）")
    capture_state: str = Field(
        description="采集方式：bound 现场拍摄（已绑定）、gallery 相册选取、unbound 未绑定"
    )
    capture_name: str = Field(description="采集方式名称")
    capture_detail: str = Field(description="说明（凭据签发与拍摄时间，或未绑定的原因）")


class PhotoCheckOut(Schema):
    rectified_at: datetime = Field(description="报告整改的时间（该次整改照片的自动核验）")
    state: str = Field(description="核验状态：pending 待检查、running 检查中、done 已检查、failed 检查失败")
    state_name: str = Field(description="核验状态名称")
    queued_at: datetime = Field(description="排队时间")
    finished_at: datetime | None = Field(description="完成时间")


class InstructionOut(Schema):
    id: int = Field(description="督办 ID")
    text: str = Field(description="督办要求")
    deadline: datetime = Field(description="督办期限")
    issued_by: str = Field(description="督办人")
    issued_at: datetime = Field(description="督办时间")
    overdue: bool = Field(description="督办期限已过")


def instruction_out(case: Case) -> list[dict[str, Any]]:
    return [
        {
            "id": item.pk, "text": item.text, "deadline": item.deadline, "issued_at": item.issued_at,
            "issued_by": item.issued_by.full_name or item.issued_by.username, "overdue": overdue,
        }
        for item, overdue in instruction_rows(case, timezone.now())
    ]  # fmt: skip


def comparison_url(case: Case, flag: photochecks.FlagView) -> str | None:
    return reverse("cases:photo_comparison", args=[case.pk, flag.flag_id]) if flag.comparable else None


class CaseDetailOut(CaseOut):
    description: str = Field(description="问题描述")
    lat: float | None = Field(description="纬度（WGS-84）")
    lng: float | None = Field(description="经度（WGS-84）")
    rework_count: int = Field(description="返工次数")
    suspended_until: date | None = Field(description="挂账计划完成日期")
    deadline_from: datetime | None = Field(description="期限起算时间（派遣、返工时重新起算）")
    warn_at: datetime | None = Field(description="临期时间（已用八成工作时间，此后为黄灯）")
    extension_requested_until: datetime | None = Field(description="待审批的延期申请：申请延期至")
    extension_count: int = Field(description="已批准的延期次数")
    reverify_pending: bool = Field(description="结案后被随机抽中、待抽查复核")
    recurrence_of: str | None = Field(description="复发：此前已结案的同点位同指标案卷编号（可见时）")
    allowed_actions: list[str] = Field(description="调用者现在可以执行的操作")
    events: list[EventOut] = Field(description="办理记录（按时间先后）")
    photo_flags: list[PhotoFlagOut] = Field(
        description="整改照片自动核验发现的疑点（只有 photo_checks 为 done 的整改才算已核验）"
    )
    photo_checks: list[PhotoCheckOut] = Field(description="每次报告整改的照片自动核验状态（按时间先后）")
    photo_captures: list[PhotoCaptureOut] = Field(description="办理记录中每张照片的采集方式（拍摄凭据绑定）")
    instructions: list[InstructionOut] = Field(description="督办（最新在前）")


class Counts(Schema):
    by_state: dict[str, int] = Field(description="各状态的案卷数")
    by_light: dict[str, int] = Field(description="红黄绿灯的案卷数（green、yellow、red）")


class CasePage(Schema):
    count: int = Field(description="符合条件的案卷总数（超过上限时为上限，见 count_capped）")
    count_capped: bool = Field(
        description="总数超过上限（CASES_LIST_COUNT_CAP，默认 10 000）时为 true，显示为“10 000+”"
    )
    limit: int = Field(description="本页最多条数")
    offset: int = Field(description="本页起始位置")
    counts: Counts | None = Field(description="按状态和红黄绿灯的统计（with_counts=false 时为空）")
    items: list[CaseOut] = Field(description="本页案卷")


class CaseFilters(Schema):
    q: str | None = Field(None, max_length=100, description="编号、标题或点位名称（模糊匹配）")
    state: CaseState | None = Field(None, description="状态编码")
    source: CaseSource | None = Field(None, description="来源编码")
    unit: int | None = Field(None, ge=1, le=ID_MAX, description="责任单位 ID（含其下级）")
    light: Literal["green", "yellow", "red"] | None = Field(None, description="红黄绿灯：green、yellow、red")
    overdue: bool | None = Field(None, description="只看超期")
    pending: Literal["return", "extension", "reverify", "escalated"] | None = Field(
        None,
        description=(
            "待决事项：return 退回申请待审批、extension 延期申请待审批、"
            "reverify 待抽查复核、escalated 已报领导督办"
        ),
    )
    with_counts: bool = Field(False, description="是否附带按状态和红黄绿灯的统计（统计整个筛选结果，较慢）")
    limit: int = Field(PAGE_SIZE, ge=1, le=PAGE_SIZE, description="每页条数（1–50）")
    offset: int = Field(0, ge=0, le=OFFSET_MAX, description="跳过的条数（0–10 000 000）")


# An action of the case machine (cases/machine.py), in the path of POST /cases/{id}/actions/{action}.
ActionPath = PathEx[
    str,
    P(pattern="^(?:" + "|".join(machine.ACTIONS) + ")$", description="操作：" + "、".join(machine.ACTIONS)),
]


class ActionIn(Schema):
    reason: str = Field("", description="理由")
    unit_id: int | None = Field(None, ge=1, le=ID_MAX, description="责任单位 ID（派遣、改派）")
    planned_date: date | None = Field(None, description="计划完成日期（挂账）")
    photo_ids: list[Id] = Field(
        default_factory=list, max_length=MAX_PHOTOS, description="照片（证据 ID，先通过 /evidence 上传）"
    )
    duplicate_of: str | None = Field(None, description="重复的案卷编号（标记重复）")
    deadline: date | None = Field(None, description="申请延期至（日期，截至当日 24 时；申请延期）")
    expected_version: int | None = Field(
        None, ge=0, le=ID_MAX, description="读取时的版本号；案卷已被他人处理时返回 409"
    )


def form_data(filters: CaseFilters) -> dict[str, str]:
    data = {
        name: str(getattr(filters, name))
        for name in ("q", "state", "source", "unit", "light", "pending")
        if getattr(filters, name) not in (None, "")
    }
    if filters.overdue:
        data["overdue"] = "on"
    return data


def _ref(unit: Unit | None) -> dict[str, Any] | None:
    return {"id": unit.pk, "name": unit.name} if unit is not None else None


def state_names() -> dict[str, str]:
    """The state labels in the request's language, looked up once per response (not once per case)."""
    return {value: str(label) for value, label in CaseState.choices}


def case_out(case: Case, now: datetime, names: dict[str, str] | None = None) -> dict[str, Any]:
    names = names or state_names()
    return {
        "id": case.pk, "code": case.code, "title": case.title, "state": case.state,
        "state_name": names.get(case.state, case.state), "source": case.source, "site_id": case.site_id,
        "site_name": case.site.name if case.site else "", "unit": _ref(case.unit),
        "area_unit": _ref(case.area_unit), "opened_at": case.opened_at, "deadline": case.deadline,
        "light": light_of(case, now), "version": case.version,
    }  # fmt: skip


def case_detail_out(case: Case, request: HttpRequest) -> dict[str, Any]:
    events = case.events.select_related("actor").prefetch_related("photos")
    return {
        **case_out(case, timezone.now()),
        "description": case.description, "lat": case.lat, "lng": case.lng,
        "rework_count": case.rework_count, "suspended_until": case.suspended_until,
        "deadline_from": case.deadline_from, "warn_at": case.warn_at,
        "extension_requested_until": case.extension_requested_until,
        "extension_count": case.extension_count, "reverify_pending": case.reverify_pending,
        "recurrence_of": _recurrence_code(case, request),
        "allowed_actions": machine.allowed_actions(case, user_of(request)),
        "instructions": instruction_out(case),
        "photo_flags": [
            {
                "evidence_id": flag.evidence_id, "kind": flag.kind, "label": flag.label,
                "detail": flag.detail, "other_evidence_id": flag.other_evidence_id,
                "comparison": flag.comparison or None,
                "comparison_url": comparison_url(case, flag),
            }
            for flag in photochecks.flags_for(case, user_of(request))
        ],
        "photo_checks": photo_checks_out(events),
        "photo_captures": [
            {
                "evidence_id": photo.pk, "capture_state": photo.capture_state,
                "capture_name": photo.get_capture_state_display(), "capture_detail": photo.capture_detail,
            }
            for photo in sorted({p for event in events for p in event.photos.all()}, key=lambda p: p.pk)
        ],
        "events": [
            {
                "action": event.action, "action_name": machine.action_label(event.action),
                "from_state": event.from_state, "to_state": event.to_state,
                "actor": (event.actor.full_name or event.actor.username) if event.actor else "",
                "at": event.at, "reason": event.reason,
                "photo_ids": sorted(photo.pk for photo in event.photos.all()),
            }
            for event in events
        ],
    }  # fmt: skip


def photo_checks_out(events: Any) -> list[dict[str, Any]]:
    rectify = [event for event in events if event.action == "rectify"]
    checks = photochecks.checks_of(rectify)
    return [
        {
            "rectified_at": event.at, "state": checks[event.pk].state,
            "state_name": checks[event.pk].get_state_display(), "queued_at": checks[event.pk].queued_at,
            "finished_at": checks[event.pk].finished_at,
        }
        for event in rectify
    ]  # fmt: skip


def _recurrence_code(case: Case, request: HttpRequest) -> str | None:
    if case.recurrence_of_id is None:
        return None
    earlier = Case.objects.visible_to(user_of(request)).filter(pk=case.recurrence_of_id).first()
    return earlier.code if earlier else None


def _visible(request: HttpRequest) -> Any:
    return Case.objects.visible_to(user_of(request)).select_related("site", "unit", "area_unit")


@router.get("", response=CasePage, summary="案卷列表（调用者范围内，可筛选、分页，附统计）")
def list_cases(request: HttpRequest, filters: Query[CaseFilters]) -> dict[str, Any]:
    form = CaseFilterForm(form_data(filters), user=user_of(request))
    now = timezone.now()
    cases = form.filter(_visible(request), now)
    if form.errors:
        raise ValidationError(
            [
                {"loc": ["query", name], "msg": " ".join(str(m) for m in messages), "type": "value_error"}
                for name, messages in form.errors.items()
            ]
        )
    page = cases[filters.offset : filters.offset + filters.limit]
    names = state_names()
    counts = None
    if filters.with_counts:
        counts = {"by_state": state_counts(cases), "by_light": light_counts(cases, now)}
    # Counting a subtree's 800 000 closed cases exactly costs seconds; stop at the cap (a page needs no more).
    cap = int(settings.CASES_LIST_COUNT_CAP)
    count = cases.order_by()[: cap + 1].count()
    return {
        "count": min(count, cap),
        "count_capped": count > cap,
        "limit": filters.limit,
        "offset": filters.offset,
        "counts": counts,
        "items": [case_out(case, now, names) for case in page],
    }


@router.get("/{int:case_id}", response=CaseDetailOut, summary="案卷详情与办理记录（范围外的案卷返回 404）")
def get_case(request: HttpRequest, case_id: IdPath) -> dict[str, Any]:
    case = get_object_or_404(_visible(request), pk=case_id)
    return case_detail_out(case, request)


def _field_errors(errors: dict[str, list[str]]) -> ValidationError:
    names = {machine.UNIT: "unit_id", machine.PHOTOS: "photo_ids"}
    return ValidationError(
        [
            {"loc": ["body", "payload", names.get(name, name)], "msg": message, "type": "value_error"}
            for name, messages in errors.items()
            for message in messages
        ]
    )


@router.post(
    "/{int:case_id}/actions/{action}",
    response={200: CaseDetailOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="对案卷执行操作（受理、退回、报告整改、核查等）",
)
def act(request: HttpRequest, case_id: IdPath, action: ActionPath, payload: ActionIn) -> Any:
    user = user_of(request)
    case = _visible(request).filter(pk=case_id).first()
    if case is None:
        raise ApiError(404, "not_found", CaseNotFound().message)
    unit = None
    if payload.unit_id is not None:
        unit = Unit.objects.filter(pk=payload.unit_id).first()
        if unit is None:
            raise _field_errors({machine.UNIT: [_("责任单位不存在或不在您的管辖范围内")]})
    data = {"duplicate_of": payload.duplicate_of} if payload.duplicate_of else None
    try:
        services.apply(
            case, action, user, reason=payload.reason, unit=unit, photos=payload.photo_ids,
            planned_date=payload.planned_date, data=data, expected_version=payload.expected_version,
            deadline=end_of_day(payload.deadline) if payload.deadline else None,
            request=request,
        )  # fmt: skip
    except CaseNotFound as exc:
        raise ApiError(404, "not_found", exc.message) from None
    except TransitionRefused as exc:
        raise ApiError(403, "refused", exc.message) from None
    except Conflict as exc:
        raise ApiError(409, "conflict", exc.message) from None
    except DjangoValidationError as exc:
        raise _field_errors(exc.message_dict) from exc
    return case_detail_out(case, request)
