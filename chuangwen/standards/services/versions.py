"""Creating, activating, freezing, deriving and editing standard versions (每个版本只增不改)."""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.audit.services import record
from chuangwen.standards.exceptions import Problem, StandardFrozen, StandardValidationError
from chuangwen.standards.models import CheckItem, ScoringMode, SiteType, Standard
from chuangwen.standards.services.documents import check_item_problems, site_type_problems
from chuangwen.standards.services.indicators import clean_tree_from_model, write_tree
from chuangwen.standards.services.validation import (
    CleanItem,
    CleanSiteType,
    CleanStandard,
    Place,
    clean_parameters,
    to_decimal,
)

DEFAULT_STANDARD_CODE = "CW-2026"
DEFAULT_STANDARD_FILE = Path(__file__).resolve().parent.parent / "data" / "checklist.yaml"
DEFAULT_TREE_FILE = DEFAULT_STANDARD_FILE.with_name("indicators.yaml")
ITEM_EDITABLE = frozenset(
    {"code", "category", "text", "mode", "deduct", "cap", "unit_label", "severity", "deadline_days", "duty"}
    | {"sort_order"}
)
SITE_TYPE_EDITABLE = frozenset({"code", "name", "protocol", "weight", "sort_order"})


def next_version(code: str) -> int:
    latest = Standard.objects.filter(code=code).aggregate(v=Max("version"))["v"]
    return (latest or 0) + 1


@transaction.atomic
def create_standard(
    clean: CleanStandard,
    *,
    actor: Any = None,
    derived_from: Standard | None = None,
    action: str = "standard.import",
    detail: Mapping[str, Any] | None = None,
) -> Standard:
    """Write a validated standard as the next version of its code; never touches an existing version."""
    standard = Standard.objects.create(
        code=clean.code,
        version=next_version(clean.code),
        name=clean.name,
        site_score_formula=clean.site_score_formula,
        parameters=clean.parameters,
        derived_from=derived_from,
    )
    items: list[CheckItem] = []
    for order, st in enumerate(clean.site_types, start=1):
        site_type = SiteType.objects.create(
            standard=standard,
            code=st.code,
            name=st.name,
            protocol=st.protocol,
            weight=st.weight,
            sort_order=order,
        )
        items.extend(_item_row(site_type, item, n) for n, item in enumerate(st.items, start=1))
    CheckItem.objects.bulk_create(items)
    indicators = write_tree(standard, clean.indicators, {item.code: item for item in items})
    counts = {"site_types": len(clean.site_types), "items": len(items), "indicators": indicators}
    record(None, action, obj=standard, actor=actor, detail={**counts, **(detail or {})})
    return standard


def _item_row(site_type: SiteType, item: CleanItem, order: int) -> CheckItem:
    return CheckItem(
        site_type=site_type,
        code=item.code,
        category=item.category,
        text=item.text,
        mode=item.mode,
        deduct=item.deduct,
        cap=item.cap,
        unit_label=item.unit_label,
        severity=item.severity,
        deadline_days=item.deadline_days,
        duty=item.duty,
        sort_order=order,
    )


def clean_from_model(standard: Standard) -> CleanStandard:
    site_types = []
    for st in standard.site_types.order_by("sort_order", "code").prefetch_related("items"):
        items = [
            CleanItem(
                code=i.code, category=i.category, text=i.text, mode=i.mode, deduct=i.deduct, cap=i.cap,
                unit_label=i.unit_label, severity=i.severity, deadline_days=i.deadline_days, duty=i.duty,
            )
            for i in sorted(st.items.all(), key=lambda i: (i.sort_order, i.code))
        ]  # fmt: skip
        site_types.append(CleanSiteType(st.code, st.name, st.protocol, st.weight, items))
    return CleanStandard(
        standard.code,
        standard.name,
        standard.site_score_formula,
        dict(standard.parameters),
        site_types,
        clean_tree_from_model(standard),
    )


def derive_new_version(standard: Standard, actor: Any = None) -> Standard:
    """Copy a version (usually a frozen one) into the next version number: editable, not active."""
    return create_standard(
        clean_from_model(standard),
        actor=actor,
        derived_from=standard,
        action="standard.derive",
        detail={"from_version": standard.version},
    )


@transaction.atomic
def activate(standard: Standard, actor: Any = None) -> Standard:
    """Make this the one version new rounds use by default."""
    Standard.objects.filter(is_active=True).exclude(pk=standard.pk).update(is_active=False)
    standard.is_active = True
    standard.save(update_fields=["is_active"])
    record(None, "standard.activate", obj=standard, actor=actor)
    return standard


@transaction.atomic
def freeze(standard: Standard, reason: str, actor: Any = None) -> Standard:
    """Freeze a version for good (a round has used it); freezing twice keeps the first time and reason."""
    current = Standard.objects.select_for_update().get(pk=standard.pk)
    if current.frozen:
        return current
    current.frozen_at = timezone.now()
    current.frozen_reason = reason[:200]
    current.save(update_fields=["frozen_at", "frozen_reason"])
    record(None, "standard.freeze", obj=current, actor=actor, detail={"reason": current.frozen_reason})
    standard.frozen_at, standard.frozen_reason = current.frozen_at, current.frozen_reason
    return current


def _refuse_unknown(location: str, changes: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise StandardValidationError([Problem(location, name, _("该字段不能修改")) for name in unknown])


def _ensure_unfrozen(standard_id: int) -> None:
    if Standard.objects.filter(pk=standard_id, frozen_at__isnull=False).exists():
        raise StandardFrozen()


@transaction.atomic
def update_check_item(item: CheckItem, actor: Any = None, **changes: Any) -> CheckItem:
    """Change fields of an item of an unfrozen version, under the same rules as an import."""
    _refuse_unknown(item.code, changes, ITEM_EDITABLE)
    current = CheckItem.objects.select_for_update().select_related("site_type").get(pk=item.pk)
    _ensure_unfrozen(current.site_type.standard_id)
    before = {name: getattr(current, name) for name in changes}
    for name, value in changes.items():
        setattr(current, name, value)
    if current.mode == ScoringMode.VETO:
        current.deduct = current.deduct if "deduct" in changes else 0
        current.cap = current.cap if "cap" in changes else None
    elif current.mode == ScoringMode.BINARY and "cap" not in changes:
        current.cap = None
    problems = check_item_problems(current)
    if problems:
        raise StandardValidationError(problems)
    current.deduct = to_decimal(current.deduct) or 0
    current.cap = to_decimal(current.cap) if current.cap is not None else None
    current.save()
    record(
        None, "standard.item.update", obj=current, actor=actor, detail={"before": before, "after": changes}
    )
    return current


@transaction.atomic
def update_site_type(site_type: SiteType, actor: Any = None, **changes: Any) -> SiteType:
    _refuse_unknown(site_type.code, changes, SITE_TYPE_EDITABLE)
    current = SiteType.objects.select_for_update().get(pk=site_type.pk)
    _ensure_unfrozen(current.standard_id)
    before = {name: getattr(current, name) for name in changes}
    for name, value in changes.items():
        setattr(current, name, value)
    problems = site_type_problems(current)
    if problems:
        raise StandardValidationError(problems)
    current.weight = to_decimal(current.weight) or current.weight
    current.save()
    detail = {"before": before, "after": changes}
    record(None, "standard.site_type.update", obj=current, actor=actor, detail=detail)
    return current


@transaction.atomic
def update_parameters(standard: Standard, changes: Mapping[str, Any], actor: Any = None) -> Standard:
    """Overlay scoring parameters of an unfrozen version; each value is checked as on import."""
    current = Standard.objects.select_for_update().get(pk=standard.pk)
    if current.frozen:
        raise StandardFrozen()
    problems: list[Problem] = []
    merged = clean_parameters({**current.parameters, **changes}, Place("parameters"), problems)
    if problems:
        raise StandardValidationError(problems)
    before = {k: current.parameters.get(k) for k in changes}
    current.parameters = merged
    current.save(update_fields=["parameters"])
    detail = {"before": before, "after": dict(changes)}
    record(None, "standard.parameters.update", obj=current, actor=actor, detail=detail)
    standard.parameters = merged
    return current


def default_document() -> dict[str, Any]:
    """checklist.yaml with the tree of indicators.yaml under ``standard.indicators``: one version."""
    return copy.deepcopy(_parsed_default())


@functools.cache
def _parsed_default() -> dict[str, Any]:
    # Parsed once per process: many tests load the starter, and parsing is half the time of loading it. The
    # import only reads the document, so load_default_standard passes this very object.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    doc = yaml.load(DEFAULT_STANDARD_FILE.read_bytes(), Loader=loader)
    tree = yaml.load(DEFAULT_TREE_FILE.read_bytes(), Loader=loader)
    doc["standard"]["indicators"] = tree["indicators"]
    return dict(doc)


def load_default_standard(actor: Any = None) -> Standard:
    """The shipped starter standard (checklist and indicator tree) as CW-2026 v1; idempotent. Activated when
    no version is active yet."""
    from chuangwen.standards.services.exchange import import_standard_document

    standard = Standard.objects.filter(code=DEFAULT_STANDARD_CODE, version=1).first()
    if standard is None:
        standard = import_standard_document(_parsed_default(), actor=actor)
    if not Standard.objects.filter(is_active=True).exists():
        activate(standard, actor=actor)
    return standard
