"""Routing: which unit must fix the problem a finding records.

The coordinator keeps a table of ``RoutingRule`` rows (check item or duty category × area → unit). For a site
and a check item, ``route`` considers the active rules whose target unit is active and that match:

- the item: a rule with a check item code matches that item only; a rule with only a duty category matches
  every item of that category (a rule with both must match both);
- the area: a rule with an area unit matches sites whose area lies in that unit's subtree; without one, every
  site.

Of the matching rules the most specific wins, in this order:

1. a rule naming the check item beats a rule naming only the duty category;
2. a deeper area beats a shallower one (a community's rule beats its street's, which beats the district's,
   which beats a rule without area);
3. a higher ``priority`` number;
4. the lower id (the older rule).

With no matching rule the case goes to the site's responsible unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils.translation import gettext as _

from chuangwen.cases.models import RoutingRule
from chuangwen.org.models import Unit

if TYPE_CHECKING:
    from chuangwen.rounds.models import Finding, Round
    from chuangwen.sites.models import Site
    from chuangwen.standards.models import CheckItem


@dataclass(frozen=True)
class RouteDecision:
    unit: Unit
    rule: RoutingRule | None
    explanation: str


def _area_ids(site: Site) -> list[int]:
    """The site's area unit and every unit above it (the areas whose rules apply to the site)."""
    return site.area_unit.lineage_ids


def _specificity(rule: RoutingRule) -> tuple[int, int, int, int]:
    """Sort key: smaller is more specific (see the module docstring for the order)."""
    depth = rule.area_unit.depth if rule.area_unit is not None else -1
    return (0 if rule.check_item_code else 1, -depth, -rule.priority, rule.pk)


def matching_rules(site: Site, check_item: CheckItem) -> list[RoutingRule]:
    """The active rules that apply to the site and item, the winning one first."""
    rules = (
        RoutingRule.objects.filter(active=True, target_unit__active=True)
        .filter(Q(check_item_code="") | Q(check_item_code=check_item.code))
        .filter(Q(duty="") | Q(duty=check_item.duty))
        .filter(Q(area_unit__isnull=True) | Q(area_unit_id__in=_area_ids(site)))
        .select_related("area_unit", "target_unit")
    )
    return sorted(rules, key=_specificity)


def duty_rules(area_unit: Unit, duty: str) -> list[RoutingRule]:
    """The active rules of a duty category alone (no check item) that apply in ``area_unit``, the winning one
    first: for a problem known only by its place and duty (a citizen report with no site near it)."""
    rules = (
        RoutingRule.objects.filter(active=True, target_unit__active=True, check_item_code="", duty=duty)
        .filter(Q(area_unit__isnull=True) | Q(area_unit_id__in=area_unit.lineage_ids))
        .select_related("area_unit", "target_unit")
    )
    return sorted(rules, key=_specificity)


def explain(rule: RoutingRule, check_item: CheckItem) -> str:
    what = (
        _("测评指标 %(code)s") % {"code": rule.check_item_code}
        if rule.check_item_code
        else _("责任类别“%(duty)s”") % {"duty": rule.duty}
    )
    where = rule.area_unit.name if rule.area_unit is not None else _("全域")
    return _("按分派规则 #%(id)d（%(what)s · %(where)s）派往%(unit)s") % {
        "id": rule.pk,
        "what": what,
        "where": where,
        "unit": rule.target_unit.name,
    }


def route(site: Site, check_item: CheckItem) -> RouteDecision:
    """Where a problem of ``check_item`` at ``site`` goes, and why (in words for the coordinator)."""
    rules = matching_rules(site, check_item)
    if rules:
        rule = rules[0]
        return RouteDecision(rule.target_unit, rule, explain(rule, check_item))
    return RouteDecision(site.responsible_unit, None, _("未匹配分派规则，按点位责任单位"))


def pending_findings(round_: Round) -> list[Finding]:
    """The round's findings that are, or at publication will be, handed to the case workflow and have no
    case yet: those of accepted visits, hidden or ready."""
    from chuangwen.rounds.models import Finding, FindingStatus, VisitStatus

    return list(
        Finding.objects.filter(
            round=round_,
            status__in=[FindingStatus.HIDDEN, FindingStatus.READY],
            visit__status=VisitStatus.ACCEPTED,
            case__isnull=True,
        )
        .select_related("site__area_unit", "site__responsible_unit", "check_item")
        .order_by("site__code", "check_item__code", "pk")
    )


def preview(round_: Round) -> list[tuple[Finding, RouteDecision]]:
    """Where each pending finding of the round will go (before or after publication)."""
    return [(finding, route(finding.site, finding.check_item)) for finding in pending_findings(round_)]
