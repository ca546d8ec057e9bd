"""The demo's published rounds open their cases, and some of those cases have moved on."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.utils import timezone

from chuangwen.cases.deadlines import overdue_q
from chuangwen.cases.models import Case, CaseEvent, Escalation, Instruction, RoutingRule
from chuangwen.core.demo import build_demo
from chuangwen.evidence.models import EvidenceKind
from chuangwen.notify.models import Notification
from chuangwen.rankings.models import Ranking
from chuangwen.rounds.models import Finding, FindingStatus


@time_machine.travel(datetime(2026, 12, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)
def test_the_demo_has_cases_in_several_states(db):
    summary = build_demo("district", 7)
    assert not Finding.objects.filter(status=FindingStatus.READY).exists()  # every ready finding has its case
    findings = Case.objects.filter(source="finding")
    assert findings.count() == Finding.objects.filter(status=FindingStatus.DISPATCHED).count() > 0
    hotline = Case.objects.filter(source="hotline")
    assert hotline.count() == 4 and not hotline.filter(external_ref="").exists()
    assert hotline.filter(state="dispatched", deadline__isnull=False).count() == 4
    assert Case.objects.filter(source="instruction", instructions__isnull=False).count() == 1
    assert Instruction.objects.filter(case__source="finding").count() == 1
    # a street ranking for each of the last twelve months, with ranked streets
    assert Ranking.objects.filter(period_kind="month", level="street").count() == 12
    street = Ranking.objects.filter(level="street").order_by("published_at").last()
    assert street is not None and street.previous is not None and street.rows.filter(rank=1).exists()
    states = set(Case.objects.values_list("state", flat=True))
    assert {
        "dispatched", "accepted", "rectified", "closed", "rework", "suspended", "returned", "cancelled"
    } <= states  # fmt: skip
    assert summary.activity is not None and summary.activity.cases["closed"] > 4
    assert Case.objects.filter(extension_requested_until__isnull=False).count() == 1
    assert Case.objects.filter(reverify_pending=True, state="closed").count() >= 1
    now = timezone.now()
    overdue = Case.objects.filter(overdue_q(now))
    assert overdue.count() >= 3 and overdue.filter(rework_count__gt=0).exists()
    # the sweep has told the coordinator of each overdue case, and history runs forward in time
    assert Escalation.objects.filter(level="coordinator").count() == overdue.count()
    assert Notification.objects.filter(user__username="demo_coordinator", kind__startswith="case.").exists()
    for case in overdue:
        times = list(case.events.values_list("at", flat=True))
        assert times == sorted(times) and case.opened_at <= times[0]
    # citizen reports awaiting triage, rejected or duplicate have no deadline (docs/reports.md)
    assert not Case.objects.filter(deadline__isnull=True).exclude(source="citizen").exists()
    assert RoutingRule.objects.exists() and Case.objects.filter(unit__kind="department").exists()
    rectify = CaseEvent.objects.filter(action="rectify").first()
    assert rectify is not None and rectify.photos.get().kind == EvidenceKind.RECTIFICATION
