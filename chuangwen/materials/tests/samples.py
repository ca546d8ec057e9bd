"""Real sample files for the materials tests (and any other test that uploads a material), built as bytes."""

from __future__ import annotations

import html
import io
import random
import struct
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from typing import Any

from PIL import Image, ImageDraw

CONTENT_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
VBA_PROJECT = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
XLSM_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
# A few bytes standing in for a VBA project: the checks look at the part's name, never inside it.
VBA_BYTES = b"\xcc\x61\xff\xff\x00\x00\x00" + bytes(64)


def pdf_bytes(text: str = "创建全国文明城市 网上申报材料", pages: int = 1) -> bytes:
    """A PDF drawn by WeasyPrint with a CJK font, ``text`` and its page number on each page."""
    from weasyprint import HTML

    body = "".join(
        f'<section style="page-break-after: always"><h1>{html.escape(text)}</h1><p>第 {n} 页</p></section>'
        for n in range(1, pages + 1)
    )
    page = f"<html><body style=\"font-family: 'WenQuanYi Micro Hei'; font-size: 18pt\">{body}</body></html>"
    data = HTML(string=page).write_pdf()
    assert data is not None
    return data


def encrypted_pdf_bytes(password: str = "secret") -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes())))
    writer.encrypt(user_password=password, owner_password=password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def restricted_pdf_bytes() -> bytes:
    """A PDF with an owner password only (copying restricted): it opens without a password."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes("权限受限的公文"))))
    writer.encrypt(user_password="", owner_password="owner-only")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _zip(members: Iterable[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return out.getvalue()


def _content_types(overrides: dict[str, str], defaults: dict[str, str] | None = None) -> bytes:
    defaults = {
        "rels": "application/vnd.openxmlformats-package.relationships+xml",
        "xml": "application/xml",
        **(defaults or {}),
    }
    parts = [f'<Default Extension="{ext}" ContentType="{ct}"/>' for ext, ct in defaults.items()]
    parts += [f'<Override PartName="{part}" ContentType="{ct}"/>' for part, ct in overrides.items()]
    return f'{XML_DECLARATION}<Types xmlns="{CONTENT_TYPES_NS}">{"".join(parts)}</Types>'.encode()


def _relationships(targets: Sequence[tuple[str, str]]) -> bytes:
    rels = "".join(
        f'<Relationship Id="rId{n}" Type="{kind}" Target="{target}"/>'
        for n, (kind, target) in enumerate(targets, start=1)
    )
    return f'{XML_DECLARATION}<Relationships xmlns="{RELS_NS}">{rels}</Relationships>'.encode()


def document_xml(paragraphs: Sequence[str]) -> bytes:
    body = "".join(
        f'<w:p><w:r><w:t xml:space="preserve">{html.escape(text, quote=False)}</w:t></w:r></w:p>'
        for text in paragraphs
    )
    return f'{XML_DECLARATION}<w:document xmlns:w="{W_NS}"><w:body>{body}</w:body></w:document>'.encode()


def docx_bytes(
    paragraphs: Sequence[str] = ("文明城市创建工作方案", "一、工作目标"),
    *,
    main_type: str = DOCX_MAIN,
    extra: dict[str, bytes] | None = None,
) -> bytes:
    """A minimal but valid .docx written by hand: one run per paragraph; ``extra`` adds members."""
    members = [
        ("[Content_Types].xml", _content_types({"/word/document.xml": main_type})),
        ("_rels/.rels", _relationships([(OFFICE_DOCUMENT, "word/document.xml")])),
        ("word/document.xml", document_xml(paragraphs)),
        *(extra or {}).items(),
    ]
    return _zip(members)


def docm_bytes() -> bytes:
    """A macro-enabled Word document: its content type and a VBA project."""
    return docx_bytes(
        ["含宏文档"],
        main_type=DOCM_MAIN,
        extra={
            "word/_rels/document.xml.rels": _relationships([(VBA_PROJECT, "vbaProject.bin")]),
            "word/vbaProject.bin": VBA_BYTES,
        },
    )


def xlsx_bytes(rows: Sequence[Sequence[Any]] = (("指标", "得分"), ("公益广告", 95))) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "台账"
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def rezip(data: bytes, replace: dict[str, bytes]) -> bytes:
    """The same package with members replaced or added."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = [(name, replace.get(name, archive.read(name))) for name in archive.namelist()]
    known = {name for name, _ in members}
    return _zip(members + [(name, body) for name, body in replace.items() if name not in known])


def xlsm_bytes() -> bytes:
    """An .xlsx made by openpyxl turned macro-enabled: the workbook's content type and a VBA project."""
    data = xlsx_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        types = archive.read("[Content_Types].xml").decode()
    main = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    assert main in types
    return rezip(
        data, {"[Content_Types].xml": types.replace(main, XLSM_MAIN).encode(), "xl/vbaProject.bin": VBA_BYTES}
    )


def _picture(width: int, height: int, noise: bool) -> Image.Image:
    if noise:  # incompressible: a big file from a modest picture
        return Image.frombytes(
            "RGB", (width, height), random.Random(width * height).randbytes(width * height * 3)
        )
    im = Image.new("RGB", (width, height), (70, 130, 180))
    draw = ImageDraw.Draw(im)
    draw.rectangle((width // 8, height // 4, width * 5 // 8, height * 3 // 4), fill=(220, 40, 40))
    draw.ellipse((width // 2, height // 8, width * 7 // 8, height // 2), fill=(250, 250, 250))
    return im


def jpeg_bytes(
    width: int = 640, height: int = 480, *, noise: bool = False, orientation: int | None = None
) -> bytes:
    """A JPEG picture; ``orientation`` writes that EXIF orientation (6: to be turned 90° clockwise)."""
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    out = io.BytesIO()
    _picture(width, height, noise).save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


def png_bytes(width: int = 320, height: int = 240) -> bytes:
    out = io.BytesIO()
    _picture(width, height, noise=False).save(out, "PNG")
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A real small PNG whose IHDR claims ``width``×``height`` (its CRC recomputed, so it looks genuine)."""
    data = bytearray(png_bytes(8, 8))
    # Signature (8) + length (4) + b"IHDR" (4), then width and height; the CRC covers type and data.
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def cfb_bytes() -> bytes:
    """What an encrypted .docx/.xlsx or an old .doc looks like: an OLE compound file header and padding."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16) + struct.pack("<HHH", 0x3E, 0x03, 0xFFFE)
    return header + bytes(4096 - len(header))


def zip_bomb_docx(unpacked: int | None = None) -> bytes:
    """A .docx whose word/document.xml unpacks to ``unpacked`` bytes (default: just over
    MATERIALS_MAX_UNZIPPED_BYTES) of highly compressible XML, written in chunks."""
    if unpacked is None:
        from django.conf import settings

        unpacked = int(settings.MATERIALS_MAX_UNZIPPED_BYTES) + 1024 * 1024
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _content_types({"/word/document.xml": DOCX_MAIN}))
        archive.writestr("_rels/.rels", _relationships([(OFFICE_DOCUMENT, "word/document.xml")]))
        opening = f'<w:document xmlns:w="{W_NS}"><w:body><w:p><w:r><w:t>'.encode()
        closing = b"</w:t></w:r></w:p></w:body></w:document>"
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            member.write(opening)
            left = unpacked - len(opening) - len(closing)
            chunk = b" " * (1024 * 1024)
            while left > 0:
                member.write(chunk[:left])
                left -= len(chunk)
            member.write(closing)
    return out.getvalue()


def text_bytes(text: str = "这不是 PDF，只是一段文字。\n") -> bytes:
    return text.encode()


def html_bytes() -> bytes:
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'></head><body><p>申报材料</p></body></html>".encode()
    )
