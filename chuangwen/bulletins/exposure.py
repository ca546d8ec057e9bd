"""曝光台: the public, redacted version of an issued bulletin.

The issuing office's coordinator publishes an issued bulletin with a short summary (``publish``) and may take
it down again (``withdraw``); both are audited. ``public_view`` is all the public ever sees of it: built from
the frozen snapshot by an explicit whitelist per section, so a key added to the snapshot later stays private
until it is added here. Kept: unit, site and check item names, numbers, dates, case codes. Dropped: reply
texts, person names, the reasons of talks and commendations (they may name people), case titles (they may
come from citizens; the check item text or a generic label stands in), the office's free wording and captions.
Photos appear only as the privacy module's blurred public copies (``evidence:public``); ``is_public_photo``
is the check registered in ``privacy.PUBLIC_CHECKS`` that lets that URL serve them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chuangwen.accounts.models import Role
from chuangwen.audit.services import record
from chuangwen.bulletins.models import Bulletin, BulletinState, Section
from chuangwen.bulletins.services import Refused, is_office_of

if TYPE_CHECKING:
    from chuangwen.accounts.models import User
    from chuangwen.evidence.models import Evidence

MAX_SUMMARY_CHARS = 500
MAX_REASON_CHARS = 500

LOOKBACK_LABELS = {
    "rework": gettext_lazy("核查不通过返工"),
    "false_rectification": gettext_lazy("抽查复核不通过（虚假整改）"),
    "flagged_photo": gettext_lazy("整改照片存疑"),
    "recurrence": gettext_lazy("问题复发"),
}
# Generic labels of a case without a check item, by its source (a citizen's title is never shown).
CASE_LABEL_DEFAULT = gettext_lazy("限期整改问题")

RANK_FIELDS = (
    "rank",
    "unit_name",
    "composite",
    "composite_change",
    "rank_change",
    "onsite",
    "rectification",
    "materials",
    "survey",
    "visits",
    "cases",
)
OVERVIEW_FIELDS = (
    "visits",
    "sites",
    "conforming",
    "applicable",
    "score_rate",
    "previous_score_rate",
    "change",
    "findings",
    "problems",
)
MEASURE_FIELDS = ("rate", "low", "high", "n", "n_effective")


# --- who and when -----


def may_manage(user: User, bulletin: Bulletin) -> bool:
    """A coordinator of the issuing office (leaders sign; coordinators speak to the public)."""
    return (
        bool(getattr(user, "is_authenticated", False))
        and is_office_of(user, bulletin.owner_unit_id)
        and user.role == Role.COORDINATOR
    )


def _require_manager(user: User, bulletin: Bulletin) -> None:
    if not may_manage(user, bulletin):
        raise Refused("forbidden", _("只有发文单位文明办协调员可以在曝光台发布或撤下该通报"))


def _text(value: Any, field: str, label: str, limit: int) -> str:
    if value is not None and not isinstance(value, str):
        raise Refused("invalid", _("%(f)s格式不正确") % {"f": label}, field)
    text = (value or "").strip()
    if not text:
        raise Refused("invalid", _("请填写%(f)s") % {"f": label}, field)
    if len(text) > limit:
        raise Refused("invalid", _("%(f)s不能超过 %(n)s 字") % {"f": label, "n": limit}, field)
    return text


def publish(bulletin: Bulletin, actor: User, summary: str) -> Bulletin:
    """Show an issued bulletin on the 曝光台 with ``summary`` (≤ 500 characters); publishing a public one
    again replaces its summary and time."""
    _require_manager(actor, bulletin)
    text = _text(summary, "summary", str(_("曝光台摘要")), MAX_SUMMARY_CHARS)
    with transaction.atomic():
        locked = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
        if locked.state != BulletinState.ISSUED:
            raise Refused("state", _("只有已印发的通报可以在曝光台发布"))
        again = locked.public_at is not None
        locked.public_at, locked.public_summary = timezone.now(), text
        locked.save(update_fields=["public_at", "public_summary"])
        record(
            None,
            "bulletin.publish",
            obj=locked,
            actor=actor,
            detail={"summary": text, "again": again, "token": str(locked.public_token)},
        )
    bulletin.public_at, bulletin.public_summary = locked.public_at, locked.public_summary
    return locked


def withdraw(bulletin: Bulletin, actor: User, reason: str) -> Bulletin:
    """Take a bulletin off the 曝光台 (its page and feed entry disappear; its photos stop being public)."""
    _require_manager(actor, bulletin)
    text = _text(reason, "reason", str(_("撤下原因")), MAX_REASON_CHARS)
    with transaction.atomic():
        locked = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
        if locked.public_at is None:
            raise Refused("state", _("该通报未在曝光台发布"))
        locked.public_at = None
        locked.save(update_fields=["public_at"])
        record(None, "bulletin.withdraw", obj=locked, actor=actor, detail={"reason": text})
    bulletin.public_at = None
    return locked


def published() -> Any:
    """The bulletins on the 曝光台, newest first (the only query the public pages use)."""
    return (
        Bulletin.objects.filter(state=BulletinState.ISSUED, public_at__isnull=False)
        .select_related("owner_unit")
        .order_by("-public_at", "-pk")
    )


# --- photos -----


def is_public_photo(evidence: Evidence) -> bool:
    """``privacy.PUBLIC_CHECKS``: a photo listed among the typical problems' photos of a bulletin on the
    曝光台. The join on typical picks narrows the candidates; the frozen snapshot decides (a finding's other
    photos are not shown)."""
    if evidence.judgement_id is None:
        return False
    candidates = published().filter(typical_problems__finding__judgement_id=evidence.judgement_id).distinct()
    for content in candidates.values_list("content", flat=True):
        for row in (content or {}).get("typical", []):
            if evidence.pk in row.get("photos", []):
                return True
    return False


# --- what the public sees -----


def _pick(row: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: row.get(name) for name in fields}


def _typical(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from chuangwen.evidence.models import Evidence

    wanted = {pk for row in rows for pk in row.get("photos", [])}
    present = set(Evidence.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    fields = ("site", "site_type", "unit_name", "item_code", "item", "count", "deduction", "visited")
    return [
        {
            **_pick(row, fields),
            "photos": [
                reverse("evidence:public", args=[pk]) for pk in row.get("photos", []) if pk in present
            ],
        }
        for row in rows
    ]


def _deadline(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Case code, unit, deadline and state; the check item's text in place of the case title."""
    from chuangwen.cases.models import Case

    codes = [row.get("code") for row in rows]
    items = dict(
        Case.objects.filter(code__in=codes, check_item__isnull=False).values_list("code", "check_item__text")
    )
    return [
        {
            **_pick(row, ("code", "unit_name", "deadline", "state")),
            "item": items.get(str(row.get("code", ""))) or str(CASE_LABEL_DEFAULT),
        }
        for row in rows
    ]


def _survey(data: dict[str, Any] | None) -> dict[str, Any] | None:
    from chuangwen.surveys.models import Measure

    if not data:
        return None
    measures = [m for m in data.get("measures", []) if m in Measure.values]
    rows = []
    for row in data.get("rows", []):
        values = row.get("measures") or {}
        cells = [_pick(values[m], MEASURE_FIELDS) if values.get(m) else None for m in measures]
        rows.append({"unit_name": row.get("unit_name", ""), "cells": cells})
    labels = [str(Measure(m).label) for m in measures]
    wave, accepted = data.get("wave", ""), data.get("accepted", 0)
    return {"wave": wave, "accepted": accepted, "measures": labels, "rows": rows}


def _materials(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if not data:
        return None
    fields = ("unit_name", "cells", "passed", "rate")
    return {"period": data.get("period", ""), "rows": [_pick(r, fields) for r in data.get("rows", [])]}


def _sections(content: dict[str, Any]) -> dict[str, Any]:
    """Each snapshot section through its whitelist; absent sections stay absent."""
    out: dict[str, Any] = {}
    for key in ("ranking", "red", "black"):
        if key in content:
            out[key] = [_pick(r, RANK_FIELDS) for r in content[key]]
    if "typical" in content:
        out["typical"] = _typical(content["typical"])
    if "deadline" in content:
        out["deadline"] = _deadline(content["deadline"])
    if "lookback" in content:
        out["lookback"] = [
            {"unit_name": r.get("unit_name", ""), "reason": str(LOOKBACK_LABELS.get(r.get("reason"), ""))}
            for r in content["lookback"]
        ]
    if "talks" in content:
        fields = ("unit_name", "kind_label", "meeting_date", "follow_up_due")
        out["talks"] = [_pick(r, fields) for r in content["talks"]]
    if "commendations" in content:
        out["commendations"] = [_pick(r, ("unit_name", "title", "date")) for r in content["commendations"]]
    if "survey" in content:
        out["survey"] = _survey(content["survey"])
    if "materials" in content:
        out["materials"] = _materials(content["materials"])
    return out


def public_view(bulletin: Bulletin) -> dict[str, Any]:
    """The redacted bulletin: heading facts, the summary, and the whitelisted sections in the bulletin's
    order (``sections`` lists the keys present, ``overview`` and ``ranking_title`` beside them)."""
    content = bulletin.content or {}
    body = _sections(content)
    # The office's requirements are wording only, which the public page leaves out.
    order = [s for s in bulletin.sections if s != Section.REQUIREMENTS]
    period = content.get("period") or [bulletin.period_start.isoformat(), bulletin.period_end.isoformat()]
    return {
        "title": bulletin.title,
        "document_number": bulletin.document_number,
        "issuer": bulletin.issuer,
        "kind": bulletin.kind,
        "kind_label": str(bulletin.get_kind_display()),
        "issued_on": timezone.localtime(bulletin.issued_at).date().isoformat() if bulletin.issued_at else "",
        "public_at": bulletin.public_at,
        "summary": bulletin.public_summary,
        "period": list(period),
        "overview": _pick(content.get("overview") or {}, OVERVIEW_FIELDS),
        "ranking_title": content.get("ranking_title", ""),
        "sections": order,
        **body,
    }
