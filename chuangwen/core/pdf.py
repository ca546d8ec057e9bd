"""PDF from HTML (WeasyPrint) with Chinese text: the one door every PDF the system writes goes through.

WeasyPrint sets Pillow's ``ImageFile.LOAD_TRUNCATED_IMAGES`` to True for the whole process when it is
imported, which would let a cut-off photo upload through as a grey half picture (evidence/images.py and
materials/files.py refuse those). Importing it here puts the flag back at once.
"""

from __future__ import annotations

from typing import Any

from PIL import ImageFile

# The CJK font `make fonts` installs (Debian's fonts-wqy-microhei); without it Chinese renders as empty boxes.
CJK_FONT_FAMILY = "WenQuanYi Micro Hei"


def weasyprint() -> Any:
    """The weasyprint module, imported without leaving Pillow lenient about truncated images."""
    import weasyprint as module

    ImageFile.LOAD_TRUNCATED_IMAGES = False
    return module


def html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    data = weasyprint().HTML(string=html, base_url=base_url).write_pdf()
    assert data is not None
    return bytes(data)
