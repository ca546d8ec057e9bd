"""Scheduled bulletins: after each publication of its source, a scheduled template drafts the next issue and
tells the office it is ready for review. Monthly templates follow the month rankings of their level,
weekly ones
the office's published unannounced rounds; a source already cited by a bulletin of the template is skipped."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from chuangwen.accounts.models import Role, User
from chuangwen.bulletins.distribution import link_of
from chuangwen.bulletins.models import Bulletin, BulletinTemplate, Schedule
from chuangwen.notify.services import notify
from chuangwen.rankings.models import PeriodKind, Ranking
from chuangwen.rounds.models import Round, RoundKind, RoundStatus

logger = logging.getLogger(__name__)


def _drafter(template: BulletinTemplate) -> User | None:
    return (
        User.objects.filter(unit_id=template.owner_unit_id, role=Role.COORDINATOR, is_active=True)
        .order_by("pk")
        .first()
    )


def _next_ranking(template: BulletinTemplate) -> Ranking | None:
    cited = Bulletin.objects.filter(template=template, ranking__isnull=False).values("ranking_id")
    return (
        Ranking.objects.filter(period_kind=PeriodKind.MONTH, level=template.ranking_level)
        .filter(rows__unit__path__startswith=template.owner_unit.path)
        .exclude(pk__in=cited)
        .exclude(published_at__lt=template.created_at)
        .distinct()
        .order_by("-published_at")
        .first()
    )


def _next_round(template: BulletinTemplate) -> Round | None:
    cited = Bulletin.objects.filter(template=template, round__isnull=False).values("round_id")
    return (
        Round.objects.filter(
            owner_unit=template.owner_unit,
            kind=RoundKind.UNANNOUNCED,
            status=RoundStatus.PUBLISHED,
            published_at__gte=template.created_at,
        )
        .exclude(pk__in=cited)
        .order_by("-published_at")
        .first()
    )


def draft_due() -> list[Bulletin]:
    """Draft what is due for every active scheduled template; a failure of one template is logged, not
    fatal."""
    from chuangwen.bulletins.services import Refused, draft

    made = []
    templates = (
        BulletinTemplate.objects.filter(active=True)
        .exclude(schedule=Schedule.NONE)
        .select_related("owner_unit")
    )
    for template in templates:
        actor = _drafter(template)
        if actor is None:
            continue
        ranking = _next_ranking(template) if template.schedule == Schedule.MONTHLY else None
        round_ = _next_round(template) if template.schedule == Schedule.WEEKLY else None
        if ranking is None and round_ is None:
            continue
        try:
            with transaction.atomic():
                bulletin = draft(template, actor, ranking=ranking, round_=round_)
                coordinators = User.objects.filter(
                    unit_id=template.owner_unit_id, role=Role.COORDINATOR, is_active=True
                )
                notify(
                    coordinators,
                    subject=_("新一期通报已自动起草，请审阅：%(t)s") % {"t": bulletin.title},
                    body=bulletin.title,
                    link=link_of(bulletin),
                    kind="bulletin.drafted",
                    key=f"bulletin:{bulletin.pk}:drafted",
                )
        except Refused as exc:
            logger.warning("scheduled bulletin of template %s not drafted: %s", template.pk, exc.message)
            continue
        made.append(bulletin)
    return made
