"""Indicator ↔ check item links obey freezing too: ``m2m_changed`` is the path that save() never sees."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from chuangwen.standards.exceptions import Problem, StandardFrozen, StandardValidationError
from chuangwen.standards.models import Indicator, IndicatorProject, SiteType, Standard

GUARDED_ACTIONS = frozenset({"pre_add", "pre_remove", "pre_clear"})


def _indicator_standards(pks: set[Any]) -> set[int]:
    projects = IndicatorProject.objects.filter(contents__indicators__pk__in=pks)
    return set(projects.values_list("standard_id", flat=True))


def _item_standards(pks: set[Any]) -> set[int]:
    return set(SiteType.objects.filter(items__pk__in=pks).values_list("standard_id", flat=True))


def guard_indicator_links(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[Any] | None, **kwargs: Any
) -> None:
    """Refuse adding, removing or clearing links on a frozen version, and links across two versions.

    ``indicator.check_items.add(...)`` arrives with ``reverse=False``; ``item.indicators.add(...)`` with
    ``reverse=True`` (then ``instance`` is the check item and ``pk_set`` holds indicators). The refusal is
    raised inside Django's transaction of the change: a caller that carries on wraps it in ``atomic()``.
    """
    if action not in GUARDED_ACTIONS:
        return
    if reverse:
        own, other = _item_standards({instance.pk}), _indicator_standards(set(pk_set or ()))
    else:
        own, other = _indicator_standards({instance.pk}), _item_standards(set(pk_set or ()))
    if action == "pre_add" and other - own:
        indicator_code = instance.code if isinstance(instance, Indicator) else ""
        reason = _("只能关联同一标准版本中的实地测评指标")
        raise StandardValidationError([Problem(indicator_code, "check_items", reason)])
    if Standard.objects.filter(pk__in=own | other, frozen_at__isnull=False).exists():
        raise StandardFrozen()


def connect() -> None:
    from django.db.models.signals import m2m_changed

    m2m_changed.connect(
        guard_indicator_links, sender=Indicator.check_items.through, dispatch_uid="standards.indicator_links"
    )
