"""The one way a case comes to exist and the one way it changes: ``open_case`` (every source calls it) and
``apply``, which follows the table of ``machine.py`` in one transaction, with optimistic locking, a history
entry and an audit entry."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chuangwen.audit.services import record
from chuangwen.cases import machine, signals
from chuangwen.cases.exceptions import CaseNotFound, Conflict, TransitionRefused
from chuangwen.cases.models import Case, CaseEvent, CaseSource, CaseState
from chuangwen.core.bounds import check_date
from chuangwen.evidence.models import Evidence
from chuangwen.org.models import Unit
from chuangwen.rounds.models import Finding, FindingStatus

if TYPE_CHECKING:
    from chuangwen.accounts.models import User

CODE_PREFIX = "AJ"
CODE_ATTEMPTS = 20

# Why each thing is needed, said in the words of the action that needs it.
NEED_MESSAGES = {
    machine.REASON: gettext_lazy("%(action)s须说明理由"),
    machine.UNIT: gettext_lazy("%(action)s须指定责任单位"),
    machine.PHOTOS: gettext_lazy("%(action)s须上传照片"),
    machine.PLANNED_DATE: gettext_lazy("%(action)s须填写计划完成日期"),
    machine.DEADLINE: gettext_lazy("%(action)s须填写期限"),
    machine.DUPLICATE_OF: gettext_lazy("%(action)s须指明与哪个案卷重复"),
}


# --- codes --------------------------------------------------------------------------------------------------


def next_code(day: date | None = None) -> str:
    """The next free code of the day, AJ20261201-0001. Two openers may compute the same one: the unique
    constraint refuses the second, which retries (see ``create_case``)."""
    day = day or timezone.localdate()
    prefix = f"{CODE_PREFIX}{day:%Y%m%d}-"
    last = (
        Case.objects.filter(code__startswith=prefix).order_by("-code").values_list("code", flat=True).first()
    )
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:04d}"


def create_case(**fields: Any) -> Case:
    for _attempt in range(CODE_ATTEMPTS):
        try:
            with transaction.atomic():
                return Case.objects.create(code=next_code(), **fields)
        except IntegrityError:
            finding = fields.get("finding")
            if finding is not None and Case.objects.filter(finding=finding).exists():
                raise  # not a code clash: this finding already has its case
            continue
    raise Conflict(_("案卷编号分配冲突，请稍后重试"))


# --- opening -----------------------------------------------------------------------------------------------


def open_case(
    source: str,
    actor: User | None,
    *,
    request: HttpRequest | None = None,
    data: dict[str, Any] | None = None,
    event_data: dict[str, Any] | None = None,
    audit: dict[str, Any] | None = None,
    photos: Iterable[Evidence] = (),
    **fields: Any,
) -> Case:
    """The one door through which a case comes to exist, whatever its source: the case in the state
    ``machine.OPENINGS`` gives its source, its ``open`` history event (``data``, plus ``event_data``; with the
    reporter's ``photos``) and the ``case.open`` audit entry (``data``, plus ``audit``). Call it inside the
    caller's transaction with everything already checked."""
    state = machine.OPENINGS[source]
    data = {"source": str(source), **(data or {})}
    with transaction.atomic():
        case = create_case(source=source, state=state, created_by=actor, **fields)
        event = CaseEvent.objects.create(
            case=case, action="open", from_state="", to_state=state, actor=actor,
            data={**data, **(event_data or {})},
        )  # fmt: skip
        photos = list(photos)
        if photos:
            event.photos.set(photos)
        record(request, "case.open", obj=case, actor=actor, detail={**data, **(audit or {})})
    return case


@transaction.atomic
def open_case_from_finding(finding: Finding, actor: User | None, request: HttpRequest | None = None) -> Case:
    """Open the case of a published finding (once: a second call returns the same case).

    Until routing exists the case waits in ``new`` for a coordinator's triage; ``triage_accept`` then marks
    the finding dispatched. A hidden finding (round not yet published) never becomes a case."""
    existing = Case.objects.filter(finding=finding).first()
    if existing is not None:
        return existing
    if actor is not None and not Finding.objects.visible_to(actor).filter(pk=finding.pk).exists():
        raise CaseNotFound()
    finding = Finding.objects.select_related("site", "check_item", "round", "judgement").get(pk=finding.pk)
    if finding.status == FindingStatus.HIDDEN:
        raise TransitionRefused(_("测评批次尚未发布，不能立案"))
    site = finding.site
    recurrence_of = earlier_case_recurring(finding)
    data = {"recurrence_of": recurrence_of.code} if recurrence_of else {}
    return open_case(
        CaseSource.FINDING,
        actor,
        request=request,
        data=data,
        audit={"finding": finding.pk},
        title=f"{site.name}：{finding.check_item.text}"[:200],
        description=finding_description(finding),
        site=site,
        finding=finding,
        check_item=finding.check_item,
        area_unit=site.area_unit,
        lat=site.lat,
        lng=site.lng,
        recurrence_of=recurrence_of,
    )


def finding_description(finding: Finding) -> str:
    """What the inspector wrote about the problem, then how many were found (the handler needs both)."""
    count = _("问题数量：%(n)s") % {"n": finding.count}
    note = finding.judgement.note.strip()
    return f"{note}\n{count}" if note else count


def earlier_case_recurring(finding: Finding) -> Case | None:
    """The closed case of the same site and item that this finding repeats (复发): closed within
    CASES_RECURRENCE_DAYS before the finding's round was published; the most recent one."""
    days = int(settings.CASES_RECURRENCE_DAYS)
    when = finding.round.published_at or timezone.now()
    return (
        Case.objects.filter(
            site_id=finding.site_id,
            check_item_id=finding.check_item_id,
            state=CaseState.CLOSED,
            closed_at__gte=when - timedelta(days=days),
            closed_at__lte=when,
        )
        .exclude(finding_id=finding.pk)
        .order_by("-closed_at", "-pk")
        .first()
    )


# --- applying an action -----------------------------------------------------------------------------------


def _validate(
    transition: machine.Transition,
    action: str,
    actor: User,
    case: Case,
    *,
    reason: str,
    unit: Unit | None,
    photos: Iterable[Evidence | int],
    planned_date: date | None,
    deadline: datetime | None,
    warn_at: datetime | None,
    data: dict[str, Any],
) -> machine.Given:
    """Check what was given against what the action requires; ValidationError names each field and why."""
    label = machine.action_label(action)
    errors: dict[str, list[str]] = {}
    present = {
        machine.REASON: bool(reason.strip()),
        machine.UNIT: unit is not None,
        machine.PHOTOS: bool(photo_list := list(photos)),
        machine.PLANNED_DATE: planned_date is not None,
        machine.DEADLINE: deadline is not None,
        machine.DUPLICATE_OF: bool(data.get("duplicate_of")),
    }
    for need in sorted(transition.requires):
        if not present[need]:
            errors[need] = [str(NEED_MESSAGES[need]) % {"action": label}]
    evidence = _check_photos(photo_list, actor, errors) if photo_list else ()
    if unit is not None and not Unit.objects.visible_to(actor).filter(pk=unit.pk, active=True).exists():
        errors.setdefault(machine.UNIT, []).append(_("责任单位不存在或不在您的管辖范围内"))
    if planned_date is not None and planned_date <= timezone.localdate():
        errors.setdefault(machine.PLANNED_DATE, []).append(_("计划完成日期须晚于今天"))
    check_date(errors, machine.PLANNED_DATE, planned_date, _("计划完成日期"))
    if deadline is not None and machine.DEADLINE in transition.requires:
        _check_new_deadline(case, deadline, errors)
    check_date(errors, machine.DEADLINE, deadline, _("期限"))
    if machine.DUPLICATE_OF in transition.requires and data.get("duplicate_of"):
        _check_duplicate_of(case, actor, str(data["duplicate_of"]), errors)
    if errors:
        raise ValidationError(errors)
    return machine.Given(
        actor=actor,
        reason=reason.strip(),
        unit=unit if machine.UNIT in transition.requires else None,
        photos=evidence,
        planned_date=planned_date,
        deadline=deadline,
        warn_at=warn_at if deadline is not None else None,
        data=data,
    )


def _check_photos(
    photos: list[Evidence | int], actor: User, errors: dict[str, list[str]]
) -> tuple[Evidence, ...]:
    ids = {photo.pk if isinstance(photo, Evidence) else int(photo) for photo in photos}
    found = tuple(Evidence.objects.visible_to(actor).filter(pk__in=ids).order_by("pk"))
    if len(found) != len(ids):
        errors.setdefault(machine.PHOTOS, []).append(_("照片不存在或无权使用"))
    return found


def _check_new_deadline(case: Case, deadline: datetime, errors: dict[str, list[str]]) -> None:
    if deadline <= timezone.now():
        errors.setdefault(machine.DEADLINE, []).append(_("期限须晚于现在"))
    elif case.deadline is not None and deadline <= case.deadline:
        errors.setdefault(machine.DEADLINE, []).append(
            _("申请的期限须晚于现有期限 %(deadline)s")
            % {"deadline": timezone.localtime(case.deadline).strftime("%Y-%m-%d %H:%M")}
        )


def _check_duplicate_of(case: Case, actor: User, code: str, errors: dict[str, list[str]]) -> None:
    other = Case.objects.visible_to(actor).filter(code=code).exclude(pk=case.pk).first()
    if other is None:
        errors.setdefault(machine.DUPLICATE_OF, []).append(
            _("找不到编号为 %(code)s 的其他案卷") % {"code": code}
        )


def _event_data(given: machine.Given) -> dict[str, Any]:
    data = dict(given.data)
    if given.unit is not None:
        data.update(unit_id=given.unit.pk, unit_name=given.unit.name)
    if given.planned_date is not None:
        data["planned_date"] = given.planned_date.isoformat()
    if given.deadline is not None:
        data["deadline"] = given.deadline.isoformat()
    return data


def apply(
    case: Case,
    action: str,
    actor: User,
    *,
    reason: str = "",
    unit: Unit | None = None,
    photos: Iterable[Evidence | int] = (),
    planned_date: date | None = None,
    deadline: datetime | None = None,
    warn_at: datetime | None = None,
    data: dict[str, Any] | None = None,
    expected_version: int | None = None,
    request: HttpRequest | None = None,
) -> Case:
    """Take ``action`` on ``case`` as ``actor``: all of it or none of it.

    Raises CaseNotFound outside the actor's scope, Conflict when the case changed since the actor read it
    (``expected_version``, default the version of the given object), TransitionRefused when the table does
    not allow it, ValidationError naming each missing or wrong field. Returns the case as now stored (the
    given object is refreshed too). ``warn_at``: the warning point of ``deadline`` when the caller has
    already computed it.

    Everything is checked and every new field (working-day deadlines included) computed from the case as
    read before the write transaction; inside it the case is read again and must still have the version it
    was computed from, so the lock is held only for the writes."""
    expected = case.version if expected_version is None else expected_version
    current = _current(case, actor, expected)
    transition = machine.check(current, action, actor)
    given = _validate(
        transition, action, actor, current, reason=reason, unit=unit, photos=photos,
        planned_date=planned_date, deadline=deadline, warn_at=warn_at, data=dict(data or {}),
    )  # fmt: skip
    updates: dict[str, Any] = {}
    for name in transition.effects:
        updates.update(machine.EFFECTS[name](current, given))
    with transaction.atomic():
        current = _current(case, actor, expected)
        transition = machine.check(current, action, actor)
        _write(current, action, transition, given, expected, updates, request)
    case.refresh_from_db()
    return case


def _current(case: Case, actor: User, expected: int) -> Case:
    current = Case.objects.visible_to(actor).select_related("unit").filter(pk=case.pk).first()
    if current is None:
        raise CaseNotFound()
    if current.version != expected:
        raise Conflict()
    return current


def _write(
    current: Case,
    action: str,
    transition: machine.Transition,
    given: machine.Given,
    expected: int,
    updates: dict[str, Any],
    request: HttpRequest | None,
) -> None:
    now = timezone.now()
    changed = Case.objects.filter(pk=current.pk, version=expected).update(
        state=transition.to_state, version=F("version") + 1, updated_at=now, **updates
    )
    if changed != 1:
        raise Conflict()  # the atomic block rolls back: nothing of this attempt is kept
    event = CaseEvent.objects.create(
        case=current,
        action=action,
        from_state=current.state,
        to_state=transition.to_state,
        actor=given.actor,
        at=now,
        reason=given.reason,
        data=_event_data(given),
    )
    if given.photos:
        event.photos.set(given.photos)
    if current.finding_id is not None and transition.to_state == CaseState.DISPATCHED:
        Finding.objects.filter(pk=current.finding_id).update(status=FindingStatus.DISPATCHED)
    detail = {"action": action, "from": current.state, "to": transition.to_state, "event": event.pk}
    if given.reason:
        detail["reason"] = given.reason
    record(request, f"case.{action}", obj=current, actor=given.actor, detail=detail)
    transaction.on_commit(
        lambda: signals.case_changed.send(sender=Case, case=current, event=event, action=action)
    )
