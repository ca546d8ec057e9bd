"""Helpers of the evidence tests: the upload form and the files under MEDIA_ROOT."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from chuangwen.evidence.tests.photos import jpeg

API = "/api/v1/evidence"


def form(field_round: Any, site: Any, data: bytes | None = None, **extra: Any) -> dict[str, Any]:
    """The multipart fields of POST /api/v1/evidence."""
    fields = {
        "client_id": str(uuid.uuid4()),
        "kind": "problem",
        "round_id": field_round.pk,
        "site_id": site.pk,
        "captured_at": "2026-12-01T09:15:00+08:00",
        "lat": "30.05",
        "lng": "120.02",
        "accuracy": "8.5",
        "file": SimpleUploadedFile("photo.jpg", jpeg() if data is None else data, "image/jpeg"),
    }
    fields.update(extra)
    return {key: value for key, value in fields.items() if value is not None}


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@contextmanager
def slots_taken(settings: Any, count: int = 2) -> Iterator[None]:
    """Other requests hold every decoding slot of this process (``count``) until the block ends; a request
    waits 0.2 s for one."""
    from chuangwen.evidence.images import decode_slot

    settings.EVIDENCE_DECODE_CONCURRENCY = count
    settings.EVIDENCE_DECODE_WAIT_SECONDS = 0.2
    holding, done = threading.Barrier(count + 1, timeout=10), threading.Event()

    def hold() -> None:
        with decode_slot():
            holding.wait()
            done.wait(10)

    threads = [threading.Thread(target=hold) for _ in range(count)]
    for thread in threads:
        thread.start()
    try:
        holding.wait()
        yield
    finally:
        done.set()
        for thread in threads:
            thread.join()
