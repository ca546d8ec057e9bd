"""The bulletin's .docx, PDF and .xlsx: what they say is the snapshot, the photos are the public copies, the
PDF's Chinese is in the embedded CJK font, and issuing renders and delivers them with the attachments."""

from __future__ import annotations

import io
import logging
import zipfile
from typing import Any

import pytest
from django.core.files.storage import default_storage
from docx import Document as open_docx
from openpyxl import load_workbook
from pypdf import PdfReader

from chuangwen.bulletins import documents, services
from chuangwen.bulletins.models import Bulletin, RenderState
from chuangwen.bulletins.tests.fixtures import draft_of, issue
from chuangwen.evidence.models import Evidence
from chuangwen.evidence.privacy import ensure_public_file
from chuangwen.notify.models import Channel, Delivery

pytestmark = pytest.mark.django_db

HEADINGS = ["一、总体情况", "二、排名情况", "三、红榜", "四、黑榜", "五、典型问题", "六、限期整改问题清单"]


def _render(bulletin: Bulletin) -> tuple[dict[str, bytes], list[int]]:
    seen: list[int] = []
    files = documents.render_all(bulletin, seen.append)
    return files, seen


def _docx_text(data: bytes) -> str:
    doc = open_docx(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    parts += [p.text for p in doc.sections[0].footer.paragraphs]
    return "\n".join(parts)


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _public_bytes(evidence: Evidence) -> bytes:
    with default_storage.open(ensure_public_file(evidence), "rb") as handle:
        return handle.read()


def _original_bytes(evidence: Evidence) -> bytes:
    with default_storage.open(evidence.file.name, "rb") as handle:
        return handle.read()


def _snapshot_strings(snap: dict[str, Any]) -> list[str]:
    """Names and numbers every document must show, read from the snapshot."""
    wanted = [f"{snap['overview']['score_rate']}%"]
    for row in snap["ranking"]:
        wanted += [row["unit_name"], row["composite"]] if row["composite"] else [row["unit_name"]]
    wanted += [row["code"] for row in snap["deadline"]]
    return wanted


def test_it_writes_the_docx_from_the_snapshot(
    bulletin_world: dict[str, Any], users: dict[str, Any], clock: Any
) -> None:
    bulletin = draft_of(bulletin_world, users)
    files, seen = _render(bulletin)
    assert seen[-1] == 100 and len(seen) >= 3 and seen == sorted(seen)
    text = _docx_text(files["docx"])
    for heading in HEADINGS:
        assert heading in text
    assert "（草稿）" in text  # not issued: no number yet
    assert "区文明办文件" in text or f"{bulletin.issuer}文件" in text
    for value in _snapshot_strings(bulletin.content):
        assert value in text, value
    assert "核查不通过返工" in text and "整改照片存疑" in text  # look-back reasons in Chinese
    assert "二〇二六年三月十六日" in text
    assert "附件：1." in text and "附件1" in text
    doc = open_docx(io.BytesIO(files["docx"]))
    xml = doc.sections[0].footer._element.xml
    assert "PAGE" in xml and "— " in xml  # page number field in the footer
    body = doc.element.body.xml
    assert 'w:eastAsia="仿宋_GB2312"' in body and "w:tblHeader" in body


def test_it_numbers_the_issued_docx_and_names_what_a_correction_corrects(
    bulletin_world: dict[str, Any], users: dict[str, Any], clock: Any
) -> None:
    first = issue(draft_of(bulletin_world, users), bulletin_world, users)
    assert first.document_number
    correction = draft_of(bulletin_world, users, corrects=first)
    text = _docx_text(_render(correction)[0]["docx"])
    assert f"本通报更正{first.document_number}" in text
    text = _docx_text(_render(first)[0]["docx"])
    assert first.document_number in text and "（草稿）" not in text


def test_it_writes_the_same_text_into_the_pdf_in_the_cjk_font(
    bulletin_world: dict[str, Any], users: dict[str, Any], clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    bulletin = draft_of(bulletin_world, users)
    with caplog.at_level(logging.WARNING):
        pdf = _render(bulletin)[0]["pdf"]
    assert not [r for r in caplog.records if "notdef" in r.getMessage().lower() or "glyph" in r.getMessage()]
    text = _pdf_text(pdf)
    for heading in HEADINGS:
        assert heading in text
    for value in _snapshot_strings(bulletin.content):
        assert value in text, value
    assert "— 1 —" in text and "附件1" in text
    reader = PdfReader(io.BytesIO(pdf))
    fonts = set()
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for ref in resources.get("/Font", {}).values():
            font = ref.get_object()
            fonts.add(str(font["/BaseFont"]))
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            assert "/FontFile2" in descendant["/FontDescriptor"].get_object()
    assert fonts and all("WenQuanYi" in name for name in fonts), fonts


def test_it_embeds_the_public_copy_of_the_photo_never_the_original(
    bulletin_world: dict[str, Any], users: dict[str, Any], clock: Any
) -> None:
    bulletin = draft_of(bulletin_world, users)
    photo = Evidence.objects.get(pk=bulletin_world["photos"]["road"].pk)
    assert bulletin.content["typical"][0]["photos"] == [photo.pk]
    files = _render(bulletin)[0]
    public, original = _public_bytes(photo), _original_bytes(photo)
    assert public != original
    with zipfile.ZipFile(io.BytesIO(files["docx"])) as archive:
        media = [archive.read(n) for n in archive.namelist() if n.startswith("word/media/")]
    assert media == [public]
    # WeasyPrint shares one resource dictionary between pages: count each image object once.
    embedded: dict[int, bytes] = {}
    for page in PdfReader(io.BytesIO(files["pdf"])).pages:
        resources: Any = page["/Resources"]
        xobjects: Any = resources.get("/XObject", {})
        for ref in xobjects.values():
            image = ref.get_object()
            if image["/Subtype"] == "/Image":
                embedded[ref.idnum] = image.get_data()
    assert list(embedded.values()) == [public]


def test_it_writes_the_ranking_workbook_row_for_row(
    bulletin_world: dict[str, Any], users: dict[str, Any], clock: Any
) -> None:
    bulletin = draft_of(bulletin_world, users)
    sheet = load_workbook(io.BytesIO(_render(bulletin)[0]["xlsx"])).active
    assert sheet is not None
    rows = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    assert "（草稿）" in str(rows[0][0])
    assert rows[1][:3] == ("排名", "单位", "综合指数")[:3] or list(rows[1][:3]) == [
        "排名",
        "单位",
        "综合指数",
    ]
    snap = bulletin.content["ranking"]
    assert len(rows) == 2 + len(snap)
    for got, want in zip(rows[2:], snap, strict=True):
        assert got[1] == want["unit_name"]
        assert got[2] == (want["composite"] or "—")
        assert got[0] == (str(want["rank"]) if want["rank"] is not None else "—")


def test_it_renders_and_delivers_an_issued_bulletin_with_its_files(
    bulletin_world: dict[str, Any],
    users: dict[str, Any],
    org: dict[str, Any],
    clock: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    Channel.objects.create(unit=org["east"], name="东城街道邮箱", kind="email", target="east@example.org")
    draft = draft_of(bulletin_world, users)
    with django_capture_on_commit_callbacks(execute=True):  # the render is queued on commit
        bulletin = issue(draft, bulletin_world, users)
    bulletin.refresh_from_db()
    assert bulletin.render_state == RenderState.DONE and bulletin.render_progress == 100
    for name in (bulletin.docx_name, bulletin.pdf_name, bulletin.xlsx_name):
        assert name and default_storage.exists(name) and default_storage.size(name) > 0
    with default_storage.open(bulletin.docx_name, "rb") as handle:
        assert bulletin.document_number in _docx_text(handle.read())
    mails = list(Delivery.objects.filter(channel__unit=org["east"], channel_kind="email"))
    assert len(mails) == 1
    attached = {a["name"]: a["filename"] for a in mails[0].attachments}
    assert attached == {
        bulletin.docx_name: f"{bulletin.document_number}.docx",
        bulletin.pdf_name: f"{bulletin.document_number}.pdf",
        bulletin.xlsx_name: f"{bulletin.document_number}.xlsx",
    }
    assert services.recipient_for(bulletin, users["east_handler"]) is not None


def test_it_writes_chinese_dates_and_numbers() -> None:
    from datetime import date

    assert documents.chinese_date(date(2026, 3, 16)) == "二〇二六年三月十六日"
    assert documents.chinese_date(date(2030, 10, 1)) == "二〇三〇年十月一日"
    assert documents.chinese_date(date(2026, 12, 31)) == "二〇二六年十二月三十一日"
    assert [documents.ordinal(n) for n in (1, 9, 10, 11, 12)] == ["一", "九", "十", "十一", "十二"]


@pytest.mark.parametrize("kind", ["inspection", "lookback", "redblack", "commendation"])
def test_it_writes_every_kind_with_its_sections(
    kind: str, bulletin_world: dict[str, Any], users: dict[str, Any]
) -> None:
    bulletin = services.draft(
        bulletin_world["templates"][kind], users["coordinator"], ranking=bulletin_world["ranking"],
        round_=bulletin_world["round"],
    )  # fmt: skip
    files = documents.render_all(bulletin, lambda _percent: None)
    text = "\n".join(p.text for p in open_docx(io.BytesIO(files["docx"])).paragraphs)
    assert bulletin.title in text
    pdf = "".join(page.extract_text() for page in PdfReader(io.BytesIO(files["pdf"])).pages)
    assert bulletin.issuer[:4] in pdf
