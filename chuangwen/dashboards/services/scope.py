"""Who may see the overview, and the scoped querysets every dashboard number starts from.

Every query starts from the one scoping function of its model (``visible_to(viewer)``) and is then narrowed
to the unit shown: the sites whose area unit or responsible unit lies in the unit's subtree, the cases routed
to or located in it. Scores and findings come from **published** rounds and accepted visits only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q

from chuangwen.cases.models import Case, CaseQuerySet
from chuangwen.rounds.models import (
    OFFICIAL_KINDS,
    Finding,
    FindingQuerySet,
    RoundStatus,
    Visit,
    VisitQuerySet,
    VisitStatus,
)

if TYPE_CHECKING:
    from chuangwen.accounts.models import User
    from chuangwen.org.models import Unit

# Scores are the official ones: a unit's own self-check (自查) never enters a score shown to leaders.


def site_q(unit: Unit, prefix: str = "") -> Q:
    """Sites of a unit: their area unit or their responsible unit lies in its subtree."""
    return Q(**{f"{prefix}area_unit__path__startswith": unit.path}) | Q(
        **{f"{prefix}responsible_unit__path__startswith": unit.path}
    )


def published_visits(user: User, unit: Unit) -> VisitQuerySet:
    """Accepted visits of published rounds at the unit's sites, as far as the viewer may see them."""
    return (
        Visit.objects.visible_to(user)
        .filter(round__status=RoundStatus.PUBLISHED, status=VisitStatus.ACCEPTED)
        .filter(site_q(unit, "site__"))
    )


def scored_visits(user: User, unit: Unit) -> VisitQuerySet:
    """The visits whose scores count: official kinds, with a score."""
    return published_visits(user, unit).filter(round__kind__in=OFFICIAL_KINDS, score__isnull=False)


def published_findings(user: User, unit: Unit) -> FindingQuerySet:
    """Not-conforming findings of accepted visits of published rounds at the unit's sites."""
    return (
        Finding.objects.visible_to(user)
        .filter(round__status=RoundStatus.PUBLISHED, visit__status=VisitStatus.ACCEPTED)
        .filter(site_q(unit, "site__"))
    )


def scoped_cases(user: User, unit: Unit) -> CaseQuerySet:
    """The viewer's cases routed to the unit's subtree or lying in it."""
    cases = Case.objects.visible_to(user)
    if user.unit_id != unit.pk:
        cases = cases.filter(Q(unit__path__startswith=unit.path) | Q(area_unit__path__startswith=unit.path))
    return cases
