"""The material review machine: ONE table, (state, action) → Step.

A unit's 信息员 (a handler or the unit head of the uploading unit) files and submits; the unit head approves
the unit's submission or returns it; then the 文明办's 网申组 (a coordinator whose unit holds the uploading
unit)
passes it or returns it with a comment and a new due date. A returned material goes back to its uploader, is
corrected (a new file or text) and submitted again. Nothing moves once the period is archived.
``services.act`` is the only writer and follows this table; ``allowed_actions`` tells the UI which buttons to
show; ``describe_table`` renders the table for docs/materials.md.

Scope comes first and is not a guard: the material must have been found through
``Material.objects.visible_to``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chuangwen.accounts.models import Role
from chuangwen.materials.models import Material, MaterialState

if TYPE_CHECKING:
    from chuangwen.accounts.models import User

S = MaterialState


class Refused(Exception):
    """An action that the table, the actor or the period does not allow; the message says why, in Chinese."""


def is_clerk(material: Material, actor: User) -> bool:
    """信息员: a handler or unit head of the uploading unit itself."""
    return actor.unit_id == material.unit_id and actor.role in (Role.HANDLER, Role.UNIT_HEAD)


def is_unit_head(material: Material, actor: User) -> bool:
    return actor.unit_id == material.unit_id and actor.role == Role.UNIT_HEAD


def is_reviewer(material: Material, actor: User) -> bool:
    """网申组: a coordinator whose unit holds both the uploading unit and the office that runs the period."""
    if actor.role != Role.COORDINATOR or actor.unit is None:
        return False
    path = actor.unit.path
    return material.unit.path.startswith(path) and material.task.period.owner_unit.path.startswith(path)


@dataclass(frozen=True)
class Who:
    label: Promise
    test: Callable[[Material, User], bool]


CLERK = Who(gettext_lazy("本单位信息员"), is_clerk)
UNIT_HEAD = Who(gettext_lazy("本单位负责人"), is_unit_head)
REVIEWER = Who(gettext_lazy("文明办网申组"), is_reviewer)


@dataclass(frozen=True)
class Step:
    to: MaterialState
    who: Who
    needs_comment: bool = False
    sets_due_date: bool = False  # a return by the 网申组 gives the uploader a new date to answer by


TABLE: dict[tuple[MaterialState, str], Step] = {
    (S.DRAFT, "submit"): Step(S.SUBMITTED, CLERK),
    (S.DRAFT, "withdraw"): Step(S.WITHDRAWN, CLERK),
    (S.SUBMITTED, "approve"): Step(S.UNIT_APPROVED, UNIT_HEAD),
    (S.SUBMITTED, "return"): Step(S.RETURNED, UNIT_HEAD, needs_comment=True),
    (S.UNIT_APPROVED, "pass"): Step(S.PASSED, REVIEWER),
    (S.UNIT_APPROVED, "return"): Step(S.RETURNED, REVIEWER, needs_comment=True, sets_due_date=True),
    (S.RETURNED, "resubmit"): Step(S.SUBMITTED, CLERK),
    (S.RETURNED, "withdraw"): Step(S.WITHDRAWN, CLERK),
}

# A file or text may be replaced only while the uploader holds the material.
REPLACEABLE = frozenset({S.DRAFT, S.RETURNED})

ACTION_LABELS: dict[str, Promise] = {
    "upload": gettext_lazy("上传"),
    "replace": gettext_lazy("更换材料"),
    "submit": gettext_lazy("提交单位审核"),
    "withdraw": gettext_lazy("撤回"),
    "approve": gettext_lazy("单位审核通过"),
    "return": gettext_lazy("退回"),
    "pass": gettext_lazy("网申组审核通过"),
    "resubmit": gettext_lazy("修改后重新提交"),
    "archive": gettext_lazy("归档"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def step_for(material: Material, action: str, actor: User) -> Step:
    """The step ``actor`` may take, or Refused saying why (period archived, wrong state, wrong person)."""
    if not material.task.period.is_open:
        raise Refused(_("申报周期已归档，材料不能再改动"))
    step = TABLE.get((MaterialState(material.state), action))
    if step is None:
        raise Refused(
            _("材料当前为“%(state)s”，不能“%(action)s”")
            % {"state": MaterialState(material.state).label, "action": action_label(action)}
        )
    if not step.who.test(material, actor):
        raise Refused(
            _("只有%(who)s可以“%(action)s”") % {"who": step.who.label, "action": action_label(action)}
        )
    return step


def allowed_actions(material: Material, actor: User) -> list[str]:
    if not material.task.period.is_open:
        return []
    state = MaterialState(material.state)
    return [action for (s, action), step in TABLE.items() if s == state and step.who.test(material, actor)]


def describe_table() -> str:
    """The table as Markdown, for the docs (a test keeps docs/materials.md equal to it)."""
    lines = ["| 状态 | 操作 | 新状态 | 谁可以 | 需要 |", "|---|---|---|---|---|"]
    for (state, action), step in TABLE.items():
        needs = []
        if step.needs_comment:
            needs.append(str(gettext_lazy("审核意见")))
        if step.sets_due_date:
            needs.append(str(gettext_lazy("新的完成时限")))
        lines.append(
            f"| `{state}` {MaterialState(state).label} | `{action}` {action_label(action)} "
            f"| `{step.to}` {step.to.label} | {step.who.label} | {'、'.join(needs) or '—'} |"
        )
    return "\n".join(lines)
