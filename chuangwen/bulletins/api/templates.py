"""The office's templates: sections, wording blocks, lines, counts and the rest (bounds as on the pages)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Schema
from pydantic import StrictBool, model_validator
from pydantic.json_schema import JsonDict

from chuangwen.audit.services import record
from chuangwen.bulletins import defaults, services
from chuangwen.bulletins.api.common import ERRORS, WRITE_ERRORS, forbidden, invalid, office, refused, router
from chuangwen.bulletins.models import BulletinTemplate, Section
from chuangwen.core.api_errors import ApiError
from chuangwen.core.bounds import IdPath, Score

SCHEDULES = Literal["none", "weekly", "monthly"]
LEVELS = Literal["street", "community", "department"]
REQUIRED = {
    "name": gettext_lazy("模板名称"),
    "issuer": gettext_lazy("发文机关署名"),
    "number_prefix": gettext_lazy("发文字号前缀"),
}


class TemplateOut(Schema):
    id: int = Field(description="模板 ID")
    kind: str = Field(description="通报类型")
    kind_label: str = Field(description="通报类型名称")
    name: str = Field(description="模板名称")
    sections: list[str] = Field(description="章节（按顺序）")
    wording: dict[str, str] = Field(description="文字段落")
    red_threshold: Decimal = Field(description="红榜分数线（不低于）")
    black_threshold: Decimal = Field(description="黑榜分数线（低于）")
    red_count: int = Field(description="红榜最多单位数")
    typical_count: int = Field(description="典型问题条数")
    addressees: str = Field(description="主送")
    issuer: str = Field(description="发文机关署名")
    number_prefix: str = Field(description="发文字号前缀")
    reply_days: int = Field(description="整改报告期限（工作日）")
    schedule: str = Field(description="自动起草：none | weekly | monthly")
    ranking_level: str = Field(description="引用排名的对象：street | community | department")
    active: bool = Field(description="启用")


# Wording blocks by name (the names the services know), each at most MAX_WORDING_CHARS characters.
Wording = dict[str, Annotated[str, Field(max_length=services.MAX_WORDING_CHARS)]]
WORDING_NAMES: JsonDict = {"propertyNames": {"enum": [key for key in sorted(defaults.WORDING_KEYS)]}}


class TemplateIn(Schema):
    """Only the fields given change."""

    name: str | None = Field(None, max_length=100, pattern=r"\S", description="模板名称（非空白）")
    sections: list[Section] | None = Field(None, min_length=1, max_length=50, description="章节（按顺序）")
    wording: Wording | None = Field(
        None, max_length=50, json_schema_extra=WORDING_NAMES, description="文字段落（只改所给的段落）"
    )

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, data: Any) -> Any:
        """Every field may be left out, but the body is still one JSON object (not a list, not null)."""
        if not isinstance(getattr(data, "_obj", data), dict):  # ninja wraps it in its DjangoGetter
            raise ValueError(_("请求体应为 JSON 对象"))
        return data

    red_threshold: Score | None = Field(None, description="红榜分数线（0–100，至多两位小数）")
    black_threshold: Score | None = Field(None, description="黑榜分数线（0–100，至多两位小数）")
    red_count: int | None = Field(None, ge=0, le=50, description="红榜最多单位数（0–50）")
    typical_count: int | None = Field(None, ge=0, le=50, description="典型问题条数（0–50）")
    addressees: str | None = Field(None, max_length=300, description="主送")
    issuer: str | None = Field(
        None, max_length=100, pattern=r"\S", description="发文机关署名（不能只有空白）"
    )
    number_prefix: str | None = Field(
        None, max_length=30, pattern=r"\S", description="发文字号前缀（不能只有空白）"
    )
    reply_days: int | None = Field(None, ge=1, le=60, description="整改报告期限（1–60 个工作日）")
    schedule: SCHEDULES | None = Field(None, description="自动起草")
    ranking_level: LEVELS | None = Field(None, description="引用排名的对象")
    active: StrictBool | None = Field(None, description="启用（true 或 false）")


def template_out(t: BulletinTemplate) -> dict[str, Any]:
    return {
        "id": t.pk,
        "kind": t.kind,
        "kind_label": t.get_kind_display(),
        "name": t.name,
        "sections": list(t.sections),
        "wording": dict(t.wording),
        "red_threshold": t.red_threshold,
        "black_threshold": t.black_threshold,
        "red_count": t.red_count,
        "typical_count": t.typical_count,
        "addressees": t.addressees,
        "issuer": t.issuer,
        "number_prefix": t.number_prefix,
        "reply_days": t.reply_days,
        "schedule": t.schedule,
        "ranking_level": t.ranking_level,
        "active": t.active,
    }


@router.get("/templates", response={200: list[TemplateOut], **ERRORS}, summary="本单位文明办的通报模板")
def list_templates(request: HttpRequest) -> list[dict[str, Any]]:
    user = office(request)
    assert user.unit is not None
    services.ensure_templates(user.unit)  # one per kind, as the pages make them on the first visit
    templates = BulletinTemplate.objects.visible_to(user).filter(owner_unit=user.unit)
    return [template_out(t) for t in templates]


def _changes(body: TemplateIn, template: BulletinTemplate) -> dict[str, Any]:
    """The fields to set, checked: sections and wording by the services' rules, names not blank."""
    changes = body.dict(exclude_unset=True, exclude_none=True)
    if "sections" in changes:
        changes["sections"] = services.check_sections(changes["sections"])
    if "wording" in changes:
        changes["wording"] = {**template.wording, **services.check_wording(changes["wording"])}
    for name in REQUIRED:
        if name in changes:
            changes[name] = changes[name].strip()
            if not changes[name]:
                raise invalid(name, _("%(f)s不能为空") % {"f": REQUIRED[name]})
    if "addressees" in changes:
        changes["addressees"] = changes["addressees"].strip()
    return changes


@router.patch(
    "/templates/{template_id}",
    response={200: TemplateOut, **WRITE_ERRORS},
    summary="修改通报模板（只改所给的字段；分数线 0–100，条数 0–50，整改期限 1–60 个工作日）",
)
def edit_template(request: HttpRequest, template_id: IdPath, body: TemplateIn) -> dict[str, Any]:
    user = office(request)
    template = BulletinTemplate.objects.visible_to(user).filter(pk=template_id).first()
    if template is None:
        raise ApiError(404, "not_found", _("没有找到该通报模板"))
    if template.owner_unit_id != user.unit_id:
        raise forbidden(_("只能修改本单位文明办的通报模板"))
    try:
        changes = _changes(body, template)
    except services.Refused as exc:
        raise refused(exc) from None
    with transaction.atomic():
        for name, value in changes.items():
            setattr(template, name, value)
        template.save(update_fields=list(changes) or None)
        record(request, "bulletin.template", obj=template, actor=user, detail={"fields": sorted(changes)})
    return template_out(template)
