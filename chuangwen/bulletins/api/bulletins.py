"""Bulletins: the list, one bulletin (content snapshot, allowed actions, render state, documents), drafting,
editing, typical problems, the workflow, re-rendering and the documents."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse, HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Schema, Status
from pydantic import field_validator

from chuangwen.accounts.models import User
from chuangwen.audit.services import record
from chuangwen.bulletins import rendering, services
from chuangwen.bulletins.api.common import (
    ERRORS,
    PAGE_SIZE,
    WRITE_ERRORS,
    PageIn,
    UnitRef,
    bulletin_of,
    member,
    office,
    person,
    refused,
    require_office_of,
    router,
    unit_ref,
    within_bounds,
)
from chuangwen.bulletins.api.sources import resolve_sources
from chuangwen.bulletins.api.templates import WORDING_NAMES, Wording
from chuangwen.bulletins.models import Bulletin, BulletinState, RenderState, Section, TypicalProblem
from chuangwen.core.api_errors import ApiError
from chuangwen.core.bounds import ID_MAX, Id, IdPath

KINDS = Literal["inspection", "lookback", "monthly", "redblack", "commendation"]
STATES = Literal["draft", "in_review", "reviewed", "signed", "issued"]
DOCUMENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class BulletinOut(Schema):
    id: int = Field(description="通报 ID")
    kind: KINDS = Field(
        description="inspection 暗访通报 | lookback 回头看通报 | monthly 月度排名通报 | "
        "redblack 红黑榜 | commendation 表彰决定"
    )
    kind_label: str = Field(description="通报类型名称")
    title: str = Field(description="标题")
    state: STATES = Field(
        description="draft 起草中 | in_review 待审核 | reviewed 待签发 | signed 已签发 | issued 已印发"
    )
    state_label: str = Field(description="状态名称")
    document_number: str = Field(description="发文字号，例如 区文明办通〔2026〕3号；印发前为空")
    year: int = Field(description="年度")
    number: int | None = Field(description="序号（印发时编号）")
    owner: UnitRef = Field(description="发文单位")
    period_start: date = Field(description="通报期间起")
    period_end: date = Field(description="通报期间止")
    version: int = Field(description="版本号（修改、办理时回传以防覆盖他人修改）")
    created_at: datetime = Field(description="起草时间")
    issued_at: datetime | None = Field(description="印发时间")


class BulletinPage(Schema):
    count: int = Field(description="符合条件的通报总数")
    limit: int = Field(description="本页最多条数")
    offset: int = Field(description="本页起始位置")
    items: list[BulletinOut] = Field(description="本页通报（新的在前）")


class ActionOut(Schema):
    action: Literal["submit", "approve", "return", "sign", "issue"] = Field(description="操作")
    label: str = Field(description="操作名称")
    needs_reason: bool = Field(description="是否须填写意见")


class RenderOut(Schema):
    state: Literal["none", "queued", "running", "done", "failed"] = Field(
        description="none 未生成 | queued 排队中 | running 生成中 | done 已生成 | failed 生成失败"
    )
    progress: int = Field(description="进度（%）")
    error: str = Field(description="失败原因")
    version: int = Field(description="文档对应的版本号")
    current: bool = Field(description="文档是否对应当前版本")


class DocumentsOut(Schema):
    docx: str | None = Field(description="Word 文件下载地址（未生成为空）")
    pdf: str | None = Field(description="PDF 下载地址（未生成为空）")
    xlsx: str | None = Field(description="排名表 Excel 下载地址（未生成为空）")


class TypicalOut(Schema):
    finding_id: int = Field(description="不符合项 ID")
    caption: str = Field(description="说明")


class OwnReceiptOut(Schema):
    unit: UnitRef = Field(description="本单位")
    read_at: datetime | None = Field(description="首次阅读时间")
    reply_state: str = Field(
        description="not_required 无需回复 | awaiting 待报 | replied 已报待审 | "
        "accepted 已认可 | returned 退回重报"
    )
    reply_due: datetime | None = Field(description="整改报告截止")


class BulletinDetailOut(BulletinOut):
    addressees: str = Field(description="主送")
    issuer: str = Field(description="发文机关署名")
    sections: list[str] = Field(description="章节（按顺序）")
    wording: dict[str, str] = Field(description="文字段落")
    template_id: int = Field(description="模板 ID")
    ranking_id: int | None = Field(description="引用排名 ID")
    round_id: int | None = Field(description="引用测评批次 ID")
    wave_id: int | None = Field(description="引用问卷调查轮次 ID")
    materials_period_id: int | None = Field(description="引用申报周期 ID")
    corrects_id: int | None = Field(description="所更正通报的 ID")
    content: dict[str, Any] = Field(description="通报内容快照（数字、名单、典型问题；小数为字符串）")
    typical: list[TypicalOut] = Field(description="已选典型问题（按顺序）")
    created_by: str = Field(description="起草人")
    reviewed_by: str = Field(description="审核人")
    reviewed_at: datetime | None = Field(description="审核时间")
    signed_by: str = Field(description="签发人")
    signed_at: datetime | None = Field(description="签发时间")
    issued_by: str = Field(description="印发人")
    return_note: str = Field(description="退回意见")
    reply_due: datetime | None = Field(description="整改报告截止")
    allowed_actions: list[ActionOut] = Field(description="调用者现在可以进行的操作")
    may_edit: bool = Field(description="调用者现在可以修改（起草中且为发文单位文明办）")
    render: RenderOut = Field(description="文档生成状态")
    documents: DocumentsOut = Field(description="文档下载地址")
    receipt: OwnReceiptOut | None = Field(description="调用者所在单位的送达记录（不是送达单位为空）")


class ListFilters(PageIn):
    state: STATES | None = Field(None, description="状态")
    kind: KINDS | None = Field(None, description="通报类型")
    year: int | None = Field(None, ge=2000, le=2100, description="年度")


class DraftIn(Schema):
    template_id: Id = Field(description="模板 ID（本单位文明办的模板）")
    ranking_id: Id | None = Field(None, description="引用的已发布排名 ID")
    round_id: Id | None = Field(None, description="引用的已发布测评批次 ID")
    wave_id: Id | None = Field(None, description="引用的已发布问卷调查轮次 ID")
    materials_period_id: Id | None = Field(None, description="引用的已归档申报周期 ID")
    period_start: date | None = Field(None, description="通报期间起（默认取自排名或测评批次）")
    period_end: date | None = Field(None, description="通报期间止")
    title: str = Field("", max_length=200, description="标题（空则按类型和期间生成）")
    corrects_id: Id | None = Field(None, description="更正的已印发通报 ID")

    @field_validator("period_start", "period_end")
    @classmethod
    def _bounded(cls, value: date | None) -> date | None:
        return within_bounds(value, _("通报期间"))


class EditIn(Schema):
    version: int = Field(ge=1, le=ID_MAX, description="当前版本号")
    title: str | None = Field(None, max_length=200, pattern=r"\S", description="标题（非空白）")
    addressees: str | None = Field(None, max_length=300, description="主送")
    sections: list[Section] | None = Field(None, min_length=1, max_length=50, description="章节（按顺序）")
    wording: Wording | None = Field(
        None, max_length=50, json_schema_extra=WORDING_NAMES, description="文字段落（只改所给的段落）"
    )


class PickIn(Schema):
    finding_id: Id = Field(description="不符合项 ID（见 /{bulletin_id}/candidates）")
    caption: str = Field("", max_length=300, description="说明（不超过 300 字）")


class TypicalIn(Schema):
    version: int = Field(ge=1, le=ID_MAX, description="当前版本号")
    picks: list[PickIn] = Field(max_length=50, description="典型问题（按顺序，替换原有选择）")


class TransitionIn(Schema):
    action: Literal["submit", "approve", "return", "sign", "issue"] = Field(
        description="submit 提交审核 | approve 审核通过 | return 退回修改 | sign 签发 | issue 印发"
    )
    reason: str = Field("", max_length=500, description="意见（退回时必填）")
    version: int | None = Field(None, ge=1, le=ID_MAX, description="当前版本号（给出时防止重复办理）")


class CandidateOut(Schema):
    finding_id: int = Field(description="不符合项 ID")
    site: str = Field(description="点位")
    unit: UnitRef | None = Field(description="责任单位")
    item_code: str = Field(description="指标编号")
    item: str = Field(description="测评指标")
    count: int = Field(description="问题数量")
    deduction: str = Field(description="扣分")
    picked: bool = Field(description="是否已选为典型问题")


def _document_url(bulletin: Bulletin, kind: str) -> str | None:
    if not getattr(bulletin, f"{kind}_name"):
        return None
    return reverse("api:bulletin_document", kwargs={"bulletin_id": bulletin.pk, "kind": kind})


def bulletin_out(bulletin: Bulletin) -> dict[str, Any]:
    return {
        "id": bulletin.pk,
        "kind": bulletin.kind,
        "kind_label": bulletin.get_kind_display(),
        "title": bulletin.title,
        "state": bulletin.state,
        "state_label": bulletin.get_state_display(),
        "document_number": bulletin.document_number,
        "year": bulletin.year,
        "number": bulletin.number,
        "owner": unit_ref(bulletin.owner_unit),
        "period_start": bulletin.period_start,
        "period_end": bulletin.period_end,
        "version": bulletin.version,
        "created_at": bulletin.created_at,
        "issued_at": bulletin.issued_at,
    }


def _receipt(bulletin: Bulletin, user: User) -> dict[str, Any] | None:
    mine = services.recipient_for(bulletin, user)
    if mine is None:
        return None
    return {
        "unit": unit_ref(mine.unit),
        "read_at": mine.read_at,
        "reply_state": mine.reply_state,
        "reply_due": mine.reply_due,
    }


def detail_out(bulletin: Bulletin, user: User) -> dict[str, Any]:
    picks = TypicalProblem.objects.filter(bulletin=bulletin).order_by("order", "pk")
    actions = services.allowed_actions(bulletin, user)
    return {
        **bulletin_out(bulletin),
        "addressees": bulletin.addressees,
        "issuer": bulletin.issuer,
        "sections": list(bulletin.sections),
        "wording": dict(bulletin.wording),
        "template_id": bulletin.template_id,
        "ranking_id": bulletin.ranking_id,
        "round_id": bulletin.round_id,
        "wave_id": bulletin.wave_id,
        "materials_period_id": bulletin.materials_period_id,
        "corrects_id": bulletin.corrects_id,
        "content": bulletin.content,
        "typical": [{"finding_id": p.finding_id, "caption": p.caption} for p in picks],
        "created_by": person(bulletin.created_by),
        "reviewed_by": person(bulletin.reviewed_by),
        "reviewed_at": bulletin.reviewed_at,
        "signed_by": person(bulletin.signed_by),
        "signed_at": bulletin.signed_at,
        "issued_by": person(bulletin.issued_by),
        "return_note": bulletin.return_note,
        "reply_due": bulletin.reply_due,
        "allowed_actions": [
            {"action": t.action, "label": str(t.label), "needs_reason": t.needs_reason} for t in actions
        ],
        "may_edit": bulletin.state == BulletinState.DRAFT
        and services.is_office_of(user, bulletin.owner_unit_id),
        "render": {
            "state": bulletin.render_state,
            "progress": bulletin.render_progress,
            "error": bulletin.render_error,
            "version": bulletin.render_version,
            "current": bulletin.render_state == RenderState.DONE
            and bulletin.render_version == bulletin.version,
        },
        "documents": {kind: _document_url(bulletin, kind) for kind in DOCUMENT_TYPES},
        "receipt": _receipt(bulletin, user),
    }


def _fresh(user: User, bulletin_id: int) -> dict[str, Any]:
    return detail_out(bulletin_of(user, bulletin_id), user)


@router.get(
    "/", response={200: BulletinPage, **ERRORS}, summary="可见的通报（可按状态、类型、年度筛选，分页）"
)
def list_bulletins(request: HttpRequest, filters: Query[ListFilters]) -> dict[str, Any]:
    user = member(request)
    bulletins = Bulletin.objects.visible_to(user).select_related("owner_unit")
    if filters.state:
        bulletins = bulletins.filter(state=filters.state)
    if filters.kind:
        bulletins = bulletins.filter(kind=filters.kind)
    if filters.year:
        bulletins = bulletins.filter(year=filters.year)
    page = bulletins[filters.offset : filters.offset + min(filters.limit, PAGE_SIZE)]
    return {
        "count": bulletins.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [bulletin_out(b) for b in page],
    }


@router.post(
    "/",
    response={201: BulletinDetailOut, **WRITE_ERRORS},
    summary="起草通报（引用已发布的排名、测评批次、调查轮次或已归档的申报周期）",
)
def draft_bulletin(request: HttpRequest, body: DraftIn) -> Status[dict[str, Any]]:
    user = office(request)
    try:
        template, sources, corrects = resolve_sources(user, body)
        made = services.draft(
            template,
            user,
            **sources,
            period_start=body.period_start,
            period_end=body.period_end,
            title=body.title,
            corrects=corrects,
        )
    except services.Refused as exc:
        raise refused(exc) from None
    return Status(201, _fresh(user, made.pk))


@router.get("/{bulletin_id}", response={200: BulletinDetailOut, **ERRORS}, summary="一份通报及其内容快照")
def get_bulletin(request: HttpRequest, bulletin_id: IdPath) -> dict[str, Any]:
    return _fresh(member(request), bulletin_id)


@router.patch(
    "/{bulletin_id}",
    response={200: BulletinDetailOut, **WRITE_ERRORS},
    summary="修改草稿的标题、主送、章节或文字段落（须回传版本号）",
)
def edit_bulletin(request: HttpRequest, bulletin_id: IdPath, body: EditIn) -> dict[str, Any]:
    user = member(request)
    bulletin = bulletin_of(user, bulletin_id)
    require_office_of(user, bulletin)
    try:
        services.edit(
            bulletin,
            user,
            version=body.version,
            title=body.title,
            addressees=body.addressees,
            sections=[str(section) for section in body.sections] if body.sections is not None else None,
            wording=body.wording,
        )
    except services.Refused as exc:
        raise refused(exc) from None
    return _fresh(user, bulletin_id)


@router.put(
    "/{bulletin_id}/typical",
    response={200: BulletinDetailOut, **WRITE_ERRORS},
    summary="选定典型问题（按顺序替换原有选择；须回传版本号）",
)
def set_typical(request: HttpRequest, bulletin_id: IdPath, body: TypicalIn) -> dict[str, Any]:
    user = member(request)
    bulletin = bulletin_of(user, bulletin_id)
    require_office_of(user, bulletin)
    picks = [(p.finding_id, p.caption) for p in body.picks]
    try:
        services.set_typical(bulletin, user, picks, version=body.version)
    except services.Refused as exc:
        raise refused(exc) from None
    return _fresh(user, bulletin_id)


@router.get(
    "/{bulletin_id}/candidates",
    response={200: list[CandidateOut], **ERRORS},
    summary="可选为典型问题的不符合项（本期测评范围内、有照片）",
)
def candidates(request: HttpRequest, bulletin_id: IdPath) -> list[dict[str, Any]]:
    user = member(request)
    bulletin = bulletin_of(user, bulletin_id)
    require_office_of(user, bulletin)
    picked = set(TypicalProblem.objects.filter(bulletin=bulletin).values_list("finding_id", flat=True))
    return [
        {
            "finding_id": f.pk,
            "site": f.site.name,
            "unit": unit_ref(f.site.responsible_unit),
            "item_code": f.check_item.code,
            "item": f.check_item.text,
            "count": f.count,
            "deduction": str(f.deduction),
            "picked": f.pk in picked,
        }
        for f in services.candidate_findings(bulletin)
    ]


@router.post(
    "/{bulletin_id}/transitions",
    response={200: BulletinDetailOut, **WRITE_ERRORS},
    summary="办理：提交审核、审核通过、退回修改（须写意见）、签发、印发（编号并送达）",
)
def take_transition(request: HttpRequest, bulletin_id: IdPath, body: TransitionIn) -> dict[str, Any]:
    user = member(request)
    bulletin = bulletin_of(user, bulletin_id)
    require_office_of(user, bulletin)
    try:
        if body.action == "issue":
            services.issue_safely(bulletin, user, version=body.version)
        else:
            services.transition(bulletin, body.action, user, reason=body.reason, version=body.version)
    except services.Refused as exc:
        raise refused(exc) from None
    return _fresh(user, bulletin_id)


@router.post(
    "/{bulletin_id}/render",
    response={202: BulletinDetailOut, **WRITE_ERRORS},
    summary="重新生成文档（Word、PDF、排名表；在任务队列中进行，进度见 render）",
)
def rerender(request: HttpRequest, bulletin_id: IdPath) -> Status[dict[str, Any]]:
    user = member(request)
    bulletin = bulletin_of(user, bulletin_id)
    require_office_of(user, bulletin)
    if bulletin.render_state in (RenderState.QUEUED, RenderState.RUNNING):
        message = _("文档正在生成，请稍候")
        raise ApiError(409, "state", message, field="", message=message)
    with transaction.atomic():
        rendering.request_render(bulletin)
        record(request, "bulletin.render", obj=bulletin, actor=user, detail={"version": bulletin.version})
    return Status(202, _fresh(user, bulletin_id))


@router.get(
    "/{bulletin_id}/documents/{kind}",
    response={200: None, **ERRORS},
    summary="下载通报文档：docx（Word）、pdf 或 xlsx（排名表）",
)
def bulletin_document(
    request: HttpRequest, bulletin_id: IdPath, kind: Literal["docx", "pdf", "xlsx"]
) -> FileResponse:
    user = member(request)
    bulletin = bulletin_of(user, bulletin_id)
    name = getattr(bulletin, f"{kind}_name")
    if not name:
        raise ApiError(404, "not_found", _("该文档尚未生成"))
    try:
        handle = default_storage.open(name, "rb")
    except FileNotFoundError:
        raise ApiError(404, "not_found", _("该文档尚未生成")) from None
    record(request, "bulletin.export", obj=bulletin, actor=user, detail={"format": kind})
    filename = f"{bulletin.document_number or bulletin.title}.{kind}"
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=DOCUMENT_TYPES[kind])
    response["X-Content-Type-Options"] = "nosniff"
    return response
