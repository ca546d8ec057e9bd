"""A vectorised reference for ``surveys.results.compute`` (bench/surveys.py ``results``): the same snapshot,
computed column-wise with numpy, and the comparison of two snapshots.

What it does differently, each step exact:

- every respondent of a quota cell weighs the same whichever method (post-stratification Nₖ/nₖ; raking adjusts
  by stratum, age band and sex, which the cell fixes), so the weights are computed per cell, and raking runs
  over the cells with their counts instead of over every respondent;
- each scored question's item scores become one array (NaN where not answered), a group's respondent means
  come from stacking its questions' arrays, and the sums behind a rate (n, Σw, Σws, Σw², Σw²s, Σw²s²) are
  taken per stratum by ``np.bincount`` and then added up each stratum's lineage, instead of six additions per
  respondent, group and unit.

Only the reading of the answers (one JSON document per response) stays a loop in Python.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np


def cell_weights(
    cells: dict[int, tuple[int, str, str, int]], counts: Counter[int]
) -> tuple[str, dict[int, float]]:
    """The method and the weight of a respondent of each cell (``results.weights_for``, per cell)."""
    from chuangwen.surveys import weighting
    from chuangwen.surveys.results import MIN_CELL

    populated = {c for c, (_s, _a, _x, pop) in cells.items() if pop > 0}
    if not populated:
        return "unweighted", {c: 1.0 for c in counts}
    if all(counts.get(c, 0) >= MIN_CELL for c in populated) and all(c in populated for c in counts):
        return "poststratification", weighting.poststratify(counts, {c: cells[c][3] for c in counts})
    margins: list[dict[Any, float]] = [defaultdict(float), defaultdict(float), defaultdict(float)]
    for stratum, age, sex, pop in cells.values():
        for dim, value in enumerate((stratum, age, sex)):
            margins[dim][value] += pop
    order = list(counts)
    weights = rake_counted([cells[c][:3] for c in order], [counts[c] for c in order], margins)
    return "raking", dict(zip(order, weights, strict=True))


def rake_counted(
    keys: Sequence[tuple[Hashable, ...]],
    counts: Sequence[int],
    margins: Sequence[Mapping[Hashable, float]],
    iterations: int = 100,
    tolerance: float = 1e-9,
) -> list[float]:
    """``weighting.rake`` over distinct keys, each standing for ``count`` respondents: the same weights."""
    weights = [1.0] * len(keys)
    for _ in range(iterations):
        largest_change = 0.0
        for dim, margin in enumerate(margins):
            totals: dict[Hashable, float] = defaultdict(float)
            for key, weight, count in zip(keys, weights, counts, strict=True):
                totals[key[dim]] += weight * count
            factors = {v: margin[v] / t for v, t in totals.items() if v in margin and t > 0}
            for i, key in enumerate(keys):
                factor = factors.get(key[dim])
                if factor is not None:
                    largest_change = max(largest_change, abs(factor - 1))
                    weights[i] *= factor
        if largest_change < tolerance:
            break
    return weights


def vectorised_compute(wave: Any) -> dict[str, Any]:
    """``results.compute(wave)``, column-wise."""
    from chuangwen.surveys.definition import definition, iter_questions
    from chuangwen.surveys.models import QuotaCell, Response, ResponseStatus
    from chuangwen.surveys.results import _groups, _lineages, _snapshot

    defn = definition(wave.questionnaire)
    groups, scores = _groups(defn), defn["scores"]
    kinds = {q["code"]: q["kind"] for _s, q in iter_questions(defn)}
    strata = list(wave.strata.select_related("unit"))
    lineages = _lineages(strata, wave.owner_unit)
    cells = {
        c.pk: (c.stratum_id, c.age_band, c.sex, c.population)
        for c in QuotaCell.objects.filter(stratum__wave=wave)
    }
    rows = list(
        Response.objects.filter(wave=wave, status=ResponseStatus.ACCEPTED)
        .order_by()
        .values_list("cell_id", "answers")
    )
    n = len(rows)
    cell_of = [r[0] for r in rows]
    answers = [r[1] for r in rows]
    method, weight_of = cell_weights(cells, Counter(cell_of))
    w = np.array([weight_of[c] for c in cell_of], dtype=float)
    stratum_ids = sorted(lineages)
    position = {s: i for i, s in enumerate(stratum_ids)}
    strat = np.array([position[cells[c][0]] for c in cell_of], dtype=np.int64)
    choice_weight: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    items: dict[str, np.ndarray] = {}
    for code in (c for c in scores if c in kinds):
        column = [a.get(code) for a in answers]
        table = {v: (np.nan if s is None else float(s)) for v, s in scores[code].items()}
        if kinds[code] == "multiple":
            item = np.full(n, np.nan)
            for i, chosen in enumerate(column):
                for value in chosen or ():
                    choice_weight[code][value] += w[i]
                    score = table.get(value, np.nan)
                    if score == score and not item[i] >= score:  # NaN ≠ NaN: a score, and the best so far
                        item[i] = score
        else:
            values = list(table)
            index = {v: k for k, v in enumerate(values)}
            found = np.fromiter((index.get(v, -1) for v in column), dtype=np.int64, count=n)
            answered = found >= 0
            shares = np.bincount(found[answered], weights=w[answered], minlength=len(values))
            for k, value in enumerate(values):
                if shares[k]:
                    choice_weight[code][value] += float(shares[k])
            item = np.array([table[v] for v in values] + [np.nan])[found]  # -1: the NaN at the end
        if code in groups:
            items[code] = item
    sums: dict[tuple[int, str, str], Any] = {}
    members: dict[tuple[str, str], list[np.ndarray]] = defaultdict(list)
    for code, item in items.items():
        _add(sums, [[0]], ("question", code), w, item, ~np.isnan(item), np.zeros(n, dtype=np.int64))
        for group in groups[code]:
            members[group].append(item)
    ups = [lineages[s] for s in stratum_ids]
    for group, arrays in members.items():
        stack = np.vstack(arrays)
        answered = (~np.isnan(stack)).sum(axis=0)
        mean = np.divide(np.nansum(stack, axis=0), answered, out=np.zeros(n), where=answered > 0)
        _add(sums, ups, group, w, mean, answered > 0, strat)
    return _snapshot(wave, defn, strata, method, sums, choice_weight, n)  # type: ignore[arg-type]


def _add(
    sums: dict[tuple[int, str, str], Any],
    ups: list[list[int]],
    group: tuple[str, str],
    w: np.ndarray,
    score: np.ndarray,
    mask: np.ndarray,
    bucket: np.ndarray,
) -> None:
    """Add the respondents in ``mask`` to the sums of ``group`` for every unit of their bucket's lineage."""
    from chuangwen.surveys.weighting import RateSums

    ww, ss = w[mask], score[mask]
    w2 = ww * ww
    parts = [np.ones_like(ww), ww, ww * ss, w2, w2 * ss, w2 * ss * ss]
    per = [np.bincount(bucket[mask], weights=p, minlength=len(ups)) for p in parts]
    for b, units in enumerate(ups):
        if per[0][b] == 0:
            continue
        for unit in units:
            acc = sums.setdefault((unit, *group), RateSums())
            acc.n += int(per[0][b] + 0.5)
            acc.sw += per[1][b]
            acc.sws += per[2][b]
            acc.sw2 += per[3][b]
            acc.sw2s += per[4][b]
            acc.sw2s2 += per[5][b]


def differences(a: Any, b: Any, path: str = "", tolerance: float = 1e-6) -> list[str]:
    """Where two snapshots differ (numbers within ``tolerance``; the moment of computation ignored)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return [f"{path}: keys {sorted(set(a) ^ set(b))[:5]}"]
        return [d for k in a if k != "computed_at" for d in differences(a[k], b[k], f"{path}.{k}", tolerance)]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} ≠ {len(b)} items"]
        return [
            d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{path}[{i}]")
        ]
    if isinstance(a, float) and isinstance(b, (int, float)):
        return [] if abs(a - b) <= tolerance * max(1.0, abs(a)) else [f"{path}: {a} ≠ {b}"]
    return [] if a == b else [f"{path}: {a!r} ≠ {b!r}"]
