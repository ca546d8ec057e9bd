"""The XLSForm-like workbook: an export imports back to the same questionnaire, a workbook written by hand is
read as its author meant (groups, loose questions, default scale, metadata rows), and every bad row is named
by its row number with nothing stored."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from chuangwen.surveys import spec, xlsform
from chuangwen.surveys.models import Questionnaire
from chuangwen.surveys.spec import SpecInvalid

pytestmark = pytest.mark.django_db

SURVEY_HEAD = ["type", "name", "label", "hint", "required", "relevant", "measure", "indicator", "min", "max"]


def book(
    survey: list[list[Any]],
    choices: list[list[Any]] | None = None,
    settings: list[Any] | None = None,
    survey_head: list[str] | None = None,
) -> bytes:
    """A workbook as a person would fill it in Excel (row 1 the column names)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "survey"
    ws.append(survey_head or SURVEY_HEAD)
    for row in survey:
        ws.append(row)
    if choices is not None:
        cs = wb.create_sheet("choices")
        cs.append(["list_name", "name", "label", "score"])
        for row in choices:
            cs.append(row)
    st = wb.create_sheet("settings")
    st.append(["form_id", "form_title", "intro", "version"])
    st.append(settings or ["HAND", "手工问卷", "您好", "2026"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def errors_of(data: bytes) -> list[spec.SpecError]:
    with pytest.raises(SpecInvalid) as caught:
        spec.load(xlsform.read_xlsx(data), _owner(), None)
    return caught.value.errors


def _owner() -> Any:
    from chuangwen.org.models import Unit

    return Unit.objects.get(code="D01")


def test_it_imports_an_export_back_to_the_same_questionnaire(org, survey_questionnaire, users) -> None:
    data = xlsform.write_xlsx(survey_questionnaire)
    again = spec.load(xlsform.read_xlsx(data), org["district"], users["coordinator"])
    assert again.version == 2 and again.code == survey_questionnaire.code
    assert spec.to_spec(again) == spec.to_spec(survey_questionnaire)
    sheets = load_workbook(io.BytesIO(data), read_only=True).sheetnames
    assert sheets[:3] == ["survey", "choices", "settings"] and "说明" in sheets


def test_it_keeps_text_a_spreadsheet_would_run_as_typed(org, users) -> None:
    document = {
        "code": "F1",
        "title": '=HYPERLINK("http://x")',
        "sections": [
            {
                "code": "s1",
                "title": "+部分",
                "questions": [
                    {"code": "q1", "kind": "text", "text": "=1+1 是几？", "hint": "@提示"},
                    {
                        "code": "q2",
                        "kind": "single",
                        "text": "选一个",
                        "choices": [
                            {"value": "1", "label": "-一"},
                            {"value": "2", "label": "二", "score": 0.5},
                        ],
                    },
                ],
            }
        ],
    }
    first = spec.load(document, org["district"], users["coordinator"])
    data = xlsform.write_xlsx(first)
    ws = load_workbook(io.BytesIO(data))["survey"]
    assert ws["C3"].value == "=1+1 是几？" and ws["C3"].data_type == "s"  # a string, never a formula
    again = spec.load(xlsform.read_xlsx(data), org["district"], users["coordinator"])
    assert spec.to_spec(again) == spec.to_spec(first)


def test_it_reads_a_workbook_written_by_hand(org, users) -> None:
    data = book(
        [
            ["start", "started", "", "", "", "", "", "", "", ""],
            ["select_one yes_no", "aware", "您知道创建吗？", "", "", "", "awareness", "01-01-01", "", ""],
            ["begin group", "sat", "满意程度", "", "", "${aware} = 'yes'", "", "", "", ""],
            ["scale", "env", "环境满意吗？", "", "yes", "", "satisfaction", "", "", ""],
            ["scale  three", "traffic", "交通满意吗？", "", "", "", "satisfaction", "", "", ""],
            ["end group", "", "", "", "", "", "", "", "", ""],
            ["integer", "times", "参加几次？", "填数字", "no", "", "", "", 0, 365],
            ["select_multiple ways", "ways", "哪些渠道？", "", False, "", "", "", "", ""],
            ["text", "say", "建议", "", "no", "", "", "", "", ""],
        ],
        [
            ["yes_no", "yes", "知道", 1],
            ["yes_no", "no", "不知道", 0],
            ["three", "good", "好", 1],
            ["three", "bad", "不好", 0],
            ["ways", 1, "电视", None],
            ["ways", 2, "网络", None],
            ["unused", "x", "没用到", None],
        ],
    )
    q = spec.load(xlsform.read_xlsx(data), org["district"], users["coordinator"])
    document = spec.to_spec(q)
    assert (q.code, q.title, q.intro) == ("HAND", "手工问卷", "您好")
    assert [s["code"] for s in document["sections"]] == ["s1", "sat", "s3"]
    assert [x["code"] for x in document["sections"][0]["questions"]] == ["aware"]
    sat = document["sections"][1]
    assert sat["relevant"] == "${aware} = 'yes'"
    assert [c["label"] for c in sat["questions"][0]["choices"]] == ["满意", "基本满意", "不满意"]
    assert [c["value"] for c in sat["questions"][1]["choices"]] == ["good", "bad"]
    loose = {x["code"]: x for x in document["sections"][2]["questions"]}
    assert loose["times"]["kind"] == "number" and (loose["times"]["min"], loose["times"]["max"]) == (0, 365)
    assert loose["times"]["required"] is False and loose["times"]["hint"] == "填数字"
    assert [c["value"] for c in loose["ways"]["choices"]] == ["1", "2"]  # Excel's numbers read as typed
    assert loose["ways"]["required"] is False  # FALSE typed in the cell


def test_it_names_every_bad_row_and_stores_nothing(org) -> None:
    data = book(
        [
            ["select_one yes_no", "q1", "第一题", "", "", "", "", "", "", ""],
            ["note", "n1", "说明文字", "", "", "", "", "", "", ""],
            ["select_one missing", "q2", "第二题", "", "", "", "", "", "", ""],
            ["select_one", "q3", "第三题", "", "", "", "", "", "", ""],
            ["end_group", "", "", "", "", "", "", "", "", ""],
            ["begin_group", "g1", "分组", "", "", "", "", "", "", ""],
            ["begin_group", "g2", "嵌套", "", "", "", "", "", "", ""],
            ["text", "q4", "第四题", "", "", "", "", "", "", ""],
        ],
        [["yes_no", "yes", "是", 1], ["yes_no", "no", "否", 0], ["", "x", "缺列表名", None]],
    )
    with pytest.raises(SpecInvalid) as caught:
        xlsform.read_xlsx(data)
    found = {(e.row, e.field) for e in caught.value.errors}
    assert (3, "type") in found  # note: unsupported type
    assert (4, "type") in found  # list "missing" not in choices
    assert (5, "type") in found  # select_one without a list
    assert (6, "type") in found  # end_group without begin_group
    assert sum(1 for e in caught.value.errors if e.row == 8) == 2  # nested in g1, and never closed
    assert (4, "list_name") in found  # the choices row without a list name
    texts = " ".join(e.message for e in caught.value.errors)
    assert "note" in texts and "missing" in texts and "嵌套" in texts
    assert Questionnaire.objects.count() == 0


def test_it_points_the_spec_rules_at_sheet_rows_and_columns(org) -> None:
    data = book(
        [
            ["text", "q1", "第一题", "", "", "${q2} = 'a'", "", "", "", ""],
            ["text", "q2", "第二题", "", "maybe", "", "", "", "", ""],
            ["text", "q2", "", "", "", "", "", "", "", ""],
            ["select_one two", "q3", "第三题", "", "", "", "awareness", "", "", ""],
            ["select_one bad", "q4", "第四题", "", "", "", "", "", "", ""],
        ],
        [["two", "a", "甲", None], ["two", "b", "乙", None], ["bad", "a", "甲", 2], ["bad", "b", "乙", 0]],
    )
    found = {(e.row, xlsform.column_of(e)) for e in errors_of(data)}
    assert found == {
        (2, "relevant"),
        (3, "required"),
        (4, "name"),
        (4, "label"),
        (5, "measure"),
        (6, "choices"),
    }
    assert Questionnaire.objects.count() == 0


def test_it_refuses_a_column_it_would_silently_drop(org) -> None:
    head = [*SURVEY_HEAD, "constraint", "appearance"]
    data = book(
        [["integer", "age", "年龄", "", "", "", "", "", "", "", ". >= 18", ""]],
        survey_head=head,
    )
    with pytest.raises(SpecInvalid) as caught:
        xlsform.read_xlsx(data)
    assert [(e.row, e.field) for e in caught.value.errors] == [(2, "constraint")]  # appearance is empty


def test_it_asks_for_the_sheets_and_columns_it_needs(org) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "questions"
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(SpecInvalid) as caught:
        xlsform.read_xlsx(out.getvalue())
    assert "survey" in caught.value.errors[0].message
    with pytest.raises(SpecInvalid) as caught:
        xlsform.read_xlsx(book([["text", "q1", "题"]], survey_head=["type", "name", "title"]))
    assert [e.field for e in caught.value.errors] == ["title", "label"]  # an unknown column, a missing one
    no_id = book([["text", "q1", "题", "", "", "", "", "", "", ""]], settings=["", "无编号", "", ""])
    with pytest.raises(SpecInvalid) as caught:
        xlsform.read_xlsx(no_id)
    assert [(e.field, e.row) for e in caught.value.errors] == [("form_id", None)]


def test_it_refuses_what_is_not_a_workbook() -> None:
    for data, words in (
        (b"code: X\ntitle: y\n", ".xlsx"),
        (b"MZ\x90\x00" + b"\x00" * 100, "可执行程序"),
        (b"", "为空"),
    ):
        with pytest.raises(SpecInvalid) as caught:
            xlsform.read_xlsx(data)
        assert words in caught.value.errors[0].message


def test_it_refuses_a_zip_bomb_before_inflating_it() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (4 * 1024 * 1024))
    with pytest.raises(SpecInvalid) as caught:
        xlsform.read_xlsx(out.getvalue())
    assert "压缩炸弹" in caught.value.errors[0].message
