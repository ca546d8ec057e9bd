"""The verifiable draw (抽样): a pure function of a secret seed, the eligible-site list and the parameters.

Nothing here touches the database: services.py builds the inputs, this module orders, selects and commits.
The algorithm is specified in docs/rounds.md precisely enough for an outsider to re-implement it; change
neither without the other (a change would make published rounds fail verification).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chuangwen.core.bounds import COUNT_MAX  # more than any city has sites: a larger count is a typo

SEED_PATTERN = re.compile(r"^[0-9a-f]{64}$")
SHARE_PLACES = Decimal("0.0001")
SNAPSHOT_KEYS = ("code", "type", "street", "declared", "failed_before")
REASON_RANDOM = "random"
REASON_FAILED = "failed_before"


class ParamsError(ValueError):
    """The draw parameters are not valid; ``messages`` lists every reason (in Chinese) at once."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = list(messages)
        super().__init__("；".join(self.messages))


@dataclass(frozen=True)
class Commitments:
    seed: str
    sites: str
    params: str
    combined: str


@dataclass
class DrawResult:
    selected: list[str]
    reasons: dict[str, str]
    shortfalls: dict[str, Any]
    skipped: dict[str, int] = field(default_factory=lambda: {"street": 0, "declared": 0})

    @property
    def size(self) -> int:
        return len(self.selected)


# --- canonical form -------------------------------------------------------------------------------


def canonical_json(obj: Any) -> str:
    """Keys sorted, no spaces, UTF-8 characters kept as they are (not \\u escapes)."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def eligible_snapshot(sites: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Canonical rows ``{code, type, street, declared, failed_before}`` sorted by code (codes are unique)."""
    rows: list[dict[str, Any]] = [
        {
            "code": str(site["code"]),
            "type": str(site["type"]),
            "street": str(site["street"]),
            "declared": bool(site.get("declared", False)),
            "failed_before": bool(site.get("failed_before", False)),
        }
        for site in sites
    ]
    rows.sort(key=lambda row: row["code"])
    codes = [row["code"] for row in rows]
    if len(set(codes)) != len(codes):
        raise ValueError("duplicate site code in the eligible list")
    return rows


def _share(value: Any, label: str, problems: list[str]) -> str | None:
    """A share 0–1 as a canonical decimal string ("0.3", "1"), at most four decimals."""
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value)).quantize(SHARE_PLACES, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        problems.append(_("%(label)s必须是 0 到 1 之间的小数") % {"label": label})
        return None
    if not number.is_finite() or number < 0 or number > 1:
        problems.append(_("%(label)s必须在 0 到 1 之间（例如 0.3 表示 30%%）") % {"label": label})
        return None
    text = format(number.normalize(), "f")
    return text if text != "-0" else "0"


def canonical_share(value: Any) -> str:
    """A share 0–1 in the canonical string form of the parameters; ValueError when it is not one."""
    problems: list[str] = []
    text = _share(value, _("占比"), problems)
    if problems or text is None:
        raise ValueError("；".join(problems) or "empty share")
    return text


def _count(value: Any, label: str, problems: list[str], *, optional: bool = False) -> int | None:
    if value is None or value == "":
        if optional:
            return None
        value = 0
    if isinstance(value, bool) or not isinstance(value, int | str):
        problems.append(_("%(label)s必须是整数") % {"label": label})
        return None
    try:
        number = int(value)
    except ValueError:
        problems.append(_("%(label)s必须是整数") % {"label": label})
        return None
    if number < 0:
        problems.append(_("%(label)s不能为负数") % {"label": label})
        return None
    if number > COUNT_MAX:
        problems.append(_("%(label)s不能超过 %(max)s") % {"label": label, "max": COUNT_MAX})
        return None
    return number


def _quotas(raw: Any, what: str, problems: list[str]) -> dict[str, int]:
    if raw in (None, ""):
        return {}
    if not isinstance(raw, Mapping):
        problems.append(_("%(what)s配额格式不对，应为“编码: 数量”") % {"what": what})
        return {}
    quotas: dict[str, int] = {}
    for code, value in raw.items():
        label = _("%(what)s %(code)s 的配额") % {"what": what, "code": code}
        number = _count(value, label, problems)
        if number is not None:
            quotas[str(code)] = number
    return quotas


def normalize_params(raw: Mapping[str, Any], *, revisit: bool | None = None) -> dict[str, Any]:
    """The canonical draw parameters (the ones the commitment covers); other keys of ``raw`` are ignored.

    Raises ParamsError with every problem found. Idempotent: a normalised dict normalises to itself.
    """
    problems: list[str] = []
    is_revisit = bool(raw.get("revisit", False)) if revisit is None else revisit
    params: dict[str, Any] = {
        "revisit": is_revisit,
        "type_quotas": _quotas(raw.get("type_quotas"), _("点位类型"), problems),
        "street_quotas": _quotas(raw.get("street_quotas"), _("街道"), problems),
        "street_max": _count(raw.get("street_max"), _("每个街道最多抽取数"), problems, optional=True),
        "declared_cap": _share(raw.get("declared_cap"), _("申报点位占比上限"), problems),
        "failed_share": None,
        "random_extra": 0,
    }
    if is_revisit:
        params["failed_share"] = _share(raw.get("failed_share", "1"), _("问题点位复查比例"), problems)
        params["random_extra"] = _count(raw.get("random_extra"), _("另抽其他点位数"), problems) or 0
        if params["failed_share"] is None and not problems:
            params["failed_share"] = "1"
    elif sum(params["type_quotas"].values()) == 0 and not problems:
        problems.append(_("至少为一个点位类型设置大于 0 的抽样数量"))
    if problems:
        raise ParamsError(problems)
    return params


def validate_params(
    raw: Mapping[str, Any],
    *,
    known_types: Iterable[str],
    known_streets: Iterable[str] | None = None,
    revisit: bool = False,
) -> dict[str, Any]:
    """normalize_params plus the checks that need the standard and the organisation tree."""
    problems: list[str] = []
    try:
        params = normalize_params(raw, revisit=revisit)
    except ParamsError as exc:
        problems.extend(exc.messages)
        params = None
    types = set(known_types)
    for code in sorted(set((raw.get("type_quotas") or {}).keys()) - types):
        problems.append(_("未知的点位类型编码：%(code)s（该标准版本中没有此类型）") % {"code": code})
    if known_streets is not None:
        streets = set(known_streets)
        for code in sorted(set((raw.get("street_quotas") or {}).keys()) - streets):
            problems.append(_("未知的街道编码：%(code)s（不在被测评范围内）") % {"code": code})
    if problems or params is None:
        raise ParamsError(problems)
    return params


def commit(seed_hex: str, snapshot: list[dict[str, Any]], params: Mapping[str, Any]) -> Commitments:
    """SHA-256 of the seed string, of the snapshot's and the parameters' canonical JSON, and of the three
    hex digests joined (seed + sites + params, no separator)."""
    seed_c = sha256_hex(seed_hex)
    sites_c = sha256_hex(canonical_json(snapshot))
    params_c = sha256_hex(canonical_json(dict(params)))
    return Commitments(seed_c, sites_c, params_c, sha256_hex(seed_c + sites_c + params_c))


# --- the draw -------------------------------------------------------------------------------------


def draw_key(seed_hex: str, code: str) -> str:
    """HMAC-SHA256 keyed with the seed string (ASCII), message the site code (UTF-8), as lowercase hex."""
    return hmac.new(seed_hex.encode("ascii"), code.encode("utf-8"), hashlib.sha256).hexdigest()


def key_order(seed_hex: str, snapshot: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(snapshot, key=lambda row: (draw_key(seed_hex, row["code"]), row["code"]))


class _Tally:
    """Counts of the selection so far, and the limits a further site must respect."""

    def __init__(self, params: Mapping[str, Any], total: int) -> None:
        self.params = params
        self.by_street: Counter[str] = Counter()
        self.by_type: Counter[str] = Counter()
        self.declared = 0
        cap = params.get("declared_cap")
        self.declared_limit = math.floor(Decimal(cap) * total) if cap is not None else None
        self.skipped = {"street": 0, "declared": 0}

    def street_limit(self, street: str) -> int | None:
        limit = self.params["street_quotas"].get(street)
        return limit if limit is not None else self.params.get("street_max")

    def admits(self, row: Mapping[str, Any]) -> bool:
        limit = self.street_limit(row["street"])
        if limit is not None and self.by_street[row["street"]] >= limit:
            self.skipped["street"] += 1
            return False
        if row["declared"] and self.declared_limit is not None and self.declared >= self.declared_limit:
            self.skipped["declared"] += 1
            return False
        return True

    def add(self, row: Mapping[str, Any], counted_type: bool = True) -> None:
        self.by_street[row["street"]] += 1
        if counted_type:
            self.by_type[row["type"]] += 1
        self.declared += int(row["declared"])


def _check_inputs(seed_hex: str, params: Mapping[str, Any]) -> dict[str, Any]:
    if not SEED_PATTERN.match(seed_hex):
        raise ValueError("the seed must be 64 lowercase hex digits")
    return normalize_params(params)


def draw(seed_hex: str, snapshot: list[dict[str, Any]], params: Mapping[str, Any]) -> DrawResult:
    """The sample: site codes in draw order, why each was chosen, and what could not be filled."""
    norm = _check_inputs(seed_hex, params)
    ordered = key_order(seed_hex, eligible_snapshot(snapshot))
    if norm["revisit"]:
        return _draw_revisit(ordered, norm)
    return _draw_quota(ordered, norm)


def _draw_quota(ordered: list[dict[str, Any]], params: dict[str, Any]) -> DrawResult:
    quotas: dict[str, int] = params["type_quotas"]
    total = sum(quotas.values())
    tally = _Tally(params, total)
    selected: list[str] = []
    for row in ordered:
        if len(selected) >= total:
            break
        if tally.by_type[row["type"]] >= quotas.get(row["type"], 0):
            continue
        if tally.admits(row):
            tally.add(row)
            selected.append(row["code"])
    short = {t: q - tally.by_type[t] for t, q in sorted(quotas.items()) if tally.by_type[t] < q}
    return DrawResult(
        selected, dict.fromkeys(selected, REASON_RANDOM), {"types": short, "extra": 0}, tally.skipped
    )


def _draw_revisit(ordered: list[dict[str, Any]], params: dict[str, Any]) -> DrawResult:
    failed = [row for row in ordered if row["failed_before"]]
    take = math.ceil(Decimal(params["failed_share"]) * len(failed))
    extra_wanted: int = params["random_extra"]
    tally = _Tally(params, take + extra_wanted)
    quotas: dict[str, int] = params["type_quotas"]
    selected = [row["code"] for row in failed[:take]]
    reasons = dict.fromkeys(selected, REASON_FAILED)
    for row in failed[:take]:
        tally.add(row, counted_type=False)
    extras = 0
    for row in ordered:
        if extras >= extra_wanted:
            break
        if row["failed_before"]:
            continue
        if quotas and tally.by_type[row["type"]] >= quotas.get(row["type"], 0):
            continue
        if tally.admits(row):
            tally.add(row)
            selected.append(row["code"])
            reasons[row["code"]] = REASON_RANDOM
            extras += 1
    return DrawResult(selected, reasons, {"types": {}, "extra": extra_wanted - extras}, tally.skipped)


# --- verification ---------------------------------------------------------------------------------

PART_LABELS = {
    "seed": gettext_lazy("种子承诺值"),
    "sites": gettext_lazy("候选点位承诺值"),
    "params": gettext_lazy("参数承诺值"),
    "combined": gettext_lazy("总承诺值"),
    "sample": gettext_lazy("抽样结果"),
}


@dataclass(frozen=True)
class VerifyPart:
    name: str
    stored: str
    recomputed: str

    @property
    def ok(self) -> bool:
        return self.stored == self.recomputed

    @property
    def label(self) -> str:
        return str(PART_LABELS[self.name])


@dataclass
class VerifyReport:
    parts: list[VerifyPart]
    draw: DrawResult | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem and all(part.ok for part in self.parts)

    @property
    def mismatches(self) -> list[str]:
        return [part.label for part in self.parts if not part.ok]

    def summary(self) -> str:
        if self.ok:
            return _("一致：承诺值与抽样结果均可由公开的种子、候选点位清单和参数重新算出")
        reasons = self.mismatches + ([self.problem] if self.problem else [])
        return _("不一致：%(parts)s") % {"parts": "、".join(reasons)}


def verify(
    seed_hex: str,
    snapshot: list[dict[str, Any]],
    params: Mapping[str, Any],
    stored: Commitments,
    stored_sample: list[str],
) -> VerifyReport:
    """Recompute the commitments and the draw from the revealed inputs; compare each with what was stored."""
    try:
        norm = normalize_params(params)
        rows = eligible_snapshot(snapshot)
        result = draw(seed_hex, rows, norm)
    except (ValueError, KeyError, TypeError) as exc:
        problem = _("无法重新计算：%(error)s") % {"error": exc}
        return VerifyReport([], None, problem)
    again = commit(seed_hex, rows, norm)
    parts = [
        VerifyPart("seed", stored.seed, again.seed),
        VerifyPart("sites", stored.sites, again.sites),
        VerifyPart("params", stored.params, again.params),
        VerifyPart("combined", stored.combined, again.combined),
        VerifyPart("sample", ",".join(stored_sample), ",".join(result.selected)),
    ]
    return VerifyReport(parts, result)
