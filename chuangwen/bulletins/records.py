"""The rules of the commendation (表彰) and accountability (约谈 / 通报批评) records.

Only a coordinator of the keeping office writes them, about a unit inside the office's subtree (never the
office itself). Every write is audited. A commended person's name is personal data: it is kept for the unit's
dossier and never copied into public pages or bulletins' public summaries.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.accounts.models import Role, User
from chuangwen.audit.services import record
from chuangwen.bulletins.models import AccountabilityTalk, Bulletin, Commendation, TalkKind, TalkState
from chuangwen.bulletins.services import EARLIEST_YEAR, Refused, is_office_of
from chuangwen.notify.services import notify

if TYPE_CHECKING:
    from chuangwen.org.models import Unit
    from chuangwen.rankings.models import Ranking

MAX_TITLE = 100
MAX_REASON = 2000
MAX_OUTCOME = 2000
MAX_PERSON = 50
# A follow-up runs at most a year after the meeting.
MAX_FOLLOW_UP = timedelta(days=366)


# --- checks -------------------------------------------------------------------------------------------------


def require_coordinator(actor: User, owner_unit: Unit) -> None:
    if not is_office_of(actor, owner_unit.pk) or actor.role != Role.COORDINATOR:
        raise Refused("forbidden", _("只有本单位文明办协调员可以登记表彰和约谈"))


def may_write(actor: User, owner_unit_id: int) -> bool:
    return is_office_of(actor, owner_unit_id) and actor.role == Role.COORDINATOR


def _check_unit(owner_unit: Unit, unit: Unit | None) -> Unit:
    if unit is None:
        raise Refused("invalid", _("请选择单位"), "unit")
    if unit.pk == owner_unit.pk or not unit.path.startswith(owner_unit.path):
        raise Refused("invalid", _("单位必须是本单位的下属单位"), "unit")
    return unit


def _check_date(value: Any, field: str, label: str) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise Refused("invalid", _("请填写%(f)s") % {"f": label}, field)
    latest = timezone.localdate().year + 1
    if not EARLIEST_YEAR <= value.year <= latest:
        raise Refused(
            "invalid",
            _("%(f)s须在 %(a)s 年至 %(b)s 年之间") % {"f": label, "a": EARLIEST_YEAR, "b": latest},
            field,
        )
    return value


def _check_text(value: Any, field: str, label: str, limit: int, *, required: bool = True) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None:
        raise Refused("invalid", _("%(f)s格式不正确") % {"f": label}, field)
    if required and not text:
        raise Refused("invalid", _("请填写%(f)s") % {"f": label}, field)
    if len(text) > limit:
        raise Refused("invalid", _("%(f)s不能超过 %(n)s 字") % {"f": label, "n": limit}, field)
    return text


def _check_links(owner_unit: Unit, bulletin: Bulletin | None, ranking: Ranking | None) -> None:
    """A linked bulletin is the office's own; a linked ranking covers the office's subtree."""
    if bulletin is not None and bulletin.owner_unit_id != owner_unit.pk:
        raise Refused("invalid", _("只能关联本单位的通报"), "bulletin")
    if ranking is not None and not ranking.rows.filter(unit__path__startswith=owner_unit.path).exists():
        raise Refused("invalid", _("所关联的排名不含本单位下属单位"), "ranking")


# --- writes -------------------------------------------------------------------------------------------------


def commend(
    owner_unit: Unit,
    actor: User,
    *,
    unit: Unit | None,
    title: Any,
    reason: Any,
    date: Any,
    person_name: Any = "",
    bulletin: Bulletin | None = None,
    ranking: Ranking | None = None,
) -> Commendation:
    """登记表彰: a unit (and optionally a person in it) commended by the office."""
    require_coordinator(actor, owner_unit)
    unit = _check_unit(owner_unit, unit)
    title = _check_text(title, "title", _("表彰名称"), MAX_TITLE)
    reason = _check_text(reason, "reason", _("表彰事由"), MAX_REASON)
    person = _check_text(person_name, "person_name", _("受表彰个人"), MAX_PERSON, required=False)
    when = _check_date(date, "date", _("表彰日期"))
    _check_links(owner_unit, bulletin, ranking)
    with transaction.atomic():
        praise = Commendation.objects.create(
            owner_unit=owner_unit,
            unit=unit,
            person_name=person,
            title=title,
            reason=reason,
            date=when,
            bulletin=bulletin,
            ranking=ranking,
            created_by=actor,
        )
        # The person's name stays out of the audit detail: the log outlives the record.
        record(
            None,
            "bulletin.commend",
            obj=praise,
            actor=actor,
            detail={"unit": unit.pk, "date": when.isoformat(), "person": bool(person)},
        )
    return praise


def schedule_talk(
    owner_unit: Unit,
    actor: User,
    *,
    unit: Unit | None,
    kind: Any,
    reason: Any,
    meeting_date: Any,
    follow_up_due: Any,
    bulletin: Bulletin | None = None,
    ranking: Ranking | None = None,
) -> AccountabilityTalk:
    """登记约谈 / 通报批评, with the date by which the unit's rectification is followed up."""
    require_coordinator(actor, owner_unit)
    unit = _check_unit(owner_unit, unit)
    if kind not in TalkKind.values:
        raise Refused("invalid", _("请选择类型（约谈或通报批评）"), "kind")
    reason = _check_text(reason, "reason", _("事由"), MAX_REASON)
    meeting = _check_date(meeting_date, "meeting_date", _("约谈日期"))
    due = _check_date(follow_up_due, "follow_up_due", _("整改跟踪期限"))
    if due < meeting:
        raise Refused("invalid", _("整改跟踪期限不能早于约谈日期"), "follow_up_due")
    if due > meeting + MAX_FOLLOW_UP:
        raise Refused("invalid", _("整改跟踪期限不能晚于约谈日期后一年"), "follow_up_due")
    _check_links(owner_unit, bulletin, ranking)
    with transaction.atomic():
        talk = AccountabilityTalk.objects.create(
            owner_unit=owner_unit,
            unit=unit,
            kind=kind,
            reason=reason,
            meeting_date=meeting,
            follow_up_due=due,
            bulletin=bulletin,
            ranking=ranking,
            created_by=actor,
        )
        record(
            None,
            "bulletin.talk",
            obj=talk,
            actor=actor,
            detail={"unit": unit.pk, "kind": kind, "meeting": meeting.isoformat(), "due": due.isoformat()},
        )
    return talk


def follow_up(talk: AccountabilityTalk, actor: User, *, outcome: Any, close: bool) -> AccountabilityTalk:
    """整改跟踪: record the outcome so far; the first follow-up starts the tracking, ``close`` ends it."""
    require_coordinator(actor, talk.owner_unit)
    text = _check_text(outcome, "outcome", _("整改结果"), MAX_OUTCOME)
    with transaction.atomic():
        locked = AccountabilityTalk.objects.select_for_update().get(pk=talk.pk)
        if locked.state == TalkState.CLOSED:
            raise Refused("state", _("该约谈已办结，不能再跟踪"))
        before = locked.state
        locked.outcome = text
        if close:
            locked.state, locked.closed_at = TalkState.CLOSED, timezone.now()
        else:
            locked.state = TalkState.FOLLOWING
        locked.save(update_fields=["outcome", "state", "closed_at"])
        record(
            None,
            "bulletin.talk_follow_up",
            obj=locked,
            actor=actor,
            detail={"unit": locked.unit_id, "from": before, "to": locked.state},
        )
    return locked


# --- reminders ----------------------------------------------------------------------------------------------


def remind_talks(now: datetime | None = None) -> int:
    """Talks still open after their follow-up date: tell the unit's head and the office's coordinators, once
    per due date (a talk reminded before its current due date passed is reminded again)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    overdue = (
        AccountabilityTalk.objects.exclude(state=TalkState.CLOSED)
        .filter(follow_up_due__lt=today)
        .filter(Q(reminded_at__isnull=True) | Q(reminded_at__date__lte=F("follow_up_due")))
        .select_related("unit", "owner_unit")
    )
    sent = 0
    for talk in overdue:
        with transaction.atomic():
            claimed = AccountabilityTalk.objects.filter(pk=talk.pk, reminded_at=talk.reminded_at).update(
                reminded_at=now
            )
            if not claimed:
                continue
            people = list(
                User.objects.filter(
                    Q(unit_id=talk.unit_id, role=Role.UNIT_HEAD)
                    | Q(unit_id=talk.owner_unit_id, role=Role.COORDINATOR),
                    is_active=True,
                )
            )
            due = talk.follow_up_due.isoformat()
            notify(
                people,
                subject=_("%(k)s整改跟踪已超期：%(u)s") % {"k": talk.get_kind_display(), "u": talk.unit.name},
                body=_("%(u)s 的%(k)s整改跟踪期限为 %(d)s，至今尚未办结，请督办。")
                % {"u": talk.unit.name, "k": talk.get_kind_display(), "d": due},
                link=reverse("bulletins:talk_detail", args=[talk.pk]),
                kind="bulletin.talk_overdue",
                key=f"talk:{talk.pk}:overdue:{due}",
            )
            sent += 1
    return sent
