"""Editing and deleting draft rounds. Only a draft may change: from the draw on, the parameters are committed
and published for verification, so nothing about them may move."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from chuangwen.audit.services import record
from chuangwen.rounds.models import Round, RoundStatus
from chuangwen.rounds.services import (
    RoundError,
    _copy_back,
    _lock,
    _require_coordinator,
    _require_status,
    validated_draft,
)

if TYPE_CHECKING:
    from chuangwen.accounts.models import User

EDITED_FIELDS = (
    "name",
    "kind",
    "standard",
    "target_unit",
    "inspecting_unit",
    "period_start",
    "period_end",
    "params",
)


def initial_data(round_: Round) -> dict[str, Any]:
    """The draft as the round form's initial values."""
    params = round_.params or {}
    data: dict[str, Any] = {
        "name": round_.name,
        "kind": round_.kind,
        "standard": round_.standard_id,
        "period_start": round_.period_start,
        "period_end": round_.period_end,
        "target_unit": round_.target_unit_id,
        "inspecting_unit": round_.inspecting_unit_id,
        "declared_cap": params.get("declared_cap") or "",
        "street_max": params.get("street_max"),
        "failed_share": params.get("failed_share") or "1",
        "random_extra": params.get("random_extra") or 0,
    }
    if params.get("max_distance_m"):
        data["max_distance_m"] = params["max_distance_m"]
    for code, n in (params.get("type_quotas") or {}).items():
        data[f"quota_{code}"] = n
    for code, n in (params.get("street_quotas") or {}).items():
        data[f"street_{code}"] = n
    return data


@transaction.atomic
def update_round(round_: Round, data: Mapping[str, Any], actor: User) -> Round:
    """Change a draft with the same rules as creating one (ValidationError); RoundError once drawn."""
    current = _lock(round_)
    _require_coordinator(actor, current)
    _require_status(current, RoundStatus.DRAFT)
    fields = validated_draft(data, actor)
    changed = sorted(
        name for name in EDITED_FIELDS if getattr(current, name) != fields[name] and name != "params"
    )
    if current.params != fields["params"]:
        changed.append("params")
    for name, value in fields.items():
        setattr(current, name, value)
    current.save()
    record(None, "round.update", obj=current, actor=actor, detail={"changed": changed})
    return _copy_back(current, round_)


@transaction.atomic
def delete_round(round_: Round, actor: User) -> None:
    """Delete a draft (nothing was drawn, so nothing is lost); the audit log keeps its name and kind."""
    current = _lock(round_)
    _require_coordinator(actor, current)
    _require_status(current, RoundStatus.DRAFT)
    if current.entries.exists() or current.visits.exists():
        raise RoundError(_("该批次已有抽中点位或测评记录，不能删除。"))
    detail = {"name": current.name, "kind": current.kind, "public_id": str(current.public_id)}
    record(None, "round.delete", obj=current, actor=actor, detail=detail)
    current.delete()
