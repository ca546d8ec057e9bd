"""Questionnaires: list, read, import a spec as the next version, freeze."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Schema, Status
from ninja.errors import ValidationError

from chuangwen.accounts.capabilities import may_run_surveys
from chuangwen.core.api_errors import ApiError, ErrorOut
from chuangwen.core.bounds import ID_MAX, IdPath
from chuangwen.surveys import plan, services, spec
from chuangwen.surveys.api.common import (
    BODY_MAX,
    ERRORS,
    UnitRef,
    _json,
    _refused,
    _runner,
    _unit,
    _viewer,
    router,
)
from chuangwen.surveys.definition import definition, public_definition
from chuangwen.surveys.models import (
    Questionnaire,
)

# --- questionnaires -----------------------------------------------------------------------------------------


class QuestionnaireOut(Schema):
    id: int = Field(description="问卷 ID")
    code: str = Field(description="问卷编号")
    version: int = Field(description="版本")
    title: str = Field(description="问卷名称")
    state: str = Field(description="draft 草稿 | frozen 已定稿")
    owner: UnitRef = Field(description="组织单位")
    questions: int = Field(description="题目数")
    frozen_at: datetime | None = Field(description="定稿时间")
    created_at: datetime = Field(description="创建时间")


class QuestionnaireDetailOut(QuestionnaireOut):
    intro: str = Field(description="开场说明")
    standard_id: int | None = Field(description="对应测评体系版本 ID")
    with_scores: bool = Field(description="是否含选项得分（只给组织单位的协调员）")
    spec: dict[str, Any] = Field(description="问卷文件内容（与 YAML 导出相同的结构）")
    definition: dict[str, Any] = Field(description="问卷定义（客户端显示用；含得分时有 scores）")


class ImportQuery(Schema):
    standard_id: int | None = Field(
        None, ge=1, le=ID_MAX, description="测评体系版本 ID（可选；给出时核对各题的测评标准编号）"
    )


def _questionnaire_out(q: Questionnaire, count: int | None = None) -> dict[str, Any]:
    return {
        "id": q.pk,
        "code": q.code,
        "version": q.version,
        "title": q.title,
        "state": q.state,
        "owner": _unit(q.owner_unit),
        "questions": q.questions.count() if count is None else count,
        "frozen_at": q.frozen_at,
        "created_at": q.created_at,
    }


def _without_scores(document: dict[str, Any]) -> dict[str, Any]:
    for section in document.get("sections", []):
        for question in section.get("questions", []):
            for choice in question.get("choices", []) or []:
                choice.pop("score", None)
    return document


def _questionnaire_detail(q: Questionnaire, user: Any) -> dict[str, Any]:
    office = may_run_surveys(user) and user.unit_id == q.owner_unit_id
    document = spec.to_spec(q)
    full = definition(q)
    return {
        **_questionnaire_out(q),
        "intro": q.intro,
        "standard_id": q.standard_id,
        "with_scores": office,
        "spec": document if office else _without_scores(document),
        "definition": dict(full) if office else public_definition(full),
    }


def _questionnaire(user: Any, questionnaire_id: int) -> Questionnaire:
    found = Questionnaire.objects.visible_to(user).select_related("owner_unit")
    return get_object_or_404(found, pk=questionnaire_id)


@router.get(
    "/questionnaires", response={200: list[QuestionnaireOut], **ERRORS}, summary="可见的问卷（各版本）"
)
def list_questionnaires(request: HttpRequest) -> list[dict[str, Any]]:
    from django.db.models import Count

    user = _viewer(request)
    found = Questionnaire.objects.visible_to(user).select_related("owner_unit").annotate(n=Count("questions"))
    return [_questionnaire_out(q, q.n) for q in found]  # type: ignore[attr-defined]


@router.get(
    "/questionnaires/{questionnaire_id}",
    response={200: QuestionnaireDetailOut, **ERRORS},
    summary="一份问卷：问卷文件内容与定义（得分只给组织单位的协调员）",
)
def get_questionnaire(request: HttpRequest, questionnaire_id: IdPath) -> dict[str, Any]:
    user = _viewer(request)
    return _questionnaire_detail(_questionnaire(user, questionnaire_id), user)


@router.post(
    "/questionnaires",
    response={201: QuestionnaireDetailOut, 400: ErrorOut, **ERRORS},
    summary="导入问卷：请求体为问卷文件（YAML 的 JSON 形式）；同编号已有时保存为新版本；全部正确才保存",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "description": "问卷文件：code、title、intro、sections[{code, title, relevant, "
                        "questions[{code, kind, text, hint, required, choices[{value, label, score}], min, "
                        "max, relevant, measure, indicator}]}]（docs/surveys.md）",
                    }
                }
            },
        }
    },
)
def import_questionnaire(request: HttpRequest, params: Query[ImportQuery]) -> Status[dict[str, Any]]:
    from chuangwen.standards.models import Standard

    user = _runner(request)
    standard = None
    if params.standard_id is not None:
        standard = Standard.objects.filter(pk=params.standard_id).first()
        if standard is None:
            raise ValidationError(
                [{"loc": ["query", "standard_id"], "msg": _("没有该测评体系版本"), "type": "invalid"}]
            )
    document = _json(request, BODY_MAX)
    try:
        made = spec.load(document, user.unit, user, standard)
    except spec.SpecInvalid as exc:
        raise ValidationError(
            [
                {
                    "loc": ["body", e.where, *([e.field] if e.field else [])],
                    "msg": str(e),
                    "type": "invalid",
                    **({"row": e.row} if isinstance(e.row, int) else {}),
                }
                for e in exc.errors
            ]
        ) from None
    return Status(201, _questionnaire_detail(_questionnaire(user, made.pk), user))


@router.post(
    "/questionnaires/{questionnaire_id}/freeze",
    response={200: QuestionnaireDetailOut, **ERRORS, 409: ErrorOut},
    summary="问卷定稿（此后只能以新版本修改；已定稿时 409 already_frozen）",
)
def freeze_questionnaire(request: HttpRequest, questionnaire_id: IdPath) -> dict[str, Any]:
    user = _viewer(request)
    questionnaire = _questionnaire(user, questionnaire_id)
    if not (may_run_surveys(user) and user.unit_id == questionnaire.owner_unit_id):
        raise ApiError(403, "refused", _("只有问卷所属单位的文明办协调员可以定稿"))
    if questionnaire.is_frozen:
        raise ApiError(409, "already_frozen", _("问卷已定稿"))
    try:
        plan.freeze(questionnaire, user)
    except services.Refused as exc:
        raise _refused(exc) from None
    return _questionnaire_detail(_questionnaire(user, questionnaire_id), user)
