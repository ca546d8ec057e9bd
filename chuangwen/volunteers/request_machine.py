"""The service-request workflow (点单 → 派单 → 接单 → 评单) as one table.

Each transition names the states it leaves from, the state it reaches, who may take it (a named predicate of
the request and the actor) and what the actor must give. ``requests.transition`` is the only code that
changes a request's state, and it reads this table; ``allowed_actions`` tells the pages which buttons to
show; ``describe_table`` renders it for the documentation.

The actor is a signed-in ``User`` (the staff of the request's community or a unit above it, a team's
managers) or the ``Requester`` holding the request's access token (the link the resident keeps).
Scope comes first and is not a predicate here: staff find a request through ``requests.visible``.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from chuangwen.accounts.models import User
from chuangwen.volunteers import services
from chuangwen.volunteers.models import RequestState as S

if TYPE_CHECKING:
    from django.utils.functional import Promise

    from chuangwen.volunteers.models import ServiceRequest


@dataclass(frozen=True)
class Requester:
    """The resident who submitted the request, proven by the access token of the follow link."""

    token: str


Actor = User | Requester


def _is_staff(request: ServiceRequest, actor: Actor) -> bool:
    """Coordinators, unit heads and handlers of the request's community or a unit above it."""
    return isinstance(actor, User) and services.is_staff_for(actor, request.unit)


def _is_team(request: ServiceRequest, actor: Actor) -> bool:
    """A manager of the team the request was dispatched to (its own managers, the staff of its unit)."""
    return isinstance(actor, User) and request.team is not None and services.manages_team(actor, request.team)


def _is_requester(request: ServiceRequest, actor: Actor) -> bool:
    return isinstance(actor, Requester) and hmac.compare_digest(
        actor.token.encode(), request.access_token.encode()
    )


@dataclass(frozen=True)
class Who:
    """Who may take a transition: ``test`` decides, ``label`` says it in the refusal and the docs."""

    name: str
    test: Callable[[ServiceRequest, Actor], bool]
    label: Promise


STAFF = Who("staff", _is_staff, _("所在社区或上级单位的工作人员"))
TEAM = Who("team", _is_team, _("接单队伍的管理员"))
REQUESTER = Who("requester", _is_requester, _("点单人（凭查询链接）"))
REQUESTER_OR_STAFF = Who(
    "requester_or_staff",
    lambda request, actor: _is_requester(request, actor) or _is_staff(request, actor),
    _("点单人或所在社区、上级单位的工作人员"),
)


@dataclass(frozen=True)
class Transition:
    action: str
    label: Promise
    sources: frozenset[str]
    target: str
    who: Who
    needs_reason: bool = False
    # 派单 names the team; 服务完成 may note what was done and link an activity; 评单 gives stars.
    needs_team: bool = False
    takes_note: bool = False
    takes_activity: bool = False
    takes_rating: bool = False


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("approve", _("审核通过"), frozenset({S.SUBMITTED}), S.APPROVED, STAFF),
        Transition("reject", _("不予受理"), frozenset({S.SUBMITTED}), S.REJECTED, STAFF, needs_reason=True),
        Transition("dispatch", _("派单"), frozenset({S.APPROVED}), S.DISPATCHED, STAFF, needs_team=True),
        Transition("take", _("接单"), frozenset({S.DISPATCHED}), S.TAKEN, TEAM),
        Transition("decline", _("退回"), frozenset({S.DISPATCHED}), S.APPROVED, TEAM, needs_reason=True),
        Transition(
            "complete",
            _("服务完成"),
            frozenset({S.TAKEN}),
            S.DONE,
            TEAM,
            takes_note=True,
            takes_activity=True,
        ),
        Transition("rate", _("评价"), frozenset({S.DONE}), S.RATED, REQUESTER, takes_rating=True),
        Transition(
            "cancel",
            _("撤销"),
            frozenset({S.SUBMITTED, S.APPROVED}),
            S.CANCELLED,
            REQUESTER_OR_STAFF,
            takes_note=True,
        ),
    )
}

ACTIONS: tuple[str, ...] = tuple(TRANSITIONS)
# States nobody leaves.
FINAL = frozenset(S.values) - {state for t in TRANSITIONS.values() for state in t.sources}
# States in which the request still waits on the district (the staff list shows them first).
OPEN = frozenset({S.SUBMITTED, S.APPROVED, S.DISPATCHED, S.TAKEN})

assert {t.target for t in TRANSITIONS.values()} <= set(S.values)
assert FINAL == {S.REJECTED, S.RATED, S.CANCELLED}


def who_may(request: ServiceRequest, transition: Transition, actor: Actor) -> bool:
    return transition.who.test(request, actor)


def available(request: ServiceRequest, actor: Actor) -> list[Transition]:
    """The transitions the actor may take on the request in its current state, in the table's order."""
    return [t for t in TRANSITIONS.values() if request.state in t.sources and who_may(request, t, actor)]


def describe_table() -> str:
    """The table as Markdown, one row per transition (docs/volunteers.md)."""
    lines = [
        "| 操作 | 名称 | 从 | 到 | 谁可以 | 须提供 |",
        "|---|---|---|---|---|---|",
    ]
    for t in TRANSITIONS.values():
        sources = "、".join(f"`{s}` {S(s).label}" for s in sorted(t.sources, key=S.values.index))
        needs = [
            text
            for flag, text in (
                (t.needs_reason, "理由（必填）"),
                (t.needs_team, "服务队伍"),
                (t.takes_note, "说明（选填）"),
                (t.takes_activity, "本队伍的服务活动（选填）"),
                (t.takes_rating, "1–5 星及评价意见（不超过 300 字）"),
            )
            if flag
        ]
        lines.append(
            f"| `{t.action}` | {t.label} | {sources} | `{t.target}` {S(t.target).label} | "
            f"{t.who.label} | {'、'.join(needs) or '—'} |"
        )
    return "\n".join(lines)
