"""The scoring rules against hand-computed examples."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chuangwen.rounds.scoring import (
    ItemRule,
    ScoredJudgement,
    item_deduction,
    occurrences,
    score_rate,
    score_visit,
    site_score,
)

D = Decimal
PER = ItemRule("per_occurrence", D("2"), D("10"))
PER_NO_CAP = ItemRule("per_occurrence", D("1.5"), None)
BIN = ItemRule("binary", D("5"))
BIN_CAPPED = ItemRule("binary", D("5"), D("3"))
VETO = ItemRule("veto", D("0"))


def j(rule: ItemRule, result: str, count: int = 0) -> ScoredJudgement:
    return ScoredJudgement(rule, result, count)


@pytest.mark.parametrize(
    ("rule", "result", "count", "expected"),
    [
        (PER, "not_conforming", 3, D("6.00")),
        (PER, "not_conforming", 5, D("10.00")),
        (PER, "not_conforming", 9, D("10.00")),  # 18 capped at 10
        (PER_NO_CAP, "not_conforming", 9, D("13.50")),
        (BIN, "not_conforming", 7, D("5.00")),  # binary counts once, whatever the count says
        (BIN_CAPPED, "not_conforming", 1, D("3.00")),
        (PER, "conforming", 4, D("0")),
        (PER, "not_applicable", 4, D("0")),
        (VETO, "not_conforming", 1, D("0.00")),
    ],
)
def test_item_deduction(rule: ItemRule, result: str, count: int, expected: Decimal) -> None:
    assert item_deduction(rule, result, count) == expected


def test_occurrences() -> None:
    assert occurrences(PER, "not_conforming", 4) == 4
    assert occurrences(BIN, "not_conforming", 4) == 1
    assert occurrences(VETO, "not_conforming", 0) == 1
    assert occurrences(PER, "conforming", 4) == 0


def test_site_score_sums_capped_deductions() -> None:
    # 100 − (min(10, 2×3)=6 + min(10, 2×8)=10 + 5 + 1.5×2=3) = 76
    judgements = [
        j(PER, "not_conforming", 3),
        j(PER, "not_conforming", 8),
        j(BIN, "not_conforming", 1),
        j(PER_NO_CAP, "not_conforming", 2),
        j(BIN, "conforming"),
        j(PER, "not_applicable"),
    ]
    assert site_score(judgements) == D("76.00")


def test_site_score_never_below_zero() -> None:
    huge = ItemRule("per_occurrence", D("40"), None)
    assert site_score([j(huge, "not_conforming", 3)]) == D("0.00")


def test_failed_veto_sets_score_to_zero() -> None:
    result = score_visit([j(BIN, "conforming"), j(VETO, "not_conforming", 1)])
    assert result.score == D("0.00")
    assert result.vetoed is True
    assert result.score_rate == D("0.5000")


def test_conforming_veto_item_changes_nothing() -> None:
    result = score_visit([j(VETO, "conforming"), j(PER, "not_conforming", 2)])
    assert result.score == D("96.00")
    assert result.vetoed is False


def test_full_marks() -> None:
    assert site_score([j(BIN, "conforming"), j(PER, "conforming")]) == D("100.00")
    assert site_score([]) == D("100.00")


def test_score_rate_excludes_not_applicable() -> None:
    # 6 conforming of 7 applicable; the not-applicable one counts nowhere
    results = ["conforming"] * 6 + ["not_conforming", "not_applicable"]
    assert score_rate(results) == D("0.8571")


def test_score_rate_rounds_half_up() -> None:
    assert score_rate(["conforming", "conforming", "not_conforming"]) == D("0.6667")
    assert score_rate(["conforming"]) == D("1.0000")
    assert score_rate(["not_conforming"]) == D("0.0000")


def test_score_rate_none_without_applicable_judgements() -> None:
    assert score_rate(["not_applicable", "not_applicable"]) is None
    assert score_rate([]) is None


def test_decimal_inputs_from_strings_and_floats_are_exact() -> None:
    rule = ItemRule("per_occurrence", D("0.1"), D("0.3"))
    assert item_deduction(rule, "not_conforming", 2) == D("0.20")
    assert site_score([j(rule, "not_conforming", 5)]) == D("99.70")
