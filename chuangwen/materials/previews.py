"""Preview images of stored material files: rendered by us (the first page of a PDF, a picture re-encoded), so
the browser never renders an uploaded file itself."""

from __future__ import annotations

import io
import logging
import threading
from typing import BinaryIO, cast

from django.core.files.storage import default_storage
from PIL import Image, ImageOps

from chuangwen.materials.files import FileKind, open_image
from chuangwen.materials.models import StoredFile
from chuangwen.materials.storage import store_preview

logger = logging.getLogger(__name__)
PREVIEW_QUALITY = 82


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


# --- rendering --------------------------------------------------------------------------------------

# PDFium is not thread-safe, not even across documents: one render at a time in the process.
_pdfium_lock = threading.Lock()


def render_preview(kind: FileKind, handle: BinaryIO, max_side: int = 1200) -> bytes | None:
    """A JPEG (no metadata, longest side ≤ ``max_side``) of the first PDF page or of the image; None for
    Word and Excel files, and None (with a warning logged) when rendering fails. ``handle`` is left at 0."""
    if kind not in (FileKind.PDF, FileKind.JPEG, FileKind.PNG):
        return None
    try:
        handle.seek(0)
        im = _render_pdf(handle, max_side) if kind == FileKind.PDF else _render_image(kind, handle, max_side)
        if im is None:
            return None
        if max(im.size) > max_side:
            im.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        _flatten(im).save(out, "JPEG", quality=PREVIEW_QUALITY, optimize=True)
        return out.getvalue()
    except Exception:  # a preview is a convenience: the accepted file is kept without one
        logger.warning("preview of a %s file failed", kind, exc_info=True)
        return None
    finally:
        handle.seek(0)


def _render_pdf(handle: BinaryIO, max_side: int) -> Image.Image | None:
    import pypdfium2

    with _pdfium_lock:
        document = pypdfium2.PdfDocument(handle, autoclose=False)
        try:
            if len(document) == 0:
                return None
            page = document[0]
            width, height = page.get_size()
            if width <= 0 or height <= 0:
                return None
            bitmap = page.render(scale=max_side / max(width, height), may_draw_forms=True)
            return bitmap.to_pil().copy()  # the copy outlives the bitmap's buffer
        finally:
            document.close()  # closes its pages and bitmaps too


def _render_image(kind: FileKind, handle: BinaryIO, max_side: int) -> Image.Image:
    im = open_image("", kind, handle)
    # reducing_gap: a JPEG is decoded straight at 1/2, 1/4 or 1/8 scale when that is still 3× big enough.
    im.thumbnail((max_side, max_side), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return ImageOps.exif_transpose(im)  # upright; the EXIF stays behind (the JPEG is saved without it)


def _flatten(im: Image.Image) -> Image.Image:
    """RGB or greyscale pixels; transparency is flattened onto white."""
    if im.mode.startswith("I"):
        im = im.point(lambda v: v / 256).convert("L")  # 16-bit greyscale PNG
    if im.mode in ("RGB", "L"):
        return im
    rgba = im.convert("RGBA")  # palette, alpha, CMYK …
    background = Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background
