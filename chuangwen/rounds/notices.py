"""Who hears that a round's visits are all in: the coordinators who run the round, and nobody else.

A round is secret until publication, so the notice goes to the people of ``services.is_coordinator_of`` only
(never to a unit's group robots, whose chats other people read).
"""

from __future__ import annotations

import logging

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from chuangwen.accounts.models import Role, User
from chuangwen.notify import preferences
from chuangwen.notify.models import NoticeKind
from chuangwen.rounds.models import Round, RoundSite, Visit, VisitStatus

logger = logging.getLogger(__name__)


def round_coordinators(round_: Round) -> QuerySet[User]:
    """Active coordinators of the round's office or an office above it (those who may run the round)."""
    units = round_.owner_unit.lineage_ids
    return User.objects.filter(role=Role.COORDINATOR, unit_id__in=units, is_active=True).order_by("pk")


def all_visits_in(round_: Round) -> bool:
    """Every drawn site has a visit that was not sent back."""
    visited = Visit.objects.filter(round=round_).exclude(status=VisitStatus.SENT_BACK).values("site_id")
    entries = RoundSite.objects.filter(round=round_)
    return entries.exists() and not entries.exclude(site_id__in=visited).exists()


def announce_if_all_in(round_id: int) -> int:
    """After a visit is stored: tell the round's coordinators once when the last site is in. Returns how
    many were told at once; a failure is logged (the visit itself stands)."""
    try:
        round_ = Round.objects.select_related("owner_unit").get(pk=round_id)
        if not all_visits_in(round_):
            return 0
        entries = RoundSite.objects.filter(round=round_).count()
        subject = _("测评批次的点位已全部提交：%(round)s") % {"round": round_.name}
        body = _("%(n)d 个抽中点位均已提交测评，请审核后发布。") % {"n": entries}
        link = f"{reverse('visits:round', args=[round_.pk])}?status={VisitStatus.SUBMITTED}"
        told, _held = preferences.send(
            round_coordinators(round_),
            robots_of=None,
            kind=NoticeKind.ROUND_VISITS_IN,
            subject=subject,
            body=body,
            link=link,
            key=f"round-visits-in:{round_.pk}",
        )
        return told
    except Exception:
        logger.exception("the all-visits-in notice of round %s failed", round_id)
        return 0
