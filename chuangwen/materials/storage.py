"""Where material files live: ``materials/<aa>/<bb>/<sha256><ext>``, written durably before a row points to
them (the same atomic write as photos: temp file, fsync, rename, fsync of the directory), never rewritten, and
served only as downloads (never rendered by the browser) or through previews we render ourselves."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, BinaryIO

from django.core.files.storage import Storage, default_storage
from django.http import FileResponse, Http404

from chuangwen.evidence.storage import durable_write, local_root, store_derivative
from chuangwen.materials.files import CONTENT_TYPES, EXTENSIONS, FileKind

if TYPE_CHECKING:
    from chuangwen.materials.models import Material

FOLDER = "materials"


def file_name(sha256: str, kind: FileKind) -> str:
    return f"{FOLDER}/{sha256[:2]}/{sha256[2:4]}/{sha256}{EXTENSIONS[kind]}"


def preview_name(sha256: str) -> str:
    return f"{FOLDER}/preview/{sha256[:2]}/{sha256}.jpg"


def store_file(
    handle: BinaryIO, sha256: str, kind: FileKind, size: int, storage: Storage | None = None
) -> str:
    """Keep the bytes under their SHA-256 and return the storage name; an existing copy is kept as it is."""
    storage = storage or default_storage
    name = file_name(sha256, kind)
    handle.seek(0)
    root = local_root(storage)
    if root is None:
        if not storage.exists(name):
            name = storage.save(name, handle)
        return name
    path = root / name
    try:
        if path.stat().st_size == size:
            os.utime(path)  # a fresh time keeps a sweep away while the new row commits
            return name
    except FileNotFoundError:
        pass
    durable_write(path, handle)
    handle.seek(0)
    return name


def store_preview(sha256: str, data: bytes, storage: Storage | None = None) -> str:
    """A preview can be made again from the file, so it is written without fsync."""
    return store_derivative(preview_name(sha256), data, storage)


def download(material: Material) -> FileResponse:
    """The uploaded file as a download only (pages and API alike): its own type, no sniffing, and a sandbox
    should a browser still try to render it. Http404 when the material has no file (a 情况说明)."""
    stored = material.file
    if stored is None:
        raise Http404("no file")
    kind = FileKind(stored.kind)
    try:
        handle = default_storage.open(stored.file, "rb")
    except FileNotFoundError as exc:
        raise Http404("file missing") from exc
    name = material.original_name or f"{material.title}{EXTENSIONS[kind]}"
    response = FileResponse(handle, as_attachment=True, filename=name, content_type=CONTENT_TYPES[kind])
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response
