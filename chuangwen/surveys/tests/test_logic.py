"""Skip logic: the expressions offices write, read into trees and evaluated as the phones evaluate them."""

from __future__ import annotations

import pytest

from chuangwen.surveys.logic import LogicError, evaluate, parse


def test_it_reads_a_comparison_with_the_question_it_refers_to():
    tree, refs = parse("${aw_campaign} = 'yes'")
    assert tree == ["cmp", "=", "aw_campaign", "yes"] and refs == ["aw_campaign"]
    assert evaluate(tree, {"aw_campaign": "yes"}) and not evaluate(tree, {"aw_campaign": "no"})


def test_it_treats_an_unanswered_question_as_different_from_every_value():
    equal, _ = parse("${q1} = 'a'")
    differ, _ = parse("${q1} != 'a'")
    assert not evaluate(equal, {}) and evaluate(differ, {})


def test_it_combines_and_or_not_with_the_usual_precedence():
    tree, refs = parse("${a} = '1' or ${b} > 3 and not(selected(${c}, 'x'))")
    assert refs == ["a", "b", "c"]
    assert tree[0] == "or" and tree[2][0] == "and"
    assert evaluate(tree, {"a": "1"})
    assert evaluate(tree, {"a": "2", "b": 4, "c": ["y"]})
    assert not evaluate(tree, {"a": "2", "b": 4, "c": ["x", "y"]})
    assert not evaluate(tree, {"a": "2", "b": 3})


def test_it_compares_numbers_as_numbers():
    tree, _ = parse("${times} >= 10")
    assert (
        evaluate(tree, {"times": 12}) and evaluate(tree, {"times": "10"}) and not evaluate(tree, {"times": 9})
    )
    assert not evaluate(tree, {"times": "many"})


def test_it_reads_an_empty_condition_as_always_shown():
    assert parse("  ") == (None, []) and evaluate(None, {})


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("${a} == 'x'", "此处应为"),
        ("${a} = 'x' and", "此处应为"),
        ("${a} = 'x' ${b}", "多出内容"),
        ("a = 'x'", "此处应为 ${题号}"),
        ("${a} = 'x' ; drop", "无法识别"),
        ("selected(${a} 'x')", "此处应为 ,"),
    ],
)
def test_it_says_where_an_expression_is_wrong(source, words):
    with pytest.raises(LogicError) as caught:
        parse(source)
    assert words in str(caught.value)
