"""The standard's cap on declared sites (申报点位) in a 暗访 draw: its parameter ``max_declared_share``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from chuangwen.rounds import sampling
from chuangwen.rounds.models import RoundKind
from chuangwen.standards.models import Standard
from chuangwen.standards.services.validation import DEFAULT_PARAMETERS

__all__ = ["apply_declared_cap", "standard_declared_cap"]


def standard_declared_cap(standard: Standard) -> str:
    """The standard's ``max_declared_share`` as a canonical share string ("0.3")."""
    value = (standard.parameters or {}).get("max_declared_share", DEFAULT_PARAMETERS["max_declared_share"])
    return sampling.canonical_share(value)


def apply_declared_cap(
    kind: Any, params: dict[str, Any], standard: Standard, errors: dict[str, list[str]]
) -> None:
    """暗访: the standard's cap is the default and the ceiling of the round's declared-site cap."""
    if kind != RoundKind.UNANNOUNCED:
        return
    limit = standard_declared_cap(standard)
    if params.get("declared_cap") is None:
        params["declared_cap"] = limit
    elif Decimal(params["declared_cap"]) > Decimal(limit):
        errors.setdefault("declared_cap", []).append(
            _("申报点位占比上限不能超过测评标准规定的 %(cap)s") % {"cap": limit}
        )
