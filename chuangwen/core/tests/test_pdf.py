"""The PDF door: Chinese text with its font embedded, and Pillow left strict about truncated images."""

from __future__ import annotations

import io
from typing import Any

from PIL import ImageFile
from pypdf import PdfReader

from chuangwen.core.pdf import CJK_FONT_FAMILY, html_to_pdf


def test_it_embeds_the_cjk_font_and_keeps_pillow_strict() -> None:
    data = html_to_pdf(f'<p style="font-family: {CJK_FONT_FAMILY}">创建全国文明城市</p>')
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    page = PdfReader(io.BytesIO(data)).pages[0]
    assert "创建全国文明城市" in page.extract_text()
    fonts: Any = page["/Resources"]["/Font"]  # type: ignore[index]
    names = [str(fonts[key].get_object()["/BaseFont"]) for key in fonts]
    assert any("WenQuanYi" in name for name in names), names
