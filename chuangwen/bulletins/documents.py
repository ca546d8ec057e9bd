"""A bulletin's .docx, PDF and .xlsx, laid out after GB/T 9704 (党政机关公文格式).

``render_all`` first turns the bulletin into a neutral ``Document`` — red masthead, 发文字号, title, 主送,
the sections in the template's order under Chinese numbered headings (each its wording block, then its table,
list or photos), closing line, 附件 list, signature and date, and the ranking table as 附件1 — built only from
the bulletin's own fields and its frozen ``content`` snapshot. The writers (``docx_writer``, ``pdf_writer``)
and the .xlsx only lay that out, so the three files always say the same thing.

Photos are the public copies (faces and plates blurred, no metadata) and nothing else: an issued bulletin goes
to every unit concerned by e-mail.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.bulletins.models import Bulletin, Section
from chuangwen.core.xlsx import sheet_cell, sheet_row

CN_DIGITS = "〇一二三四五六七八九"
CN_ORDINALS = "一二三四五六七八九十"
LOOKBACK_LABELS = {
    "rework": "核查不通过返工",
    "false_rectification": "抽查复核不通过（虚假整改）",
    "flagged_photo": "整改照片存疑",
    "recurrence": "问题复发",
}


@dataclass
class Heading:
    text: str
    level: int = 1  # 1: 一、… (黑体); 2: （一）… (楷体 in print; bold here)


@dataclass
class Para:
    text: str
    kind: str = "body"  # body (first-line indent) | note (centred, under the title)


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    numeric: frozenset[int] = frozenset()  # columns aligned right


@dataclass
class Photo:
    data: bytes
    evidence_id: int


@dataclass
class Photos:
    photos: list[Photo]


Block = Heading | Para | Table | Photos


@dataclass
class Document:
    masthead: str
    number: str
    title: str
    addressees: str
    issuer: str
    date_text: str
    blocks: list[Block] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # under the title (a correction says what it corrects)
    attachments: list[str] = field(default_factory=list)
    appendix: list[tuple[str, str, Table]] = field(default_factory=list)  # (附件N, its title, its table)

    @property
    def masthead_pt(self) -> int:
        """The masthead on one line of the 156 mm type area (at most 36 pt; GB/T 9704 leaves the size
        to the office)."""
        return max(18, min(36, int(156 / 0.3528 / max(1, len(self.masthead)) * 0.95)))


# --- small formats ---------------------------------------------------------------------------------------


def chinese_date(day: date) -> str:
    """二〇二六年三月十六日 (GB/T 9704: the year in full, no leading zero in month and day)."""
    year = "".join(CN_DIGITS[int(d)] for d in str(day.year))
    return f"{year}年{chinese_number(day.month)}月{chinese_number(day.day)}日"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 16 → 十六, 23 → 二十三 (up to 99)."""
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return f"{CN_DIGITS[tens] if tens > 1 else ''}十{CN_DIGITS[ones] if ones else ''}"


def ordinal(n: int) -> str:
    """一、二、… for the n-th (1-based) section heading."""
    return chinese_number(n) if n > 0 else CN_ORDINALS[0]


def _v(value: Any) -> str:
    return "—" if value is None or value == "" else str(value)


def _signed(value: Any) -> str:
    if value is None:
        return "—"
    text = str(value)
    return text if text.startswith("-") or text in {"0", "0.0", "0.00"} else f"+{text}"


def bulletin_date(bulletin: Bulletin) -> date:
    return timezone.localdate(bulletin.issued_at) if bulletin.issued_at else timezone.localdate()


def document_number(bulletin: Bulletin) -> str:
    return bulletin.document_number or _("（草稿）")


# --- the sections ----------------------------------------------------------------------------------------


def _overview(snap: dict[str, Any]) -> list[Block]:
    over = snap.get("overview") or {}
    period = snap.get("period") or ["", ""]
    text = _(
        "%(s)s至%(e)s，共测评点位 %(sites)s 个、%(visits)s 个次，"
        "适用测评项目 %(a)s 项，符合 %(c)s 项，得分率 %(r)s%%"
    ) % {
        "s": period[0],
        "e": period[1],
        "sites": over.get("sites", 0),
        "visits": over.get("visits", 0),
        "a": over.get("applicable", 0),
        "c": over.get("conforming", 0),
        "r": _v(over.get("score_rate")),
    }
    change = over.get("change")
    if change is not None:
        text += _("，较上期（%(p)s%%）变化 %(d)s 个百分点") % {
            "p": over.get("previous_score_rate"),
            "d": _signed(change),
        }
    text += _("；发现不符合项 %(f)s 条、问题 %(n)s 处。") % {
        "f": over.get("findings", 0),
        "n": over.get("problems", 0),
    }
    return [Para(text)]


def ranking_table(rows: list[dict[str, Any]]) -> Table:
    """The full ranking (附件1 and the .xlsx)."""
    headers = [_("排名"), _("单位"), _("综合指数"), _("较上期"), _("名次变化"), _("实地测评"), _("问题整改")]
    headers += [_("网上申报"), _("问卷调查"), _("测评点位次"), _("案卷数")]
    body = [
        [
            _v(r["rank"]),
            r["unit_name"],
            _v(r["composite"]),
            _signed(r["composite_change"]),
            _signed(r["rank_change"]),
            _v(r["onsite"]),
            _v(r["rectification"]),
            _v(r["materials"]),
            _v(r["survey"]),
            _v(r["visits"]),
            _v(r["cases"]),
        ]
        for r in rows
    ]
    return Table(headers, body, frozenset({0, 2, 3, 4, 5, 6, 7, 8, 9, 10}))


def _short_ranking(rows: list[dict[str, Any]]) -> Table:
    headers = [_("排名"), _("单位"), _("综合指数"), _("较上期"), _("名次变化")]
    body = [
        [
            _v(r["rank"]),
            r["unit_name"],
            _v(r["composite"]),
            _signed(r["composite_change"]),
            _signed(r["rank_change"]),
        ]
        for r in rows
    ]
    return Table(headers, body, frozenset({0, 2, 3, 4}))


def _listed(rows: list[dict[str, Any]]) -> Table:
    body = [[_v(r["rank"]), r["unit_name"], _v(r["composite"])] for r in rows]
    return Table([_("排名"), _("单位"), _("综合指数")], body, frozenset({0, 2}))


def _typical(rows: list[dict[str, Any]], photos: dict[int, Photo]) -> list[Block]:
    out: list[Block] = []
    for index, row in enumerate(rows, start=1):
        head = _("（%(n)s）%(unit)s %(site)s") % {
            "n": chinese_number(index),
            "unit": row["unit_name"],
            "site": row["site"],
        }
        out.append(Heading(head, 2))
        text = _("%(d)s测评发现：%(code)s %(item)s，问题 %(c)s 处，扣 %(x)s 分。") % {
            "d": row["visited"],
            "code": row["item_code"],
            "item": row["item"],
            "c": row["count"],
            "x": _v(row["deduction"]),
        }
        if row.get("caption"):
            text += row["caption"]
        out.append(Para(text))
        mine = [photos[pk] for pk in row.get("photos", []) if pk in photos]
        if mine:
            out.append(Photos(mine))
    return out


def _deadline(rows: list[dict[str, Any]]) -> Table:
    body = [[r["code"], r["title"], r["unit_name"], _v(r["deadline"]), r["state"]] for r in rows]
    return Table([_("编号"), _("问题"), _("责任单位"), _("整改期限"), _("状态")], body)


def _lookback(rows: list[dict[str, Any]]) -> Table:
    body = [
        [r["code"], r["title"], r["unit_name"], LOOKBACK_LABELS.get(r["reason"], r["reason"]), r["at"]]
        for r in rows
    ]
    return Table([_("编号"), _("问题"), _("责任单位"), _("情形"), _("发现日期")], body)


def _talks(rows: list[dict[str, Any]]) -> Table:
    body = [
        [r["unit_name"], r["kind_label"], r["reason"], r["meeting_date"], r["follow_up_due"]] for r in rows
    ]
    return Table([_("单位"), _("方式"), _("事由"), _("约谈日期"), _("整改跟踪期限")], body)


def _commendations(rows: list[dict[str, Any]]) -> Table:
    body = [[r["unit_name"], r["title"], r["reason"], r["date"]] for r in rows]
    return Table([_("单位"), _("表彰称号"), _("事迹"), _("日期")], body)


def _survey(survey: dict[str, Any] | None) -> list[Block]:
    if not survey:
        return [Para(_("本期未引用问卷调查结果。"))]
    from chuangwen.surveys.figures import measure_labels, pct

    labels = measure_labels(survey.get("measures", []))
    rows = []
    for row in survey.get("rows", []):
        cells = [row["unit_name"]]
        for code, _label in labels:
            found = (row.get("measures") or {}).get(code)
            cells.append(pct(found["rate"]) if found else "—")
        rows.append(cells)
    intro = Para(
        _("%(w)s，有效样本 %(n)s 份。") % {"w": survey.get("wave", ""), "n": survey.get("accepted", 0)}
    )
    table = Table(
        [_("单位"), *[label for _code, label in labels]], rows, frozenset(range(1, len(labels) + 1))
    )
    return [intro, table]


def _materials(materials: dict[str, Any] | None) -> list[Block]:
    if not materials:
        return [Para(_("本期未引用网上申报周期。"))]
    body = [[r["unit_name"], str(r["cells"]), str(r["passed"]), f"{r['rate']}%"] for r in materials["rows"]]
    table = Table([_("单位"), _("应报项"), _("已通过"), _("通过率")], body, frozenset({1, 2, 3}))
    return [Para(_("申报周期：%(p)s。") % {"p": materials.get("period", "")}), table]


def _table_or_none(table: Table) -> list[Block]:
    return [table] if table.rows else [Para(_("本期无。"))]


def section_blocks(section: str, snap: dict[str, Any], photos: dict[int, Photo]) -> list[Block]:
    """The table, list or text of one section (after its heading and wording block)."""
    if section == Section.OVERVIEW:
        return _overview(snap)
    if section == Section.RANKING:
        return _table_or_none(_short_ranking(snap.get("ranking", [])))
    if section == Section.RED_LIST:
        return _table_or_none(_listed(snap.get("red", [])))
    if section == Section.BLACK_LIST:
        return _table_or_none(_listed(snap.get("black", [])))
    if section == Section.TYPICAL:
        return _typical(snap.get("typical", []), photos) or [Para(_("本期无。"))]
    simple: dict[str, Callable[[list[dict[str, Any]]], Table]] = {
        Section.DEADLINE: _deadline,
        Section.LOOKBACK: _lookback,
        Section.TALKS: _talks,
        Section.COMMENDATIONS: _commendations,
    }
    if section in simple:
        return _table_or_none(simple[section](snap.get(section, [])))
    if section == Section.SURVEY:
        return _survey(snap.get("survey"))
    if section == Section.MATERIALS:
        return _materials(snap.get("materials"))
    return []  # requirements: its wording is all


# --- photos: public copies only --------------------------------------------------------------------------


def public_photos(snap: dict[str, Any]) -> dict[int, Photo]:
    """The public copy (ensure_public_file) of every photo the typical problems cite; never the original or
    the watermarked display copy."""
    from chuangwen.evidence.models import Evidence
    from chuangwen.evidence.privacy import ensure_public_file

    wanted = [pk for row in snap.get("typical", []) for pk in row.get("photos", [])]
    out: dict[int, Photo] = {}
    for evidence in Evidence.objects.filter(pk__in=wanted):
        name = ensure_public_file(evidence)
        with default_storage.open(name, "rb") as handle:
            out[evidence.pk] = Photo(handle.read(), evidence.pk)
    return out


# --- the document ----------------------------------------------------------------------------------------


def build_document(bulletin: Bulletin, photos: dict[int, Photo]) -> Document:
    snap = bulletin.content or {}
    wording = bulletin.wording or {}
    doc = Document(
        masthead=_("%(issuer)s文件") % {"issuer": bulletin.issuer},
        number=document_number(bulletin),
        title=bulletin.title,
        addressees=bulletin.addressees,
        issuer=bulletin.issuer,
        date_text=chinese_date(bulletin_date(bulletin)),
    )
    if bulletin.corrects is not None:
        old = bulletin.corrects
        doc.notes.append(
            _("（本通报更正%(n)s《%(t)s》）") % {"n": old.document_number or _("（草稿）"), "t": old.title}
        )
    if wording.get("opening"):
        doc.blocks.append(Para(wording["opening"]))
    for index, section in enumerate(bulletin.sections, start=1):
        doc.blocks.append(Heading(f"{ordinal(index)}、{Section(section).label}"))
        if wording.get(section):
            doc.blocks.append(Para(wording[section]))
        doc.blocks.extend(section_blocks(section, snap, photos))
    if wording.get("closing"):
        doc.blocks.append(Para(wording["closing"]))
    if snap.get("ranking"):
        title = snap.get("ranking_title") or _("综合指数排名表")
        doc.attachments.append(f"1. {title}")
        doc.appendix.append((_("附件1"), title, ranking_table(snap["ranking"])))
    return doc


def ranking_xlsx(bulletin: Bulletin, doc: Document) -> bytes:
    """The ranking table as a workbook: a title row, the header and one row per ranking row (every cell
    through ``sheet_cell``, so a unit name can never become a formula)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    snap = bulletin.content or {}
    table = ranking_table(snap.get("ranking", []))
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("排名表"))
    sheet.column_dimensions["B"].width = 24
    title = sheet_cell(sheet, f"{doc.number} {snap.get('ranking_title') or bulletin.title}")
    title.font = Font(bold=True, size=14)
    sheet.append([title])
    header = sheet_row(sheet, table.headers)
    for cell in header:
        cell.font = Font(bold=True)
    sheet.append(header)
    for row in table.rows:
        sheet.append(sheet_row(sheet, row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render_all(bulletin: Bulletin, progress: Callable[[int], None]) -> dict[str, bytes]:
    """The bulletin's .docx, PDF and .xlsx (progress in percent as each part is done)."""
    from chuangwen.bulletins import docx_writer, pdf_writer

    progress(5)
    photos = public_photos(bulletin.content or {})
    progress(25)
    doc = build_document(bulletin, photos)
    docx = docx_writer.write(doc)
    progress(50)
    pdf = pdf_writer.write(doc)
    progress(90)
    xlsx = ranking_xlsx(bulletin, doc)
    progress(100)
    return {"docx": docx, "pdf": pdf, "xlsx": xlsx}
