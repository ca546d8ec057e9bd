"""A bulletin ``Document`` as a Word file (python-docx), after GB/T 9704: A4, margins 37/35/28/26 mm, red
masthead and red line, 二号 title, 三号 仿宋 body, 黑体 headings, "— 1 —" page numbers from a PAGE field."""

from __future__ import annotations

import io

from docx import Document as new_docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from chuangwen.bulletins.documents import Block, Document, Heading, Para, Photos, Table

RED = RGBColor(0xE6, 0x00, 0x12)
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
TITLE_FONT = "方正小标宋简体"
LATIN_FONT = "Times New Roman"
BODY_SIZE = Pt(16)  # 三号
TABLE_SIZE = Pt(10.5)  # 五号
PHOTO_WIDTH = Mm(74)  # two photos side by side in the 156 mm type area


def _font(run: Run, east_asia: str, size: Pt, *, bold: bool = False, colour: RGBColor | None = None) -> None:
    """Latin and East-Asian font names both: Word picks w:eastAsia for Chinese characters."""
    run.font.name = LATIN_FONT
    run.font.size = size
    run.font.bold = bold
    if colour is not None:
        run.font.color.rgb = colour
    r_pr = run._element.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), east_asia)


def _para(
    docx: object,
    text: str,
    *,
    font: str = BODY_FONT,
    size: Pt = BODY_SIZE,
    align: int | None = None,
    bold: bool = False,
    colour: RGBColor | None = None,
    indent: bool = False,
) -> Paragraph:
    paragraph: Paragraph = docx.add_paragraph()  # type: ignore[attr-defined]
    if align is not None:
        paragraph.alignment = align  # type: ignore[assignment]
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(size.pt * 2)
    paragraph.paragraph_format.space_after = Pt(0)
    _font(paragraph.add_run(text), font, size, bold=bold, colour=colour)
    return paragraph


def _red_rule(paragraph: Paragraph) -> None:
    """The red line under the 发文字号 (a bottom border of the paragraph)."""
    p_pr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("val", "single"), ("sz", "18"), ("space", "4"), ("color", "E60012")):
        bottom.set(qn(f"w:{key}"), value)
    borders.append(bottom)
    p_pr.append(borders)


def _field(paragraph: Paragraph, instruction: str) -> None:
    """A Word field (PAGE): begin, instruction, separate, a placeholder result, end."""
    run = paragraph.add_run()
    _font(run, BODY_FONT, Pt(14))
    for kind, text in (("begin", None), (None, instruction), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        elif text == instruction:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {instruction} "
        else:
            element = OxmlElement("w:t")
            element.text = text
        run._element.append(element)


def _page(docx: object) -> None:
    section = docx.sections[0]  # type: ignore[attr-defined]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(footer.add_run("— "), BODY_FONT, Pt(14))
    _field(footer, "PAGE")
    _font(footer.add_run(" —"), BODY_FONT, Pt(14))


def _mark_header_row(table: DocxTable) -> None:
    """Header row repeated on every page; no row split across pages."""
    for index, row in enumerate(table.rows):
        tr_pr = row._tr.get_or_add_trPr()
        cant = OxmlElement("w:cantSplit")
        tr_pr.append(cant)
        if index == 0:
            header = OxmlElement("w:tblHeader")
            tr_pr.append(header)


def _table(docx: object, block: Table) -> None:
    table = docx.add_table(rows=1 + len(block.rows), cols=len(block.headers))  # type: ignore[attr-defined]
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for row_index, values in enumerate([block.headers, *block.rows]):
        cells = table.rows[row_index].cells
        for col, value in enumerate(values):
            paragraph = cells[col].paragraphs[0]
            head = row_index == 0
            if head:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif col in block.numeric:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            _font(paragraph.add_run(value), HEADING_FONT if head else BODY_FONT, TABLE_SIZE)
    _mark_header_row(table)


def _photos(docx: object, block: Photos) -> None:
    paragraph: Paragraph = docx.add_paragraph()  # type: ignore[attr-defined]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for index, photo in enumerate(block.photos):
        if index:
            paragraph.add_run(" ")
        paragraph.add_run().add_picture(io.BytesIO(photo.data), width=PHOTO_WIDTH)


def _block(docx: object, block: Block) -> None:
    if isinstance(block, Heading):
        if block.level == 1:
            _para(docx, block.text, font=HEADING_FONT, indent=True)
        else:
            _para(docx, block.text, bold=True, indent=True)
    elif isinstance(block, Para):
        _para(docx, block.text, indent=True)
    elif isinstance(block, Table):
        _table(docx, block)
    else:
        _photos(docx, block)


def _head(docx: object, doc: Document) -> None:
    _para(
        docx,
        doc.masthead,
        font=TITLE_FONT,
        size=Pt(doc.masthead_pt),
        align=WD_ALIGN_PARAGRAPH.CENTER,
        colour=RED,
    )
    _para(docx, "")
    number = _para(docx, doc.number, align=WD_ALIGN_PARAGRAPH.CENTER)
    _red_rule(number)
    _para(docx, "")
    _para(docx, doc.title, font=TITLE_FONT, size=Pt(22), align=WD_ALIGN_PARAGRAPH.CENTER, bold=True)
    for note in doc.notes:
        _para(docx, note, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(docx, "")
    _para(docx, doc.addressees)


def _tail(docx: object, doc: Document) -> None:
    if doc.attachments:
        _para(docx, "")
        for index, line in enumerate(doc.attachments):
            _para(docx, ("附件：" if index == 0 else "　　　") + line, indent=True)
    _para(docx, "")
    _para(docx, "")
    _para(docx, doc.issuer, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _para(docx, doc.date_text, align=WD_ALIGN_PARAGRAPH.RIGHT)
    for label, title, table in doc.appendix:
        label_para = _para(docx, label, font=HEADING_FONT)
        label_para.paragraph_format.page_break_before = True
        _para(docx, title, font=TITLE_FONT, size=Pt(18), align=WD_ALIGN_PARAGRAPH.CENTER)
        _table(docx, table)


def write(doc: Document) -> bytes:
    docx = new_docx()
    _page(docx)
    _head(docx, doc)
    for block in doc.blocks:
        _block(docx, block)
    _tail(docx, doc)
    out = io.BytesIO()
    docx.save(out)
    return out.getvalue()
