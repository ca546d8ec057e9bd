"""A bulletin's snapshot arranged for its page: the chosen sections in order, each with its lead paragraph and
its rows as stored (the page prints what the documents print), and the photos of typical problems cut to
those the viewer may see."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from chuangwen.accounts.models import User
from chuangwen.bulletins.models import Bulletin, Section
from chuangwen.evidence.models import Evidence
from chuangwen.surveys.models import Measure

LOOKBACK_LABELS = {
    "rework": _("核查不通过返工"),
    "false_rectification": _("抽查复核不通过（虚假整改）"),
    "flagged_photo": _("整改照片存疑"),
    "recurrence": _("问题复发"),
}
# Section → the snapshot key its rows are stored under.
ROW_KEYS = {
    Section.RANKING: "ranking",
    Section.RED_LIST: "red",
    Section.BLACK_LIST: "black",
    Section.TYPICAL: "typical",
    Section.DEADLINE: "deadline",
    Section.LOOKBACK: "lookback",
    Section.TALKS: "talks",
    Section.COMMENDATIONS: "commendations",
    Section.SURVEY: "survey",
    Section.MATERIALS: "materials",
}


def _survey(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """The wave's rates as a table: a header of measure names, a row of cells per unit."""
    if not data:
        return None
    measures = [m for m in data.get("measures", []) if m in Measure.values]
    rows = [
        {"unit_name": row["unit_name"], "cells": [(row.get("measures") or {}).get(m) for m in measures]}
        for row in data.get("rows", [])
    ]
    return {
        "wave": data.get("wave", ""),
        "accepted": data.get("accepted", 0),
        "measures": [Measure(m).label for m in measures],
        "rows": rows,
    }


def _typical(rows: list[dict[str, Any]], user: User) -> list[dict[str, Any]]:
    wanted = {pk for row in rows for pk in row.get("photos", [])}
    shown = set(Evidence.objects.visible_to(user).filter(pk__in=wanted).values_list("pk", flat=True))
    return [{**row, "photos": [pk for pk in row.get("photos", []) if pk in shown]} for row in rows]


def _lookback(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**row, "reason_label": LOOKBACK_LABELS.get(row.get("reason", ""), "")} for row in rows]


def sections_of(bulletin: Bulletin, user: User) -> list[dict[str, Any]]:
    """One entry per chosen section in order: key, label, lead paragraph and its data."""
    snapshot = bulletin.content or {}
    out = []
    for key in bulletin.sections:
        if key not in Section.values:
            continue
        data: Any = snapshot.get(ROW_KEYS[key]) if key in ROW_KEYS else None
        if key == Section.OVERVIEW:
            data = snapshot.get("overview")
        elif key == Section.TYPICAL:
            data = _typical(data or [], user)
        elif key == Section.LOOKBACK:
            data = _lookback(data or [])
        elif key == Section.SURVEY:
            data = _survey(data)
        out.append(
            {
                "key": key,
                "label": Section(key).label,
                "lead": (bulletin.wording or {}).get(key, ""),
                "data": data,
            }
        )
    return out
