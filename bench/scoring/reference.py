"""The ranking benchmark's reference: the rows scoring reads, exported to DuckDB, the same numbers in one SQL
query per period, and the unit-by-unit comparison with ``compute_all`` (see ``bench/scoring/run.py``).

Part of ``bench/scoring/run.py`` (which puts the repository on ``sys.path`` and sets Django up first).
"""

from __future__ import annotations

import csv
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)
SCORE_FIELDS = ("onsite_raw", "onsite", "rectification", "composite")
SCORE_TOLERANCE = Decimal("0.01")
RATE_TOLERANCE = Decimal("0.0001")


def micros(value: datetime | None) -> int | None:
    """An aware datetime as exact integer microseconds since the epoch (DuckDB compares these)."""
    return None if value is None else (value - EPOCH) // ONE_US


# --- export to DuckDB ---------------------------------------------------------------------------------------

TABLES: dict[str, dict[str, str]] = {
    "units": {"id": "BIGINT", "kind": "VARCHAR", "path": "VARCHAR", "active": "BOOLEAN"},
    "site_types": {"standard_id": "BIGINT", "code": "VARCHAR", "weight": "DECIMAL(9, 3)"},
    "visits": {
        "id": "BIGINT", "status": "VARCHAR", "score": "DECIMAL(6, 2)", "round_id": "BIGINT",
        "round_status": "VARCHAR", "round_kind": "VARCHAR", "standard_id": "BIGINT", "site_type": "VARCHAR",
        "declared": "BOOLEAN",
        "area_unit_id": "BIGINT", "responsible_unit_id": "BIGINT", "finished_at": "BIGINT",
        "received_at": "BIGINT",
    },
    "cases": {
        "id": "BIGINT", "unit_id": "BIGINT", "located_unit_id": "BIGINT", "state": "VARCHAR",
        "closed_at": "BIGINT", "deadline": "BIGINT", "rework_count": "INTEGER", "extension_count": "INTEGER",
        "recurrence_of_id": "BIGINT",
    },
    "events": {"action": "VARCHAR", "at": "BIGINT", "unit_id": "BIGINT"},
}  # fmt: skip


def source_rows() -> dict[str, Iterable[tuple[Any, ...]]]:
    """The rows scoring reads, straight from the Django database (timestamps as epoch microseconds)."""
    from chuangwen.cases.models import Case, CaseEvent
    from chuangwen.org.models import Unit
    from chuangwen.rounds.models import Visit
    from chuangwen.standards.models import SiteType

    visits = Visit.objects.values_list(
        "id", "status", "score", "round_id", "round__status", "round__kind", "round__standard_id",
        "site__site_type", "site__declared", "site__area_unit_id", "site__responsible_unit_id", "finished_at",
        "received_at",
    ).order_by()  # fmt: skip
    # Where the problem is: the site's area, else the case's area unit, else the unit it was routed to
    # (written out here, not read from ``case_owner``, so the reference does not share the code it checks).
    cases = Case.objects.values_list(
        "id", "unit_id", "site__area_unit_id", "area_unit_id", "state", "closed_at", "deadline",
        "rework_count", "extension_count", "recurrence_of_id",
    ).order_by()  # fmt: skip
    events = CaseEvent.objects.values_list("action", "at", "case__unit_id").order_by()
    return {
        "units": Unit.objects.values_list("id", "kind", "path", "active").order_by(),
        "site_types": SiteType.objects.values_list("standard_id", "code", "weight").order_by(),
        "visits": (
            (*row[:11], micros(row[11]), micros(row[12])) for row in visits.iterator(chunk_size=10000)
        ),
        "cases": (located(row) for row in cases.iterator(chunk_size=10000)),
        "events": ((action, micros(at), unit_id) for action, at, unit_id in events.iterator()),
    }


def located(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A case row with its located unit (the first of site area, area unit, routed unit that is set)."""
    pk, unit, site_area, area, state, closed_at, deadline, *rest = row
    where = next((u for u in (site_area, area, unit) if u is not None), None)
    return (pk, unit, where, state, micros(closed_at), micros(deadline), *rest)


def load_duckdb(path: Path) -> tuple[Any, dict[str, int], float, float]:
    """A fresh DuckDB file with the tables; (connection, row counts, export seconds, load seconds)."""
    import duckdb

    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    counts: dict[str, int] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cw-bench-scoring-") as tmp:
        files = {}
        for name, rows in source_rows().items():
            files[name] = Path(tmp) / f"{name}.csv"
            with files[name].open("w", newline="") as out:
                writer = csv.writer(out)
                writer.writerow(TABLES[name])
                n = 0
                for row in rows:
                    writer.writerow(row)
                    n += 1
                counts[name] = n
        exported = time.perf_counter()
        for name, columns in TABLES.items():
            spec = "{" + ", ".join(f"'{c}': '{t}'" for c, t in columns.items()) + "}"
            con.execute(
                f"CREATE TABLE {name} AS SELECT * FROM read_csv('{files[name]}', header = true, "
                f"nullstr = '', columns = {spec})"
            )
        loaded = time.perf_counter()
    return con, counts, exported - started, loaded - exported


# --- the reference in DuckDB SQL ----------------------------------------------------------------------------


def scale_of(*values: Decimal) -> int:
    """Decimal places needed to write every value as an integer."""
    return max((max(0, -int(v.normalize().as_tuple().exponent)) for v in values), default=0)


def scaled(value: Decimal, scale: int) -> int:
    out = value * (Decimal(10) ** scale)
    assert out == out.to_integral_value(), (value, scale)
    return int(out)


def half_up(numerator: str, denominator: str) -> str:
    """round(numerator / denominator) half up, for non-negative integers, in integer arithmetic."""
    return f"((2 * ({numerator}) + ({denominator})) // (2 * ({denominator})))"


def reference_sql(config: Any) -> str:
    """One query: every unit of every level with the numbers compute_all gives it (same rules, in SQL).

    Like ``formulas`` (Decimal arithmetic, rounded half up only at the end), it is exact: scores are counted
    in hundredths and rates in ten-thousandths as HUGEINTs, weights are scaled to integers, and every
    division that is rounded is done as ``(2·p + q) // (2·q)``; so a mean that falls exactly on x.xx5 rounds
    the same way in both (floating point would not, and ranks would differ by ties)."""
    from chuangwen.cases.models import NOT_COUNTED_STATES
    from chuangwen.rankings.compute import LEVELS
    from chuangwen.rankings.config import INDICATORS, NEGATIVE
    from chuangwen.rounds.models import OFFICIAL_KINDS

    def strings(values: Iterable[Any]) -> str:
        return ", ".join(f"'{v}'" for v in values)

    # Visit weight = type weight (3 decimals) × declared or undeclared factor × revisit factor, as an integer.
    f_scale = scale_of(config.declared_weight, config.undeclared_weight)
    r_scale = scale_of(config.revisit_weight)
    declared = scaled(config.declared_weight, f_scale)
    undeclared = scaled(config.undeclared_weight, f_scale)
    revisit = scaled(config.revisit_weight, r_scale)
    one_r = 10**r_scale
    # Shrinkage k = kn / kd.
    k_scale = scale_of(config.shrinkage_k)
    kn, kd = scaled(config.shrinkage_k, k_scale), 10**k_scale
    min_sample = config.min_sample
    # Rectification weights as integers; good = rate or (1 − rate), in ten-thousandths.
    rect_weights = {name: w for name, w in config.rectification.items() if w != 0}
    rw_scale = scale_of(*rect_weights.values())
    rw = {name: scaled(w, rw_scale) for name, w in rect_weights.items()}
    good = {name: f"(10000 - {name}_r)" if name in NEGATIVE else f"{name}_r" for name in rw}
    rect_p = " + ".join(f"{w} * {good[name]}" for name, w in rw.items()) or "NULL"
    rect_q = sum(rw.values()) or "NULL"
    # Composite weights (only on-site and rectification have values here) and the penalty points.
    c_scale = scale_of(*config.composite.values())
    c_on = scaled(config.composite.get("onsite", Decimal(0)), c_scale)
    c_rect = scaled(config.composite.get("rectification", Decimal(0)), c_scale)
    points = config.penalties.get("falsified_rectification", Decimal(0))
    p_scale = scale_of(points)
    pp, pd = scaled(points, p_scale), 10**p_scale

    counts = ",\n    ".join(
        f"count(*) FILTER (WHERE {cond}) AS {name}_n"
        for name, cond in {
            "disposal_rate": "closed",
            "ontime_rate": "on_time",
            "rework_rate": "rework_count > 0",
            "overdue_rate": "(closed AND NOT on_time) OR (NOT closed AND state <> 'suspended' "
            "AND deadline IS NOT NULL AND $as_of > deadline)",
            "extension_rate": "extension_count > 0",
            "recurrence_rate": "recurrence_of_id IS NOT NULL",
        }.items()
        if name in INDICATORS
    )
    rates = ",\n    ".join(
        f"CASE WHEN n_cases > 0 THEN {half_up(f'{name}_n * 10000', 'n_cases')} END AS {name}_r"
        for name in INDICATORS
    )
    shrunk_n = f"(n_visits * p * lq * {kd} + {kn} * lq_p * q)"
    shrunk_d = f"((n_visits * {kd} + {kn}) * q * lq)"
    comp_q = (
        f"(CASE WHEN onsite_h IS NULL THEN 0 ELSE {c_on} END"
        f" + CASE WHEN rect_h IS NULL THEN 0 ELSE {c_rect} END)"
    )
    comp_p = (
        f"((coalesce({c_on} * onsite_h, 0) + coalesce({c_rect} * rect_h, 0)) * {pd}"
        f" - events * {pp} * 100 * {comp_q})"
    )
    return f"""
WITH lv AS (
  SELECT id, kind AS level, path FROM units WHERE active AND kind IN ({strings(LEVELS)})
),
level_of AS (
  SELECT u.id AS unit_id, lv.level, lv.id AS level_unit FROM units u JOIN lv ON starts_with(u.path, lv.path)
),
pv AS (
  SELECT CAST(v.score * 100 AS HUGEINT) AS s, v.area_unit_id, v.responsible_unit_id,
    CAST(coalesce(st.weight, 1) * 1000 AS HUGEINT)
      * CASE WHEN v.declared THEN {declared} ELSE {undeclared} END
      * CASE WHEN v.round_kind = 'revisit' THEN {revisit} ELSE {one_r} END AS w
  FROM visits v LEFT JOIN site_types st ON st.standard_id = v.standard_id AND st.code = v.site_type
  WHERE v.status = 'accepted' AND v.score IS NOT NULL AND v.round_status = 'published'
    AND v.round_kind IN ({strings(OFFICIAL_KINDS)})
    AND CASE WHEN $round_id IS NOT NULL THEN v.round_id = $round_id
             ELSE coalesce(v.finished_at, v.received_at) >= $start
                  AND coalesce(v.finished_at, v.received_at) < $end END
),
vl AS (
  SELECT lo.level, lo.level_unit, pv.s, pv.w
  FROM pv JOIN level_of lo ON lo.unit_id = pv.area_unit_id AND lo.level <> 'department'
  UNION ALL
  SELECT lo.level, lo.level_unit, pv.s, pv.w
  FROM pv JOIN level_of lo ON lo.unit_id = pv.responsible_unit_id AND lo.level = 'department'
),
prior AS (SELECT level, sum(s * w) AS lq_p, sum(w) AS lq FROM vl GROUP BY level),
onsite AS (
  SELECT level, level_unit, count(*) AS n_visits, sum(s * w) AS p, sum(w) AS q
  FROM vl GROUP BY level, level_unit
),
cc AS (
  SELECT c.*, (c.state = 'closed' AND c.closed_at IS NOT NULL AND c.closed_at <= $as_of) AS closed
  FROM cases c
  WHERE c.unit_id IS NOT NULL AND c.state NOT IN ({strings(NOT_COUNTED_STATES)})
),
pc AS (
  SELECT cc.*, (closed AND (deadline IS NULL OR closed_at <= deadline)) AS on_time
  FROM cc
  WHERE (deadline IS NOT NULL AND deadline >= $start AND deadline <= $as_of)
     OR (closed AND closed_at >= $start)
),
ind AS (
  SELECT lo.level, lo.level_unit, count(*) AS n_cases,
    {counts}
  FROM pc JOIN level_of lo
    ON lo.unit_id = CASE WHEN lo.level = 'department' THEN pc.unit_id ELSE pc.located_unit_id END
  GROUP BY lo.level, lo.level_unit
),
pen AS (
  SELECT lo.level, lo.level_unit, count(*) AS events
  FROM events e JOIN level_of lo ON lo.unit_id = e.unit_id
  WHERE e.action = 'reverify_fail' AND e.at >= $start AND e.at < $end
  GROUP BY lo.level, lo.level_unit
),
joined AS (
  SELECT lv.level, lv.id AS unit_id, coalesce(o.n_visits, 0) AS n_visits, o.p, o.q,
    CAST(pr.lq_p AS HUGEINT) AS lq_p, CAST(pr.lq AS HUGEINT) AS lq, coalesce(i.n_cases, 0) AS n_cases,
    {", ".join(f"coalesce(i.{name}_n, 0) AS {name}_n" for name in INDICATORS)},
    coalesce(pen.events, 0) AS events
  FROM lv
  LEFT JOIN onsite o ON o.level = lv.level AND o.level_unit = lv.id
  LEFT JOIN prior pr ON pr.level = lv.level
  LEFT JOIN ind i ON i.level = lv.level AND i.level_unit = lv.id
  LEFT JOIN pen ON pen.level = lv.level AND pen.level_unit = lv.id
),
scored AS (
  SELECT *,
    CASE WHEN n_visits > 0 THEN {half_up("p", "q")} END AS raw_h,
    {rates}
  FROM joined
),
onsite_scored AS (
  SELECT *,
    CASE WHEN n_visits = 0 THEN NULL
         WHEN lq IS NULL OR lq = 0 OR {kn} <= 0 OR (n_visits >= {min_sample} AND {min_sample} > 0) THEN raw_h
         ELSE {half_up(shrunk_n, shrunk_d)} END AS onsite_h
  FROM scored
),
rect_own AS (
  SELECT *, CASE WHEN n_cases > 0 THEN {half_up(rect_p, str(rect_q))} END AS own_h FROM onsite_scored
),
rect_mean AS (SELECT level, sum(own_h) AS p, count(own_h) AS q FROM rect_own GROUP BY level),
rect AS (
  -- A unit with no case of the period takes its level's plain mean (rounded), when any unit has one.
  SELECT r.*, CASE WHEN r.n_cases > 0 THEN r.own_h
                   WHEN m.q > 0 THEN {half_up("m.p", "m.q")} END AS rect_h
  FROM rect_own r JOIN rect_mean m ON m.level = r.level
),
comp AS (
  SELECT *,
    CASE WHEN n_visits = 0 OR {comp_q} = 0 THEN NULL
         WHEN {comp_p} <= 0 THEN 0
         ELSE {half_up(comp_p, f"{comp_q} * {pd}")} END AS composite_h
  FROM rect
)
SELECT level, unit_id, n_visits, n_cases,
  {", ".join(f"{name}_n, {name}_r / 10000 AS {name}" for name in INDICATORS)},
  raw_h / 100 AS onsite_raw, onsite_h / 100 AS onsite, rect_h / 100 AS rectification,
  composite_h / 100 AS composite,
  CASE WHEN composite_h IS NOT NULL
       THEN rank() OVER (PARTITION BY level, composite_h IS NULL ORDER BY composite_h DESC) END AS rnk
FROM comp
"""


# --- comparison ---------------------------------------------------------------------------------------------


def compare(django: dict[str, list[Any]], duck: list[dict[str, Any]]) -> dict[str, Any]:
    """Unit by unit: counts exact, scores within 0.01, rates within 0.0001, ranks equal."""
    from chuangwen.rankings.config import INDICATORS

    ref = {(row["level"], row["unit_id"]): row for row in duck}
    units = mismatched = rank_diffs = 0
    worst = {"score": Decimal(0), "rate": Decimal(0)}
    problems: list[str] = []

    def differ(what: str, ours: Any, theirs: Any, tolerance: Decimal | None, key: tuple[str, int]) -> bool:
        if ours is None or theirs is None:
            same = ours is None and theirs is None
        elif tolerance is None:
            same = int(ours) == int(theirs)
        else:
            gap = abs(Decimal(ours) - Decimal(str(theirs)))
            kind = "score" if tolerance == SCORE_TOLERANCE else "rate"
            worst[kind] = max(worst[kind], gap)
            same = gap <= tolerance
        if not same and len(problems) < 10:
            problems.append(f"{key[0]} unit {key[1]} {what}: compute_all {ours} ≠ DuckDB {theirs}")
        return not same

    for level, scores in django.items():
        for s in scores:
            key = (str(level), s.unit_id)
            row = ref.pop(key, None)
            units += 1
            if row is None:
                mismatched += 1
                problems.append(f"{key[0]} unit {key[1]}: missing in DuckDB")
                continue
            bad = differ("visits", s.visits, row["n_visits"], None, key)
            bad |= differ("cases", s.cases, row["n_cases"], None, key)
            for name in INDICATORS:
                bad |= differ(f"{name} count", s.counts.get(name, 0), row[f"{name}_n"], None, key)
                bad |= differ(name, s.indicators.get(name), row[name], RATE_TOLERANCE, key)
            for name in SCORE_FIELDS:
                bad |= differ(name, getattr(s, name), row[name], SCORE_TOLERANCE, key)
            mismatched += bad
            rank_diffs += s.rank != row["rnk"]
    for key in ref:
        mismatched += 1
        problems.append(f"{key[0]} unit {key[1]}: only in DuckDB")
    return {
        "units": units,
        "mismatched": mismatched,
        "rank_diffs": rank_diffs,
        "worst": worst,
        "problems": problems,
    }
