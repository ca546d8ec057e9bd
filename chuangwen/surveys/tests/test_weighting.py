"""The arithmetic of plans and results against examples computed by hand (docs/surveys.md)."""

from __future__ import annotations

import math

import pytest

from chuangwen.surveys import weighting


def test_it_allocates_in_proportion_with_a_minimum_and_largest_remainders():
    assert weighting.allocate(10, {"west": 1000, "east": 3000}) == {
        "west": 2,
        "east": 8,
    }  # 2.5/7.5: tie → larger
    assert weighting.allocate(40, {"west": 1000, "east": 3000}, minimum=5) == {"west": 12, "east": 28}
    assert weighting.allocate(3, {"a": 1, "b": 1, "c": 1, "d": 1}) == {"a": 1, "b": 1, "c": 1, "d": 0}
    assert sum(weighting.allocate(2000, {i: 97 + i for i in range(100)}, minimum=15).values()) == 2000


def test_it_gives_the_margin_of_error_of_a_proportion():
    assert weighting.margin_of_error(400) == pytest.approx(1.959964 * 0.025, rel=1e-6)  # ±4.9 points
    with_fpc = 1.959964 * 0.025 * math.sqrt(600 / 999)
    assert weighting.margin_of_error(400, 1000) == pytest.approx(with_fpc, rel=1e-6)
    assert weighting.margin_of_error(0) is None


def test_it_gives_the_margin_of_a_stratified_plan():
    # Two strata of 1 000 and 3 000 residents, 12 and 28 interviews: Σ Wₕ²·0.25/nₕ·(1 − nₕ/Nₕ).
    variance = 0.25**2 * 0.25 / 12 * (1 - 12 / 1000) + 0.75**2 * 0.25 / 28 * (1 - 28 / 3000)
    assert weighting.stratified_margin([(1000, 12), (3000, 28)]) == pytest.approx(
        1.959964 * math.sqrt(variance)
    )


def test_it_weights_by_post_stratification():
    assert weighting.poststratify({"A": 3, "B": 2, "C": 0}, {"A": 900, "B": 100, "C": 50}) == {
        "A": 300,
        "B": 50,
    }


def test_it_rakes_to_the_margins():
    keys = [("a", "x"), ("a", "y"), ("b", "x"), ("b", "x")]
    weights = weighting.rake(keys, [{"a": 50, "b": 50}, {"x": 60, "y": 40}])
    # The only weights meeting both margins with cell (b, y) empty: 10, 40, 25, 25.
    assert weights == pytest.approx([10, 40, 25, 25], abs=1e-6)


def test_it_gives_the_wald_interval_for_equal_weights():
    rate = weighting.weighted_rate([1.0] * 90 + [0.0] * 10, [1.0] * 100)
    assert rate is not None
    assert rate.rate == pytest.approx(0.9)
    assert (rate.low, rate.high) == pytest.approx((0.9 - 1.959964 * 0.03, 0.9 + 1.959964 * 0.03), rel=1e-6)
    assert rate.n == 100 and rate.n_effective == pytest.approx(100)


def test_it_computes_a_weighted_rate_and_its_interval_by_the_linearised_variance():
    # Cell A: 900 residents, 3 answers (1, 1, 0) → weight 300; cell B: 100 residents, 2 answers (0, 0) → 50.
    rate = weighting.weighted_rate([1, 1, 0, 0, 0], [300, 300, 300, 50, 50])
    assert rate is not None
    assert rate.rate == pytest.approx(0.6)  # unweighted it would be 0.4
    # Σw²(s − p)² = 300²·(0.4²·2 + 0.6²) + 50²·(0.6²·2) = 63 000; / 1 000² → se = √0.063
    half = 1.959964 * math.sqrt(0.063)
    assert rate.low == pytest.approx(0.6 - half, rel=1e-5) and rate.high == 1.0  # clipped at 100 %
    assert rate.n_effective == pytest.approx(1_000_000 / 275_000)


def test_it_has_no_rate_without_answers():
    assert weighting.weighted_rate([], []) is None
