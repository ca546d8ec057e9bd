"""The bulletin workflow as one table: draft → review → sign-off by a leader → issue.

Each transition names the states it leaves from, the state it reaches, and who may take it. The services
(``services.transition``) are the only code that changes a bulletin's state, and they read this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from chuangwen.accounts.models import Role
from chuangwen.bulletins.models import BulletinState as S

if TYPE_CHECKING:
    from django.utils.functional import Promise


@dataclass(frozen=True)
class Transition:
    action: str
    label: Promise
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    needs_reason: bool = False
    # The person who drafted a bulletin does not review it (four eyes).
    not_drafter: bool = False


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("submit", _("提交审核"), frozenset({S.DRAFT}), S.IN_REVIEW, frozenset({Role.COORDINATOR})),
        Transition(
            "approve",
            _("审核通过"),
            frozenset({S.IN_REVIEW}),
            S.REVIEWED,
            frozenset({Role.COORDINATOR}),
            not_drafter=True,
        ),
        Transition(
            "return",
            _("退回修改"),
            frozenset({S.IN_REVIEW, S.REVIEWED}),
            S.DRAFT,
            frozenset({Role.COORDINATOR, Role.LEADER}),
            needs_reason=True,
        ),
        Transition("sign", _("签发"), frozenset({S.REVIEWED}), S.SIGNED, frozenset({Role.LEADER})),
        Transition("issue", _("印发"), frozenset({S.SIGNED}), S.ISSUED, frozenset({Role.COORDINATOR})),
    )
}

# States in which the office may still change wording, sources and typical problems.
EDITABLE = frozenset({S.DRAFT})
