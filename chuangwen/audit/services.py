"""Writing, verifying and pruning the hash-chained audit log.

Each entry's hash covers its own fields and the previous entry's hash, so altering an entry breaks its own
hash and removing one breaks the next entry's link (and leaves a gap in the sequence). Pruning keeps the chain
checkable: the last pruned entry's sequence and hash become an anchor that verification starts from, and the
prune itself is written to the chain so the anchor cannot be forged unnoticed.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.audit.middleware import current_request
from chuangwen.audit.models import AuditAnchor, AuditEntry, AuditHead, Outcome

GENESIS = "0" * 64
PRUNE_ACTION = "audit_pruned"


def client_address(request: HttpRequest | None) -> str | None:
    """The peer address, normalised the way the database will return it (so the hash still matches)."""
    if request is None:
        return None
    raw = request.META.get("REMOTE_ADDR") or ""
    try:
        return str(ipaddress.ip_address(raw.strip()))
    except ValueError:
        return None


def entry_digest(entry: AuditEntry) -> str:
    payload = {
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "address": entry.address,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_repr": entry.object_repr,
        "outcome": entry.outcome,
        "detail": entry.detail,
        "prev_hash": entry.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _head_for_update() -> AuditHead:
    head, _created = AuditHead.objects.select_for_update().get_or_create(pk=1)
    return head


def _actor_from(request: HttpRequest | None) -> Any:
    user = getattr(request, "user", None) if request is not None else None
    return user if user is not None and user.is_authenticated else None


def record(
    request: HttpRequest | None,
    action: str,
    *,
    obj: models.Model | None = None,
    outcome: str = Outcome.SUCCESS,
    detail: dict[str, Any] | None = None,
    actor: Any = None,
    actor_name: str = "",
) -> AuditEntry:
    """Append one entry. Called inside the caller's transaction, so a rolled-back write leaves no entry.

    Without an explicit request the request being served (if any) supplies actor and address.
    """
    if request is None:
        request = current_request.get()
    if actor is None:
        actor = _actor_from(request)
    with transaction.atomic():
        # The head row is the lock: appenders queue here (row lock on PostgreSQL, the IMMEDIATE write lock on
        # SQLite), so sequence numbers stay unique and every entry links to its true predecessor.
        head = _head_for_update()
        entry = AuditEntry(
            seq=head.last_seq + 1,
            at=timezone.now(),
            actor=actor,
            actor_name=(actor_name or (actor.get_username() if actor is not None else ""))[:150],
            address=client_address(request),
            action=action[:64],
            object_type=obj._meta.label_lower[:64] if obj is not None else "",
            object_id=str(obj.pk)[:64] if obj is not None and obj.pk is not None else "",
            object_repr=str(obj)[:200] if obj is not None else "",
            outcome=outcome,
            # Round-trip through JSON now so the hash covers exactly what the database will give back.
            detail=json.loads(json.dumps(detail or {}, ensure_ascii=False, default=str)),
            prev_hash=head.last_hash,
        )
        entry.hash = entry_digest(entry)
        entry.save()
        AuditHead.objects.filter(pk=1).update(last_seq=entry.seq, last_hash=entry.hash)
    return entry


@dataclass
class ChainReport:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str = ""


def _walk(start_seq: int, start_hash: str) -> tuple[ChainReport, int, str]:
    """Check every entry after the start point; return the report, the last sequence and hash seen."""
    expected_prev, expected_seq, checked = start_hash, start_seq + 1, 0
    for entry in AuditEntry.objects.filter(seq__gt=start_seq).order_by("seq").iterator(chunk_size=2000):
        if entry.seq != expected_seq:
            problem = _("第 %(seq)s 条审计记录已被删除") % {"seq": expected_seq}
            return ChainReport(False, checked, expected_seq, problem), expected_seq - 1, expected_prev
        if entry_digest(entry) != entry.hash:
            problem = _("第 %(seq)s 条审计记录已被篡改") % {"seq": entry.seq}
            return ChainReport(False, checked, entry.seq, problem), entry.seq, entry.hash
        if entry.prev_hash != expected_prev:
            # This entry is intact but its link is not: the one before it was rewritten (hash recomputed).
            bad = entry.seq - 1
            problem = _("第 %(seq)s 条审计记录已被改写（与下一条的链接不符）") % {"seq": bad}
            return ChainReport(False, checked, bad, problem), entry.seq, entry.hash
        expected_prev, expected_seq = entry.hash, entry.seq + 1
        checked += 1
    return ChainReport(True, checked), expected_seq - 1, expected_prev


def _anchor_is_chained(anchor: AuditAnchor) -> bool:
    for detail in AuditEntry.objects.filter(action=PRUNE_ACTION, seq__gt=anchor.seq).values_list(
        "detail", flat=True
    ):
        if detail.get("through_seq") == anchor.seq and detail.get("through_hash") == anchor.hash:
            return True
    return False


def verify_chain() -> ChainReport:
    """Walk the chain in order; name the first entry that was altered, or where one was removed."""
    anchor = AuditAnchor.objects.order_by("-seq").first()
    start_seq, start_hash = (anchor.seq, anchor.hash) if anchor else (0, GENESIS)
    report, last_seq, last_hash = _walk(start_seq, start_hash)
    if not report.ok:
        return report
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and head.last_seq > last_seq:
        problem = _("第 %(seq)s 条起的审计记录已被删除") % {"seq": last_seq + 1}
        return ChainReport(False, report.checked, last_seq + 1, problem)
    if (
        head is not None
        and head.last_seq == last_seq
        and last_seq > start_seq
        and head.last_hash != last_hash
    ):
        problem = _("第 %(seq)s 条审计记录已被改写") % {"seq": last_seq}
        return ChainReport(False, report.checked, last_seq, problem)
    if anchor is not None and not _anchor_is_chained(anchor):
        problem = _("清理锚点 #%(seq)s 与审计链中的清理记录不符，早期记录可能被删除") % {"seq": anchor.seq}
        return ChainReport(False, report.checked, anchor.seq, problem)
    return report


class PruneRefused(Exception):
    """Pruning would delete entries still inside the retention period, or the chain is already broken."""


def retention_limit() -> datetime:
    return timezone.now() - timedelta(days=settings.AUDIT_RETENTION_DAYS)


def prune(before: datetime | None = None, *, actor_name: str = "") -> int:
    """Delete the oldest entries written before ``before`` (default: the retention limit); return how many."""
    limit = retention_limit()
    before = before or limit
    if before > limit:
        raise PruneRefused(
            _("审计记录至少保留 %(days)s 天，只能清理 %(date)s 之前的记录")
            % {"days": settings.AUDIT_RETENTION_DAYS, "date": timezone.localtime(limit).strftime("%Y-%m-%d")}
        )
    report = verify_chain()
    if not report.ok:
        # Pruning a broken chain could destroy the evidence of tampering.
        raise PruneRefused(_("审计链不完整，拒绝清理：%(problem)s") % {"problem": report.problem})
    with transaction.atomic():
        head = _head_for_update()
        young = AuditEntry.objects.filter(at__gte=before).order_by("seq").values_list("seq", flat=True)
        first_young = young.first()
        # Only a prefix of the chain may go, so stop before the first entry that is still young.
        through = first_young - 1 if first_young is not None else head.last_seq
        anchor = AuditAnchor.objects.order_by("-seq").first()
        if through <= (anchor.seq if anchor else 0):
            return 0
        last = AuditEntry.objects.get(seq=through)
        removed, _by_model = AuditEntry.objects.filter(seq__lte=through).delete()
        AuditAnchor.objects.create(seq=through, hash=last.hash, pruned_at=timezone.now(), removed=removed)
        detail = {"through_seq": through, "through_hash": last.hash, "removed": removed, "before": before}
        record(None, PRUNE_ACTION, detail=detail, actor_name=actor_name)
    return removed
