"""The rules of 网上申报 in one place: periods, uploads (idempotent, all-or-nothing), replacements, the review
steps of ``machine.TABLE``, and each unit's standing per task (``Submission``), which every write keeps
current in the same transaction. Views, the API, commands and the demo all call these."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, BinaryIO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.accounts.models import Role, User
from chuangwen.audit.services import record
from chuangwen.core.bounds import date_error
from chuangwen.materials import machine
from chuangwen.materials.cells import refresh_submission, task_units
from chuangwen.materials.files import FileRefused, InspectedFile, inspect_file
from chuangwen.materials.models import (
    Material,
    MaterialEvent,
    MaterialState,
    Period,
    PeriodState,
    StoredFile,
    Task,
)
from chuangwen.materials.storage import store_file
from chuangwen.standards.models import MaterialType
from chuangwen.standards.services import freeze

if TYPE_CHECKING:
    from chuangwen.org.models import Unit
    from chuangwen.standards.models import Standard

logger = logging.getLogger(__name__)

TITLE_MAX, DESCRIPTION_MAX, BODY_MAX, COMMENT_MAX = 200, 500, 20_000, 500
EARLIEST_ACTIVITY = date(2000, 1, 1)


class MaterialInvalid(Exception):
    """Field errors of a request ({field: Chinese reason}); nothing was written."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("；".join(f"{k}：{v}" for k, v in errors.items()))
        self.errors = dict(errors)


class FilesRefused(Exception):
    """Some files of a multi-file upload were refused: none was stored. ``outcomes`` names every file."""

    def __init__(self, outcomes: list[tuple[str, str]]) -> None:
        super().__init__("；".join(reason for _name, reason in outcomes if reason))
        self.outcomes = outcomes  # (file name, reason or "" when that file was fine)


Refused = machine.Refused


# --- periods ------------------------------------------------------------------------------------------------


def create_period(
    *, name: str, standard: Standard, owner_unit: Unit, reference_date: date, actor: User | None = None
) -> Period:
    """Open a 申报周期 over a version's indicator tree; the version is frozen from now on."""
    errors = {}
    if not name.strip() or len(name) > 100:
        errors["name"] = _("请填写周期名称（不超过 100 字）")
    reason = date_error(reference_date, _("测评基准日"))
    if reason:
        errors["reference_date"] = reason
    if errors:
        raise MaterialInvalid(errors)
    with transaction.atomic():
        period = Period.objects.create(
            name=name.strip(), standard=standard, owner_unit=owner_unit, reference_date=reference_date,
            created_by=actor,
        )  # fmt: skip
        freeze(standard, _("网上申报周期“%(name)s”使用") % {"name": period.name}, actor=actor)
        record(None, "materials.period.create", obj=period, actor=actor, detail={"standard": standard.pk})
    return period


def close_period(period: Period, actor: User | None = None) -> Period:
    """Archive the period: from now on no material, review or task of it changes (归档)."""
    with transaction.atomic():
        current = Period.objects.select_for_update().get(pk=period.pk)
        if current.state == PeriodState.CLOSED:
            raise Refused(_("申报周期已归档"))
        current.state, current.closed_at = PeriodState.CLOSED, timezone.now()
        current.save(update_fields=["state", "closed_at"])
        passed = Material.objects.filter(task__period=current, state=MaterialState.PASSED).count()
        record(None, "materials.period.close", obj=current, actor=actor, detail={"passed": passed})
    return current


# --- the evidence window ------------------------------------------------------------------------------------


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (the 31st becomes the month's last day)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def window(task: Task) -> tuple[date, date]:
    """The dates an activity must lie within for its material to count: the indicator's months before the
    period's reference date."""
    end = task.period.reference_date
    return months_before(end, task.indicator.window_months) + timedelta(days=1), end


def outside_window(material: Material) -> bool:
    first, last = window(material.task)
    return not first <= material.activity_date <= last


# --- who may do what ----------------------------------------------------------------------------------------


def may_upload(task: Task, user: User) -> bool:
    """A 信息员 (handler or unit head) of the lead unit or of a supporting unit, while the period is open."""
    return (
        user.is_authenticated
        and task.period.is_open
        and user.role in (Role.HANDLER, Role.UNIT_HEAD)
        and user.unit_id in task_units(task)
    )


# --- uploading ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MaterialFields:
    kind: str
    title: str
    activity_date: date
    description: str = ""
    body: str = ""


def clean_fields(data: Mapping[str, Any], *, needs_title: bool = True) -> MaterialFields:
    """The fields of an upload checked at the edge: each error names its field, in Chinese."""
    errors: dict[str, str] = {}
    kind = str(data.get("kind") or "")
    if kind not in MaterialType.values:
        errors["kind"] = _("材料类型应为：%(choices)s") % {
            "choices": "、".join(str(c.label) for c in MaterialType)
        }
    title = str(data.get("title") or "").strip()
    if needs_title and not title:
        errors["title"] = _("请填写材料名称")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("材料名称不超过 %(n)d 字") % {"n": TITLE_MAX}
    activity = data.get("activity_date")
    if not isinstance(activity, date):
        errors["activity_date"] = _("请填写材料所记录活动的日期")
    elif not EARLIEST_ACTIVITY <= activity <= timezone.localdate():
        errors["activity_date"] = _("活动日期应在 %(first)s 至今天之间") % {"first": EARLIEST_ACTIVITY}
    description = str(data.get("description") or "").strip()
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = _("简要说明不超过 %(n)d 字") % {"n": DESCRIPTION_MAX}
    body = str(data.get("body") or "").strip()
    if len(body) > BODY_MAX:
        errors["body"] = _("说明正文不超过 %(n)d 字") % {"n": BODY_MAX}
    if errors:
        raise MaterialInvalid(errors)
    assert isinstance(activity, date)
    return MaterialFields(kind, title, activity, description, body)


def inspect_all(files: Sequence[tuple[str, BinaryIO]]) -> list[InspectedFile]:
    """Every file checked before anything is stored; one refusal refuses them all, naming each file."""
    outcomes: list[tuple[str, str]] = []
    inspected: list[InspectedFile] = []
    for name, handle in files:
        try:
            inspected.append(inspect_file(name, handle))
            outcomes.append((name, ""))
        except FileRefused as exc:
            outcomes.append((name, exc.reason))
    if any(reason for _name, reason in outcomes):
        raise FilesRefused(outcomes)
    return inspected


def _stored(found: InspectedFile, handle: BinaryIO) -> StoredFile:
    """The row of a file's bytes; the bytes are on disk (fsynced) before the row is written."""
    existing = StoredFile.objects.filter(sha256=found.sha256).first()
    name = store_file(handle, found.sha256, found.kind, found.size)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return StoredFile.objects.create(
                sha256=found.sha256, kind=found.kind, size=found.size, file=name, pages=found.pages,
                text=found.text,
            )  # fmt: skip
    except IntegrityError:  # the same bytes stored by a concurrent upload
        return StoredFile.objects.get(sha256=found.sha256)


def upload(
    task: Task,
    actor: User,
    fields: MaterialFields,
    *,
    client_ids: Sequence[uuid.UUID],
    files: Sequence[tuple[str, BinaryIO]] = (),
) -> list[Material]:
    """File one material per file (or one 情况说明 written in the page when there is no file), all or nothing.
    A repeated client id returns the material it made before, so a retried request never duplicates."""
    task.period.refresh_from_db(fields=["state"])
    if not may_upload(task, actor):
        raise Refused(_("只有牵头或配合单位的信息员可以在申报期内上传本任务的材料"))
    count = max(1, len(files))
    if len(client_ids) != count:
        raise MaterialInvalid({"client_id": _("每个文件需要一个客户端编号")})
    earlier = list(Material.objects.filter(client_id__in=client_ids))
    if earlier:
        if any(m.task_id != task.pk or m.unit_id != actor.unit_id for m in earlier) or len(earlier) != count:
            raise MaterialInvalid({"client_id": _("该客户端编号已用于其他材料")})
        return sorted(earlier, key=lambda m: list(client_ids).index(m.client_id))
    if not files and (fields.kind != MaterialType.ACCOUNT or not fields.body):
        raise MaterialInvalid({"file": _("请选择文件；只有“情况说明”可以直接在页面填写正文")})
    inspected = inspect_all(files)
    rows = [(_stored(found, handle), name) for found, (name, handle) in zip(inspected, files, strict=True)]
    with transaction.atomic():
        # The period row is the lock: an archive at the same moment waits for this upload or refuses it.
        if not Period.objects.select_for_update().filter(pk=task.period_id, state=PeriodState.OPEN).exists():
            raise Refused(_("申报周期已归档，材料不能再改动"))
        made = [
            _create(task, actor, fields, cid, stored, name)
            for cid, (stored, name) in _pairs(client_ids, rows)
        ]
        refresh_submission(task, actor.unit_id)
    _queue_previews([m.file_id for m in made if m.file_id])
    return made


def _pairs(
    client_ids: Sequence[uuid.UUID], rows: list[tuple[StoredFile, str]]
) -> Iterable[tuple[uuid.UUID, tuple[StoredFile | None, str]]]:
    if not rows:
        return [(client_ids[0], (None, ""))]
    return zip(client_ids, rows, strict=True)


def _create(
    task: Task,
    actor: User,
    fields: MaterialFields,
    client_id: uuid.UUID,
    stored: StoredFile | None,
    name: str,
) -> Material:
    title = fields.title or name.rsplit(".", 1)[0][:TITLE_MAX]
    assert actor.unit_id is not None
    material = Material.objects.create(
        client_id=client_id, task=task, unit_id=actor.unit_id, kind=fields.kind, title=title,
        activity_date=fields.activity_date, description=fields.description, body=fields.body, file=stored,
        original_name=name[:200], uploaded_by=actor,
    )  # fmt: skip
    detail = {"sha256": stored.sha256 if stored else "", "name": name}
    _event(material, "upload", "", MaterialState.DRAFT, actor, detail=detail)
    record(None, "materials.upload", obj=material, actor=actor, detail={"task": task.pk, **detail})
    return material


def replace(
    material: Material, actor: User, fields: MaterialFields, files: Sequence[tuple[str, BinaryIO]] = ()
) -> Material:
    """A corrected file or text for a material its uploader holds (待提交 or 已退回); the old one stays in the
    history."""
    if len(files) > 1:
        raise MaterialInvalid({"file": _("更换时只能选择一个文件")})
    found = inspect_all(files)
    stored = _stored(found[0], files[0][1]) if found else None
    with transaction.atomic():
        current = _locked(material)
        if not current.task.period.is_open:
            raise Refused(_("申报周期已归档，材料不能再改动"))
        if current.state not in machine.REPLACEABLE or not machine.is_clerk(current, actor):
            raise Refused(_("只有本单位信息员可以更换待提交或已退回的材料"))
        if stored is None and (fields.kind != MaterialType.ACCOUNT or not fields.body):
            if current.file_id is None or (fields.kind == MaterialType.ACCOUNT and not fields.body):
                raise MaterialInvalid({"file": _("请选择文件；只有“情况说明”可以直接在页面填写正文")})
        before = {"sha256": current.file.sha256 if current.file else "", "title": current.title}
        current.kind, current.title = fields.kind, fields.title or current.title
        current.activity_date, current.description, current.body = (
            fields.activity_date,
            fields.description,
            fields.body,
        )
        if stored is not None:
            current.file, current.original_name = stored, files[0][0][:200]
        current.version += 1
        current.save()
        after = {"sha256": current.file.sha256 if current.file else "", "title": current.title}
        _event(
            current, "replace", current.state, current.state, actor, detail={"before": before, "after": after}
        )
        record(None, "materials.replace", obj=current, actor=actor, detail={"before": before, "after": after})
    if stored is not None:
        _queue_previews([stored.pk])
    return current


# --- review -------------------------------------------------------------------------------------------------


def default_return_due() -> date:
    from chuangwen.workdays.services import nth_workday

    return nth_workday(timezone.localdate() + timedelta(days=1), settings.MATERIALS_RETURN_WORKDAYS)


def _check_due(due: date | None) -> date:
    from chuangwen.workdays.services import is_workday, next_workday

    if due is None:
        return default_return_due()
    today = timezone.localdate()
    if not today < due <= today + timedelta(days=366):
        raise MaterialInvalid({"due_date": _("新的完成时限应在明天到一年之内")})
    if not is_workday(due):
        raise MaterialInvalid(
            {
                "due_date": _("%(day)s 不是工作日（下一个工作日为 %(next)s）")
                % {"day": due, "next": next_workday(due)}
            }
        )
    return due


def act(
    material: Material, action: str, actor: User, *, comment: str = "", due_date: date | None = None
) -> Material:
    """Take one step of ``machine.TABLE``. Two people acting at once: the row lock lets one win and the other
    is told the material has moved on."""
    comment = comment.strip()
    if len(comment) > COMMENT_MAX:
        raise MaterialInvalid({"comment": _("审核意见不超过 %(n)d 字") % {"n": COMMENT_MAX}})
    with transaction.atomic():
        current = _locked(material)
        if current.state != material.state:
            raise Refused(
                _("这份材料刚被他人处理，当前为“%(state)s”，请刷新后再操作")
                % {"state": MaterialState(current.state).label}
            )
        step = machine.step_for(current, action, actor)
        if step.needs_comment and not comment:
            raise MaterialInvalid({"comment": _("退回时请写明审核意见")})
        due = _check_due(due_date) if step.sets_due_date else None
        before = current.state
        current.state = step.to
        if step.needs_comment:
            current.last_comment = comment
        if due is not None:
            current.due_date = due
        current.save(update_fields=["state", "last_comment", "due_date", "updated_at"])
        detail = {"due_date": str(due)} if due else {}
        event = _event(current, action, before, step.to, actor, comment=comment, detail=detail)
        record(
            None, f"materials.{action}", obj=current, actor=actor,
            detail={"from": before, "to": step.to, "comment": comment, **detail},
        )  # fmt: skip
        refresh_submission(current.task, current.unit_id)
        transaction.on_commit(lambda: _announce(current, event))
    material.state = current.state
    return current


def act_many(materials: Iterable[Material], action: str, actor: User, *, comment: str = "") -> list[str]:
    """The same step on several materials (a unit head approving the unit's submission); each one on its own,
    so one refusal does not undo the others. Returns the refusals, one line per material."""
    refusals = []
    for material in materials:
        try:
            act(material, action, actor, comment=comment)
        except (Refused, MaterialInvalid) as exc:
            refusals.append(f"《{material.title}》：{exc}")
    return refusals


def _locked(material: Material) -> Material:
    # of=self: PostgreSQL refuses FOR UPDATE on the nullable side of the outer join to the file.
    return (
        Material.objects.select_for_update(of=("self",))
        .select_related("task__period__owner_unit", "task__indicator", "unit", "file")
        .get(pk=material.pk)
    )


def _event(
    material: Material,
    action: str,
    before: str,
    after: str,
    actor: User | None,
    *,
    comment: str = "",
    detail: dict[str, Any] | None = None,
) -> MaterialEvent:
    return MaterialEvent.objects.create(
        material=material, action=action, from_state=before, to_state=after, actor=actor, comment=comment,
        detail=detail or {},
    )  # fmt: skip


# --- notices ------------------------------------------------------------------------------------------------


def _announce(material: Material, event: MaterialEvent) -> None:
    from chuangwen.materials.notices import announce

    try:
        announce(material, event)
    except Exception:  # a notice that fails must not undo or hide the review step that committed
        logger.exception("materials notice for event %s failed", event.pk)


def _queue_previews(file_ids: list[int]) -> None:
    if not file_ids:
        return
    from chuangwen.materials.tasks import make_previews

    transaction.on_commit(lambda: make_previews(file_ids))
