"""Preview images of stored material files: rendered by us (the first page of a PDF, a picture re-encoded), so
the browser never renders an uploaded file itself."""

from __future__ import annotations

from typing import BinaryIO, cast

from django.core.files.storage import default_storage

from chuangwen.materials.files import FileKind, render_preview
from chuangwen.materials.models import StoredFile
from chuangwen.materials.storage import store_preview


def make_preview(file_id: int) -> str:
    """Make (or keep) the preview of one stored file; "" when its kind has none."""
    stored = StoredFile.objects.filter(pk=file_id).first()
    if stored is None or stored.kind in (FileKind.DOCX, FileKind.XLSX):
        return ""
    if stored.preview_file and default_storage.exists(stored.preview_file):
        return stored.preview_file
    with default_storage.open(stored.file, "rb") as handle:
        image = render_preview(FileKind(stored.kind), cast(BinaryIO, handle))
    if image is None:
        return ""
    name = store_preview(stored.sha256, image)
    StoredFile.objects.filter(pk=stored.pk).update(preview_file=name)
    return name
