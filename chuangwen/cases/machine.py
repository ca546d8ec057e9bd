"""The case state machine: ONE table, (state, action) → Transition.

A transition names the next state, the roles that may take it, what the actor must give (``requires``),
the extra guards that must hold (named predicates below) and the effects on the case's other fields (named
functions below). ``services.apply`` is the only writer and follows this table; ``allowed_actions`` tells the
UI which buttons to show; ``describe_table`` renders the table for docs/cases.md.

Scope comes first and is not a guard: the case must have been found through ``Case.objects.visible_to``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chuangwen.accounts.models import Role
from chuangwen.cases import deadlines
from chuangwen.cases.exceptions import TransitionRefused
from chuangwen.cases.models import OPEN_STATES, Case, CaseSource, CaseState

if TYPE_CHECKING:
    from chuangwen.accounts.models import User
    from chuangwen.evidence.models import Evidence
    from chuangwen.org.models import Unit

S = CaseState
# Re-verification picks are not a secret to guess; SystemRandom keeps them out of any seeded test sequence.
_random = random.SystemRandom()

# What an action may require the actor to give.
REASON, UNIT, PHOTOS, PLANNED_DATE, DEADLINE, DUPLICATE_OF = (
    "reason",
    "unit",
    "photos",
    "planned_date",
    "deadline",
    "duplicate_of",
)

ACTION_LABELS: dict[str, Promise] = {
    "triage_accept": gettext_lazy("分拣派遣"),
    "reject": gettext_lazy("不予受理"),
    "mark_duplicate": gettext_lazy("标记重复"),
    "redispatch": gettext_lazy("重新派遣"),
    "reroute": gettext_lazy("改派"),
    "request_extension": gettext_lazy("申请延期"),
    "approve_extension": gettext_lazy("批准延期"),
    "decline_extension": gettext_lazy("驳回延期申请"),
    "accept": gettext_lazy("受理"),
    "request_return": gettext_lazy("申请退回"),
    "approve_return": gettext_lazy("批准退回"),
    "decline_return": gettext_lazy("驳回退回申请"),
    "rectify": gettext_lazy("报告整改"),
    "verify_pass": gettext_lazy("核查通过"),
    "verify_fail": gettext_lazy("核查不通过"),
    "reverify_pass": gettext_lazy("抽查复核通过"),
    "reverify_fail": gettext_lazy("抽查复核不通过"),
    "suspend": gettext_lazy("挂账"),
    "resume": gettext_lazy("恢复整改"),
    "cancel": gettext_lazy("撤销"),
    "reopen": gettext_lazy("重新打开"),
    "reporter_reopen": gettext_lazy("市民申请重新办理"),
}

NEED_LABELS: dict[str, Promise] = {
    REASON: gettext_lazy("理由"),
    UNIT: gettext_lazy("责任单位"),
    PHOTOS: gettext_lazy("照片"),
    PLANNED_DATE: gettext_lazy("计划完成日期"),
    DEADLINE: gettext_lazy("期限"),
    DUPLICATE_OF: gettext_lazy("重复的案卷"),
}


@dataclass(frozen=True)
class Given:
    """What the actor gave with the action (already validated by the service)."""

    actor: User
    reason: str = ""
    unit: Unit | None = None
    photos: tuple[Evidence, ...] = ()
    planned_date: date | None = None
    deadline: datetime | None = None
    warn_at: datetime | None = None  # of ``deadline``, when the opener computed it already (hotline, intake)
    data: dict[str, Any] = field(default_factory=dict)


# --- guards: (case, actor) → holds? Each has the message shown when it does not. ---------------------------


def own_unit(case: Case, actor: User) -> bool:
    """The case is routed to the actor's unit (or a unit below it)."""
    if case.unit_id is None or actor.unit_id is None or case.unit is None or actor.unit is None:
        return False
    return case.unit.path.startswith(actor.unit.path)


def not_rectifier(case: Case, actor: User) -> bool:
    """Separation of duties: whoever reported a fix of this case (now or in an earlier round of rework)
    never verifies it."""
    if case.rectified_by_id == actor.pk:
        return False
    return not case.events.filter(action="rectify", actor=actor).exists()


def return_pending(case: Case, actor: User) -> bool:
    """A handler's return request awaits the unit head (unit_head_approval)."""
    return case.return_requested


def no_return_pending(case: Case, actor: User) -> bool:
    return not case.return_requested


def extension_pending(case: Case, actor: User) -> bool:
    return case.extension_requested_until is not None


def no_extension_pending(case: Case, actor: User) -> bool:
    return case.extension_requested_until is None


def reverify_pending(case: Case, actor: User) -> bool:
    """The closed case was picked at random for a second check (抽查复核)."""
    return case.reverify_pending


@dataclass(frozen=True)
class Guard:
    test: Callable[[Case, User], bool]
    message: Promise


GUARDS: dict[str, Guard] = {
    "own_unit": Guard(own_unit, gettext_lazy("只有责任单位的人员可以办理本案卷")),
    "not_rectifier": Guard(not_rectifier, gettext_lazy("整改人不能核查自己整改的案卷")),
    "return_pending": Guard(return_pending, gettext_lazy("本案卷没有待审批的退回申请")),
    "no_return_pending": Guard(no_return_pending, gettext_lazy("本案卷已有待审批的退回申请")),
    "extension_pending": Guard(extension_pending, gettext_lazy("本案卷没有待审批的延期申请")),
    "no_extension_pending": Guard(no_extension_pending, gettext_lazy("本案卷已有待审批的延期申请")),
    "reverify_pending": Guard(reverify_pending, gettext_lazy("本案卷未被抽中复核")),
}

# --- effects: (case, given) → field updates applied together with the state change ---------------------

Effect = Callable[[Case, Given], dict[str, Any]]


def _route(case: Case, given: Given) -> dict[str, Any]:
    """A new unit; a fresh deadline from now unless one is given (then its time runs from the opening) or
    the case is only rerouted (改派 keeps the running deadline)."""
    updates: dict[str, Any] = {"unit": given.unit, "return_requested": False}
    now = timezone.now()
    if given.deadline is not None:  # computed by the opener from the case's opening (intake, hotline)
        start = min(case.opened_at, now)
        updates.update(deadlines.deadline_fields(start, given.deadline, warn_at=given.warn_at))
    elif case.deadline is None or case.state != S.DISPATCHED:
        updates.update(deadlines.deadline_fields(now, deadlines.rework_deadline(case, now)))
    return updates


def _rework_deadline(case: Case, given: Given) -> dict[str, Any]:
    now = timezone.now()
    return deadlines.deadline_fields(now, deadlines.rework_deadline(case, now))


def _grant_extension(case: Case, given: Given) -> dict[str, Any]:
    assert case.extension_requested_until is not None  # the extension_pending guard
    start = case.deadline_from or case.opened_at
    return {
        **deadlines.deadline_fields(start, case.extension_requested_until),
        "extension_requested_until": None,
        "extension_count": F("extension_count") + 1,
    }


def _pick_reverify(case: Case, given: Given) -> dict[str, Any]:
    """A configurable share of closed cases is checked again by someone else (CASES_REVERIFY_SHARE)."""
    share = float(settings.CASES_REVERIFY_SHARE)
    return {"reverify_pending": _random.random() < share}


EFFECTS: dict[str, Effect] = {
    "route": _route,
    "rework_deadline": _rework_deadline,
    "flag_extension": lambda case, given: {"extension_requested_until": given.deadline},
    "grant_extension": _grant_extension,
    "clear_extension": lambda case, given: {"extension_requested_until": None},
    "pick_reverify": _pick_reverify,
    "clear_reverify": lambda case, given: {"reverify_pending": False},
    "flag_return": lambda case, given: {"return_requested": True},
    "clear_return": lambda case, given: {"return_requested": False},
    "mark_rectifier": lambda case, given: {"rectified_by": given.actor},
    "count_rework": lambda case, given: {"rework_count": F("rework_count") + 1},
    "close": lambda case, given: {"closed_at": timezone.now()},
    "unclose": lambda case, given: {"closed_at": None},
    "suspend": lambda case, given: {"suspended_until": given.planned_date},
    "unsuspend": lambda case, given: {"suspended_until": None},
}


@dataclass(frozen=True)
class Transition:
    to_state: str
    roles: frozenset[str]
    requires: frozenset[str] = frozenset()
    guards: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()


def _t(
    to: str,
    roles: set[str],
    requires: set[str] | None = None,
    guards: tuple[str, ...] = (),
    effects: tuple[str, ...] = (),
) -> Transition:
    return Transition(to, frozenset(roles), frozenset(requires or ()), guards, effects)


COORD = {Role.COORDINATOR.value}
UNIT_PEOPLE = {Role.HANDLER.value, Role.UNIT_HEAD.value}
HEAD = {Role.UNIT_HEAD.value}
VERIFIER = {Role.VERIFIER.value}

TABLE: dict[tuple[str, str], Transition] = {
    # triage of a new case
    (S.NEW, "triage_accept"): _t(S.DISPATCHED, COORD, {UNIT}, effects=("route",)),
    (S.NEW, "reject"): _t(S.REJECTED, COORD, {REASON}),
    (S.NEW, "mark_duplicate"): _t(S.DUPLICATE, COORD, {REASON, DUPLICATE_OF}),
    # the unit takes it, or sends it back (a handler asks, the unit head decides)
    (S.DISPATCHED, "accept"): _t(S.ACCEPTED, UNIT_PEOPLE, guards=("own_unit",), effects=("clear_return",)),
    (S.DISPATCHED, "request_return"): _t(
        S.DISPATCHED, UNIT_PEOPLE, {REASON}, ("own_unit", "no_return_pending"), ("flag_return",)
    ),
    (S.DISPATCHED, "approve_return"): _t(
        S.RETURNED, HEAD, guards=("own_unit", "return_pending"), effects=("clear_return",)
    ),
    (S.DISPATCHED, "decline_return"): _t(
        S.DISPATCHED, HEAD, {REASON}, ("own_unit", "return_pending"), ("clear_return",)
    ),
    (S.DISPATCHED, "reroute"): _t(S.DISPATCHED, COORD, {UNIT, REASON}, effects=("route",)),
    (S.RETURNED, "redispatch"): _t(S.DISPATCHED, COORD, {UNIT}, effects=("route",)),
    # the fix and its verification
    (S.ACCEPTED, "rectify"): _t(
        S.RECTIFIED, UNIT_PEOPLE, {REASON, PHOTOS}, ("own_unit",), ("mark_rectifier",)
    ),
    (S.REWORK, "rectify"): _t(S.RECTIFIED, UNIT_PEOPLE, {REASON, PHOTOS}, ("own_unit",), ("mark_rectifier",)),
    (S.RECTIFIED, "verify_pass"): _t(
        S.CLOSED, VERIFIER, guards=("not_rectifier",), effects=("close", "clear_extension", "pick_reverify")
    ),
    (S.RECTIFIED, "verify_fail"): _t(
        S.REWORK, VERIFIER, {REASON}, ("not_rectifier",), ("count_rework", "rework_deadline")
    ),
    (S.CLOSED, "reverify_pass"): _t(
        S.CLOSED, VERIFIER, guards=("reverify_pending", "not_rectifier"), effects=("clear_reverify",)
    ),
    (S.CLOSED, "reverify_fail"): _t(
        S.REWORK,
        VERIFIER,
        {REASON},
        ("reverify_pending", "not_rectifier"),
        ("count_rework", "unclose", "clear_reverify", "rework_deadline"),
    ),
    (S.CLOSED, "reopen"): _t(
        S.REWORK, COORD, {REASON}, effects=("count_rework", "unclose", "clear_reverify", "rework_deadline")
    ),
    # the citizen who reported it says it is not fixed (within REPORTS_REOPEN_DAYS; reports.services checks)
    (S.CLOSED, "reporter_reopen"): _t(
        S.REWORK,
        {Role.CITIZEN.value},
        {REASON},
        effects=("count_rework", "unclose", "clear_reverify", "rework_deadline"),
    ),
    # more time: the unit asks, its head (or the coordinator) decides
    **{
        (state, "request_extension"): _t(
            state, UNIT_PEOPLE, {REASON, DEADLINE}, ("own_unit", "no_extension_pending"), ("flag_extension",)
        )
        for state in (S.ACCEPTED, S.REWORK)
    },
    **{
        (state, "approve_extension"): _t(
            state, HEAD | COORD, guards=("own_unit", "extension_pending"), effects=("grant_extension",)
        )
        for state in (S.ACCEPTED, S.REWORK)
    },
    **{
        (state, "decline_extension"): _t(
            state, HEAD | COORD, {REASON}, ("own_unit", "extension_pending"), ("clear_extension",)
        )
        for state in (S.ACCEPTED, S.REWORK)
    },
    # long projects (挂账)
    (S.ACCEPTED, "suspend"): _t(
        S.SUSPENDED, COORD, {REASON, PLANNED_DATE}, effects=("suspend", "clear_extension")
    ),
    (S.REWORK, "suspend"): _t(
        S.SUSPENDED, COORD, {REASON, PLANNED_DATE}, effects=("suspend", "clear_extension")
    ),
    (S.SUSPENDED, "resume"): _t(S.ACCEPTED, COORD, effects=("unsuspend",)),
    # withdrawal of any open case
    **{
        (state, "cancel"): _t(
            S.CANCELLED, COORD, {REASON}, effects=("clear_return", "clear_extension", "unsuspend")
        )
        for state in sorted(OPEN_STATES)
    },
}

# The opening: a case comes to exist in the state its source gives it (``services.open_case`` is the only
# door). A finding, a 12345 order and a citizen's report wait in ``new`` for triage (the hotline import then
# triages its order at once, through ``triage_accept``); a leader's or coordinator's instruction case is
# dispatched from birth, to the unit and with the deadline the instruction names.
OPENINGS: dict[str, str] = {
    CaseSource.FINDING: S.NEW,
    CaseSource.HOTLINE: S.NEW,
    CaseSource.CITIZEN: S.NEW,
    CaseSource.INSTRUCTION: S.DISPATCHED,
}
assert set(OPENINGS) == set(CaseSource.values)

ACTIONS: tuple[str, ...] = tuple(ACTION_LABELS)
assert {action for _state, action in TABLE} == set(ACTIONS)
for _transition in TABLE.values():
    assert set(_transition.guards) <= set(GUARDS) and set(_transition.effects) <= set(EFFECTS)


# History events that are not transitions of the table.
OTHER_EVENT_LABELS: dict[str, Promise] = {"open": gettext_lazy("立案"), "instruct": gettext_lazy("督办")}


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action) or OTHER_EVENT_LABELS.get(action)
    return str(label) if label is not None else action


def check(case: Case, action: str, actor: User) -> Transition:
    """The transition the actor may take now, or TransitionRefused saying why not (state, role, guard)."""
    if action not in ACTION_LABELS:
        raise TransitionRefused(_("未知操作：%(action)s") % {"action": action})
    transition = TABLE.get((case.state, action))
    if transition is None:
        raise TransitionRefused(
            _("案卷当前状态为“%(state)s”，不能%(action)s")
            % {"state": case.get_state_display(), "action": action_label(action)}
        )
    if actor.role not in transition.roles:
        who = "、".join(str(Role(role).label) for role in sorted(transition.roles))
        raise TransitionRefused(_("只有%(who)s可以%(action)s") % {"who": who, "action": action_label(action)})
    for name in transition.guards:
        guard = GUARDS[name]
        if not guard.test(case, actor):
            raise TransitionRefused(str(guard.message))
    return transition


def allowed_actions(case: Case, user: User) -> list[str]:
    """The actions the viewer may take on the case now (the case must come from ``visible_to(user)``)."""
    allowed = []
    for action in ACTIONS:
        try:
            check(case, action, user)
        except TransitionRefused:
            continue
        allowed.append(action)
    return allowed


def describe_table() -> str:
    """The table as Markdown, one row per (state, action), in the order of the actions."""
    head = [
        "| "
        + " | ".join(
            [_("当前状态"), _("操作"), _("下一状态"), _("谁可以"), _("必须提供"), _("条件"), _("效果")]
        )
        + " |",
        "|---|---|---|---|---|---|---|",
    ]
    order = {state: i for i, state in enumerate(S.values)}
    rows = sorted(TABLE.items(), key=lambda item: (ACTIONS.index(item[0][1]), order[item[0][0]]))
    lines = [
        "| {} | {} | {} | {} | {} | {} | {} |".format(
            f"`{state}` {S(state).label}",
            f"`{action}` {action_label(action)}",
            f"`{t.to_state}` {S(t.to_state).label}",
            "、".join(f"`{role}`" for role in sorted(t.roles)),
            "、".join(f"`{need}` {NEED_LABELS[need]}" for need in sorted(t.requires)) or "—",
            "、".join(f"`{guard}`" for guard in t.guards) or "—",
            "、".join(f"`{effect}`" for effect in t.effects) or "—",
        )
        for (state, action), t in rows
    ]
    return "\n".join(head + lines) + "\n"
