"""The audit chain's HMAC keys: reading an ``id:key`` list, and the generated key of the embedded default.

Free of Django imports on purpose: ``settings.py`` parses the keys at start-up, so a missing or malformed key
stops the server before it writes a single entry. The key never lives in the database (an attacker who can
write the database must not be able to recompute the hashes) and is never derived from ``SECRET_KEY``.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path

KEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,16}")
MIN_KEY_CHARS = 32

Keyring = tuple[tuple[str, str], ...]


class KeyringError(ValueError):
    """The key text cannot be used; the message names the problem but never contains a key."""


def fingerprint(key: str) -> str:
    """The id of a key given without one: 8 hex digits of its SHA-256 (reveals nothing usable of the key)."""
    return hashlib.sha256(key.encode()).hexdigest()[:8]


def parse(text: str) -> Keyring:
    """``id:key`` items separated by commas, spaces or new lines; the first signs, every one verifies.

    A bare ``key`` (no colon) gets its fingerprint as id, so a lost and regenerated key shows up as "key not
    configured" rather than as tampering.
    """
    keys: list[tuple[str, str]] = []
    for item in text.replace(",", " ").split():
        key_id, colon, key = item.partition(":")
        if not colon:
            key_id, key = fingerprint(item), item
        if not KEY_ID.fullmatch(key_id):
            raise KeyringError(f"key id {key_id!r} must be 1-16 letters, digits, '.', '_' or '-'")
        if len(key) < MIN_KEY_CHARS:
            raise KeyringError(f"key {key_id!r} is shorter than {MIN_KEY_CHARS} characters")
        if any(key_id == known for known, _key in keys):
            raise KeyringError(f"key id {key_id!r} is given twice")
        keys.append((key_id, key))
    if not keys:
        raise KeyringError("no key given")
    return tuple(keys)


def load_or_create(path: Path, nbytes: int = 48) -> str:
    """The key text in ``path``; on first use a new random key is written there, readable by the owner only.

    Written to a private temporary file and linked into place, so a second process starting at the same
    moment either finds no file or the complete one, never an empty file.
    """
    if not path.exists():
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, (secrets.token_urlsafe(nbytes) + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(partial, path)
        except FileExistsError:
            pass  # another process won the race; use its key
        finally:
            partial.unlink()
    return path.read_text()
