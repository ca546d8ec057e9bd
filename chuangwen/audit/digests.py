"""How an audit entry's hash is computed, and the keys behind it.

New entries carry an HMAC-SHA-256 under a key kept outside the database (``AUDIT_HMAC_KEYS``), so someone who
can write the database but does not hold the key cannot rewrite an entry and recompute the hashes after it.
Entries written before the key existed keep their keyless SHA-256 (``Scheme.SHA256``); the migration that
introduced the key sealed them with one keyed entry (``KEYED_ACTION``) naming the last of them, and no keyless
entry may follow it (a "downgrade" is reported as tampering).

Both digests cover the same canonical JSON of the entry's fields; the keyed one also covers the scheme and
the key id, and is prefixed with a domain string so that it can never be confused with a checkpoint's HMAC.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.conf import settings

from chuangwen.audit.models import Scheme

ENTRY_DOMAIN = b"chuangwen-audit-entry\n"
CHECKPOINT_DOMAIN = b"chuangwen-audit-checkpoint\n"
# The keyed entry written when the key was introduced; its detail names the last keyless entry.
KEYED_ACTION = "audit_keyed"


def _fields(entry: Any) -> dict[str, Any]:
    # ``entry`` is an AuditEntry, or the historical model of the migration that introduced the key.
    return {
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


def canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(
        payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    ).encode()


def plain_digest(entry: Any) -> str:
    """The keyless rule of the entries written before the key existed (unchanged, so they still verify)."""
    return hashlib.sha256(canonical(_fields(entry))).hexdigest()


def keyed_digest(entry: Any, key: str) -> str:
    payload = {**_fields(entry), "scheme": Scheme.HMAC_SHA256.value, "key_id": entry.key_id}
    return hmac.new(key.encode(), ENTRY_DOMAIN + canonical(payload), hashlib.sha256).hexdigest()


def keys() -> dict[str, str]:
    """Every configured key by id (the current one and the older ones kept for verifying)."""
    return dict(settings.AUDIT_HMAC_KEYS)


def signing_key() -> tuple[str, str]:
    """(id, key) that signs new entries and checkpoints: the first one configured."""
    key_id, key = settings.AUDIT_HMAC_KEYS[0]
    return key_id, key


def entry_digest(entry: Any, known: dict[str, str] | None = None) -> str | None:
    """The hash the entry should carry under its own scheme; None when its key (or scheme) is unknown."""
    if entry.scheme == Scheme.SHA256:
        return plain_digest(entry)
    if entry.scheme != Scheme.HMAC_SHA256:
        return None
    key = (known if known is not None else keys()).get(entry.key_id)
    return keyed_digest(entry, key) if key is not None else None


def sign_checkpoint(payload: dict[str, Any], key: str) -> str:
    return hmac.new(key.encode(), CHECKPOINT_DOMAIN + canonical(payload), hashlib.sha256).hexdigest()
