"""A standard as a plain document (the shape of checklist.yaml), and model checks built on the same rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from chuangwen.standards.exceptions import Problem
from chuangwen.standards.models import CheckItem, Indicator, IndicatorProject, ScoringMode, SiteType, Standard
from chuangwen.standards.services.indicators import indicator_tree
from chuangwen.standards.services.validation import (
    Place,
    RawItem,
    RawSiteType,
    clean_item,
    clean_parameters,
    clean_site_type,
)

# Document field -> model field, where they differ.
ITEM_MODEL_FIELD = {"unit": "unit_label"}
MODEL_ITEM_FIELD = {v: k for k, v in ITEM_MODEL_FIELD.items()}


def number(value: Decimal | None) -> int | float | None:
    """A Decimal as the plainest YAML/Excel number: 2 rather than 2.00, 1.5 rather than 1.50."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def item_document(item: CheckItem) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "code": item.code,
        "category": item.category,
        "text": item.text,
        "mode": item.mode,
    }
    if item.mode != ScoringMode.VETO:
        doc["deduct"] = number(Decimal(item.deduct))
    if item.mode == ScoringMode.PER_OCCURRENCE:
        doc["cap"] = number(Decimal(item.cap)) if item.cap is not None else None
    if item.unit_label:
        doc["unit"] = item.unit_label
    doc.update(severity=item.severity, deadline_days=item.deadline_days, duty=item.duty)
    return doc


def site_type_document(site_type: SiteType) -> dict[str, Any]:
    return {
        "code": site_type.code,
        "name": site_type.name,
        "protocol": site_type.protocol,
        "weight": float(site_type.weight),
        "items": [item_document(i) for i in site_type.items.order_by("sort_order", "code")],
    }


def standard_document(standard: Standard) -> dict[str, Any]:
    """Everything that defines a version; two versions with equal documents (bar version) are identical."""
    site_types = standard.site_types.order_by("sort_order", "code").prefetch_related("items")
    doc = {
        "code": standard.code,
        "name": standard.name,
        "version": standard.version,
        "site_score": standard.site_score_formula,
        "parameters": standard.parameters,
        "site_types": [site_type_document(st) for st in site_types],
    }
    tree = tree_document(indicator_tree(standard))
    if tree:  # a version without a tree keeps the document it always had
        doc["indicators"] = tree
    return doc


def tree_document(projects: list[IndicatorProject]) -> list[dict[str, Any]]:
    """The ``indicators:`` list of a document, from a prefetched tree (services.indicators.indicator_tree)."""
    return [
        {
            "code": p.code,
            "name": p.name,
            "contents": [
                {
                    "code": ct.code,
                    "name": ct.name,
                    "indicators": [indicator_document(i) for i in ct.indicators.all()],
                }
                for ct in p.contents.all()
            ],
        }
        for p in projects
    ]


def indicator_document(indicator: Indicator) -> dict[str, Any]:
    """One indicator; empty optional fields are left out, as a person writing the file would."""
    doc: dict[str, Any] = {
        "code": indicator.code,
        "text": indicator.text,
        "methods": list(indicator.methods),
        "points": number(Decimal(indicator.points)),
    }
    if indicator.material_types:
        doc["materials"] = list(indicator.material_types)
    doc["window_months"] = indicator.window_months
    if indicator.guidance:
        doc["guidance"] = indicator.guidance
    codes = [item.code for item in indicator.check_items.all()]
    if codes:
        doc["check_items"] = codes
    return doc


def _model_values(instance: CheckItem | SiteType, names: tuple[str, ...]) -> dict[str, Any]:
    values = {}
    for name in names:
        value = getattr(instance, ITEM_MODEL_FIELD.get(name, name), None)
        values[name] = None if value == "" else value
    return values


def _raise_for(problems: list[Problem]) -> None:
    if problems:
        errors: dict[str, list[str]] = {}
        for p in problems:
            errors.setdefault(p.field or "__all__", []).append(p.reason)
        raise ValidationError(errors)


def check_item_problems(item: CheckItem) -> list[Problem]:
    """The import rules applied to one item (including code uniqueness in its version)."""
    data = _model_values(item, ("code", "category", "text", "mode", "deduct", "cap", "unit"))
    data.update(_model_values(item, ("severity", "deadline_days", "duty")))
    if item.mode == ScoringMode.VETO and not item.deduct:
        data.pop("deduct")
    place = Place(item.code or "", ITEM_MODEL_FIELD)
    problems: list[Problem] = []
    clean_item(RawItem(data, place), problems)
    if item.site_type_id and item.code:
        standard_id = SiteType.objects.filter(pk=item.site_type_id).values("standard_id")
        clash = CheckItem.objects.filter(site_type__standard_id__in=standard_id, code=item.code)
        if clash.exclude(pk=item.pk).exists():
            problems.append(place.problem("code", _duplicate_message(item.code)))
    return problems


def site_type_problems(site_type: SiteType) -> list[Problem]:
    data = _model_values(site_type, ("code", "name", "protocol", "weight"))
    problems: list[Problem] = []
    clean_site_type(RawSiteType(data, Place(site_type.code or "")), problems, with_items=False)
    if site_type.standard_id and site_type.code:
        clash = SiteType.objects.filter(standard_id=site_type.standard_id, code=site_type.code)
        if clash.exclude(pk=site_type.pk).exists():
            problems.append(Problem(site_type.code, "code", _duplicate_message(site_type.code)))
    return problems


def _duplicate_message(code: str) -> str:
    return _("编码“%(code)s”在本版本中已存在") % {"code": code}


def check_item_model_errors(item: CheckItem) -> None:
    _raise_for(check_item_problems(item))


def site_type_model_errors(site_type: SiteType) -> None:
    _raise_for(site_type_problems(site_type))


def standard_model_errors(standard: Standard) -> None:
    """Check (and complete with defaults) the scoring parameters typed into a form."""
    problems: list[Problem] = []
    parameters = clean_parameters(standard.parameters, Place("parameters"), problems)
    if problems:
        raise ValidationError({"parameters": [str(p) for p in problems]})
    standard.parameters = parameters
