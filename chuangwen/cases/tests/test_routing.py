"""Routing: the most specific active rule wins; without one, the site's responsible unit."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from chuangwen.cases.models import RoutingRule
from chuangwen.cases.routing import preview, route
from chuangwen.org.models import Unit, UnitKind
from chuangwen.rounds.tests.round_fixtures import accept_visit_with_finding
from chuangwen.standards.models import CheckItem


@pytest.fixture
def item(round_standard):
    return CheckItem.objects.get(site_type__standard=round_standard, code="ZD-03")  # duty 城管


@pytest.fixture
def police(org):
    return Unit.objects.create(
        code="D01B02", name="区交警大队", kind=UnitKind.DEPARTMENT, parent=org["district"]
    )


def rule(target, **fields):
    return RoutingRule.objects.create(target_unit=target, **fields)


def test_without_a_rule_the_site_responsible_unit_gets_it(org, sites, item):
    decision = route(sites["west_road"], item)
    assert decision.unit == org["west"] and decision.rule is None
    assert decision.explanation == "未匹配分派规则，按点位责任单位"


def test_an_item_rule_beats_a_duty_rule_even_a_deeper_one(org, sites, item, police):
    duty_rule = rule(org["dept"], duty="城管", area_unit=org["west_c"], priority=9)
    item_rule = rule(police, check_item_code="ZD-03")
    decision = route(sites["west_road"], item)
    assert decision.rule == item_rule and decision.unit == police
    assert "ZD-03" in decision.explanation and "区交警大队" in decision.explanation
    item_rule.delete()
    assert route(sites["west_road"], item).rule == duty_rule


def test_a_deeper_area_beats_a_shallower_one_then_priority_then_age(org, sites, item, police):
    rule(police, duty="城管")  # everywhere
    district = rule(police, duty="城管", area_unit=org["district"], priority=5)
    street = rule(org["dept"], duty="城管", area_unit=org["west"])
    assert route(sites["west_road"], item).rule == street  # west_road lies in west_c, under west
    assert route(sites["east_estate"], item).rule == district  # the west rule does not reach east
    higher = rule(org["west_c"], duty="城管", area_unit=org["west"], priority=1)
    assert route(sites["west_road"], item).rule == higher
    rule(org["west"], duty="城管", area_unit=org["west"], priority=1)  # same specificity, newer
    assert route(sites["west_road"], item).rule == higher


def test_inactive_rules_and_inactive_targets_are_ignored(org, sites, item, police):
    rule(police, check_item_code="ZD-03", active=False)
    closed = Unit.objects.create(
        code="D01B09", name="已撤销单位", kind=UnitKind.DEPARTMENT, parent=org["district"], active=False
    )
    rule(closed, duty="城管")
    rule(org["dept"], duty="环卫")  # another duty
    rule(org["dept"], check_item_code="ZD-04")  # another item
    assert route(sites["west_road"], item).rule is None


def test_a_rule_needs_an_item_or_a_duty(org):
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError, transaction

    with pytest.raises(ValidationError):
        RoutingRule(target_unit=org["dept"]).full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        rule(org["dept"])


def test_preview_lists_each_pending_finding_with_its_decision(org, users, started_round, team_inspectors):
    entries = list(started_round.entries.select_related("site", "team").order_by("draw_order")[:2])
    for entry in entries:
        accept_visit_with_finding(started_round, entry, users["inspector"])
    accept_visit_with_finding(
        started_round, started_round.entries.order_by("draw_order")[2], users["inspector"], status="submitted"
    )
    first_item = entries[0].site.site_type
    rule(
        org["dept"],
        check_item_code=CheckItem.objects.filter(
            site_type__standard=started_round.standard, site_type__code=first_item
        )
        .first()
        .code,
    )
    rows = preview(started_round)
    assert len(rows) == 2  # the finding of a visit not yet accepted is not handed over
    by_site = {finding.site: decision for finding, decision in rows}
    assert by_site[entries[0].site].unit == org["dept"]
    second = by_site[entries[1].site]
    if entries[1].site.site_type != first_item:
        assert second.unit == entries[1].site.responsible_unit and second.rule is None
    out = io.StringIO()
    call_command("cases", "route-preview", str(started_round.pk), stdout=out)
    assert "共 2 个不符合项" in out.getvalue() and "区城管局" in out.getvalue()
