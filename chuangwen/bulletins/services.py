"""The rules of bulletins: drafting from published snapshots, editing a draft, the workflow
(machine.TRANSITIONS),
numbering at issue, recipients, read receipts and rectification reports.

Views, the API, commands and the scheduled drafting all call these functions; none changes a bulletin itself.
A refusal raises ``Refused`` with a machine code, the field it concerns and a Chinese message.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.accounts.capabilities import may_oversee
from chuangwen.accounts.models import Role, User
from chuangwen.audit.services import record
from chuangwen.bulletins import content, defaults
from chuangwen.bulletins.machine import EDITABLE, TRANSITIONS, Transition
from chuangwen.bulletins.models import (
    Bulletin,
    BulletinKind,
    BulletinState,
    BulletinTemplate,
    Recipient,
    RecipientReason,
    RenderState,
    ReplyState,
    Section,
    TypicalProblem,
)
from chuangwen.rounds.models import Finding, RoundStatus
from chuangwen.surveys.models import WaveState
from chuangwen.workdays.services import add_workdays

if TYPE_CHECKING:
    from chuangwen.materials.models import Period as MaterialsPeriod
    from chuangwen.rankings.models import Ranking
    from chuangwen.rounds.models import Round
    from chuangwen.surveys.models import Wave

# A bulletin reports on at most a year; wording blocks and captions have bounds checked before any write.
MAX_PERIOD_DAYS = 366
MAX_WORDING_CHARS = 5000
MAX_REPLY_CHARS = 10000
MAX_REPLY_PHOTOS = 20
EARLIEST_YEAR = 2000


class Refused(Exception):
    """Well-formed but not allowed: ``code`` for machines, ``field`` it concerns, ``message`` in Chinese."""

    def __init__(self, code: str, message: str, field: str = "") -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


# --- who ----------------------------------------------------------------------------------------------------


def is_office_of(user: User, unit_id: int) -> bool:
    """The 文明办 that owns a bulletin: a coordinator or leader of exactly that unit."""
    return may_oversee(user) and user.unit_id == unit_id


def _require_office(user: User, bulletin: Bulletin | BulletinTemplate) -> None:
    if not is_office_of(user, bulletin.owner_unit_id):
        raise Refused("forbidden", _("只有发文单位文明办可以办理该通报"))


# --- templates ----------------------------------------------------------------------------------------------


def ensure_templates(office: Any, issuer: str = "") -> list[BulletinTemplate]:
    """The office's templates, one per kind with the default sections and wording where a kind has none."""
    have = set(BulletinTemplate.objects.filter(owner_unit=office).values_list("kind", flat=True))
    made = []
    for kind in BulletinKind:
        if kind in have:
            continue
        made.append(
            BulletinTemplate.objects.create(
                owner_unit=office,
                kind=kind,
                name=str(kind.label),
                sections=list(defaults.SECTIONS[kind]),
                wording=dict(defaults.WORDING[kind]),
                issuer=issuer or _("%(name)s精神文明建设办公室") % {"name": office.name},
                number_prefix=defaults.prefix(office, kind),
            )
        )
    return made


def check_sections(sections: Any) -> list[str]:
    if not isinstance(sections, list) or not sections:
        raise Refused("invalid", _("请至少选择一个章节"), "sections")
    known = set(Section.values)
    out: list[str] = []
    for value in sections:
        if value not in known:
            raise Refused("invalid", _("未知的章节：%(v)s") % {"v": str(value)[:40]}, "sections")
        if value not in out:
            out.append(value)
    return out


def check_wording(wording: Any) -> dict[str, str]:
    if not isinstance(wording, dict):
        raise Refused("invalid", _("文字段落格式不正确"), "wording")
    out: dict[str, str] = {}
    for key, text in wording.items():
        if key not in defaults.WORDING_KEYS:
            raise Refused("invalid", _("未知的文字段落：%(v)s") % {"v": str(key)[:40]}, "wording")
        if not isinstance(text, str) or len(text) > MAX_WORDING_CHARS:
            raise Refused(
                "invalid",
                _("文字段落「%(k)s」不能超过 %(n)s 字") % {"k": key, "n": MAX_WORDING_CHARS},
                "wording",
            )
        out[key] = text.strip()
    return out


# --- drafting -----------------------------------------------------------------------------------------------


def _check_sources(
    office: Any,
    ranking: Ranking | None,
    round_: Round | None,
    wave: Wave | None,
    period: MaterialsPeriod | None,
) -> None:
    """Sources must be published snapshots of (or over) the office's subtree."""
    path = office.path
    if ranking is None and round_ is None and wave is None and period is None:
        raise Refused(
            "invalid", _("请至少引用一个已发布的排名、测评批次、调查轮次或已归档的申报周期"), "ranking"
        )
    if ranking is not None and not ranking.rows.filter(unit__path__startswith=path).exists():
        raise Refused("invalid", _("所引用的排名不含本单位下属单位"), "ranking")
    if round_ is not None:
        if round_.status != RoundStatus.PUBLISHED:
            raise Refused("invalid", _("只能引用已发布的测评批次"), "round")
        if not round_.owner_unit.path.startswith(path):
            raise Refused("invalid", _("所引用的测评批次不属于本单位"), "round")
    if wave is not None:
        if wave.state != WaveState.PUBLISHED:
            raise Refused("invalid", _("只能引用已发布结果的调查轮次"), "wave")
        if not wave.owner_unit.path.startswith(path):
            raise Refused("invalid", _("所引用的调查轮次不属于本单位"), "wave")
    if period is not None:
        from chuangwen.materials.models import PeriodState

        if period.state != PeriodState.CLOSED:
            raise Refused("invalid", _("只能引用已归档的申报周期"), "materials_period")
        if not period.owner_unit.path.startswith(path):
            raise Refused("invalid", _("所引用的申报周期不属于本单位"), "materials_period")


def source_period(ranking: Ranking | None, round_: Round | None) -> tuple[date, date] | None:
    """The period a ranking or round covers (a month, or the round's dates)."""
    if ranking is not None and ranking.month is not None:
        start = ranking.month
        nxt = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        return start, nxt - timedelta(days=1)
    if ranking is not None and ranking.round is not None:
        round_ = round_ or ranking.round
    if round_ is not None:
        return round_.period_start, round_.period_end
    return None


def check_period(start: date | None, end: date | None) -> tuple[date, date]:
    if start is None or end is None:
        raise Refused("invalid", _("请填写通报期间"), "period_start")
    if start.year < EARLIEST_YEAR or end.year > timezone.localdate().year + 1:
        raise Refused("invalid", _("通报期间超出允许范围"), "period_start")
    if end < start:
        raise Refused("invalid", _("通报期间的结束日期不能早于开始日期"), "period_end")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise Refused("invalid", _("通报期间不能超过一年"), "period_end")
    return start, end


def default_title(template: BulletinTemplate, start: date, end: date) -> str:
    span = (
        _("%(y)d年%(m)d月") % {"y": start.year, "m": start.month}
        if (start.year, start.month) == (end.year, end.month)
        else f"{start.isoformat()}—{end.isoformat()}"
    )
    topic = {
        BulletinKind.INSPECTION: _("实地暗访测评情况"),
        BulletinKind.LOOKBACK: _("问题整改“回头看”情况"),
        BulletinKind.MONTHLY: _("文明城市创建工作测评排名情况"),
        BulletinKind.REDBLACK: _("文明城市创建工作红黑榜"),
    }
    if template.kind == BulletinKind.COMMENDATION:
        return _("关于表彰%(span)s文明城市创建工作先进单位的决定") % {"span": span}
    return _("关于%(span)s%(topic)s的通报") % {"span": span, "topic": topic[BulletinKind(template.kind)]}


def draft(
    template: BulletinTemplate,
    actor: User,
    *,
    ranking: Ranking | None = None,
    round_: Round | None = None,
    wave: Wave | None = None,
    materials_period: MaterialsPeriod | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
    title: str = "",
    corrects: Bulletin | None = None,
) -> Bulletin:
    """A new draft citing published sources, its content built at once."""
    _require_office(actor, template)
    if actor.role != Role.COORDINATOR:
        raise Refused("forbidden", _("只有文明办协调员可以起草通报"))
    _check_sources(template.owner_unit, ranking, round_, wave, materials_period)
    if corrects is not None and (corrects.owner_unit_id != template.owner_unit_id or not corrects.frozen):
        raise Refused("invalid", _("只能更正本单位已印发的通报"), "corrects")
    derived = source_period(ranking, round_)
    start, end = check_period(
        period_start or (derived and derived[0]), period_end or (derived and derived[1])
    )
    title = (title or "").strip()[:200] or default_title(template, start, end)
    with transaction.atomic():
        bulletin = Bulletin.objects.create(
            template=template,
            owner_unit=template.owner_unit,
            kind=template.kind,
            title=title,
            year=timezone.localdate().year,
            number_prefix=template.number_prefix,
            addressees=template.addressees,
            issuer=template.issuer,
            sections=list(template.sections),
            wording=dict(template.wording),
            ranking=ranking,
            round=round_,
            wave=wave,
            materials_period=materials_period,
            period_start=start,
            period_end=end,
            corrects=corrects,
            created_by=actor,
        )
        _rebuild(bulletin)
        record(None, "bulletin.draft", obj=bulletin, actor=actor, detail={"kind": bulletin.kind})
    return bulletin


def _rebuild(bulletin: Bulletin) -> None:
    bulletin.content = content.build(bulletin)
    bulletin.content_built_at = timezone.now()
    Bulletin.objects.filter(pk=bulletin.pk).update(
        content=bulletin.content, content_built_at=bulletin.content_built_at
    )


def _locked_draft(bulletin: Bulletin, actor: User, version: int | None) -> Bulletin:
    _require_office(actor, bulletin)
    locked = Bulletin.objects.select_for_update().select_related("template", "owner_unit").get(pk=bulletin.pk)
    if locked.state not in EDITABLE:
        raise Refused("frozen", _("只有起草中的通报可以修改"))
    if version is not None and version != locked.version:
        raise Refused("conflict", _("该通报刚被他人修改，请刷新后再改"), "version")
    return locked


def edit(
    bulletin: Bulletin,
    actor: User,
    *,
    version: int | None = None,
    title: str | None = None,
    addressees: str | None = None,
    sections: list[str] | None = None,
    wording: dict[str, str] | None = None,
) -> Bulletin:
    """Change a draft's title, addressees, sections or wording blocks; the numbers are rebuilt from the
    records."""
    checked_sections = check_sections(sections) if sections is not None else None
    checked_wording = check_wording(wording) if wording is not None else None
    if title is not None and not title.strip():
        raise Refused("invalid", _("标题不能为空"), "title")
    with transaction.atomic():
        locked = _locked_draft(bulletin, actor, version)
        if title is not None:
            locked.title = title.strip()[:200]
        if addressees is not None:
            locked.addressees = addressees.strip()[:300]
        if checked_sections is not None:
            locked.sections = checked_sections
        if checked_wording is not None:
            locked.wording = {**locked.wording, **checked_wording}
        locked.version += 1
        locked.save(update_fields=["title", "addressees", "sections", "wording", "version"])
        _rebuild(locked)
        record(None, "bulletin.edit", obj=locked, actor=actor, detail={"version": locked.version})
    return locked


def candidate_findings(bulletin: Bulletin) -> Any:
    """Findings of the reported visits that have photos: what the office may pick as typical problems."""
    from django.db.models import Exists, OuterRef

    from chuangwen.evidence.models import Evidence

    photos = Evidence.objects.filter(judgement_id=OuterRef("judgement_id"))
    return (
        Finding.objects.filter(visit_id__in=content.scope_visits(bulletin))
        .filter(Exists(photos))
        .select_related("site", "check_item", "site__responsible_unit")
        .order_by("-deduction", "site__name", "check_item__code")
    )


def set_typical(
    bulletin: Bulletin, actor: User, picks: list[tuple[int, str]], version: int | None = None
) -> Bulletin:
    """Replace the typical problems with ``picks`` (finding id, caption) in order."""
    limit = bulletin.template.typical_count
    if len(picks) > limit:
        raise Refused("invalid", _("典型问题最多 %(n)s 条") % {"n": limit}, "typical")
    ids = [pk for pk, _caption in picks]
    if len(set(ids)) != len(ids):
        raise Refused("invalid", _("同一问题不能重复选择"), "typical")
    allowed = set(candidate_findings(bulletin).filter(pk__in=ids).values_list("pk", flat=True))
    missing = [pk for pk in ids if pk not in allowed]
    if missing:
        raise Refused(
            "invalid", _("问题 %(id)s 不在本期通报的测评范围内或没有照片") % {"id": missing[0]}, "typical"
        )
    for _pk, caption in picks:
        if len(caption) > 300:
            raise Refused("invalid", _("典型问题说明不能超过 300 字"), "typical")
    with transaction.atomic():
        locked = _locked_draft(bulletin, actor, version)
        TypicalProblem.objects.filter(bulletin=locked).delete()
        TypicalProblem.objects.bulk_create(
            TypicalProblem(bulletin=locked, finding_id=pk, caption=caption.strip(), order=i)
            for i, (pk, caption) in enumerate(picks)
        )
        locked.version += 1
        locked.save(update_fields=["version"])
        _rebuild(locked)
        record(None, "bulletin.typical", obj=locked, actor=actor, detail={"findings": ids})
        photos = [pk for row in locked.content.get("typical", []) for pk in row["photos"]]
        if photos:
            from chuangwen.bulletins.tasks import make_public_copies

            transaction.on_commit(lambda: make_public_copies(photos))
    return locked


def refresh(bulletin: Bulletin, actor: User, version: int | None = None) -> Bulletin:
    """Rebuild a draft's numbers from the records as they stand now."""
    with transaction.atomic():
        locked = _locked_draft(bulletin, actor, version)
        locked.version += 1
        locked.save(update_fields=["version"])
        _rebuild(locked)
    return locked


# --- workflow -----------------------------------------------------------------------------------------------


def allowed_actions(bulletin: Bulletin, user: User) -> list[Transition]:
    """The transitions ``user`` may take on ``bulletin`` now (for buttons)."""
    if not is_office_of(user, bulletin.owner_unit_id):
        return []
    return [
        t
        for t in TRANSITIONS.values()
        if bulletin.state in t.sources
        and user.role in t.roles
        and not (t.not_drafter and bulletin.created_by_id == user.pk)
    ]


def transition(
    bulletin: Bulletin, action: str, actor: User, *, reason: str = "", version: int | None = None
) -> Bulletin:
    """Take one step of the workflow; ``issue`` numbers, freezes and distributes the bulletin."""
    step = TRANSITIONS.get(action)
    if step is None:
        raise Refused("invalid", _("未知的操作"), "action")
    _require_office(actor, bulletin)
    if actor.role not in step.roles:
        raise Refused("forbidden", _("您的角色不能%(a)s") % {"a": step.label})
    if step.not_drafter and bulletin.created_by_id == actor.pk:
        raise Refused("forbidden", _("起草人不能审核自己起草的通报"))
    reason = (reason or "").strip()
    if step.needs_reason and not reason:
        raise Refused("invalid", _("请填写退回意见"), "reason")
    if len(reason) > 500:
        raise Refused("invalid", _("意见不能超过 500 字"), "reason")
    from chuangwen.bulletins import distribution

    with transaction.atomic():
        locked = (
            Bulletin.objects.select_for_update().select_related("template", "owner_unit").get(pk=bulletin.pk)
        )
        if locked.state not in step.sources:
            raise Refused(
                "state",
                _("该通报当前为「%(s)s」，不能%(a)s") % {"s": locked.get_state_display(), "a": step.label},
            )
        if version is not None and version != locked.version:
            raise Refused("conflict", _("该通报刚被他人办理，请刷新后再试"), "version")
        now = timezone.now()
        _stamp(locked, step, actor, reason, now)
        if step.action == "issue":
            _number(locked)
            locked.reply_due = add_workdays(now, locked.template.reply_days)
        locked.state, locked.version = step.target, locked.version + 1
        locked.save()
        if step.action == "issue":
            distribution.add_recipients(locked)
            locked.render_state, locked.render_progress = RenderState.QUEUED, 0
            Bulletin.objects.filter(pk=locked.pk).update(render_state=RenderState.QUEUED, render_progress=0)
        record(
            None,
            f"bulletin.{step.action}",
            obj=locked,
            actor=actor,
            detail={"reason": reason, "to": step.target},
        )
        distribution.announce(locked, step, actor, reason)
    if step.action == "issue":
        distribution.queue_render(locked)
    return locked


def _stamp(bulletin: Bulletin, step: Transition, actor: User, reason: str, now: Any) -> None:
    if step.action == "approve":
        bulletin.reviewed_by, bulletin.reviewed_at = actor, now
    elif step.action == "sign":
        bulletin.signed_by, bulletin.signed_at = actor, now
    elif step.action == "issue":
        bulletin.issued_by, bulletin.issued_at = actor, now
    elif step.action == "return":
        bulletin.return_note = reason
        bulletin.reviewed_by = bulletin.reviewed_at = None
    if step.action == "submit":
        bulletin.return_note = ""


def _number(bulletin: Bulletin) -> None:
    """The next number of the office's series (its document-number prefix) this year: kinds sharing a prefix
    share the series, so a 发文字号 is never given twice (the unique constraint backs it)."""
    year = timezone.localdate().year
    last = Bulletin.objects.filter(
        owner_unit_id=bulletin.owner_unit_id, number_prefix=bulletin.number_prefix, year=year
    ).aggregate(n=Max("number"))["n"]
    bulletin.year, bulletin.number = year, (last or 0) + 1


def issue_safely(bulletin: Bulletin, actor: User, version: int | None = None) -> Bulletin:
    """``transition(…, "issue")`` with one retry when another issue took the same number at the same
    moment."""
    try:
        return transition(bulletin, "issue", actor, version=version)
    except IntegrityError:
        return transition(bulletin, "issue", actor)


# --- read receipts and rectification reports ----------------------------------------------------------------


def recipient_for(bulletin: Bulletin, user: User) -> Recipient | None:
    if not user.is_authenticated or user.unit_id is None or bulletin.state != BulletinState.ISSUED:
        return None
    return Recipient.objects.filter(bulletin=bulletin, unit_id=user.unit_id).first()


def mark_read(bulletin: Bulletin, user: User) -> Recipient | None:
    """The first reading by someone of a recipient unit is its read receipt (later readings change
    nothing)."""
    recipient = recipient_for(bulletin, user)
    if recipient is None or recipient.read_at is not None:
        return recipient
    now = timezone.now()
    if Recipient.objects.filter(pk=recipient.pk, read_at__isnull=True).update(read_at=now, read_by=user):
        record(None, "bulletin.read", obj=bulletin, actor=user, detail={"unit": recipient.unit_id})
        recipient.read_at, recipient.read_by = now, user
    return recipient


def reply(recipient: Recipient, actor: User, text: str, photo_ids: list[int] | None = None) -> Recipient:
    """报送整改报告: the unit's handler or head answers; the office then accepts it or returns it."""
    from chuangwen.evidence.models import Evidence

    if actor.unit_id != recipient.unit_id or actor.role not in (Role.HANDLER, Role.UNIT_HEAD):
        raise Refused("forbidden", _("只有被通报单位的经办人或负责人可以报送整改报告"))
    text = (text or "").strip()
    if not text:
        raise Refused("invalid", _("请填写整改报告"), "text")
    if len(text) > MAX_REPLY_CHARS:
        raise Refused("invalid", _("整改报告不能超过 %(n)s 字") % {"n": MAX_REPLY_CHARS}, "text")
    ids = list(dict.fromkeys(photo_ids or []))
    if len(ids) > MAX_REPLY_PHOTOS:
        raise Refused("invalid", _("照片最多 %(n)s 张") % {"n": MAX_REPLY_PHOTOS}, "photos")
    photos = list(Evidence.objects.filter(pk__in=ids, uploader=actor))
    if len(photos) != len(ids):
        raise Refused("invalid", _("照片不存在或不是您上传的"), "photos")
    from chuangwen.bulletins import distribution

    with transaction.atomic():
        locked = Recipient.objects.select_for_update().select_related("bulletin", "unit").get(pk=recipient.pk)
        if locked.reply_state not in (ReplyState.AWAITING, ReplyState.RETURNED):
            raise Refused("state", _("该通报当前不需要报送整改报告"))
        locked.reply_text, locked.replied_at, locked.replied_by = text, timezone.now(), actor
        locked.reply_state = ReplyState.REPLIED
        locked.save()
        locked.reply_photos.set(photos)
        record(None, "bulletin.reply", obj=locked.bulletin, actor=actor, detail={"unit": locked.unit_id})
        distribution.reply_received(locked)
    return locked


def review_reply(recipient: Recipient, actor: User, accept: bool, note: str = "") -> Recipient:
    """The issuing office accepts a rectification report, or returns it with a reason to be reported again."""
    from chuangwen.bulletins import distribution

    if not is_office_of(actor, recipient.bulletin.owner_unit_id) or actor.role != Role.COORDINATOR:
        raise Refused("forbidden", _("只有发文单位文明办协调员可以审核整改报告"))
    note = (note or "").strip()
    if not accept and not note:
        raise Refused("invalid", _("退回时请填写意见"), "note")
    if len(note) > 500:
        raise Refused("invalid", _("意见不能超过 500 字"), "note")
    with transaction.atomic():
        locked = Recipient.objects.select_for_update().select_related("bulletin", "unit").get(pk=recipient.pk)
        if locked.reply_state != ReplyState.REPLIED:
            raise Refused("state", _("该单位尚未报送整改报告"))
        now = timezone.now()
        locked.reply_state = ReplyState.ACCEPTED if accept else ReplyState.RETURNED
        locked.review_note, locked.reviewed_at = note, now
        if not accept:
            locked.reply_due = add_workdays(now, locked.bulletin.template.reply_days)
            locked.reminded_at = locked.escalated_at = None
        locked.save()
        record(
            None,
            "bulletin.reply_review",
            obj=locked.bulletin,
            actor=actor,
            detail={"unit": locked.unit_id, "accept": accept},
        )
        distribution.reply_reviewed(locked)
    return locked


def reason_labels(reasons: list[str]) -> list[str]:
    return [str(RecipientReason(r).label) for r in reasons if r in RecipientReason.values]
