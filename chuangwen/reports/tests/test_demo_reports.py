"""The demo district has a few hundred citizen reports in every state."""

from __future__ import annotations

from chuangwen.core.demo import build_demo
from chuangwen.reports.models import CitizenReport


def test_the_demo_has_citizen_reports_in_every_state(db):
    build_demo("district", 7)
    reports = CitizenReport.objects.all()
    assert reports.count() >= 200
    states = set(reports.values_list("case__state", flat=True))
    assert {
        "new",
        "dispatched",
        "accepted",
        "rectified",
        "closed",
        "rejected",
        "duplicate",
        "rework",
    } <= states
    assert reports.filter(rating__isnull=False, case__state="closed").count() >= 30
    assert reports.filter(reopened_at__isnull=False, case__state="rework").count() >= 5
    assert reports.filter(supporters__gt=0).exists()
    assert reports.exclude(phone="").exists() and reports.filter(phone="").exists()
    for report in reports.filter(case__state="rejected")[:5]:
        assert report.case.events.filter(action="reject").exclude(reason="").exists()
    for report in reports.order_by("?")[:20]:
        times = list(report.case.events.values_list("at", flat=True))
        assert times == sorted(times) and report.case.opened_at <= times[0]
