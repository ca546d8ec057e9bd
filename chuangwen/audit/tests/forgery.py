"""What the attacker of the finding did, as helpers for the audit tests: write access to the database, so one
entry changed through ``QuerySet.update`` and every later hash recomputed with some digest function."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chuangwen.audit.models import AuditEntry, AuditHead
from chuangwen.audit.services import GENESIS, record

STOLEN_OR_GUESSED = "a-key-the-attacker-made-up-0123456789abcdef"


def write_entries(count: int) -> list[AuditEntry]:
    return [record(None, "test_event", detail={"n": n, "名称": "测试"}) for n in range(count)]


def forge_from(seq: int, digest: Callable[[Any], Any], *, through: int | None = None, **changes: Any) -> None:
    """Change entry ``seq``, then recompute its hash and every later one's (and their links; only up to
    ``through`` if given) and fix the head, all through the database, the way the attacker did."""
    AuditEntry.objects.filter(seq=seq).update(**changes)
    before = AuditEntry.objects.filter(seq=seq - 1).values_list("hash", flat=True).first()
    previous = before or GENESIS
    later = AuditEntry.objects.filter(seq__gte=seq).order_by("seq")
    for entry in later.filter(seq__lte=through) if through is not None else later:
        entry.prev_hash = previous
        previous = digest(entry)
        AuditEntry.objects.filter(pk=entry.pk).update(prev_hash=entry.prev_hash, hash=previous)
    if through is None:
        AuditHead.objects.filter(pk=1).update(last_hash=previous)
