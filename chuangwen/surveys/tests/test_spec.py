"""The questionnaire spec: every problem of a file listed at once by place (duplicate codes, skip logic that
looks ahead, indicators the chosen standard lacks, a rate counted from unscored answers), nothing stored when
anything is wrong, and each import of a code stored as its next version."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from chuangwen.surveys import spec
from chuangwen.surveys.models import Question, Questionnaire
from chuangwen.surveys.spec import SpecInvalid

pytestmark = pytest.mark.django_db

YES_NO = [{"value": "yes", "label": "是", "score": 1}, {"value": "no", "label": "否", "score": 0}]


def document(*questions: dict[str, Any], code: str = "T1") -> dict[str, Any]:
    return {
        "code": code,
        "title": "测试问卷",
        "sections": [{"code": "s1", "title": "部分", "questions": list(questions)}],
    }


def q(code: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "kind": "single", "text": f"题目 {code}", "choices": YES_NO, **extra}


def problems(doc: Any, codes: set[str] | None = None) -> list[spec.SpecError]:
    with pytest.raises(SpecInvalid) as caught:
        spec.check(doc, codes)
    return caught.value.errors


def test_it_accepts_a_clean_questionnaire_and_fills_the_default_scale() -> None:
    clean = spec.check(
        document(q("a"), {"code": "b", "kind": "scale", "text": "满意吗？", "measure": "satisfaction"})
    )
    scale = clean["sections"][0]["questions"][1]
    assert [c["label"] for c in scale["choices"]] == ["满意", "基本满意", "不满意"]
    assert clean["sections"][0]["questions"][0]["required"] is True


def test_it_refuses_a_duplicate_question_code() -> None:
    errors = problems(document(q("a"), q("b"), q("a")))
    assert [(e.where, e.field) for e in errors] == [("第 3 题（a）", "code")]
    assert "重复" in errors[0].message


def test_it_refuses_skip_logic_that_refers_to_a_later_or_unknown_question() -> None:
    errors = problems(
        document(q("a", relevant="${b} = 'yes'"), q("b"), q("c", relevant="${zz} = 'yes' and ${a} = 'no'"))
    )
    assert [(e.where, e.field) for e in errors] == [
        ("第 1 题（a）", "relevant"),
        ("第 3 题（c）", "relevant"),
    ]
    assert "b" in errors[0].message and "不是前面的题目" in errors[0].message
    assert "zz" in errors[1].message
    assert problems(document(q("a", relevant="${a} = ")))[0].field == "relevant"  # cannot be parsed


def test_it_refuses_an_indicator_the_standard_does_not_have() -> None:
    doc = document(
        q("a", measure="awareness", indicator="01-01-01"), q("b", measure="support", indicator="09-09-09")
    )
    errors = problems(doc, {"01-01-01", "01-01-02"})
    assert [(e.where, e.field) for e in errors] == [("第 2 题（b）", "indicator")]
    assert "09-09-09" in errors[0].message
    assert spec.check(doc, None)  # without a standard, indicator numbers are not checked


def test_it_checks_indicators_against_the_standard_chosen_at_load(org, users, tree_standard) -> None:
    good = document(q("a", measure="awareness", indicator="01-01-01"))
    stored = spec.load(good, org["district"], users["coordinator"], standard=tree_standard)
    assert stored.standard == tree_standard
    with pytest.raises(SpecInvalid) as caught:
        spec.load(
            document(q("a", indicator="07-06-01")), org["district"], users["coordinator"], tree_standard
        )
    assert "07-06-01" in caught.value.errors[0].message
    assert Questionnaire.objects.count() == 1


def test_it_refuses_a_measure_without_scored_answers() -> None:
    unscored = [{"value": "x", "label": "甲"}, {"value": "y", "label": "乙"}]
    errors = problems(
        document(
            q("a", choices=unscored, measure="awareness"),
            {"code": "b", "kind": "text", "text": "建议", "measure": "support"},
            q("c", measure="popularity"),
        )
    )
    assert [(e.where, e.field) for e in errors] == [
        ("第 1 题（a）", "measure"),
        ("第 2 题（b）", "measure"),
        ("第 3 题（c）", "measure"),
    ]
    assert "至少一个选项有得分" in errors[0].message


def test_it_lists_every_problem_at_once_and_stores_nothing(org, users) -> None:
    bad = document(
        q("1a"),
        {"code": "b", "kind": "essay", "text": ""},
        q("c", choices=[{"value": "x", "label": "甲", "score": 3}]),
        q("d", min=5, max=1),
    )
    bad["title"] = ""
    errors = problems(bad)
    fields = [(e.where, e.field) for e in errors]
    assert ("问卷", "title") in fields and ("第 1 题（1a）", "code") in fields
    assert ("第 2 题（b）", "kind") in fields and ("第 2 题（b）", "text") in fields
    assert ("第 3 题（c）", "choices") in fields and ("第 4 题（d）", "min") in fields
    with pytest.raises(SpecInvalid):
        spec.load(bad, org["district"], users["coordinator"])
    assert Questionnaire.objects.count() == 0 and Question.objects.count() == 0


def test_it_stores_each_import_of_a_code_as_its_next_version(org, users) -> None:
    doc = document(q("a"), code="WM")
    first = spec.load(doc, org["district"], users["coordinator"])
    changed = copy.deepcopy(doc)
    changed["sections"][0]["questions"].append(q("b"))
    second = spec.load(changed, org["district"], users["coordinator"])
    elsewhere = spec.load(doc, org["west"], users["west_head"])
    assert (first.version, second.version, elsewhere.version) == (1, 2, 1)
    assert first.questions.count() == 1 and second.questions.count() == 2  # the first version is untouched


def test_it_reads_yaml_and_names_a_broken_file() -> None:
    assert spec.read_yaml("code: A\ntitle: 问卷\n".encode())["title"] == "问卷"
    with pytest.raises(SpecInvalid) as caught:
        spec.read_yaml(b"code: [unclosed\n")
    assert "YAML" in caught.value.errors[0].message
    assert problems(None)[0].where == "问卷"  # an empty file


def test_it_writes_yaml_that_loads_back_unchanged(survey_questionnaire, org, users) -> None:
    again = spec.load(
        spec.read_yaml(spec.write_yaml(survey_questionnaire)), org["district"], users["coordinator"]
    )
    assert spec.to_spec(again) == spec.to_spec(survey_questionnaire)
