"""待办: each person's real queue on the home page, counted in SQL inside his or her scope.

One function per role in ``QUEUES`` returns the items; each item's count is the number of rows its link shows.
Case items are counted through the worklist's own filter form (``CaseFilterForm``) with the very parameters of
their link, so the number on the home page and the rows of the list cannot drift apart. Rounds go through
``Round.objects.fully_visible_to``: a round in progress is counted only for those who may know it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.accounts.models import Role, User
from chuangwen.cases.forms import CaseFilterForm
from chuangwen.cases.models import Case, CaseState


@dataclass(frozen=True)
class TodoItem:
    key: str  # stable name of the queue (data-todo attribute; tests find the item by it)
    label: str
    url: str
    count: int | None = None  # None: a link without a number (e.g. the latest ranking)


def case_item(user: User, key: str, label: str, params: dict[str, str], now: datetime) -> TodoItem:
    """The viewer's cases matching the worklist filters ``params``, and the worklist link with them."""
    form = CaseFilterForm(params, user=user)
    count = form.filter(Case.objects.visible_to(user), now).count()
    return TodoItem(key, label, f"{reverse('cases:list')}?{urlencode(params)}", count)


def handler_queue(user: User, now: datetime) -> list[TodoItem]:
    return [
        case_item(user, "dispatched", _("新派遣待受理"), {"state": CaseState.DISPATCHED}, now),
        case_item(user, "rework", _("返工待整改"), {"state": CaseState.REWORK}, now),
        case_item(user, "yellow", _("黄灯（临期）"), {"light": "yellow"}, now),
        case_item(user, "red", _("红灯（超期）"), {"light": "red"}, now),
    ]


def unit_head_queue(user: User, now: datetime) -> list[TodoItem]:
    return [
        case_item(user, "return", _("退回申请待审批"), {"pending": "return"}, now),
        case_item(user, "extension", _("延期申请待审批"), {"pending": "extension"}, now),
        case_item(user, "overdue", _("本单位超期案卷"), {"overdue": "on"}, now),
    ]


def verifier_queue(user: User, now: datetime) -> list[TodoItem]:
    return [
        case_item(user, "rectified", _("已整改待核查"), {"state": CaseState.RECTIFIED}, now),
        case_item(user, "reverify", _("抽中待复核"), {"pending": "reverify"}, now),
    ]


def reports_item(user: User) -> TodoItem:
    """Citizen reports awaiting triage: the same rows as the triage list's 「待分拣」 tab."""
    from chuangwen.reports.models import CitizenReport

    count = CitizenReport.objects.visible_to(user).filter(case__state=CaseState.NEW).count()
    return TodoItem("reports", _("市民随手拍待分拣"), f"{reverse('report_triage:list')}?tab=new", count)


def visit_items(user: User) -> list[TodoItem]:
    """Submitted visits per round the coordinator may review (rounds he or she knows, not yet published)."""
    from chuangwen.rounds.models import Round, VisitStatus
    from chuangwen.rounds.visits import OPEN_STATUSES

    if user.role != Role.COORDINATOR:
        return []
    # A round the coordinator sees whole: every visit of it is visible to him or her.
    submitted = Q(visits__status=VisitStatus.SUBMITTED)
    rounds = (
        Round.objects.fully_visible_to(user)
        .filter(status__in=OPEN_STATUSES)
        .annotate(waiting=Count("visits", filter=submitted, distinct=True))
        .filter(waiting__gt=0)
        .order_by("period_start", "pk")
    )
    return [
        TodoItem(
            f"visits-{pk}",
            _("测评待审核：%(round)s") % {"round": name},
            f"{reverse('visits:round', args=[pk])}?status={VisitStatus.SUBMITTED}",
            waiting,
        )
        for pk, name, waiting in rounds.values_list("pk", "name", "waiting")
    ]


def ranking_items(user: User) -> list[TodoItem]:
    """Published rounds of the coordinator's office with no ranking yet: a link to compute and publish."""
    from chuangwen.rankings.models import Ranking
    from chuangwen.rounds.models import OFFICIAL_KINDS, Round, RoundStatus

    ranked = Ranking.objects.filter(round=OuterRef("pk"))
    rounds = (
        Round.objects.fully_visible_to(user)
        .filter(status=RoundStatus.PUBLISHED, kind__in=OFFICIAL_KINDS)
        .filter(~Exists(ranked))
        .order_by("-period_start", "-pk")
    )
    return [
        TodoItem(
            f"ranking-{round_.pk}",
            _("排名待发布：%(round)s") % {"round": round_.name},
            f"{reverse('rankings:compute')}?{urlencode({'period': f'round:{round_.pk}'})}",
        )
        for round_ in rounds
    ]


def coordinator_queue(user: User, now: datetime) -> list[TodoItem]:
    return [
        reports_item(user),
        case_item(user, "returned", _("退回待重新派遣"), {"state": CaseState.RETURNED}, now),
        case_item(user, "extension", _("延期申请待审批"), {"pending": "extension"}, now),
        case_item(user, "overdue", _("超期案卷"), {"overdue": "on"}, now),
        *visit_items(user),
        *ranking_items(user),
    ]


def latest_ranking_item(user: User) -> list[TodoItem]:
    from chuangwen.rankings.models import Ranking

    ranking = Ranking.objects.order_by("-published_at", "-pk").first()
    if ranking is None:
        return []
    url = reverse("rankings:detail", args=[ranking.pk])
    return [TodoItem("ranking", _("最新排名：%(title)s") % {"title": ranking.title}, url)]


def leader_queue(user: User, now: datetime) -> list[TodoItem]:
    return [
        case_item(user, "overdue", _("超期案卷"), {"overdue": "on"}, now),
        case_item(user, "escalated", _("已报领导督办"), {"pending": "escalated"}, now),
        *latest_ranking_item(user),
    ]


def inspector_queue(user: User, now: datetime) -> list[TodoItem]:
    """Today's route: the sites of the inspector's teams in rounds under way today not yet visited."""
    from chuangwen.rounds.models import RoundSite, RoundStatus, Visit, VisitStatus

    today = timezone.localdate(now)
    visited = Visit.objects.filter(round_id=OuterRef("round_id"), site_id=OuterRef("site_id")).exclude(
        status=VisitStatus.SENT_BACK
    )
    entries = RoundSite.objects.filter(
        team__members=user,
        round__status=RoundStatus.IN_PROGRESS,
        round__period_start__lte=today,
        round__period_end__gte=today,
    ).filter(~Exists(visited))
    return [TodoItem("route", _("今日路线待测评点位"), reverse("inspect:app"), entries.count())]


QUEUES: dict[str, Callable[[User, datetime], list[TodoItem]]] = {
    Role.HANDLER: handler_queue,
    Role.UNIT_HEAD: unit_head_queue,
    Role.VERIFIER: verifier_queue,
    Role.COORDINATOR: coordinator_queue,
    Role.LEADER: leader_queue,
    Role.INSPECTOR: inspector_queue,
}


def todo_for(user: User, now: datetime | None = None) -> list[TodoItem]:
    """The signed-in person's queues (empty for roles without one)."""
    queue = QUEUES.get(user.role)
    return queue(user, now or timezone.now()) if queue is not None else []
