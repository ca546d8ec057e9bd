"""Intake: each ready finding of a published round becomes one case, routed, dispatched, with its deadline."""

from __future__ import annotations

import io
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from chuangwen.cases.intake import open_cases_for_round
from chuangwen.cases.models import Case, CaseState, RoutingRule
from chuangwen.rounds import services as round_services
from chuangwen.rounds.models import Finding, FindingStatus, Judgement, Round, Visit
from chuangwen.standards.models import CheckItem

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The Friday before the 2026 Spring Festival: 2/14 (Sat) is a make-up workday, 2/15–2/23 are off,
# 2/28 (Sat) is a make-up workday.
PUBLISHED_AT = datetime(2026, 2, 13, 10, 0, tzinfo=SHANGHAI)


def end_of(day: int, month: int = 2) -> datetime:
    return datetime(2026, month, day, 23, 59, 59, 999999, tzinfo=SHANGHAI)


def add_findings(round_, users, codes_by_type):
    """An accepted visit at the first drawn site of each type, with a finding for each given item code."""
    findings = []
    for site_type, codes in codes_by_type.items():
        entry = (
            round_.entries.filter(site__site_type=site_type).select_related("site").order_by("draw_order")[0]
        )
        visit = Visit.objects.create(
            client_id=uuid.uuid4(), round=round_, site=entry.site, team=entry.team,
            inspector=users["inspector"], status="accepted", score=90,
        )  # fmt: skip
        for code in codes:
            item = CheckItem.objects.get(site_type__standard=round_.standard, code=code)
            judgement = Judgement.objects.create(
                visit=visit, check_item=item, result="not_conforming", count=1
            )
            findings.append(
                Finding.objects.create(
                    judgement=judgement, round=round_, visit=visit, site=entry.site, check_item=item
                )
            )
    return findings


def publish_on_the_13th(round_, users):
    round_services.publish_round(round_, users["coordinator"], confirm_missing=True)
    Round.objects.filter(pk=round_.pk).update(published_at=PUBLISHED_AT)
    round_.refresh_from_db()
    return round_


@pytest.fixture
def with_findings(started_round, users, org):
    findings = add_findings(
        started_round, users, {"ZD": ["ZD-01", "ZD-02", "ZD-03", "ZD-06"], "LJ": ["LJ-01"]}
    )
    RoutingRule.objects.create(check_item_code="ZD-06", target_unit=org["dept"])
    return findings


def test_each_ready_finding_becomes_one_dispatched_case_with_its_workday_deadline(
    with_findings, started_round, users, org
):
    round_ = publish_on_the_13th(started_round, users)
    result = open_cases_for_round(round_)
    assert (len(result.opened), result.dispatched, result.left_new) == (5, 5, 0)
    cases = {case.check_item.code: case for case in Case.objects.select_related("check_item", "site")}
    assert set(cases) == {"ZD-01", "ZD-02", "ZD-03", "ZD-06", "LJ-01"}
    assert all(case.state == CaseState.DISPATCHED for case in cases.values())
    assert Finding.objects.filter(status=FindingStatus.DISPATCHED).count() == 5
    assert cases["ZD-01"].deadline == end_of(5, 3)  # 10 working days: 2/14, 2/24–28, 3/2–3/5
    assert cases["ZD-02"].deadline == end_of(13)  # 0 days (立行立改): the same working day
    assert cases["ZD-03"].deadline == end_of(14)  # 1 day: the make-up Saturday
    assert cases["ZD-06"].deadline == end_of(27)  # 5 days (serious, factor 1): 2/14, 2/24–2/27
    assert cases["ZD-06"].unit == org["dept"]  # the item rule
    zd_site = cases["ZD-01"].site
    assert cases["ZD-01"].unit == zd_site.responsible_unit  # no rule: the site's responsible unit
    dispatch = cases["ZD-06"].events.get(action="triage_accept")
    assert dispatch.actor == users["coordinator"] and "ZD-06" in dispatch.data["routing"]
    assert (
        cases["ZD-01"].events.get(action="triage_accept").data["routing"] == "未匹配分派规则，按点位责任单位"
    )


def test_running_it_again_opens_nothing_new(with_findings, started_round, users):
    round_ = publish_on_the_13th(started_round, users)
    open_cases_for_round(round_)
    again = open_cases_for_round(round_)
    assert (again.opened, again.dispatched) == ([], 0)
    assert Case.objects.count() == 5


def test_an_unpublished_round_and_hidden_findings_open_nothing(with_findings, started_round):
    assert open_cases_for_round(started_round).opened == []
    assert not Case.objects.exists()


def test_a_case_the_coordinator_may_not_dispatch_stays_new(with_findings, started_round, users, org):
    RoutingRule.objects.create(check_item_code="LJ-01", target_unit=org["city"])  # outside the district
    round_ = publish_on_the_13th(started_round, users)
    result = open_cases_for_round(round_)
    assert (result.dispatched, result.left_new) == (4, 1)
    stuck = Case.objects.get(check_item__code="LJ-01")
    assert stuck.state == CaseState.NEW and stuck.unit is None and stuck.deadline is None


def test_publication_opens_the_cases_through_the_signal(
    with_findings, started_round, users, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        round_services.publish_round(started_round, users["coordinator"], confirm_missing=True)
    assert Case.objects.filter(state=CaseState.DISPATCHED).count() == 5
    assert Case.objects.filter(deadline__isnull=True).count() == 0


def test_the_intake_command_is_safe_to_repeat(with_findings, started_round, users):
    round_ = publish_on_the_13th(started_round, users)
    out = io.StringIO()
    call_command("cases", "intake", str(round_.pk), stdout=out)
    call_command("cases", "intake", str(round_.pk), stdout=out)
    assert "新立案 5 件，已派遣 5 件" in out.getvalue() and "新立案 0 件" in out.getvalue()
