"""Results of a wave: weights, rates per measure (知晓率 …), per indicator and per question
with 95 % intervals,
for the wave's office and every street and community in its plan; the published snapshot; trends across
published waves (docs/surveys.md, "How rates are computed")."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.audit.services import record
from chuangwen.org.models import Unit
from chuangwen.surveys import weighting
from chuangwen.surveys.definition import definition, iter_questions
from chuangwen.surveys.models import Measure, QuotaCell, Response, ResponseStatus, Stratum, Wave, WaveState
from chuangwen.surveys.services import Refused

if TYPE_CHECKING:
    from chuangwen.accounts.models import User

# Post-stratification needs a few respondents in every cell with residents; otherwise the weights rake to the
# margins (stratum, age band, sex), which need only a few respondents per value of each.
MIN_CELL = 3


def _groups(defn: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """Question code → the groups (kind, key) its score counts in: its measure and its indicator."""
    out: dict[str, list[tuple[str, str]]] = {}
    for _section, q in iter_questions(defn):
        groups = []
        if q.get("measure"):
            groups.append(("measure", q["measure"]))
        if q.get("indicator"):
            groups.append(("indicator", q["indicator"]))
        if groups and defn["scores"].get(q["code"]):
            out[q["code"]] = groups
    return out


def weights_for(cells: dict[int, tuple[int, str, str, int]], sample: list[int]) -> tuple[str, list[float]]:
    """The method used and one weight per respondent (``sample`` holds each respondent's cell id).

    ``cells``: cell id → (stratum id, age band, sex, residents)."""
    counts = Counter(sample)
    populated = {c for c, (_s, _a, _x, pop) in cells.items() if pop > 0}
    if not populated:
        return "unweighted", [1.0] * len(sample)
    if all(counts.get(c, 0) >= MIN_CELL for c in populated) and all(c in populated for c in counts):
        per_cell = weighting.poststratify(counts, {c: cells[c][3] for c in counts})
        return "poststratification", [per_cell[c] for c in sample]
    margins: list[dict[Any, float]] = [defaultdict(float), defaultdict(float), defaultdict(float)]
    for stratum, age, sex, pop in cells.values():
        for dim, value in enumerate((stratum, age, sex)):
            margins[dim][value] += pop
    keys = [cells[c][:3] for c in sample]
    return "raking", weighting.rake(keys, margins)


def _lineages(strata: Iterable[Stratum], owner: Unit) -> dict[int, list[int]]:
    """Stratum id → the units its respondents count for: its unit and those above it up to the office."""
    owner_depth = len(owner.lineage_ids)
    return {s.pk: s.unit.lineage_ids[owner_depth - 1 :] for s in strata}


def compute(wave: Wave) -> dict[str, Any]:
    """The results as published: only accepted responses count; the counts say what was left out and why."""
    defn = definition(wave.questionnaire)
    groups = _groups(defn)
    scores = defn["scores"]
    strata = list(wave.strata.select_related("unit"))
    lineages = _lineages(strata, wave.owner_unit)
    cells = {
        c.pk: (c.stratum_id, c.age_band, c.sex, c.population)
        for c in QuotaCell.objects.filter(stratum__wave=wave)
    }
    rows = list(
        Response.objects.filter(wave=wave, status=ResponseStatus.ACCEPTED)
        .order_by()
        .values_list("cell_id", "stratum_id", "answers")
    )
    method, weights = weights_for(cells, [r[0] for r in rows])
    multiple = {q["code"] for _s, q in iter_questions(defn) if q["kind"] == "multiple"}
    sums, choice_weight = _accumulate(rows, weights, scores, groups, lineages, multiple)
    return _snapshot(wave, defn, strata, method, sums, choice_weight, len(rows))


def _accumulate(
    rows: list[tuple[int, int, dict[str, Any]]],
    weights: list[float],
    scores: dict[str, dict[str, Any]],
    groups: dict[str, list[tuple[str, str]]],
    lineages: dict[int, list[int]],
    multiple: set[str],
) -> tuple[dict[tuple[int, str, str], weighting.RateSums], dict[str, dict[str, float]]]:
    """Every group's sums per unit, and the weighted count of each choice.

    Every weighting method gives all respondents of one cell the same weight, so the pass over the answers
    only counts, per cell, how many respondents reached each (group, score) and chose each option; the weights
    are applied once per cell afterwards. A unit's sums are the sums of its strata (they are additive)."""
    keys: list[tuple[str, str]] = []
    index: dict[tuple[str, str], int] = {}
    members: dict[tuple[str, str], list[str]] = defaultdict(list)
    for code, code_groups in groups.items():
        for group in [*code_groups, ("question", code)]:
            members[group].append(code)
    # A group of one single-choice question is read off the choice counts after the pass (its score is the
    # chosen option's); only groups that average several questions, or take a 多选's best option, need each
    # respondent's own score during the pass.
    derived: dict[int, str] = {}
    lookup: dict[str, tuple[dict[str, float], tuple[int, ...]]] = {}
    for code, table in scores.items():
        ids: list[int] = []
        for group in [*groups[code], ("question", code)] if code in groups else []:
            if group not in index:
                index[group] = len(keys)
                keys.append(group)
            if len(members[group]) == 1 and code not in multiple:
                derived[index[group]] = code
            else:
                ids.append(index[group])
        lookup[code] = ({v: float(f) for v, f in table.items() if f is not None}, tuple(ids))
    reached: dict[int, dict[tuple[int, float], int]] = defaultdict(dict)
    chosen: dict[int, dict[tuple[str, str], int]] = defaultdict(dict)
    weight_of: dict[int, tuple[float, int]] = {}
    for (cell_id, stratum_id, answers), weight in zip(rows, weights, strict=True):
        weight_of[cell_id] = (weight, stratum_id)
        picks = chosen[cell_id]
        totals: dict[int, list[float]] = {}
        for code, value in answers.items():
            entry = lookup.get(code)
            if entry is None:
                continue
            table, gids = entry
            if isinstance(value, list):
                for v in value:
                    picks[(code, v)] = picks.get((code, v), 0) + 1
                found = [table[v] for v in value if v in table]
                if not found or not gids:
                    continue
                item = max(found)
            else:
                picks[(code, value)] = picks.get((code, value), 0) + 1
                if not gids or value not in table:
                    continue
                item = table[value]
            for gid in gids:
                acc = totals.get(gid)
                if acc is None:
                    totals[gid] = [item, 1.0]
                else:
                    acc[0] += item
                    acc[1] += 1.0
        mine = reached[cell_id]
        for gid, (total, count) in totals.items():
            key = (gid, total / count)
            mine[key] = mine.get(key, 0) + 1
    derived_of: dict[str, list[int]] = defaultdict(list)
    for gid, code in derived.items():
        derived_of[code].append(gid)
    for cell_id, picks in chosen.items():
        mine = reached[cell_id]
        for (code, value), n in picks.items():
            table = lookup[code][0]
            if value not in table:
                continue
            for gid in derived_of.get(code, ()):
                key = (gid, table[value])
                mine[key] = mine.get(key, 0) + n
    sums: dict[tuple[int, str, str], weighting.RateSums] = defaultdict(weighting.RateSums)
    choice_weight: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for cell_id, (weight, stratum_id) in weight_of.items():
        w2 = weight * weight
        for (gid, score), n in reached[cell_id].items():
            kind, name = keys[gid]
            vec = (n, n * weight, n * weight * score, n * w2, n * w2 * score, n * w2 * score * score)
            for unit_id in [0] if kind == "question" else lineages[stratum_id]:
                sums[(unit_id, kind, name)].merge(vec)
        for (code, value), n in chosen[cell_id].items():
            choice_weight[code][value] += n * weight
    return sums, choice_weight


def _rate(
    sums: dict[tuple[int, str, str], weighting.RateSums], key: tuple[int, str, str]
) -> dict[str, Any] | None:
    found = sums.get(key)
    rate = found.rate() if found else None
    return rate.as_dict() if rate else None


def _snapshot(
    wave: Wave, defn: dict[str, Any], strata: list[Stratum], method: str,
    sums: dict[tuple[int, str, str], weighting.RateSums],
    choice_weight: dict[str, dict[str, float]],
    counted: int,
) -> dict[str, Any]:  # fmt: skip
    indicators = sorted({key for (_u, kind, key) in sums if kind == "indicator"})
    measures = [m for m in Measure.values if any(kind == "measure" and key == m for (_u, kind, key) in sums)]
    unit_ids = {u for s in strata for u in _lineages([s], wave.owner_unit)[s.pk]}
    units = {u.pk: u for u in Unit.objects.filter(pk__in=unit_ids)}
    filled = {s.unit_id: s for s in strata}
    out_units: dict[str, Any] = {}
    for pk, unit in sorted(units.items(), key=lambda kv: (kv[1].depth, kv[1].sort_order, kv[1].code)):
        out_units[str(pk)] = {
            "name": unit.name,
            "code": unit.code,
            "depth": unit.depth,
            "parent": unit.parent_id if unit.pk != wave.owner_unit_id else None,
            "stratum": pk in filled,
            "target": filled[pk].target if pk in filled else None,
            "measures": {m: _rate(sums, (pk, "measure", m)) for m in measures},
            "indicators": {i: _rate(sums, (pk, "indicator", i)) for i in indicators},
        }
    by_status = dict(
        Response.objects.filter(wave=wave)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    questions = []
    for _section, q in iter_questions(defn):
        shares = choice_weight.get(q["code"], {})
        total = sum(shares.values())
        questions.append(
            {
                "code": q["code"],
                "text": q["text"],
                "measure": q.get("measure") or "",
                "indicator": q.get("indicator") or "",
                "rate": _rate(sums, (0, "question", q["code"])),
                "choices": [
                    {
                        "value": c["value"],
                        "label": c["label"],
                        "share": round(shares.get(str(c["value"]), 0.0) / total, 6) if total else None,
                    }
                    for c in q["choices"]
                ],
            }
        )
    return {
        "wave": wave.pk,
        "questionnaire": {"code": defn["code"], "version": defn["version"], "title": defn["title"]},
        "owner": wave.owner_unit_id,
        "computed_at": timezone.now().isoformat(),
        "method": method,
        "measures": measures,
        "indicators": indicators,
        "counts": {
            "accepted": counted,
            "flagged": by_status.get(ResponseStatus.FLAGGED, 0),
            "rejected": by_status.get(ResponseStatus.REJECTED, 0),
            "excluded_coaching": by_status.get(ResponseStatus.EXCLUDED, 0),
        },
        "units": out_units,
        "questions": questions,
    }


def publish(wave: Wave, user: User) -> Wave:
    """发布: the results are computed once more and frozen; a published wave never changes."""
    if wave.state != WaveState.CLOSED:
        raise Refused("state", _("只有已结束的调查可以发布结果"))
    pending = Response.objects.filter(wave=wave, status=ResponseStatus.FLAGGED).count()
    if pending:
        raise Refused("pending", _("还有 %(n)s 份待审核的答卷，请先审核再发布") % {"n": pending})
    with transaction.atomic():
        locked = Wave.objects.select_for_update().get(pk=wave.pk)
        if locked.state != WaveState.CLOSED:
            raise Refused("state", _("只有已结束的调查可以发布结果"))
        locked.results = compute(locked)
        locked.state, locked.published_at, locked.published_by = WaveState.PUBLISHED, timezone.now(), user
        locked.save(update_fields=["results", "state", "published_at", "published_by"])
        record(
            None,
            "survey.wave.publish",
            obj=locked,
            actor=user,
            detail={"accepted": locked.results["counts"]["accepted"]},
        )
    return locked


def results_of(wave: Wave) -> dict[str, Any]:
    """The published snapshot, or the results as they stand now for a wave still running."""
    return wave.results if wave.state == WaveState.PUBLISHED and wave.results else compute(wave)


def visible_units(snapshot: dict[str, Any], user: User) -> dict[str, Any]:
    """The rows a user may see: the office's overall row and the user's own subtree."""
    unit = user.unit if user.is_authenticated else None
    if unit is None:
        return {}
    mine = {str(pk) for pk in Unit.objects.filter(path__startswith=unit.path).values_list("pk", flat=True)}
    owner = str(snapshot["owner"])
    return {pk: row for pk, row in snapshot["units"].items() if pk in mine or pk == owner}


def unit_scores(as_of: datetime) -> dict[int, tuple[float, int]]:
    """For the composite index: unit id → (mean of its measure rates, wave id) in the latest wave published at
    or before ``as_of`` that covers the unit."""
    out: dict[int, tuple[float, int]] = {}
    waves = Wave.objects.filter(state=WaveState.PUBLISHED, published_at__lte=as_of).order_by(
        "published_at", "pk"
    )
    for wave_id, snapshot in waves.values_list("pk", "results"):
        for pk, row in (snapshot or {}).get("units", {}).items():
            rates = [r["rate"] for r in row["measures"].values() if r]
            if rates:
                out[int(pk)] = (sum(rates) / len(rates), wave_id)
    return out
