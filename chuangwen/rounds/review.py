"""Reviewing many visits: accept at once the ones without problems; step to the previous / next visit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, Q

from chuangwen.rounds.models import JudgementResult, Round, Visit, VisitOutcome, VisitStatus
from chuangwen.rounds.visits import ReviewRefused, accept_visit, check_items

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest

    from chuangwen.accounts.models import User

LIST_ORDER = ("-received_at", "-pk")  # the visit list's order; previous / next follow it


def clean_visits(round_: Round, user: User) -> list[Visit]:
    """Submitted visits a reviewer need not open: done (no exception, no far-away explanation), not one
    item judged not conforming, no finding, and every item of the site type's checklist judged."""
    candidates = (
        Visit.objects.visible_to(user)
        .filter(round=round_, status=VisitStatus.SUBMITTED, outcome=VisitOutcome.DONE)
        .filter(exception_reason="", far_reason="")
        .annotate(
            bad=Count("judgements", filter=Q(judgements__result=JudgementResult.NOT_CONFORMING)),
            judged=Count("judgements", distinct=True),
            found=Count("findings", distinct=True),
        )
        .filter(bad=0, found=0)
        .select_related("site")
        .order_by(*LIST_ORDER)
    )
    checklist: dict[str, set[int]] = {}
    clean = []
    for visit in candidates:
        if visit.site.site_type not in checklist:
            items = check_items(round_, visit.site).values()
            checklist[visit.site.site_type] = {item.pk for item in items}
        wanted = checklist[visit.site.site_type]
        judged = set(visit.judgements.values_list("check_item_id", flat=True))
        if wanted and judged >= wanted:
            clean.append(visit)
    return clean


def accept_clean(round_: Round, user: User, *, request: HttpRequest | None = None) -> list[Visit]:
    """Accept every clean visit, each audited like a single acceptance; ones taken meanwhile are skipped."""
    accepted = []
    for visit in clean_visits(round_, user):
        try:
            accepted.append(accept_visit(visit, user, request=request))
        except ReviewRefused:
            continue  # another coordinator reviewed it in the meantime
    return accepted


def neighbours(visit: Visit, visits: QuerySet[Visit]) -> tuple[Visit | None, Visit | None]:
    """The visits before and after ``visit`` in the list order (``visits``: the viewer's, one round)."""
    pks = list(visits.order_by(*LIST_ORDER).values_list("pk", flat=True))
    if visit.pk not in pks:
        return None, None
    i = pks.index(visit.pk)
    before = pks[i - 1] if i > 0 else None
    after = pks[i + 1] if i + 1 < len(pks) else None
    found = {v.pk: v for v in visits.filter(pk__in=[p for p in (before, after) if p]).select_related("site")}
    return found.get(before or 0), found.get(after or 0)
