"""Who hears of a bulletin: the office through its workflow, the units concerned when it is issued (inbox,
the unit's e-mail with the documents attached, DingTalk/WeCom robots with a summary and a link), and the
follow-up of the rectification reports owed (reminder before the deadline, escalation after it)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.accounts.models import Role, User
from chuangwen.bulletins.models import Bulletin, BulletinState, Recipient, RecipientReason, ReplyState
from chuangwen.notify.services import notify, notify_unit

if TYPE_CHECKING:
    from chuangwen.bulletins.machine import Transition

# Reasons that oblige a unit to report its rectification by the bulletin's deadline.
MUST_REPLY = frozenset({RecipientReason.BLACK, RecipientReason.DEADLINE, RecipientReason.TALK})
REMIND_BEFORE = timedelta(days=2)


def link_of(bulletin: Bulletin) -> str:
    return reverse("bulletins:detail", args=[bulletin.pk])


def _people(unit_id: int, roles: tuple[str, ...]) -> list[User]:
    return list(User.objects.filter(unit_id=unit_id, role__in=roles, is_active=True))


def _office(bulletin: Bulletin, roles: tuple[str, ...] = (Role.COORDINATOR,)) -> list[User]:
    return _people(bulletin.owner_unit_id, roles)


def units_concerned(snapshot: dict[str, Any]) -> dict[int, set[str]]:
    """Unit id → why the bulletin goes to it, read from the snapshot alone."""
    reasons: dict[int, set[str]] = defaultdict(set)
    for row in snapshot.get("ranking", []):
        reasons[row["unit_id"]].add(RecipientReason.LISTED)
    for row in snapshot.get("black", []):
        reasons[row["unit_id"]].add(RecipientReason.BLACK)
    for row in snapshot.get("deadline", []):
        if row.get("unit_id"):
            reasons[row["unit_id"]].add(RecipientReason.DEADLINE)
    for row in snapshot.get("talks", []):
        reasons[row["unit_id"]].add(RecipientReason.TALK)
    for key in ("typical", "lookback", "commendations", "red"):
        for row in snapshot.get(key, []):
            if row.get("unit_id"):
                reasons[row["unit_id"]].add(RecipientReason.NAMED)
    return reasons


def add_recipients(bulletin: Bulletin) -> list[Recipient]:
    """The recipients of an issued bulletin (inside the issuing office's subtree only)."""
    from chuangwen.org.models import Unit

    reasons = units_concerned(bulletin.content)
    inside = set(
        Unit.objects.filter(pk__in=reasons, path__startswith=bulletin.owner_unit.path)
        .exclude(pk=bulletin.owner_unit_id)
        .values_list("pk", flat=True)
    )
    order = [r.value for r in RecipientReason]
    rows = []
    for unit_id in sorted(inside):
        why = sorted(reasons[unit_id], key=order.index)
        owes = bool(MUST_REPLY & set(why))
        rows.append(
            Recipient(
                bulletin=bulletin,
                unit_id=unit_id,
                reasons=why,
                reply_state=ReplyState.AWAITING if owes else ReplyState.NOT_REQUIRED,
                reply_due=bulletin.reply_due if owes else None,
            )
        )
    Recipient.objects.bulk_create(rows)
    return rows


def announce(bulletin: Bulletin, step: Transition, actor: User, reason: str) -> None:
    """Tell the next person in the workflow (inside the caller's transaction: nothing leaves before
    commit)."""
    link = link_of(bulletin)
    key = f"bulletin:{bulletin.pk}:{step.action}:{bulletin.version}"
    if step.action == "submit":
        others = [u for u in _office(bulletin) if u.pk != actor.pk]
        notify(
            others,
            subject=_("通报待审核：%(t)s") % {"t": bulletin.title},
            body=bulletin.title,
            link=link,
            kind="bulletin.review",
            key=key,
        )
    elif step.action == "approve":
        notify(
            _office(bulletin, (Role.LEADER,)),
            subject=_("通报待签发：%(t)s") % {"t": bulletin.title},
            body=bulletin.title,
            link=link,
            kind="bulletin.sign",
            key=key,
        )
    elif step.action == "sign":
        notify(
            _office(bulletin),
            subject=_("通报已签发，待印发：%(t)s") % {"t": bulletin.title},
            body=bulletin.title,
            link=link,
            kind="bulletin.issue",
            key=key,
        )
    elif step.action == "return":
        notify(
            [bulletin.created_by],
            subject=_("通报被退回修改：%(t)s") % {"t": bulletin.title},
            body=reason,
            link=link,
            kind="bulletin.returned",
            key=key,
        )


def queue_render(bulletin: Bulletin) -> None:
    """Render the documents on the task queue once the caller's transaction has committed."""
    from chuangwen.bulletins.tasks import render_bulletin

    pk = bulletin.pk
    transaction.on_commit(lambda: render_bulletin(pk))


def summary(bulletin: Bulletin) -> str:
    """The few lines a robot message or an inbox item carries: number, title, overall figures, lists."""
    snap = bulletin.content
    lines = [f"{bulletin.document_number} {bulletin.title}"]
    over = snap.get("overview") or {}
    if over.get("visits"):
        lines.append(
            _("测评点位 %(v)s 个次，得分率 %(r)s%%")
            % {"v": over["visits"], "r": over.get("score_rate") or "—"}
        )
    if snap.get("red"):
        lines.append(_("红榜：%(u)s") % {"u": "、".join(r["unit_name"] for r in snap["red"])})
    if snap.get("black"):
        lines.append(_("黑榜：%(u)s") % {"u": "、".join(r["unit_name"] for r in snap["black"])})
    if snap.get("deadline"):
        lines.append(_("限期整改问题 %(n)s 个") % {"n": len(snap["deadline"])})
    return "\n".join(lines)


def attachments_of(bulletin: Bulletin) -> list[dict[str, str]]:
    files = [
        (
            bulletin.docx_name,
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (bulletin.pdf_name, "pdf", "application/pdf"),
        (bulletin.xlsx_name, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ]
    stem = bulletin.document_number or bulletin.title
    return [
        {"name": name, "filename": f"{stem}.{ext}", "content_type": ctype}
        for name, ext, ctype in files
        if name
    ]


def deliver(bulletin: Bulletin) -> int:
    """Send an issued bulletin to its recipients (after its documents exist); a repeat sends nothing twice."""
    if bulletin.state != BulletinState.ISSUED:
        return 0
    link, text = link_of(bulletin), summary(bulletin)
    subject = _("【通报】%(n)s %(t)s") % {"n": bulletin.document_number, "t": bulletin.title}
    files = attachments_of(bulletin)
    sent = 0
    with transaction.atomic():
        for recipient in Recipient.objects.filter(bulletin=bulletin).select_related("unit"):
            body = text
            if recipient.reply_state == ReplyState.AWAITING and recipient.reply_due:
                due = timezone.localtime(recipient.reply_due).strftime("%Y-%m-%d")
                body += "\n" + _("请于 %(d)s 前在系统中报送整改报告。") % {"d": due}
            key = f"bulletin:{bulletin.pk}:issued"
            people = _people(recipient.unit_id, (Role.UNIT_HEAD, Role.HANDLER))
            notify(people, subject=subject, body=body, link=link, kind="bulletin.issued", key=key)
            notify_unit(
                recipient.unit,
                subject=subject,
                body=body,
                link=link,
                kind="bulletin.issued",
                key=key,
                attachments=files,
            )
            sent += 1
    return sent


def reply_received(recipient: Recipient) -> None:
    bulletin = recipient.bulletin
    notify(
        _office(bulletin),
        subject=_("%(u)s 报送了整改报告：%(t)s") % {"u": recipient.unit.name, "t": bulletin.title},
        body=recipient.reply_text[:300],
        link=link_of(bulletin),
        kind="bulletin.reply",
        key=f"bulletin:{bulletin.pk}:reply:{recipient.unit_id}:{recipient.replied_at}",
    )


def reply_reviewed(recipient: Recipient) -> None:
    bulletin = recipient.bulletin
    accepted = recipient.reply_state == ReplyState.ACCEPTED
    subject = (_("整改报告已认可：%(t)s") if accepted else _("整改报告被退回，请重新报送：%(t)s")) % {
        "t": bulletin.title
    }
    notify(
        _people(recipient.unit_id, (Role.UNIT_HEAD, Role.HANDLER)),
        subject=subject,
        body=recipient.review_note,
        link=link_of(bulletin),
        kind="bulletin.reply_review",
        key=f"bulletin:{bulletin.pk}:review:{recipient.unit_id}:{recipient.reviewed_at}",
    )


def owed(now: datetime) -> Any:
    return Recipient.objects.filter(
        Q(reply_state__in=(ReplyState.AWAITING, ReplyState.RETURNED)), bulletin__state=BulletinState.ISSUED
    ).select_related("bulletin", "unit")


def sweep(now: datetime | None = None) -> tuple[int, int]:
    """Remind units whose report falls due within two days, and escalate those past due to the unit's head and
    the issuing office's coordinators and leaders. Each happens once per deadline."""
    now = now or timezone.now()
    reminded = escalated = 0
    for recipient in owed(now).filter(
        reply_due__lte=now + REMIND_BEFORE, reply_due__gt=now, reminded_at__isnull=True
    ):
        bulletin = recipient.bulletin
        due = timezone.localtime(recipient.reply_due).strftime("%Y-%m-%d %H:%M")
        with transaction.atomic():
            if Recipient.objects.filter(pk=recipient.pk, reminded_at__isnull=True).update(reminded_at=now):
                notify(
                    _people(recipient.unit_id, (Role.UNIT_HEAD, Role.HANDLER)),
                    subject=_("整改报告即将到期：%(t)s") % {"t": bulletin.title},
                    body=_("请于 %(d)s 前报送整改报告。") % {"d": due},
                    link=link_of(bulletin),
                    kind="bulletin.reply_due",
                    key=f"bulletin:{bulletin.pk}:remind:{recipient.unit_id}:{due}",
                )
                reminded += 1
    for recipient in owed(now).filter(reply_due__lte=now, escalated_at__isnull=True):
        bulletin = recipient.bulletin
        with transaction.atomic():
            if Recipient.objects.filter(pk=recipient.pk, escalated_at__isnull=True).update(escalated_at=now):
                people = _people(recipient.unit_id, (Role.UNIT_HEAD,)) + _office(
                    bulletin, (Role.COORDINATOR, Role.LEADER)
                )
                notify(
                    people,
                    subject=_("整改报告超期未报：%(u)s（%(t)s）")
                    % {"u": recipient.unit.name, "t": bulletin.title},
                    body=_("%(u)s 未在期限内报送整改报告，请督办。") % {"u": recipient.unit.name},
                    link=link_of(bulletin),
                    kind="bulletin.reply_overdue",
                    key=f"bulletin:{bulletin.pk}:overdue:{recipient.unit_id}:{recipient.reply_due}",
                )
                escalated += 1
    return reminded, escalated
