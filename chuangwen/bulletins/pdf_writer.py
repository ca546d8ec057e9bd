"""A bulletin ``Document`` as PDF: the Django template ``bulletins/document.html`` through WeasyPrint
(``core.pdf.html_to_pdf``), photos embedded as data: URIs of the public copies (nothing is fetched)."""

from __future__ import annotations

import base64
from typing import Any

from django.template.loader import render_to_string

from chuangwen.bulletins.documents import Document, Heading, Para, Photos, Table
from chuangwen.core.pdf import CJK_FONT_FAMILY, html_to_pdf


def _block(block: Heading | Para | Table | Photos) -> dict[str, Any]:
    if isinstance(block, Heading):
        return {"kind": "heading", "text": block.text, "level": block.level}
    if isinstance(block, Para):
        return {"kind": "para", "text": block.text}
    if isinstance(block, Table):
        return {"kind": "table", "table": _table(block)}
    return {
        "kind": "photos",
        "photos": [
            "data:image/jpeg;base64," + base64.b64encode(p.data).decode("ascii") for p in block.photos
        ],
    }


def _table(table: Table) -> dict[str, Any]:
    rows = [[(value, index in table.numeric) for index, value in enumerate(row)] for row in table.rows]
    return {"headers": table.headers, "rows": rows}


def _blocks(doc: Document) -> list[dict[str, Any]]:
    """The body, then the 附件 list, the signature and each 附件 (one sequence: one table markup)."""
    out = [_block(b) for b in doc.blocks]
    if doc.attachments:
        out.append({"kind": "attachments", "lines": doc.attachments})
    out.append({"kind": "signature"})
    for label, title, table in doc.appendix:
        out.append({"kind": "appendix", "label": label, "title": title})
        out.append({"kind": "table", "table": _table(table)})
    return out


def html(doc: Document) -> str:
    return render_to_string(
        "bulletins/document.html",
        {
            "doc": doc,
            "font": CJK_FONT_FAMILY,
            "blocks": _blocks(doc),
        },
    )


def write(doc: Document) -> bytes:
    return html_to_pdf(html(doc))
