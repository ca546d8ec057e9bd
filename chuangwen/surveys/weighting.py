"""Sample-plan and estimation arithmetic (docs/surveys.md, "How rates are computed"): allocation of a
sample to
strata, the margin of error a plan achieves, post-stratification and raking weights, and weighted rates with
95 % confidence intervals. Plain functions over numbers; nothing here reads the database."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal distribution


def allocate(total: int, populations: Mapping[Hashable, int], minimum: int = 0) -> dict[Hashable, int]:
    """Split ``total`` interviews over strata in proportion to population (largest remainder), each stratum
    getting at least ``minimum`` where the total allows. Ties go to the larger population, then key order."""
    keys = list(populations)
    if not keys or total <= 0:
        return {k: 0 for k in keys}
    floor_each = min(minimum, total // len(keys))
    out = {k: floor_each for k in keys}
    rest = total - floor_each * len(keys)
    weight = sum(max(populations[k], 0) for k in keys)
    if weight == 0:
        shares = {k: rest / len(keys) for k in keys}
    else:
        shares = {k: rest * max(populations[k], 0) / weight for k in keys}
    for k in keys:
        out[k] += math.floor(shares[k])
    left = total - sum(out.values())
    order = sorted(keys, key=lambda k: (-(shares[k] - math.floor(shares[k])), -populations[k], str(k)))
    for k in order[:left]:
        out[k] += 1
    return out


def margin_of_error(n: int, population: int | None = None, p: float = 0.5, z: float = Z95) -> float | None:
    """Half-width of the 95 % interval of a proportion from a simple random sample of ``n``, with the finite
    population correction when the population is known: z·√(p(1−p)/n)·√((N−n)/(N−1))."""
    if n <= 0:
        return None
    moe = z * math.sqrt(p * (1 - p) / n)
    if population and population > 1 and n <= population:
        moe *= math.sqrt((population - n) / (population - 1))
    return moe


def stratified_margin(strata: Sequence[tuple[int, int]], p: float = 0.5, z: float = Z95) -> float | None:
    """The overall margin of a stratified sample with (population Nₕ, sample nₕ) per stratum:
    z·√(Σ Wₕ² p(1−p)/nₕ · (1 − nₕ/Nₕ)) with Wₕ = Nₕ/N. Strata without a sample are left out."""
    total = sum(pop for pop, n in strata if n > 0)
    if total <= 0:
        return None
    variance = 0.0
    for pop, n in strata:
        if n <= 0 or pop <= 0:
            continue
        share = pop / total
        fpc = max(0.0, 1 - n / pop)
        variance += share * share * p * (1 - p) / n * fpc
    return z * math.sqrt(variance)


def poststratify(counts: Mapping[Any, int], populations: Mapping[Any, int]) -> dict[Any, float]:
    """Weight of one respondent in each cell: Nₖ/nₖ (cells without respondents get none)."""
    return {k: populations.get(k, 0) / n for k, n in counts.items() if n > 0}


def rake(
    keys: Sequence[tuple[Hashable, ...]],
    margins: Sequence[Mapping[Hashable, float]],
    iterations: int = 100,
    tolerance: float = 1e-9,
) -> list[float]:
    """Raking (iterative proportional fitting): weights for respondents described by ``keys`` (one value per
    dimension) so that the weighted count of each value of each dimension matches ``margins``. Respondents
    whose value has no margin keep their current weight in that step. Starts from weight 1.

    Respondents with the same key always share a weight, so the fitting runs over the distinct keys with
    their counts (a few hundred cells instead of tens of thousands of respondents)."""
    counts: dict[tuple[Hashable, ...], int] = defaultdict(int)
    for key in keys:
        counts[key] += 1
    distinct = list(counts)
    weight = dict.fromkeys(distinct, 1.0)
    for _ in range(iterations):
        largest_change = 0.0
        for dim, margin in enumerate(margins):
            totals: dict[Hashable, float] = defaultdict(float)
            for key in distinct:
                totals[key[dim]] += weight[key] * counts[key]
            factors = {v: margin[v] / t for v, t in totals.items() if v in margin and t > 0}
            for key in distinct:
                factor = factors.get(key[dim])
                if factor is not None:
                    largest_change = max(largest_change, abs(factor - 1))
                    weight[key] *= factor
        if largest_change < tolerance:
            break
    return [weight[key] for key in keys]


@dataclass(frozen=True)
class Rate:
    """A weighted rate (0–1) with its 95 % interval, the respondents behind it and the Kish effective size."""

    rate: float
    low: float
    high: float
    n: int
    n_effective: float

    def as_dict(self) -> dict[str, float | int]:
        return {
            "rate": round(self.rate, 6),
            "low": round(self.low, 6),
            "high": round(self.high, 6),
            "n": self.n,
            "n_effective": round(self.n_effective, 2),
        }


class RateSums:
    """Running sums for ``weighted_rate`` without keeping the scores: Σw, Σws, Σw², Σw²s, Σw²s²."""

    __slots__ = ("n", "sw", "sw2", "sw2s", "sw2s2", "sws")

    def __init__(self) -> None:
        self.n = 0
        self.sw = self.sws = self.sw2 = self.sw2s = self.sw2s2 = 0.0

    def add(self, score: float, weight: float) -> None:
        w2 = weight * weight
        self.n += 1
        self.sw += weight
        self.sws += weight * score
        self.sw2 += w2
        self.sw2s += w2 * score
        self.sw2s2 += w2 * score * score

    def merge(self, totals: Sequence[float]) -> None:
        """Add the sums of another group of respondents: (n, Σw, Σws, Σw², Σw²s, Σw²s²)."""
        self.n += int(totals[0])
        self.sw += totals[1]
        self.sws += totals[2]
        self.sw2 += totals[3]
        self.sw2s += totals[4]
        self.sw2s2 += totals[5]

    def rate(self, z: float = Z95) -> Rate | None:
        """p = Σwᵢsᵢ / Σwᵢ with the linearised (Taylor) variance of a ratio estimator,
        v = Σwᵢ²(sᵢ − p)² / (Σwᵢ)², interval p ± z·√v clipped to [0, 1]. With equal weights and yes/no items
        this is the Wald interval p ± z·√(p(1−p)/n)."""
        if self.n == 0 or self.sw <= 0:
            return None
        p = self.sws / self.sw
        spread = max(0.0, self.sw2s2 - 2 * p * self.sw2s + p * p * self.sw2)
        half = z * math.sqrt(spread) / self.sw
        return Rate(p, max(0.0, p - half), min(1.0, p + half), self.n, self.sw * self.sw / self.sw2)


def weighted_rate(scores: Sequence[float], weights: Sequence[float], z: float = Z95) -> Rate | None:
    """The weighted rate of ``scores`` (each 0–1) with its 95 % interval (``RateSums.rate``)."""
    sums = RateSums()
    for s, w in zip(scores, weights, strict=True):
        sums.add(s, w)
    return sums.rate(z)
