"""Draw parameters: canonical form and clear Chinese errors; the order is the documented keyed hash."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from chuangwen.rounds import sampling


def errors(raw, **kwargs):
    with pytest.raises(sampling.ParamsError) as exc:
        sampling.validate_params(raw, **{"known_types": ["ZD", "NM"], **kwargs})
    return exc.value.messages


def test_normalised_params_are_canonical_and_idempotent():
    params = sampling.normalize_params(
        {"type_quotas": {"ZD": "3", "NM": 2}, "declared_cap": 0.30, "street_max": "4", "max_distance_m": 300}
    )
    assert params == {
        "revisit": False,
        "type_quotas": {"ZD": 3, "NM": 2},
        "street_quotas": {},
        "street_max": 4,
        "declared_cap": "0.3",
        "failed_share": None,
        "random_extra": 0,
    }
    assert sampling.normalize_params(params) == params
    assert (
        sampling.normalize_params({"type_quotas": {"ZD": 1}, "declared_cap": "1.0000"})["declared_cap"] == "1"
    )
    revisit = sampling.normalize_params({"random_extra": 2}, revisit=True)
    assert revisit["failed_share"] == "1" and revisit["random_extra"] == 2 and revisit["revisit"] is True
    assert sampling.normalize_params(revisit) == revisit


def test_unknown_type_negative_quota_and_cap_out_of_range_are_named():
    messages = errors({"type_quotas": {"XX": 1, "ZD": -2}, "declared_cap": 1.5})
    assert "未知的点位类型编码：XX（该标准版本中没有此类型）" in messages
    assert "点位类型 ZD 的配额不能为负数" in messages
    assert any("申报点位占比上限必须在 0 到 1 之间" in m for m in messages)


def test_other_bad_values():
    assert any("必须是整数" in m for m in errors({"type_quotas": {"ZD": "三"}}))
    assert any(
        "必须是 0 到 1 之间的小数" in m for m in errors({"type_quotas": {"ZD": 1}, "declared_cap": "abc"})
    )
    assert any("不能为负数" in m for m in errors({"type_quotas": {"ZD": 1}, "street_max": -1}))
    assert errors({"type_quotas": {"ZD": 0}}) == ["至少为一个点位类型设置大于 0 的抽样数量"]
    assert errors({"type_quotas": {"ZD": 1}, "street_quotas": {"S99": 1}}, known_streets=["S01"]) == [
        "未知的街道编码：S99（不在被测评范围内）"
    ]
    assert any("问题点位复查比例" in m for m in errors({"failed_share": 2}, revisit=True))
    assert any("另抽其他点位数" in m for m in errors({"random_extra": -1}, revisit=True))


def test_order_is_hmac_of_the_code_keyed_by_the_seed():
    seed = "ab" * 32
    rows = sampling.eligible_snapshot(
        {"code": f"P{i}", "type": "ZD", "street": "S01", "declared": False} for i in range(20)
    )
    expected = sorted(
        (hmac.new(seed.encode(), r["code"].encode(), hashlib.sha256).hexdigest(), r["code"]) for r in rows
    )
    assert [r["code"] for r in sampling.key_order(seed, rows)] == [code for _key, code in expected]
    result = sampling.draw(seed, rows, {"type_quotas": {"ZD": 5}})
    assert result.selected == [code for _key, code in expected[:5]]


def test_a_bad_seed_or_duplicate_code_is_refused():
    with pytest.raises(ValueError):
        sampling.draw("XYZ", [], {"type_quotas": {"ZD": 1}})
    with pytest.raises(ValueError):
        sampling.eligible_snapshot([{"code": "P1", "type": "ZD", "street": "S"}] * 2)


def test_declared_cap_uses_exact_decimals():
    """0.29 × 100 is 28.999… in binary floating point; the documented exact floor is 29."""
    rows = [{"code": f"D{i:03d}", "type": "ZD", "street": "S01", "declared": True} for i in range(100)]
    result = sampling.draw("cd" * 32, rows, {"type_quotas": {"ZD": 100}, "declared_cap": "0.29"})
    assert result.size == 29 and result.shortfalls["types"] == {"ZD": 71}
    assert result.skipped["declared"] == 71


def test_a_failed_verification_that_cannot_be_recomputed_says_so():
    stored = sampling.Commitments("a", "b", "c", "d")
    report = sampling.verify("00" * 32, [], {"type_quotas": {"ZD": -1}}, stored, [])
    assert not report.ok and report.summary().startswith("不一致：无法重新计算")
