"""Writing, verifying and pruning the hash-chained audit log.

Each entry's hash covers its own fields and the previous entry's hash, so altering an entry breaks its own
hash and removing one breaks the next entry's link (and leaves a gap in the sequence). The hash is an HMAC
under a key kept outside the database (``digests.py``), so whoever can write the database cannot recompute
it; and checkpoints appended to a file outside the database (``checkpoints.py``) catch even a rewrite by
someone who stole the key. Pruning keeps the chain checkable: the last pruned entry's sequence and hash become
an anchor that verification starts from, and the prune itself is written to the chain so the anchor cannot be
forged unnoticed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.audit.digests import KEYED_ACTION, entry_digest, keyed_digest, keys, signing_key
from chuangwen.audit.middleware import current_request
from chuangwen.audit.models import AuditAnchor, AuditEntry, AuditHead, Outcome, Scheme

GENESIS = "0" * 64
PRUNE_ACTION = "audit_pruned"


def client_address(request: HttpRequest | None) -> str | None:
    """The client's address (behind ``TRUSTED_PROXIES`` from X-Forwarded-For), normalised the way the
    database will return it (so the hash still matches). One rule for audit, lockout and citizen limits."""
    from chuangwen.core.web import client_ip  # imported here: this function is the only part of it used

    return client_ip(request)


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
    key_id, key = signing_key()
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
            scheme=Scheme.HMAC_SHA256,
            key_id=key_id,
        )
        entry.hash = keyed_digest(entry, key)
        entry.save()
        AuditHead.objects.filter(pk=1).update(last_seq=entry.seq, last_hash=entry.hash)
    return entry


@dataclass
class ChainReport:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str = ""
    checkpoints: int = 0  # external checkpoints compared with the database
    notes: list[str] = field(default_factory=list)  # worth saying, not a break (no checkpoint file yet …)


def keyless_limit() -> int:
    """The last sequence allowed the keyless rule: what the keyed entry that sealed the old entries names.

    No seal means no keyless entry is allowed at all. The seal is itself keyed (checked by the walk), so an
    attacker without the key can neither forge one nor move its limit.
    """
    seal = AuditEntry.objects.filter(action=KEYED_ACTION, scheme=Scheme.HMAC_SHA256).order_by("seq").first()
    if seal is None or not isinstance(seal.detail, dict):
        return 0
    through = seal.detail.get("legacy_through")
    return through if isinstance(through, int) and 0 <= through < seal.seq else 0


def _entry_problem(entry: AuditEntry, known: dict[str, str], keyless_through: int) -> str:
    """Why the entry's own hash cannot be trusted, or "" when it verifies under its scheme."""
    if entry.scheme == Scheme.SHA256 and entry.seq > keyless_through:
        return _("第 %(seq)s 条审计记录使用了无密钥的旧哈希，而审计链此时已启用密钥（降级篡改）") % {
            "seq": entry.seq
        }
    if entry.scheme == Scheme.HMAC_SHA256 and entry.key_id not in known:
        return _("第 %(seq)s 条审计记录的签名密钥 %(key)s 未配置（AUDIT_HMAC_KEY），无法校验") % {
            "seq": entry.seq,
            "key": entry.key_id or "—",
        }
    if entry_digest(entry, known) != entry.hash:
        return _("第 %(seq)s 条审计记录已被篡改") % {"seq": entry.seq}
    return ""


def walk(start_seq: int, start_hash: str) -> tuple[ChainReport, int, str]:
    """Check every entry after the start point; return the report, the last sequence and hash seen."""
    expected_prev, expected_seq, checked = start_hash, start_seq + 1, 0
    known, keyless_through = keys(), keyless_limit()
    for entry in AuditEntry.objects.filter(seq__gt=start_seq).order_by("seq").iterator(chunk_size=2000):
        if entry.seq != expected_seq:
            problem = _("第 %(seq)s 条审计记录已被删除") % {"seq": expected_seq}
            return ChainReport(False, checked, expected_seq, problem), expected_seq - 1, expected_prev
        problem = _entry_problem(entry, known, keyless_through)
        if problem:
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


def chain_start() -> tuple[int, str]:
    """Where verification starts: the last pruned entry (seq, hash), or the genesis."""
    anchor = AuditAnchor.objects.order_by("-seq").first()
    return (anchor.seq, anchor.hash) if anchor else (0, GENESIS)


def verify_chain() -> ChainReport:
    """Walk the chain in order; name the first entry that was altered, or where one was removed; then compare
    the external checkpoints (``checkpoints.py``) with the database."""
    from chuangwen.audit.checkpoints import compare_checkpoints  # it walks the chain with this module

    report = _verify_database()
    return compare_checkpoints(report) if report.ok else report


def _verify_database() -> ChainReport:
    anchor = AuditAnchor.objects.order_by("-seq").first()
    start_seq, start_hash = chain_start()
    report, last_seq, last_hash = walk(start_seq, start_hash)
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
