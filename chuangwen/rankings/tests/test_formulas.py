"""The formulas against hand-computed examples: weights, shrinkage, indicators, composite, penalties, ties."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from chuangwen.rankings import formulas
from chuangwen.rankings.config import from_parameters


@pytest.fixture
def config():
    return from_parameters({})


def test_it_weighs_undeclared_sites_and_revisits(config):
    # defaults of the standard: declared 1.0, undeclared 1.5, revisit 1.5
    assert formulas.visit_weight(D(2), declared=True, revisit=False, config=config) == D(2)
    assert formulas.visit_weight(D(2), declared=False, revisit=False, config=config) == D(3)
    assert formulas.visit_weight(D(2), declared=False, revisit=True, config=config) == D("4.5")


def test_it_takes_the_weighted_mean():
    assert formulas.weighted_mean([(D(80), D(1)), (D(90), D(3))]) == D("87.5")
    assert formulas.weighted_mean([]) is None


def test_it_shrinks_small_samples_toward_the_mean():
    # one perfect visit among units averaging 80 counts as (100 + 5·80) / 6
    assert formulas.q_score(formulas.shrink(D(100), 1, D(80), 5)) == D("83.33")
    assert formulas.q_score(formulas.shrink(D(100), 4, D(80), 5, min_sample=5)) == D("88.89")  # 800/9
    assert formulas.shrink(D(100), 5, D(80), 5, min_sample=5) == D(100)  # enough visits: its own mean
    assert formulas.shrink(D(100), 3, D(80), 0) == D(100)
    assert formulas.shrink(None, 0, D(80), 5) is None


def test_it_scores_rectification_from_the_indicators(config):
    indicators = {
        "disposal_rate": D("0.8"), "ontime_rate": D("0.6"), "rework_rate": D("0.1"),
        "overdue_rate": D("0.2"), "extension_rate": None, "recurrence_rate": D(0),
    }  # fmt: skip
    # weights .25, .25, .15, .2, (.05 left out: no value), .1 → (20 + 15 + 13.5 + 16 + 10) / 95 × 100
    score = formulas.rectification_score(indicators, config.rectification)
    assert score is not None and formulas.q_score(score) == D("78.42")
    assert formulas.rectification_score(dict.fromkeys(indicators), config.rectification) is None
    assert formulas.rate(1, 3) == D("0.3333") and formulas.rate(0, 0) is None


def test_it_combines_components_and_takes_off_penalties(config):
    components = {"onsite": D(90), "rectification": D("78.42"), "survey": None}
    # weights 0.6, 0.3 (survey 0.1 left out: no survey yet): (54 + 23.526) / 0.9 = 86.14; minus 5 points
    assert formulas.composite(components, config.composite) == D("86.14")
    assert formulas.composite(components, config.composite, D(5)) == D("81.14")
    assert formulas.composite(components, config.composite, D(500)) == D("0.00")
    assert formulas.composite({"onsite": D(70)}, config.composite) == D("70.00")  # missing parts renormalised
    assert formulas.composite({}, config.composite) is None
    assert formulas.penalty_points({"falsified_rectification": 2}, config.penalties) == D(10)


def test_it_ranks_ties_alike_and_skips():
    ranks = formulas.competition_ranks({1: D(90), 2: D(85), 3: D(85), 4: D(70), 5: None})
    assert ranks == {1: 1, 2: 2, 3: 2, 4: 4, 5: None}


def test_it_reads_the_configuration_from_the_standard_and_names_a_wrong_key():
    custom = from_parameters({"min_sample": 2, "composite_weights": {"onsite": 1}})
    assert custom.min_sample == 2 and custom.composite == {
        "onsite": D(1), "rectification": D(0), "materials": D(0), "survey": D(0), "volunteer": D(0),
    }  # fmt: skip
    assert (
        custom.rectification["ontime_rate"] == D("0.25") and custom.penalties["falsified_rectification"] == 5
    )
    for bad, key in (
        ({"min_sample": -1}, "min_sample"),
        ({"undeclared_weight": "abc"}, "undeclared_weight"),
        ({"composite_weights": {"onsite": "x"}}, "composite_weights"),
        ({"rectification_weights": {"speed": 1}}, "speed"),
        ({"penalties": {"onsite": 1}}, "penalties"),
    ):
        with pytest.raises(ValueError, match=key):
            from_parameters(bad)
