"""Where evidence bytes live, and how they get there durably.

Originals are content-addressed: ``evidence/<aa>/<bb>/<sha256>.jpg``. On a local folder (the default) a file
is written to a temporary name in its final directory, flushed and fsynced, renamed into place and the
directory is fsynced, so that it is on disk before the row that points to it commits. An existing original
is never rewritten. Other storages (S3-compatible) get ``storage.save``, durable when the call returns.

A crash between the rename and the commit leaves a file that no row points to (so does a citizen report whose
photos were written before its transaction failed); a crash while writing leaves a temporary ``.tmp-*.part``
file. :func:`sweep` removes them, and display, thumbnail and public copies no row points to, once they are
older than a grace period.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import BinaryIO

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.db.models import Q

logger = logging.getLogger(__name__)

ORIGINALS = "evidence"
TEMP_PREFIX = ".tmp-"
TEMP_SUFFIX = ".part"
CHUNK = 1024 * 1024
ORIGINAL_NAME = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}\.jpg$")
# Display copies, thumbnails and public copies (see display_name, thumb_name, privacy.public_name).
COPY_NAME = re.compile(
    r"^(display/[0-9a-f]{2}/\d+-[0-9a-f]{16}|thumb/[0-9a-f]{2}/[0-9a-f]{64}|public/[0-9a-f]{2}/[0-9a-f]{64}-v\d+)"
    r"\.jpg$"
)


def original_name(sha256: str) -> str:
    return f"{ORIGINALS}/{sha256[:2]}/{sha256[2:4]}/{sha256}.jpg"


def display_name(evidence_id: int, sha256: str) -> str:
    """The watermark names the site, time and person of one row, so each row has its own display copy."""
    return f"{ORIGINALS}/display/{sha256[:2]}/{evidence_id}-{sha256[:16]}.jpg"


def thumb_name(sha256: str) -> str:
    return f"{ORIGINALS}/thumb/{sha256[:2]}/{sha256}.jpg"


def local_root(storage: Storage | None = None) -> Path | None:
    """The folder of a local file storage, or None for object storage."""
    storage = storage or default_storage
    if isinstance(storage, FileSystemStorage):
        return Path(storage.location)
    return None


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _ensure_dir(directory: Path, sync: bool = True) -> None:
    """Create missing directories and fsync each parent, so that a new directory entry survives a crash."""
    missing: list[Path] = []
    current = directory
    while not current.exists():
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        with suppress(FileExistsError):
            path.mkdir(mode=0o755)
        if sync:
            fsync_dir(path.parent)


def durable_write(path: Path, data: bytes | BinaryIO, *, sync: bool = True) -> None:
    """Write ``data`` (bytes, or a binary file copied in chunks) to ``path`` atomically: temp file, fsync,
    rename, fsync of the directory. ``sync=False`` keeps the atomic rename but skips the fsyncs (for files
    that can be made again)."""
    directory = path.parent
    _ensure_dir(directory, sync)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as handle:
            if isinstance(data, bytes | bytearray | memoryview):
                handle.write(data)
            else:
                shutil.copyfileobj(data, handle, CHUNK)
            if sync:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if sync:
        fsync_dir(directory)


def store_original(data: bytes, sha256: str, storage: Storage | None = None) -> str:
    """Keep ``data`` under its SHA-256 and return the storage name; an existing copy is kept as it is."""
    storage = storage or default_storage
    name = original_name(sha256)
    root = local_root(storage)
    if root is None:
        if not storage.exists(name):
            name = storage.save(name, ContentFile(data))
        return name
    path = root / name
    try:
        if path.stat().st_size == len(data):
            os.utime(path)  # a fresh time keeps the sweep away while the new row commits
            return name
    except FileNotFoundError:
        pass
    durable_write(path, data)
    return name


def store_derivative(name: str, data: bytes, storage: Storage | None = None, *, sync: bool = False) -> str:
    """Write (or replace) a copy made from an original: atomically, and by default without fsync (a display
    copy or thumbnail lost in a crash is made again on first view); ``sync=True`` makes it durable before
    a row points to it (the public copy)."""
    storage = storage or default_storage
    root = local_root(storage)
    if root is None:
        if storage.exists(name):
            storage.delete(name)
        return storage.save(name, ContentFile(data))
    durable_write(root / name, data, sync=sync)
    return name


def present(name: str, storage: Storage | None = None) -> bool:
    """The file is named, there and not empty (copies written without fsync may be lost in a crash)."""
    try:
        return bool(name) and (storage or default_storage).size(name) > 0
    except OSError:
        return False


def _walk(root: Path) -> Iterator[Path]:
    for dirpath, _dirs, files in os.walk(root):
        for file_name in files:
            yield Path(dirpath) / file_name


def _kind(relative: str) -> str | None:
    """What a file under ``evidence/`` is to the sweep: temp, original, copy, or None (left alone)."""
    name = relative.rsplit("/", 1)[-1]
    if name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX):
        return "temp"
    if ORIGINAL_NAME.match(relative):
        return "original"
    if COPY_NAME.match(relative):
        return "copy"
    return None


def _names_in_rows() -> set[str]:
    """Every file name a row points to (original, display copy, thumbnail, public copy), read once."""
    from chuangwen.evidence.models import Evidence

    names: set[str] = set()
    columns = ("file", "display_file", "thumb_file", "public_file")
    for row in Evidence.objects.values_list(*columns).iterator(chunk_size=5000):
        names.update(name for name in row if name)
    return names


def _pointed_to(name: str) -> bool:
    from chuangwen.evidence.models import Evidence

    match = Q(file=name) | Q(display_file=name) | Q(thumb_file=name) | Q(public_file=name)
    return Evidence.objects.filter(match).exists()


def sweep(grace_seconds: float = 3600, storage: Storage | None = None) -> dict[str, int]:
    """Remove temporary files, and originals and copies no row points to, when older than ``grace_seconds``.

    Never a file a committed row points to (each candidate is looked up again just before it goes), nor one
    being written or about to be referenced (younger than the grace period: a write renames a fresh file into
    place, and an upload of bytes already stored refreshes the file's time before its row is inserted).
    Only a local folder is swept; object storage has no partial files, and its orphans are left alone.
    """
    root = local_root(storage)
    removed = {"temp": 0, "orphans": 0, "copies": 0}
    if root is None or not (root / ORIGINALS).is_dir():
        return removed
    cutoff = time.time() - grace_seconds
    referenced: set[str] | None = None  # read when the first old file is met
    for path in _walk(root / ORIGINALS):
        relative = path.relative_to(root / ORIGINALS).as_posix()
        kind = _kind(relative)
        if kind is None:
            continue
        name = f"{ORIGINALS}/{relative}"
        with suppress(FileNotFoundError):
            if path.stat().st_mtime > cutoff:
                continue
            if kind != "temp":
                if referenced is None:
                    referenced = _names_in_rows()
                if name in referenced or _pointed_to(name):  # again: a row may have committed since
                    continue
                if path.stat().st_mtime > cutoff:  # touched by an upload of the same bytes meanwhile
                    continue
            path.unlink()
            removed[{"temp": "temp", "original": "orphans"}.get(kind, "copies")] += 1
    if any(removed.values()):
        logger.warning(
            "evidence sweep removed %(temp)s temporary files, %(orphans)s orphan originals and "
            "%(copies)s orphan copies",
            removed,
        )
    return removed
