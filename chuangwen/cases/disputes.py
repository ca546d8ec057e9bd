"""Disputes (推诿扯皮): cases that units send back and forth between them, read from the case history.

A case *bounces* from unit A to unit B when A had it (the unit of the latest routing event: triage_accept,
redispatch or reroute), A's head approved its return (``approve_return``) and the next routing event sent
it to B ≠ A. Pairs are unordered: A → B and later B → A on one case count that case once for {A, B}.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chuangwen.cases.models import Case, CaseEvent
from chuangwen.org.models import Unit

if TYPE_CHECKING:
    from chuangwen.accounts.models import User

ROUTING_ACTIONS = ("triage_accept", "redispatch", "reroute")
RETURN_ACTION = "approve_return"
DEFAULT_MIN_CASES = 2


@dataclass(frozen=True)
class CaseRef:
    id: int
    code: str
    title: str
    check_item: str


@dataclass
class UnitPair:
    """Two units and the cases that went back and forth between them."""

    units: tuple[int, int]
    names: tuple[str, str]
    cases: list[CaseRef] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.cases)

    @property
    def check_items(self) -> list[str]:
        return sorted({case.check_item for case in self.cases if case.check_item})


@dataclass(frozen=True)
class UnitReturns:
    unit_id: int
    name: str
    returns: int
    cases: int


@dataclass(frozen=True)
class Disputes:
    pairs: list[UnitPair]
    returns: list[UnitReturns]
    min_cases: int


@dataclass
class _Walk:
    """What one case's history says: its bounces (from, to) and the units that returned it."""

    bounces: set[tuple[int, int]] = field(default_factory=set)
    returned_by: list[int] = field(default_factory=list)


def walk(events: list[tuple[str, dict[str, Any]]]) -> _Walk:
    """Follow one case's routing and return events in order (action, data)."""
    result = _Walk()
    holder: int | None = None  # the unit that has the case now
    returner: int | None = None  # the unit whose return is not yet followed by a new routing
    for action, data in events:
        if action == RETURN_ACTION:
            if holder is not None:
                result.returned_by.append(holder)
                returner = holder
            continue
        unit_id = data.get("unit_id")
        if not isinstance(unit_id, int):
            continue
        if returner is not None and unit_id != returner:
            result.bounces.add((returner, unit_id))
        holder, returner = unit_id, None
    return result


def _histories(cases: Any) -> dict[int, list[tuple[str, dict[str, Any]]]]:
    """Routing and return events of the given cases that were ever returned, in order, by case."""
    returned = cases.filter(events__action=RETURN_ACTION).values("pk")
    rows = (
        CaseEvent.objects.filter(case_id__in=returned, action__in=(*ROUTING_ACTIONS, RETURN_ACTION))
        .order_by("case_id", "at", "id")
        .values_list("case_id", "action", "data")
    )
    histories: dict[int, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for case_id, action, data in rows:
        histories[case_id].append((action, data or {}))
    return histories


def _case_refs(ids: set[int]) -> dict[int, CaseRef]:
    rows = Case.objects.filter(pk__in=ids).select_related("check_item")
    return {
        case.pk: CaseRef(
            case.pk,
            case.code,
            case.title,
            f"{case.check_item.code} {case.check_item.text}" if case.check_item else "",
        )
        for case in rows
    }


def disputes_for(user: User, min_cases: int = DEFAULT_MIN_CASES) -> Disputes:
    """Unit pairs with at least ``min_cases`` bouncing cases, and returns made per unit, over the cases the
    user may see (``Case.objects.visible_to``)."""
    walks = {pk: walk(events) for pk, events in _histories(Case.objects.visible_to(user)).items()}
    by_pair: dict[tuple[int, int], set[int]] = defaultdict(set)
    returns: dict[int, int] = defaultdict(int)
    returned_cases: dict[int, set[int]] = defaultdict(set)
    for pk, result in walks.items():
        for a, b in result.bounces:
            by_pair[(min(a, b), max(a, b))].add(pk)
        for unit_id in result.returned_by:
            returns[unit_id] += 1
            returned_cases[unit_id].add(pk)
    kept = {pair: ids for pair, ids in by_pair.items() if len(ids) >= max(1, min_cases)}
    unit_ids = {unit for pair in kept for unit in pair} | set(returns)
    names = dict(Unit.objects.filter(pk__in=unit_ids).values_list("pk", "name"))
    refs = _case_refs({pk for ids in kept.values() for pk in ids})
    pairs = [
        UnitPair(
            pair,
            (names.get(pair[0], str(pair[0])), names.get(pair[1], str(pair[1]))),
            sorted((refs[pk] for pk in ids if pk in refs), key=lambda ref: ref.code),
        )
        for pair, ids in kept.items()
    ]
    pairs.sort(key=lambda pair: (-pair.count, pair.names))
    per_unit = [
        UnitReturns(unit_id, names.get(unit_id, str(unit_id)), n, len(returned_cases[unit_id]))
        for unit_id, n in returns.items()
    ]
    per_unit.sort(key=lambda row: (-row.returns, row.name))
    return Disputes(pairs, per_unit, min_cases)
