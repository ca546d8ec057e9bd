"""public_status, rating only after closure, reopening within 7 days of the closure."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from chuangwen.cases import services as case_services
from chuangwen.cases.models import Case, CaseEvent, CaseState
from chuangwen.cases.tests.case_fixtures import make_photo
from chuangwen.reports import public, services, triage
from chuangwen.reports.tests.report_fixtures import submit

pytestmark = pytest.mark.django_db


def close(report: Any, users: dict[str, Any], org: dict[str, Any]) -> Case:
    case = report.case
    triage.accept_report(report, users["coordinator"], org["west"])
    case_services.apply(case, "accept", users["west_handler"])
    case_services.apply(
        case, "rectify", users["west_handler"], reason="已清理", photos=[make_photo(users["west_handler"])]
    )
    return case_services.apply(case, "verify_pass", users["verifier"])


def test_it_maps_each_state_to_the_public_words(org, users, categories):
    report = submit(categories["garbage"])
    status = public.public_status(report)
    assert (status.code, status.label, status.open) == ("received", "已收到，待分拣", True)
    triage.accept_report(report, users["coordinator"], org["west"])
    report.refresh_from_db()
    assert public.public_status(report).code == "accepted"
    case_services.apply(report.case, "accept", users["west_handler"])
    report.refresh_from_db()
    assert (public.public_status(report).code, public.public_status(report).label) == (
        "in_progress",
        "正在办理",
    )


def test_it_shows_the_reject_reason_and_no_names(org, users, categories):
    report = submit(categories["garbage"])
    triage.reject_report(report, users["coordinator"], "该位置属于私人小区内部，请联系物业处理")
    report.refresh_from_db()
    status = public.public_status(report)
    assert (status.code, status.open) == ("rejected", False)
    assert status.notes == "该位置属于私人小区内部，请联系物业处理"
    page = Client().get(f"/s/t/{report.tracking_code}/").content.decode()
    assert "该位置属于私人小区内部" in page and "coord" not in page and "文明区" not in page


def test_it_names_the_kept_report_of_a_duplicate(org, users, categories):
    kept = submit(categories["garbage"])
    dup = submit(categories["garbage"], phone="13911112222")
    triage.mark_duplicate(dup, users["coordinator"], kept.tracking_code)
    dup.refresh_from_db()
    status = public.public_status(dup)
    assert status.code == "duplicate" and kept.tracking_code in status.notes and not status.open
    kept.refresh_from_db()
    assert kept.supporters == 1  # the duplicate's reporter now supports the kept report


def test_it_rates_only_after_closure_and_once(org, users, categories):
    report = submit(categories["garbage"])
    with pytest.raises(ValidationError) as exc:
        services.rate_report(report, 5)
    assert exc.value.message_dict == {"rating": ["问题办结后才能评价"]}
    close(report, users, org)
    report.refresh_from_db()
    assert public.public_status(report).label == "已办结"
    with pytest.raises(ValidationError) as exc:
        services.rate_report(report, 6)
    assert exc.value.message_dict == {"rating": ["请选择 1 到 5 星的评价"]}
    services.rate_report(report, 4, "还行")
    report.refresh_from_db()
    assert (report.rating, report.rating_comment) == (4, "还行") and report.rated_at is not None
    with pytest.raises(ValidationError):
        services.rate_report(report, 5)


def test_it_reopens_within_seven_days_of_the_closure(org, users, categories):
    report = submit(categories["garbage"])
    case = close(report, users, org)
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - timedelta(days=6, hours=23))
    report.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.reopen_report(report, "")
    assert list(exc.value.message_dict) == ["reason"]
    services.reopen_report(report, "垃圾又堆起来了")
    report.refresh_from_db()
    case.refresh_from_db()
    assert case.state == CaseState.REWORK and case.rework_count == 1 and report.reopened_at is not None
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert event.action == "reporter_reopen" and event.actor.username == "citizen-portal"
    assert public.public_status(report).code == "in_progress"


def test_it_refuses_to_reopen_after_seven_days(org, users, categories):
    report = submit(categories["garbage"])
    case = close(report, users, org)
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - timedelta(days=7, minutes=1))
    report.refresh_from_db()
    assert not services.can_reopen(report)
    with pytest.raises(ValidationError) as exc:
        services.reopen_report(report, "没修好")
    assert "已超过办结后 7 天" in exc.value.message_dict["reason"][0]
    response = Client().post(f"/s/t/{report.tracking_code}/reopen/", {"reason": "没修好"})
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED


def test_only_the_portal_user_may_take_reporter_reopen(org, users, categories):
    from chuangwen.cases.exceptions import TransitionRefused

    report = submit(categories["garbage"])
    case = close(report, users, org)
    with pytest.raises(TransitionRefused):
        case_services.apply(case, "reporter_reopen", users["coordinator"], reason="x")
