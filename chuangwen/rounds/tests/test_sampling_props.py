"""Property tests of the draw: deterministic, limits always honoured, quotas met when possible, tampering
named, and equal to an independent implementation written from docs/rounds.md."""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import random
from collections import Counter
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from chuangwen.rounds import sampling

TYPES = ["ZD", "NM", "LJ", "BJ"]
STREETS = ["S01", "S02", "S03"]

seeds = st.binary(min_size=32, max_size=32).map(bytes.hex)
caps = st.one_of(st.none(), st.sampled_from(["0", "0.1", "0.25", "0.3", "0.5", "0.29", "1"]))


@st.composite
def registries(draw: Any, min_size: int = 0, max_size: int = 40) -> list[dict[str, Any]]:
    numbers = draw(st.lists(st.integers(1, 999), min_size=min_size, max_size=max_size, unique=True))
    return [
        {
            "code": f"P{n:04d}",
            "type": draw(st.sampled_from(TYPES)),
            "street": draw(st.sampled_from(STREETS)),
            "declared": draw(st.booleans()),
            "failed_before": draw(st.booleans()),
        }
        for n in numbers
    ]


@st.composite
def quota_params(draw: Any) -> dict[str, Any]:
    quotas = draw(st.dictionaries(st.sampled_from(TYPES), st.integers(0, 8), min_size=1))
    if sum(quotas.values()) == 0:
        quotas[TYPES[0]] = 1
    return {
        "type_quotas": quotas,
        "street_quotas": draw(st.dictionaries(st.sampled_from(STREETS), st.integers(0, 6))),
        "street_max": draw(st.one_of(st.none(), st.integers(0, 8))),
        "declared_cap": draw(caps),
    }


@st.composite
def revisit_params(draw: Any) -> dict[str, Any]:
    return {
        "revisit": True,
        "type_quotas": draw(st.dictionaries(st.sampled_from(TYPES), st.integers(0, 5))),
        "street_quotas": draw(st.dictionaries(st.sampled_from(STREETS), st.integers(0, 6))),
        "street_max": draw(st.one_of(st.none(), st.integers(0, 8))),
        "declared_cap": draw(caps),
        "failed_share": draw(st.sampled_from(["0", "0.2", "0.5", "0.75", "1"])),
        "random_extra": draw(st.integers(0, 10)),
    }


def street_limit(params: dict[str, Any], street: str) -> int | None:
    limit = params["street_quotas"].get(street)
    return limit if limit is not None else params["street_max"]


def reference_draw(seed: str, rows: list[dict[str, Any]], params: dict[str, Any]) -> list[str]:
    """docs/rounds.md, "The draw, precisely", implemented again without looking at sampling.py."""

    def key(row: dict[str, Any]) -> tuple[str, str]:
        digest = hmac.new(seed.encode("ascii"), row["code"].encode("utf-8"), hashlib.sha256).hexdigest()
        return digest, row["code"]

    ordered = sorted(rows, key=key)
    cap = params["declared_cap"]
    streets: Counter[str] = Counter()
    types: Counter[str] = Counter()
    taken: list[str] = []
    declared = 0
    if params["revisit"]:
        failed = [r for r in ordered if r["failed_before"]]
        first = failed[: math.ceil(Decimal(params["failed_share"]) * len(failed))]
        taken = [r["code"] for r in first]
        streets.update(r["street"] for r in first)
        declared = sum(r["declared"] for r in first)
        wanted, pool = len(taken) + params["random_extra"], [r for r in ordered if not r["failed_before"]]
        total = wanted
    else:
        wanted = total = sum(params["type_quotas"].values())
        pool = ordered
    limit = math.floor(Decimal(cap) * total) if cap is not None else None
    for row in pool:
        if len(taken) >= wanted:
            break
        quotas = params["type_quotas"]
        if (quotas or not params["revisit"]) and types[row["type"]] >= quotas.get(row["type"], 0):
            continue
        street_cap = street_limit(params, row["street"])
        if street_cap is not None and streets[row["street"]] >= street_cap:
            continue
        if row["declared"] and limit is not None and declared >= limit:
            continue
        taken.append(row["code"])
        types[row["type"]] += 1
        streets[row["street"]] += 1
        declared += row["declared"]
    return taken


@settings(max_examples=300)
@given(seeds, registries(), st.one_of(quota_params(), revisit_params()))
def test_the_draw_is_the_documented_algorithm(seed: str, rows: list[dict[str, Any]], raw: dict[str, Any]):
    params = sampling.normalize_params(raw)
    assert sampling.draw(seed, rows, params).selected == reference_draw(seed, rows, params)


@settings(max_examples=200)
@given(seeds, registries(), quota_params(), st.randoms(use_true_random=False))
def test_same_inputs_same_sample_in_any_input_order(seed, rows, raw, rnd: random.Random):
    params = sampling.normalize_params(raw)
    first = sampling.draw(seed, rows, params)
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    assert sampling.draw(seed, shuffled, dict(params)) == first
    assert sampling.commit(seed, sampling.eligible_snapshot(shuffled), params) == sampling.commit(
        seed, sampling.eligible_snapshot(rows), params
    )


@settings(max_examples=400)
@given(seeds, registries(), quota_params())
def test_quotas_street_limits_and_declared_cap_always_hold(seed, rows, raw):
    params = sampling.normalize_params(raw)
    result = sampling.draw(seed, rows, params)
    by_code = {r["code"]: r for r in rows}
    chosen = [by_code[c] for c in result.selected]
    assert len(set(result.selected)) == len(chosen)
    quotas = params["type_quotas"]
    for type_code, n in Counter(r["type"] for r in chosen).items():
        assert n <= quotas.get(type_code, 0)
    for street, n in Counter(r["street"] for r in chosen).items():
        limit = street_limit(params, street)
        assert limit is None or n <= limit
    if params["declared_cap"] is not None:
        total = sum(quotas.values())
        assert sum(r["declared"] for r in chosen) <= math.floor(Decimal(params["declared_cap"]) * total)
    taken = Counter(r["type"] for r in chosen)
    assert result.shortfalls["types"] == {t: q - taken[t] for t, q in quotas.items() if taken[t] < q}


@settings(max_examples=300)
@given(seeds, registries(), quota_params())
def test_a_short_type_was_refused_only_by_a_limit(seed, rows, raw):
    """Greedy is maximal: an unselected site of a type left short was blocked by its street or the cap."""
    params = sampling.normalize_params(raw)
    result = sampling.draw(seed, rows, params)
    by_code = {r["code"]: r for r in rows}
    chosen = [by_code[c] for c in result.selected]
    streets = Counter(r["street"] for r in chosen)
    declared = sum(r["declared"] for r in chosen)
    cap = params["declared_cap"]
    declared_limit = math.floor(Decimal(cap) * sum(params["type_quotas"].values())) if cap else None
    for row in rows:
        if row["code"] in result.selected or row["type"] not in result.shortfalls["types"]:
            continue
        limit = street_limit(params, row["street"])
        street_full = limit is not None and streets[row["street"]] >= limit
        cap_full = row["declared"] and declared_limit is not None and declared >= declared_limit
        assert street_full or cap_full


@settings(max_examples=200)
@given(seeds, registries(min_size=1), quota_params())
def test_each_quota_is_met_exactly_when_enough_sites_exist(seed, rows, raw):
    raw = {**raw, "street_quotas": {}, "street_max": None}
    params = sampling.normalize_params(raw)
    undeclared = Counter(r["type"] for r in rows if not r["declared"])
    for type_code, quota in params["type_quotas"].items():
        undeclared_missing = max(0, quota - undeclared[type_code])
        rows = rows + [
            {"code": f"X{type_code}{i}", "type": type_code, "street": "S01", "declared": False}
            for i in range(undeclared_missing)
        ]
    result = sampling.draw(seed, rows, params)
    chosen = Counter(next(r["type"] for r in rows if r["code"] == c) for c in result.selected)
    assert {t: chosen[t] for t, q in params["type_quotas"].items() if q} == {
        t: q for t, q in params["type_quotas"].items() if q
    }
    assert result.shortfalls["types"] == {}


def _verify(seed, rows, params, stored, sample):
    return sampling.verify(seed, rows, params, stored, sample)


@settings(max_examples=150)
@given(seeds, registries(min_size=1), quota_params(), seeds)
def test_tampering_is_detected_and_named(seed, rows, raw, other_seed):
    params = sampling.normalize_params(raw)
    snapshot = sampling.eligible_snapshot(rows)
    stored = sampling.commit(seed, snapshot, params)
    sample = sampling.draw(seed, snapshot, params).selected
    assert _verify(seed, snapshot, params, stored, sample).ok
    if other_seed != seed:
        report = _verify(other_seed, snapshot, params, stored, sample)
        assert not report.ok and "种子承诺值" in report.mismatches
    flipped = [dict(r) for r in snapshot]
    flipped[0]["declared"] = not flipped[0]["declared"]
    removed, added = snapshot[1:], [*snapshot, {**snapshot[0], "code": "Z9999"}]
    for changed in (flipped, removed, added):
        report = _verify(seed, changed, params, stored, sample)
        assert not report.ok and "候选点位承诺值" in report.mismatches
        assert "种子承诺值" not in report.mismatches and "参数承诺值" not in report.mismatches
    bumped = {**params, "type_quotas": {**params["type_quotas"]}}
    first_type = sorted(bumped["type_quotas"])[0]
    bumped["type_quotas"][first_type] += 1
    report = _verify(seed, snapshot, bumped, stored, sample)
    assert report.mismatches[:1] == ["参数承诺值"] and "候选点位承诺值" not in report.mismatches


@settings(max_examples=300)
@given(seeds, registries(), revisit_params())
def test_revisit_draws_failed_sites_first(seed, rows, raw):
    params = sampling.normalize_params(raw)
    result = sampling.draw(seed, rows, params)
    failed = [r["code"] for r in rows if r["failed_before"]]
    n_failed = math.ceil(Decimal(params["failed_share"]) * len(failed))
    head, tail = result.selected[:n_failed], result.selected[n_failed:]
    assert set(head) <= set(failed) and len(head) == n_failed
    assert not set(tail) & set(failed)
    assert len(tail) + result.shortfalls["extra"] == params["random_extra"]
    assert all(result.reasons[c] == "failed_before" for c in head)
    assert all(result.reasons[c] == "random" for c in tail)
    if params["failed_share"] == "1":
        assert set(head) == set(failed)


def test_canonical_json_is_compact_sorted_utf8():
    assert sampling.canonical_json({"b": 1, "a": ["测", True, None]}) == '{"a":["测",true,null],"b":1}'
    text = sampling.canonical_json({"x": "街道"})
    assert text == json.dumps({"x": "街道"}, ensure_ascii=False, separators=(",", ":"))


def test_commitment_values_follow_the_documentation():
    seed = "00" * 32
    rows = [{"code": "P1", "type": "ZD", "street": "S01", "declared": False, "failed_before": False}]
    params = sampling.normalize_params({"type_quotas": {"ZD": 1}})
    c = sampling.commit(seed, rows, params)
    sha = lambda text: hashlib.sha256(text.encode()).hexdigest()  # noqa: E731
    assert c.seed == sha(seed)
    assert c.sites == sha('[{"code":"P1","declared":false,"failed_before":false,"street":"S01","type":"ZD"}]')
    assert c.params == sha(
        '{"declared_cap":null,"failed_share":null,"random_extra":0,"revisit":false,'
        '"street_max":null,"street_quotas":{},"type_quotas":{"ZD":1}}'
    )
    assert c.combined == sha(c.seed + c.sites + c.params)
