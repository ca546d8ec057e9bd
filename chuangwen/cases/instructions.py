"""Instructions (督办): a leader or coordinator presses a case with a text and a deadline of its own.

An instruction is no state change: it adds an ``Instruction`` row and an ``instruct`` event to the history
(from and to the case's current state) and an audit entry. ``open_instruction_case`` opens a case for a
problem that has none yet, dispatched straight to the unit with the instruction's deadline.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.accounts.capabilities import may_instruct
from chuangwen.audit.services import record
from chuangwen.cases import services
from chuangwen.cases.deadlines import deadline_fields
from chuangwen.cases.exceptions import CaseNotFound, TransitionRefused
from chuangwen.cases.models import OPEN_STATES, Case, CaseEvent, CaseSource, Instruction
from chuangwen.core.bounds import check_date
from chuangwen.org.models import Unit
from chuangwen.sites.models import Site

if TYPE_CHECKING:
    from django.http import HttpRequest

    from chuangwen.accounts.models import User

TEXT_MAX = 2000


def _refuse_role(actor: User) -> None:
    if not may_instruct(actor):
        raise TransitionRefused(_("只有区领导、文明办协调员可以督办"))


def _check_text_and_deadline(text: str, deadline: datetime | None, errors: dict[str, list[str]]) -> None:
    if not text.strip():
        errors.setdefault("text", []).append(_("督办要求不能为空"))
    elif len(text.strip()) > TEXT_MAX:
        errors.setdefault("text", []).append(_("督办要求不能超过 %(n)s 个字") % {"n": TEXT_MAX})
    if deadline is None:
        errors.setdefault("deadline", []).append(_("督办须填写期限"))
    elif deadline <= timezone.now():
        errors.setdefault("deadline", []).append(_("督办期限须晚于现在"))
    else:
        check_date(errors, "deadline", deadline, _("督办期限"))


def _add(case: Case, actor: User, text: str, deadline: datetime, request: HttpRequest | None) -> Instruction:
    now = timezone.now()
    instruction = Instruction.objects.create(
        case=case, text=text, deadline=deadline, issued_by=actor, issued_at=now
    )
    data = {"instruction_id": instruction.pk, "deadline": deadline.isoformat()}
    CaseEvent.objects.create(
        case=case, action="instruct", from_state=case.state, to_state=case.state, actor=actor, at=now,
        reason=text, data=data,
    )  # fmt: skip
    record(request, "case.instruct", obj=case, actor=actor, detail=data)
    return instruction


def instruct(
    case: Case, actor: User, text: str, deadline: datetime | None, request: HttpRequest | None = None
) -> Instruction:
    """督办 a case the actor can see. Raises CaseNotFound outside his scope, TransitionRefused for other roles
    or a finished case, ValidationError keyed by ``text`` / ``deadline``."""
    _refuse_role(actor)
    errors: dict[str, list[str]] = {}
    _check_text_and_deadline(text, deadline, errors)  # before the write transaction: nothing to hold it for
    with transaction.atomic():
        current = Case.objects.visible_to(actor).filter(pk=case.pk).first()
        if current is None:
            raise CaseNotFound()
        if current.state not in OPEN_STATES:
            raise TransitionRefused(
                _("案卷当前状态为“%(state)s”，不能督办") % {"state": current.get_state_display()}
            )
        if errors:
            raise ValidationError(errors)
        assert deadline is not None
        return _add(current, actor, text.strip(), deadline, request)


def _check_new_case(
    actor: User, unit: Unit | None, title: str, site: Site | None, errors: dict[str, list[str]]
) -> None:
    if unit is None or not Unit.objects.visible_to(actor).filter(pk=unit.pk, active=True).exists():
        errors.setdefault("unit", []).append(_("责任单位不存在或不在您的管辖范围内"))
    if not title.strip():
        errors.setdefault("title", []).append(_("标题不能为空"))
    elif len(title.strip()) > 200:
        errors.setdefault("title", []).append(_("标题不能超过 200 个字"))
    if site is not None and not Site.objects.visible_to(actor).filter(pk=site.pk).exists():
        errors.setdefault("site", []).append(_("点位不存在或不在您的管辖范围内"))


def open_instruction_case(
    actor: User,
    unit: Unit | None,
    title: str,
    description: str,
    deadline: datetime | None,
    site: Site | None = None,
    *,
    text: str = "",
    request: HttpRequest | None = None,
) -> Case:
    """A case for a problem a leader or coordinator names, dispatched straight to ``unit`` with ``deadline``
    (its allowed time runs from now), plus the instruction itself (``text``, default the title)."""
    _refuse_role(actor)
    errors: dict[str, list[str]] = {}
    _check_new_case(actor, unit, title, site, errors)
    _check_text_and_deadline(text or title, deadline, errors)
    if errors:
        raise ValidationError(errors)
    assert unit is not None and deadline is not None
    now = timezone.now()
    # Working days are counted before the write transaction starts, so the lock is never held for them.
    times = deadline_fields(now, deadline)
    with transaction.atomic():
        case = services.open_case(
            CaseSource.INSTRUCTION, actor, request=request,
            data={"unit_id": unit.pk, "unit_name": unit.name},
            event_data={"deadline": deadline.isoformat()},
            title=title.strip(), description=description.strip(), unit=unit, site=site,
            area_unit=site.area_unit if site is not None else unit,
            lat=site.lat if site else None, lng=site.lng if site else None,
            address=site.address[:200] if site else "",
            opened_at=now, **times,
        )  # fmt: skip
        _add(case, actor, (text or title).strip(), deadline, request)
    return case


def instruction_rows(case: Case, now: datetime) -> list[tuple[Instruction, bool]]:
    """The case's instructions, newest first, each with whether its deadline has passed."""
    found = case.instructions.select_related("issued_by")
    return [(item, item.deadline < now) for item in found]


def instruction_context(case: Case, user: User) -> dict[str, object]:
    """What the case page's 督办 include needs: the instructions, and a blank form for those who may."""
    from chuangwen.cases.intake_forms import InstructionForm

    return {
        "instruction_rows": instruction_rows(case, timezone.now()),
        "instruct_form": InstructionForm() if may_instruct(user) else None,
    }
