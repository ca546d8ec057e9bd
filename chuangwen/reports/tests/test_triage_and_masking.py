"""The coordinator's triage pages, phone masking for everyone else, and scoping of citizen reports."""

from __future__ import annotations

import pytest
from django.test import Client

from chuangwen.cases.models import CaseState
from chuangwen.reports import guard, public, triage
from chuangwen.reports.masking import mask_phone
from chuangwen.reports.models import CitizenReport
from chuangwen.reports.tests.report_fixtures import EAST, WEST, submit
from conftest import client_for

pytestmark = pytest.mark.django_db

PHONE = "13812345678"


def test_mask_phone():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+8613812345678") == "+86****5678"
    assert mask_phone("") == ""
    assert mask_phone("12345") == "***45"


def test_it_shows_the_full_number_only_to_coordinators(org, users, categories):
    report = submit(categories["garbage"], WEST, phone=PHONE)
    triage.accept_report(report, users["coordinator"], org["west"])
    pages = ["/reports/triage/?tab=all", f"/reports/triage/{report.pk}/"]
    for url in pages:
        coordinator = client_for(users["coordinator"]).get(url).content.decode()
        assert PHONE in coordinator, url
        leader = client_for(users["leader"]).get(url)
        assert leader.status_code == 200
        assert PHONE not in leader.content.decode() and "138****5678" in leader.content.decode(), url
    case_page = client_for(users["west_handler"]).get(f"/cases/{report.case.pk}/").content.decode()
    assert PHONE not in case_page


def test_only_coordinators_and_leaders_open_the_triage_pages(org, users, categories):
    report = submit(categories["garbage"], WEST)
    for name in ("west_handler", "verifier", "inspector", "west_head"):
        assert client_for(users[name]).get("/reports/triage/").status_code == 403
    assert Client().get("/reports/triage/").status_code == 302  # sign in first
    response = client_for(users["leader"]).post(f"/reports/triage/{report.pk}/reject/", {"reason": "x"})
    assert response.status_code == 403
    report.refresh_from_db()
    assert report.case.state == CaseState.NEW


def test_a_street_handler_never_sees_another_streets_reports(org, users, categories):
    west = submit(categories["garbage"], WEST)
    east = submit(categories["garbage"], EAST)
    triage.accept_report(west, users["coordinator"], org["west"])
    triage.accept_report(east, users["coordinator"], org["east"])
    seen = set(CitizenReport.objects.visible_to(users["west_handler"]).values_list("pk", flat=True))
    assert seen == {west.pk}
    assert set(CitizenReport.objects.visible_to(users["east_handler"]).values_list("pk", flat=True)) == {
        east.pk
    }
    assert CitizenReport.objects.visible_to(users["coordinator"]).count() == 2


def test_an_unrouted_report_is_seen_by_the_offices_over_its_place_only(org, users, categories):
    from conftest import make_user

    submit(categories["garbage"], EAST)
    west_coordinator = make_user("west_coord", "coordinator", org["west"])
    assert CitizenReport.objects.visible_to(west_coordinator).count() == 0
    assert CitizenReport.objects.visible_to(users["west_handler"]).count() == 0
    east = CitizenReport.objects.get()
    assert client_for(west_coordinator).get(f"/reports/triage/{east.pk}/").status_code == 404


def test_it_accepts_rejects_and_merges_through_the_page(org, users, categories):
    coordinator = client_for(users["coordinator"])
    first = submit(categories["garbage"], WEST, phone=PHONE)
    second = submit(categories["garbage"], WEST, phone="13900001111")
    third = submit(categories["parking"], EAST)
    guard.support_report(second, phone="13700002222")

    page = coordinator.get(f"/reports/triage/{second.pk}/").content.decode()
    assert first.tracking_code in page  # listed as a nearby duplicate
    coordinator.post(f"/reports/triage/{first.pk}/accept/", {"unit": org["west"].pk})
    coordinator.post(f"/reports/triage/{second.pk}/duplicate/", {"duplicate_of": first.tracking_code})
    coordinator.post(f"/reports/triage/{third.pk}/reject/", {"reason": "已由交警现场处理"})
    for report in (first, second, third):
        report.refresh_from_db()
    assert first.case.state == CaseState.DISPATCHED and first.case.unit == org["west"]
    assert second.case.state == CaseState.DUPLICATE
    assert first.supporters == 2  # second's supporter and second's reporter
    assert third.case.state == CaseState.REJECTED
    assert public.public_status(third).notes == "已由交警现场处理"


def test_it_says_what_is_missing(org, users, categories):
    report = submit(categories["garbage"], WEST)
    coordinator = client_for(users["coordinator"])
    response = coordinator.post(f"/reports/triage/{report.pk}/reject/", {"reason": ""}, follow=True)
    assert "不予受理须说明理由" in response.content.decode()
    response = coordinator.post(f"/reports/triage/{report.pk}/accept/", {}, follow=True)
    assert "请选择责任单位" in response.content.decode()
    report.refresh_from_db()
    assert report.case.state == CaseState.NEW
