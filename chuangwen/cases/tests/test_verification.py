"""Verification after the fix: a failed check sends the case back with a fresh deadline; a share of closed
cases is picked at random for a second check; a repeat finding links the new case to the old one (复发)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from chuangwen.cases import services
from chuangwen.cases.exceptions import TransitionRefused
from chuangwen.cases.tests.case_fixtures import make_case, make_photo
from chuangwen.rounds.models import Finding, FindingStatus, Judgement, Round, RoundStatus, Visit
from chuangwen.rounds.tests.visit_fixtures import make_round, standard  # noqa: F401
from chuangwen.standards.models import CheckItem
from chuangwen.workdays.services import deadline_for
from conftest import client_for


def rectified(org, people):
    case = make_case("new", None, area=org["east_c"])
    handler = people["east_handler"]
    services.apply(case, "triage_accept", people["coordinator"], unit=org["east"])
    services.apply(case, "accept", handler)
    services.apply(case, "rectify", handler, reason="已清理", photos=[make_photo(handler)])
    return case


def test_it_gives_a_reworked_case_a_fresh_deadline(org, people):
    case = rectified(org, people)
    before = timezone.now()
    services.apply(case, "verify_fail", people["verifier"], reason="仍有堆放")
    assert case.state == "rework" and case.rework_count == 1
    assert case.deadline_from is not None and case.deadline_from >= before
    assert case.deadline == deadline_for(case.deadline_from, 3, "general")
    assert case.warn_at is not None and case.deadline_from <= case.warn_at <= case.deadline


def test_it_picks_every_closed_case_for_a_second_check_when_told(org, people, settings):
    settings.CASES_REVERIFY_SHARE = 1.0
    case = rectified(org, people)
    services.apply(case, "verify_pass", people["verifier"])
    assert case.state == "closed" and case.reverify_pending
    # the second check may not be made by the rectifier; any verifier who did not rectify may make it
    with pytest.raises(TransitionRefused, match="只有"):
        services.apply(case, "reverify_pass", people["east_handler"])
    services.apply(case, "reverify_fail", people["verifier2"], reason="复核发现又有堆放")
    assert (case.state, case.rework_count, case.reverify_pending, case.closed_at) == (
        "rework",
        1,
        False,
        None,
    )
    assert case.deadline is not None and case.deadline > timezone.now()


def test_it_passes_a_second_check_and_stays_closed(org, people, settings):
    settings.CASES_REVERIFY_SHARE = 1.0
    case = rectified(org, people)
    services.apply(case, "verify_pass", people["verifier"])
    page = client_for(people["verifier2"]).get(f"/cases/{case.pk}/").content.decode()
    assert "抽查复核通过" in page and "待抽查复核" in page
    services.apply(case, "reverify_pass", people["verifier2"])
    assert (case.state, case.reverify_pending) == ("closed", False)
    with pytest.raises(TransitionRefused, match="未被抽中复核"):
        services.apply(case, "reverify_pass", people["verifier2"])


def test_it_picks_none_when_the_share_is_zero_and_about_the_share_otherwise(org, people, settings):
    settings.CASES_REVERIFY_SHARE = 0.0
    case = rectified(org, people)
    services.apply(case, "verify_pass", people["verifier"])
    assert not case.reverify_pending
    settings.CASES_REVERIFY_SHARE = 0.5
    picked = 0
    for _i in range(60):
        other = make_case("rectified", org["east"])
        services.apply(other, "verify_pass", people["verifier"])
        picked += other.reverify_pending
    # 60 draws at 1/2: outside 12..48 has probability below 1e-5
    assert 12 <= picked <= 48


def finding_at(round_, site, item, inspector) -> Finding:
    visit = Visit.objects.create(client_id=uuid.uuid4(), round=round_, site=site, inspector=inspector)
    judgement = Judgement.objects.create(visit=visit, check_item=item, result="not_conforming", count=1)
    return Finding.objects.create(
        judgement=judgement, round=round_, visit=visit, site=site, check_item=item, status=FindingStatus.READY
    )


def test_it_links_a_recurrence_within_the_window(org, people, sites, standard, settings):  # noqa: F811
    settings.CASES_RECURRENCE_DAYS = 30
    site = sites["east_estate"]
    item = CheckItem.objects.filter(site_type__standard=standard, site_type__code=site.site_type).first()
    first_round = make_round(org, people, standard, status=RoundStatus.PUBLISHED)
    old = services.open_case_from_finding(finding_at(first_round, site, item, people["inspector"]), None)
    services.apply(old, "triage_accept", people["coordinator"], unit=org["east"])
    services.apply(old, "accept", people["east_handler"])
    services.apply(
        old, "rectify", people["east_handler"], reason="已修", photos=[make_photo(people["east_handler"])]
    )
    services.apply(old, "verify_pass", people["verifier"])

    second_round = make_round(org, people, standard, status=RoundStatus.PUBLISHED)
    Round.objects.filter(pk=second_round.pk).update(published_at=timezone.now() + timedelta(days=10))
    new = services.open_case_from_finding(finding_at(second_round, site, item, people["inspector"]), None)
    assert new.recurrence_of == old and list(old.recurrences.all()) == [new]
    assert new.events.get(action="open").data == {"source": "finding", "recurrence_of": old.code}
    page = client_for(people["coordinator"]).get(f"/cases/{new.pk}/").content.decode()
    assert "复发" in page and old.code in page

    third_round = make_round(org, people, standard, status=RoundStatus.PUBLISHED)
    Round.objects.filter(pk=third_round.pk).update(published_at=timezone.now() + timedelta(days=45))
    late = services.open_case_from_finding(finding_at(third_round, site, item, people["inspector"]), None)
    assert late.recurrence_of is None
