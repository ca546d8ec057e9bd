"""Checking uploaded material files: real PDF, Word, Excel and image files, accepted and refused."""

from __future__ import annotations

import hashlib
import io
import logging
import zipfile
from pathlib import Path

import pytest
from django.test import override_settings
from PIL import Image

from chuangwen.materials.files import (
    CONTENT_TYPES,
    EXTENSIONS,
    FileKind,
    FileRefused,
    InspectedFile,
    inspect_file,
)
from chuangwen.materials.previews import render_preview
from chuangwen.materials.tests import samples


def inspect(filename: str, data: bytes) -> InspectedFile:
    handle = io.BytesIO(data)
    handle.seek(len(data) // 2)  # the caller's position does not matter
    result = inspect_file(filename, handle)
    assert handle.tell() == 0
    return result


def refused(filename: str, data: bytes) -> FileRefused:
    handle = io.BytesIO(data)
    with pytest.raises(FileRefused) as caught:
        inspect_file(filename, handle)
    assert handle.tell() == 0
    exc = caught.value
    assert str(exc) == exc.reason
    assert f"《{exc.filename}》" in exc.reason
    return exc


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return samples.pdf_bytes("文明城市创建申报材料", pages=3)


# --- accepted -------------------------------------------------------------------------------------


def test_it_accepts_a_chinese_pdf_with_its_pages_and_text(pdf: bytes) -> None:
    result = inspect("申报材料.pdf", pdf)
    assert result.kind == FileKind.PDF
    assert result.pages == 3
    assert result.text.count("文明城市创建申报材料") == 3
    assert "第 3 页" in result.text
    assert result.size == len(pdf)
    assert result.sha256 == hashlib.sha256(pdf).hexdigest()


def test_it_accepts_a_pdf_that_only_restricts_copying_and_reads_its_text() -> None:
    result = inspect("公文.pdf", samples.restricted_pdf_bytes())
    assert result.kind == FileKind.PDF and "权限受限的公文" in result.text


def test_it_accepts_a_docx_with_the_text_of_its_paragraphs() -> None:
    data = samples.docx_bytes(["创建工作方案", "一、公益广告 <全覆盖> & 常态化"])
    result = inspect("方案.docx", data)
    assert result.kind == FileKind.DOCX
    assert result.pages is None
    assert result.text.splitlines() == ["创建工作方案", "一、公益广告 <全覆盖> & 常态化"]
    assert (result.size, result.sha256) == (len(data), hashlib.sha256(data).hexdigest())


def test_it_accepts_an_xlsx_with_its_cell_values() -> None:
    data = samples.xlsx_bytes([("点位", "得分"), ("西湖街道农贸市场", 87.5)])
    result = inspect("台账.XLSX", data)
    assert result.kind == FileKind.XLSX
    assert "西湖街道农贸市场\t87.5" in result.text
    assert result.sha256 == hashlib.sha256(data).hexdigest()


def test_it_accepts_jpeg_and_png_pictures_without_text() -> None:
    jpeg, png = samples.jpeg_bytes(), samples.png_bytes()
    for name, data, kind in (("现场.jpg", jpeg, FileKind.JPEG), ("现场.jpeg", jpeg, FileKind.JPEG),
                             ("截图.png", png, FileKind.PNG)):  # fmt: skip
        result = inspect(name, data)
        assert (result.kind, result.size, result.text, result.pages) == (kind, len(data), "", None)
        assert result.sha256 == hashlib.sha256(data).hexdigest()


def test_it_reads_an_open_file_on_disk_and_leaves_it_open(tmp_path: Path) -> None:
    path = tmp_path / "截图.png"
    path.write_bytes(samples.png_bytes())
    with path.open("rb") as handle:
        result = inspect_file("C:\\Users\\王芳\\Desktop\\截图.png", handle)
        assert not handle.closed  # Pillow's PNG verify() closes what it reads: it is given a stand-in
        assert handle.tell() == 0
    assert result.kind == FileKind.PNG
    assert result.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_it_accepts_a_pdf_whose_header_follows_some_junk(pdf: bytes) -> None:
    assert inspect("扫描件.pdf", b"\r\n" * 100 + pdf).pages == 3


def test_it_caps_the_text() -> None:
    data = samples.docx_bytes(["第一段文字" * 20, "第二段"])
    with override_settings(MATERIALS_TEXT_MAX_CHARS=30):
        text = inspect("长文.docx", data).text
    assert text == "第一段文字" * 6


def test_it_names_the_kinds_and_their_extensions() -> None:
    assert EXTENSIONS[FileKind.JPEG] == ".jpg"
    assert CONTENT_TYPES[FileKind.DOCX].endswith("wordprocessingml.document")
    assert set(EXTENSIONS) == set(CONTENT_TYPES) == set(FileKind)
    assert str(FileKind.XLSX.label) == "Excel 表格"


# --- refused by name, size and type ---------------------------------------------------------------


def test_it_refuses_an_empty_file() -> None:
    assert refused("空白.pdf", b"").code == "empty"


def test_it_refuses_a_file_over_the_size_limit_and_says_the_limit(pdf: bytes) -> None:
    with override_settings(MATERIALS_MAX_BYTES=len(pdf) - 1):
        exc = refused("大文件.pdf", pdf)
    assert exc.code == "size"
    assert "MB" in exc.reason
    with override_settings(MATERIALS_MAX_BYTES=len(pdf)):
        assert inspect("大文件.pdf", pdf).size == len(pdf)


@pytest.mark.parametrize("name", ["报告.docm", "统计.XLSM", "模板.dotm", "模板.xltm", "汇报.pptm"])
def test_it_refuses_macro_extensions_without_reading(name: str) -> None:
    exc = refused(name, b"not even looked at")
    assert exc.code == "macro"
    assert "含有宏" in exc.reason


def test_it_refuses_a_macro_enabled_package_renamed_docx_or_xlsx() -> None:
    assert refused("报告.docx", samples.docm_bytes()).code == "macro"
    assert refused("统计.xlsx", samples.xlsm_bytes()).code == "macro"
    # Each sign alone: the content type without a VBA part, a VBA part under a plain content type.
    assert refused("报告.docx", samples.docx_bytes(main_type=samples.DOCM_MAIN)).code == "macro"
    hidden = samples.docx_bytes(extra={"word/media/VBAPROJECT.BIN": samples.VBA_BYTES})
    assert refused("报告.docx", hidden).code == "macro"


OLD_FORMATS = [
    ("旧文档.doc", ".docx"),
    ("旧表.xls", ".xlsx"),
    ("汇报.ppt", "PDF"),
    ("文档.wps", ".docx"),
    ("表.et", ".xlsx"),
]


@pytest.mark.parametrize(("name", "target"), OLD_FORMATS)
def test_it_refuses_old_binary_formats_with_advice(name: str, target: str) -> None:
    exc = refused(name, samples.cfb_bytes())
    assert exc.code == "type"
    assert f"另存为 {target}" in exc.reason


@pytest.mark.parametrize("name", ["setup.exe", "照片.gif", "无扩展名", ".pdf"])
def test_it_refuses_unknown_extensions_listing_what_is_accepted(name: str) -> None:
    exc = refused(name, samples.pdf_bytes())
    assert exc.code == "type"
    assert "PDF、Word（.docx）、Excel（.xlsx）、JPG、PNG" in exc.reason


@pytest.mark.parametrize(
    "name", ["", "   ", "C:\\材料\\", "报告\u202excod.pdf", "a\x00.pdf", "长" * 300 + ".pdf"]
)
def test_it_refuses_names_that_cannot_be_shown(name: str) -> None:
    assert refused(name, samples.pdf_bytes()).code == "name"


def test_it_refuses_content_that_does_not_match_the_extension() -> None:
    cases = [
        ("材料.pdf", samples.text_bytes(), "内容不是 PDF", "文本"),
        ("材料.docx", samples.html_bytes(), "内容不是 Word", "HTML"),
        ("材料.docx", samples.xlsx_bytes(), "内容不是 Word", "Excel 表格"),
        ("材料.xlsx", samples.docx_bytes(), "内容不是 Excel", "Word 文档"),
        ("材料.png", samples.jpeg_bytes(), "内容不是 PNG", "JPEG 图片"),
        ("材料.jpg", samples.png_bytes(), "内容不是 JPEG", "PNG 图片"),
        ("材料.pdf", samples.png_bytes(), "内容不是 PDF", "PNG 图片"),
        ("材料.jpg", samples.pdf_bytes(), "内容不是 JPEG", "PDF"),
    ]
    for name, data, expected, actual in cases:
        exc = refused(name, data)
        assert (exc.code, exc.filename) == ("type", name)
        assert expected in exc.reason and actual in exc.reason, exc.reason


def test_it_refuses_a_zip_without_content_types_as_another_type() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", samples.document_xml(["正文"]))
    assert refused("材料.docx", out.getvalue()).code == "type"


# --- refused: encrypted, damaged, bombs -----------------------------------------------------------


def test_it_refuses_an_encrypted_pdf() -> None:
    exc = refused("加密.pdf", samples.encrypted_pdf_bytes())
    assert exc.code == "encrypted"
    assert exc.reason == "《加密.pdf》已加密，无法审核：请去除密码后上传"


def test_it_refuses_a_compound_file_named_docx_or_xlsx_as_encrypted() -> None:
    for name in ("加密.docx", "加密.xlsx"):
        exc = refused(name, samples.cfb_bytes())
        assert exc.code == "encrypted"
        assert "已加密或是旧版格式" in exc.reason


def test_it_refuses_a_truncated_pdf(pdf: bytes) -> None:
    assert refused("半截.pdf", pdf[: len(pdf) // 2]).code == "corrupt"


def test_it_refuses_damaged_packages_and_pictures() -> None:
    docx, jpeg, png = samples.docx_bytes(), samples.jpeg_bytes(), samples.png_bytes()
    assert refused("坏.docx", docx[: len(docx) // 2]).code == "corrupt"
    broken_xml = samples.rezip(docx, {"word/document.xml": b"<w:document><w:body>"})
    assert refused("坏.docx", broken_xml).code == "corrupt"
    with_dtd = samples.rezip(
        docx, {"word/document.xml": b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + b"<x>&a;</x>"}
    )
    assert refused("坏.docx", with_dtd).code == "corrupt"
    assert (
        refused("坏.xlsx", samples.rezip(samples.xlsx_bytes(), {"xl/workbook.xml": b"<oops"})).code
        == "corrupt"
    )
    assert refused("坏.jpg", jpeg[: len(jpeg) * 2 // 3]).code == "corrupt"
    assert refused("坏.png", png[: len(png) * 2 // 3]).code == "corrupt"


def test_it_refuses_a_zip_bomb() -> None:
    bomb = samples.zip_bomb_docx()
    assert len(bomb) < 2 * 1024 * 1024  # over 300 MB unpacked from a small upload
    exc = refused("炸弹.docx", bomb)
    assert exc.code == "corrupt"
    assert "压缩结构异常" in exc.reason


def test_it_refuses_a_highly_compressed_entry_under_the_total_limit() -> None:
    assert refused("炸弹.docx", samples.zip_bomb_docx(11 * 1024 * 1024)).code == "corrupt"
    assert inspect("正常.docx", samples.zip_bomb_docx(9 * 1024 * 1024)).kind == FileKind.DOCX


def test_it_refuses_a_package_with_too_many_entries() -> None:
    extra = {f"word/media/{n}.txt": b"" for n in range(10_001)}
    assert refused("很多.docx", samples.docx_bytes(extra=extra)).code == "corrupt"


def test_it_refuses_a_png_claiming_too_many_pixels() -> None:
    exc = refused("巨图.png", samples.png_claiming(30000, 30000))
    assert exc.code == "size"
    assert "像素过多" in exc.reason


def test_it_refuses_pictures_over_the_pixel_setting() -> None:
    with override_settings(EVIDENCE_MAX_PIXELS=100_000):
        exc = refused("大图.jpg", samples.jpeg_bytes(400, 300))
        assert exc.code == "size"
        assert "400×300" in exc.reason
        assert inspect("小图.jpg", samples.jpeg_bytes(300, 300)).kind == FileKind.JPEG


# --- preview --------------------------------------------------------------------------------------


def open_jpeg(data: bytes | None) -> Image.Image:
    assert data is not None
    im = Image.open(io.BytesIO(data))
    assert im.format == "JPEG"
    im.load()
    return im


def test_it_renders_the_first_pdf_page_with_its_text_visible(pdf: bytes) -> None:
    handle = io.BytesIO(pdf)
    im = open_jpeg(render_preview(FileKind.PDF, handle, max_side=600))
    assert handle.tell() == 0
    assert max(im.size) == 600
    assert im.height > im.width  # an A4 page, upright
    histogram = im.convert("L").histogram()
    dark, light = sum(histogram[:100]), sum(histogram[200:])
    assert 50 < dark < light  # text on a white page


def test_it_renders_a_picture_upright_small_and_without_metadata() -> None:
    data = samples.jpeg_bytes(1600, 900, orientation=6)
    im = open_jpeg(render_preview(FileKind.JPEG, io.BytesIO(data)))
    assert im.size == (675, 1200)  # turned by its EXIF orientation, longest side 1200
    assert not im.getexif()
    assert not im.info.get("exif")
    png = open_jpeg(render_preview(FileKind.PNG, io.BytesIO(samples.png_bytes(320, 240))))
    assert png.size == (320, 240)  # never enlarged


def test_it_has_no_preview_for_word_and_excel() -> None:
    assert render_preview(FileKind.DOCX, io.BytesIO(samples.docx_bytes())) is None
    assert render_preview(FileKind.XLSX, io.BytesIO(samples.xlsx_bytes())) is None


def test_it_returns_none_and_logs_when_a_preview_fails(caplog: pytest.LogCaptureFixture) -> None:
    handle = io.BytesIO(b"%PDF-1.7 nothing else")
    with caplog.at_level(logging.WARNING, logger="chuangwen.materials.files"):
        assert render_preview(FileKind.PDF, handle) is None
    assert handle.tell() == 0
    assert "preview" in caplog.text
