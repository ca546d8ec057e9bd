"""Questionnaires as XLSForm-like workbooks: ``read_xlsx`` turns a workbook into the spec that
``spec.check`` / ``spec.load`` take (so every rule stays in spec.py), ``write_xlsx`` writes a questionnaire in
the same layout, so an export imports back unchanged (docs/surveys.md, "Questionnaire files").

Sheets (names as in XLSForm; a "说明" sheet or any other sheet is ignored):

- ``survey``: type, name, label, hint, required, relevant, measure, indicator, min, max. ``type`` is
  ``select_one <list>``, ``select_multiple <list>``, ``scale`` (满意/基本满意/不满意) or ``scale <list>``,
  ``integer`` / ``decimal`` (a number question), ``text``, or ``begin_group`` / ``end_group`` (a section:
  name, label, relevant). Questions outside a group form a section of their own. ``required`` left empty
  means yes (as in the YAML files, unlike XLSForm). XLSForm's metadata rows (start, end, today, deviceid …)
  are skipped: the interview's times are recorded anyway.
- ``choices``: list_name, name, label, score (0–1; empty: the answer counts in no rate).
- ``settings``: form_id, form_title, intro in row 2.

Every problem the reader itself finds is a ``SpecError`` naming the sheet row; a workbook with any of them
raises ``SpecInvalid`` before anything is checked or stored.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from chuangwen.core.xlsx import ImportFileError, cell_text, check_xlsx_content, read_upload, sheet_cell
from chuangwen.surveys.models import QuestionKind
from chuangwen.surveys.spec import SCALE_CHOICES, SpecError, SpecInvalid, to_spec

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from chuangwen.surveys.models import Questionnaire

SURVEY_SHEET, CHOICES_SHEET, SETTINGS_SHEET = "survey", "choices", "settings"
SURVEY_COLUMNS = (
    "type",
    "name",
    "label",
    "hint",
    "required",
    "relevant",
    "measure",
    "indicator",
    "min",
    "max",
)
CHOICE_COLUMNS = ("list_name", "name", "label", "score")
SETTINGS_COLUMNS = ("form_id", "form_title", "intro")
SURVEY_REQUIRED = ("type", "name", "label")
CHOICE_REQUIRED = ("list_name", "name", "label")
# XLSForm's automatic metadata: nothing to ask, and the interview records its own times and device.
METADATA_TYPES = frozenset(
    {"start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber", "username", "audit"}
)
NUMBER_TYPES = frozenset({"integer", "decimal"})
BEGIN_GROUP = frozenset({"begin_group", "begin group"})
END_GROUP = frozenset({"end_group", "end group"})
# A questionnaire is a few hundred rows; the limits refuse a workbook that only pretends to be one.
MAX_ROWS = 5_000
MAX_COLUMNS = 60
MAX_ZIP_ENTRIES = 500
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
MAX_ZIP_RATIO = 200
RATIO_MIN_BYTES = 1024 * 1024
# Where a spec field lives in the workbook (for error lists): questions and sections, and the settings.
ROW_COLUMNS = {"code": "name", "kind": "type", "text": "label", "title": "label", "choices": "choices"}
SETTINGS_FIELDS = {"code": "form_id", "title": "form_title", "intro": "intro"}


def column_of(error: SpecError) -> str:
    """The workbook column a ``SpecError`` of ``spec.check`` points at (``name`` for a question's code …)."""
    if error.row is None:
        return SETTINGS_FIELDS.get(error.field, error.field)
    return ROW_COLUMNS.get(error.field, error.field)


# --- reading ------------------------------------------------------------------------------------------------


def _file_error(message: str) -> SpecInvalid:
    return SpecInvalid([SpecError(_("文件"), "", message)])


def _check_archive(data: bytes) -> None:
    """Refuse a zip bomb before openpyxl inflates anything: too many parts, too much inflated, or a part that
    inflates far beyond any real sheet."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile:
        raise _file_error(_("文件已损坏，无法作为 .xlsx 读取")) from None
    total = sum(info.file_size for info in infos)
    inflated = any(
        info.file_size > RATIO_MIN_BYTES and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1)
        for info in infos
    )
    if len(infos) > MAX_ZIP_ENTRIES or total > MAX_UNZIPPED_BYTES or inflated:
        raise _file_error(_("文件的压缩结构异常（疑似压缩炸弹），不予导入"))


def _normalise_header(value: Any) -> str:
    text = str(value).strip().rstrip("*＊").strip().lower() if value is not None else ""
    for plain in ("label", "hint"):
        if text.startswith(plain + "::"):  # XLSForm's label::中文 (zh): one language is read
            return plain
    return text


class _Table:
    """One sheet as rows of named cells; headers normalised, row numbers as Excel shows them."""

    def __init__(self, ws: Worksheet, sheet: str, known: Sequence[str], errors: list[SpecError]) -> None:
        self.sheet = sheet
        self.rows: list[tuple[int, dict[str, Any]]] = []
        rows: Iterator[tuple[Any, ...]] = ws.iter_rows(values_only=True, max_col=MAX_COLUMNS)
        first = next(rows, None) or ()
        self.headers = [_normalise_header(v) for v in first]
        self.columns: dict[str, int] = {}
        for index, header in enumerate(self.headers):
            if header and header not in self.columns:
                self.columns[header] = index
        unknown = {h: i for h, i in self.columns.items() if h not in known}
        reported: set[str] = set()
        for number, values in enumerate(rows, start=2):
            if number > MAX_ROWS + 1:
                errors.append(
                    SpecError(self.place(), "", _("行数过多（最多 %(n)s 行），请检查文件") % {"n": MAX_ROWS})
                )
                break
            if not any(v is not None and str(v).strip() != "" for v in values):
                continue
            for header, index in unknown.items():
                value = values[index] if index < len(values) else None
                if header not in reported and value is not None and str(value).strip():
                    reported.add(header)
                    message = _("不支持的列“%(col)s”：本系统不使用它，请删除该列（或清空）后再导入") % {
                        "col": header
                    }
                    errors.append(SpecError(self.place(number), header, message, number))
            cells = {
                h: (values[i] if i < len(values) else None) for h, i in self.columns.items() if h in known
            }
            self.rows.append((number, cells))

    def place(self, row: int | None = None) -> str:
        if row is None:
            return _("%(sheet)s 表") % {"sheet": self.sheet}
        return _("%(sheet)s 表第 %(n)s 行") % {"sheet": self.sheet, "n": row}

    def missing(self, required: Sequence[str]) -> list[SpecError]:
        return [
            SpecError(self.place(), column, _("缺少列“%(col)s”（第 1 行为列名）") % {"col": column})
            for column in required
            if column not in self.columns
        ]


def _text(cells: dict[str, Any], column: str) -> str:
    return cell_text(cells.get(column))


def _raw(cells: dict[str, Any], column: str) -> Any:
    value = cells.get(column)
    return value.strip() if isinstance(value, str) else value


def _sheets(workbook: Any) -> dict[str, Worksheet]:
    found: dict[str, Worksheet] = {}
    for name in workbook.sheetnames:
        found.setdefault(str(name).strip().lower(), workbook[name])
    return found


def _choice_lists(table: _Table, errors: list[SpecError]) -> dict[str, list[dict[str, Any]]]:
    lists: dict[str, list[dict[str, Any]]] = {}
    for number, cells in table.rows:
        list_name = _text(cells, "list_name")
        if not list_name:
            errors.append(
                SpecError(table.place(number), "list_name", _("请填写选项列表名 list_name"), number)
            )
            continue
        lists.setdefault(list_name, []).append(
            {"value": _text(cells, "name"), "label": _text(cells, "label"), "score": _raw(cells, "score")}
        )
    return lists


def _settings(table: _Table | None) -> dict[str, str]:
    if table is None or not table.rows:
        return {}
    _number, cells = table.rows[0]
    return {field: _text(cells, field) for field in SETTINGS_COLUMNS}


class _SurveyReader:
    """Turns the survey sheet's rows into sections of question dicts (each with its ``_row``)."""

    def __init__(
        self, table: _Table, lists: dict[str, list[dict[str, Any]]], errors: list[SpecError]
    ) -> None:
        self.table, self.lists, self.errors = table, lists, errors
        self.sections: list[dict[str, Any]] = []
        self.group: dict[str, Any] | None = None
        self.loose: dict[str, Any] | None = None  # the current section of questions outside any group

    def fail(self, number: int, column: str, message: str) -> None:
        self.errors.append(SpecError(self.table.place(number), column, message, number))

    def read(self) -> list[dict[str, Any]]:
        for number, cells in self.table.rows:
            kind = " ".join(_text(cells, "type").split()).lower()
            if kind in BEGIN_GROUP:
                self.begin(number, cells)
            elif kind in END_GROUP:
                if self.group is None:
                    self.fail(number, "type", _("end_group 前没有对应的 begin_group"))
                self.group = None
            elif kind in METADATA_TYPES:
                continue
            else:
                question = self.question(number, kind, cells)
                if question is not None:
                    self.section_for(number)["questions"].append(question)
        if self.group is not None:
            self.fail(self.group["_row"], "type", _("begin_group 没有对应的 end_group"))
        return self.sections

    def begin(self, number: int, cells: dict[str, Any]) -> None:
        if self.group is not None:
            self.fail(number, "type", _("不支持分组嵌套：请先用 end_group 结束上一个分组"))
        self.group = {
            "code": _text(cells, "name"),
            "title": _text(cells, "label"),
            "relevant": _text(cells, "relevant"),
            "questions": [],
            "_row": number,
        }
        self.sections.append(self.group)
        self.loose = None

    def section_for(self, number: int) -> dict[str, Any]:
        if self.group is not None:
            return self.group
        if self.loose is None:
            self.loose = {"code": "", "title": _("问卷题目"), "relevant": "", "questions": [], "_row": number}
            self.sections.append(self.loose)
        return self.loose

    def question(self, number: int, kind: str, cells: dict[str, Any]) -> dict[str, Any] | None:
        words = kind.split(" ")
        base, list_name = words[0], " ".join(words[1:])
        out: dict[str, Any] = {
            "code": _text(cells, "name"), "text": _text(cells, "label"), "hint": _text(cells, "hint"),
            "required": _raw(cells, "required"), "relevant": _text(cells, "relevant"),
            "measure": _text(cells, "measure"), "indicator": _text(cells, "indicator"),
            "min": _raw(cells, "min"), "max": _raw(cells, "max"), "_row": number,
        }  # fmt: skip
        if base in ("select_one", "select_multiple", "scale") and " " not in list_name:
            out["kind"] = {
                "select_one": QuestionKind.SINGLE,
                "select_multiple": QuestionKind.MULTIPLE,
                "scale": QuestionKind.SCALE,
            }[base]
            if not list_name and base != "scale":
                self.fail(
                    number, "type", _("%(type)s 后须写选项列表名，如 select_one yes_no") % {"type": base}
                )
                return None
            if list_name:
                if list_name not in self.lists:
                    message = _("选项列表“%(list)s”在 choices 表中不存在") % {"list": list_name}
                    self.fail(number, "type", message)
                    return None
                out["choices"] = [dict(c) for c in self.lists[list_name]]
            return out
        if kind in NUMBER_TYPES:
            out["kind"] = QuestionKind.NUMBER
            return out
        if kind == "text":
            out["kind"] = QuestionKind.TEXT
            return out
        if not kind:
            self.fail(number, "type", _("请填写题型 type"))
        else:
            message = _(
                "不支持的题型“%(type)s”：可用 select_one、select_multiple、scale、integer、decimal、text、"
                "begin_group、end_group"
            ) % {"type": kind[:60]}
            self.fail(number, "type", message)
        return None


def read_xlsx(data: bytes) -> dict[str, Any]:
    """The spec of an XLSForm-like workbook, or ``SpecInvalid`` listing what the reader found wrong (the
    spec's own rules are ``spec.check``'s, run by ``spec.load``)."""
    try:
        data = read_upload(data)
        check_xlsx_content(data)
    except ImportFileError as exc:
        raise _file_error(str(exc)) from None
    _check_archive(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged workbook
        raise _file_error(_("无法读取 Excel 文件：文件已损坏或不是 .xlsx 格式")) from None
    errors: list[SpecError] = []
    try:
        sheets = _sheets(workbook)
        if SURVEY_SHEET not in sheets:
            raise SpecInvalid(
                [
                    SpecError(
                        _("文件"), "", _("缺少工作表 survey（题目）；工作表应为 survey、choices、settings")
                    )
                ]
            )
        survey = _Table(sheets[SURVEY_SHEET], SURVEY_SHEET, SURVEY_COLUMNS, errors)
        choices = (
            _Table(sheets[CHOICES_SHEET], CHOICES_SHEET, CHOICE_COLUMNS, errors)
            if CHOICES_SHEET in sheets
            else None
        )
        settings = (
            _Table(sheets[SETTINGS_SHEET], SETTINGS_SHEET, SETTINGS_COLUMNS, [])  # XLSForm has more settings
            if SETTINGS_SHEET in sheets
            else None
        )
    except SpecInvalid:
        raise
    except Exception:
        raise _file_error(_("无法读取 Excel 文件：文件已损坏或不是 .xlsx 格式")) from None
    finally:
        workbook.close()
    errors.extend(survey.missing(SURVEY_REQUIRED))
    if choices is not None:
        errors.extend(choices.missing(CHOICE_REQUIRED))
    if errors:  # a missing column or sheet-wide problem: row checks would only repeat it
        raise SpecInvalid(errors)
    lists = _choice_lists(choices, errors) if choices is not None else {}
    sections = _SurveyReader(survey, lists, errors).read()
    info = _settings(settings)
    if settings is None or not info.get("form_id"):
        errors.append(
            SpecError(_("settings 表"), "form_id", _("请在 settings 表第 2 行填写问卷编号 form_id"), None)
        )
    if errors:
        raise SpecInvalid(errors)
    return {
        "code": info.get("form_id", ""),
        "title": info.get("form_title", ""),
        "intro": info.get("intro", ""),
        "sections": sections,
    }


# --- writing ------------------------------------------------------------------------------------------------

_HEADER_FONT = Font(bold=True)
README = (
    (
        "survey",
        "type",
        gettext_lazy(
            "select_one 列表名 / select_multiple 列表名 / scale [列表名] / integer / decimal / text / "
            "begin_group / end_group"
        ),
    ),
    ("survey", "name", gettext_lazy("题目编号：字母开头，字母、数字、下划线；显示条件里写作 ${编号}")),
    ("survey", "label", gettext_lazy("题目文字（begin_group 行：部分标题）")),
    ("survey", "hint", gettext_lazy("提示（可空）")),
    ("survey", "required", gettext_lazy("yes 必答 / no 选答；留空视为 yes")),
    ("survey", "relevant", gettext_lazy("显示条件，如 ${aw_campaign} = 'yes'；只能引用前面的题目")),
    (
        "survey",
        "measure",
        gettext_lazy(
            "计入指标：awareness 知晓率 / support 支持率 / participation 参与率 / satisfaction 满意度"
        ),
    ),
    ("survey", "indicator", gettext_lazy("对应测评标准编号，如 02-05-02")),
    ("survey", "min / max", gettext_lazy("数字题的最小值、最大值")),
    ("choices", "list_name", gettext_lazy("选项列表名（与 survey 表 type 中的列表名一致）")),
    ("choices", "name / label", gettext_lazy("选项取值 / 选项文字")),
    ("choices", "score", gettext_lazy("得分 0–1：计入知晓率等指标时该选项算多少；留空不计")),
    (
        "settings",
        "form_id / form_title / intro",
        gettext_lazy("问卷编号 / 问卷名称 / 开场说明（第 2 行）；已有编号导入为新版本"),
    ),
)


def _row(ws: WriteOnlyWorksheet, values: Sequence[Any], text_columns: Sequence[int] = ()) -> list[Cell]:
    cells = [sheet_cell(ws, value) for value in values]
    for index in text_columns:
        cells[index].number_format = "@"  # Excel keeps 02-05-02 as typed, not a date
    return cells


def _header(ws: WriteOnlyWorksheet, headers: Sequence[str], widths: Sequence[int]) -> None:
    for index, width in enumerate(widths):
        ws.column_dimensions[get_column_letter(index + 1)].width = width
    cells = [sheet_cell(ws, h) for h in headers]
    for cell in cells:
        cell.font = _HEADER_FONT
    ws.append(cells)


def _is_default_scale(choices: list[dict[str, Any]]) -> bool:
    return [(c["value"], c["label"], c.get("score")) for c in choices] == [
        (c["value"], c["label"], c["score"]) for c in SCALE_CHOICES
    ]


def _question_type(question: dict[str, Any]) -> str:
    kind, code = question["kind"], question["code"]
    if kind == QuestionKind.SCALE:
        return "scale" if _is_default_scale(question.get("choices", [])) else f"scale {code}"
    if kind == QuestionKind.SINGLE:
        return f"select_one {code}"
    if kind == QuestionKind.MULTIPLE:
        return f"select_multiple {code}"
    return "decimal" if kind == QuestionKind.NUMBER else "text"


def write_xlsx(questionnaire: Questionnaire) -> bytes:
    """The questionnaire as a workbook that ``read_xlsx`` reads back to the same spec: every section a group,
    every choice question's options a list named after the question."""
    spec = to_spec(questionnaire)
    workbook = Workbook(write_only=True)
    survey = workbook.create_sheet(SURVEY_SHEET)
    _header(survey, SURVEY_COLUMNS, [22, 18, 50, 24, 9, 32, 14, 12, 8, 8])
    choices = workbook.create_sheet(CHOICES_SHEET)
    _header(choices, CHOICE_COLUMNS, [18, 16, 40, 8])
    for section in spec["sections"]:
        group = ["begin_group", section["code"], section["title"], "", "", section.get("relevant", "")]
        survey.append(_row(survey, group, text_columns=(1,)))
        for q in section["questions"]:
            qtype = _question_type(q)
            required = "yes" if q.get("required", True) else "no"
            values = [
                qtype, q["code"], q["text"], q.get("hint", ""), required, q.get("relevant", ""),
                q.get("measure", ""), q.get("indicator", ""), q.get("min"), q.get("max"),
            ]  # fmt: skip
            survey.append(_row(survey, values, text_columns=(1, 7)))
            if " " in qtype:
                for choice in q.get("choices", []):
                    row = [q["code"], choice["value"], choice["label"], choice.get("score")]
                    choices.append(_row(choices, row, text_columns=(1,)))
        survey.append(_row(survey, ["end_group", "", "", "", "", ""]))
    settings = workbook.create_sheet(SETTINGS_SHEET)
    _header(settings, SETTINGS_COLUMNS, [20, 40, 80])
    settings.append(_row(settings, [spec["code"], spec["title"], spec["intro"]], text_columns=(0,)))
    readme = workbook.create_sheet(_("说明"))
    _header(readme, [_("工作表"), _("列"), _("填写说明")], [12, 28, 100])
    for line in README:
        readme.append(_row(readme, [str(part) for part in line]))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
