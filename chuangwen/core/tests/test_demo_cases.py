"""The demo's published rounds open their cases, and some of those cases have moved on."""

from __future__ import annotations

import time

from chuangwen.cases.models import Case, CaseEvent, RoutingRule
from chuangwen.core.demo import build_demo
from chuangwen.evidence.models import EvidenceKind
from chuangwen.rounds.models import Finding, FindingStatus


def test_the_demo_has_cases_in_several_states(db):
    started = time.perf_counter()
    summary = build_demo("district", 7)
    seconds = time.perf_counter() - started
    assert not Finding.objects.filter(status=FindingStatus.READY).exists()  # every ready finding has its case
    assert Case.objects.count() == Finding.objects.filter(status=FindingStatus.DISPATCHED).count() > 0
    states = set(Case.objects.values_list("state", flat=True))
    assert {"dispatched", "accepted", "rectified", "closed", "rework", "suspended", "returned"} <= states
    assert summary.activity is not None and summary.activity.cases["closed"] == 3
    assert not Case.objects.filter(deadline__isnull=True).exists()
    assert RoutingRule.objects.exists() and Case.objects.filter(unit__kind="department").exists()
    rectify = CaseEvent.objects.filter(action="rectify").first()
    assert rectify is not None and rectify.photos.get().kind == EvidenceKind.RECTIFICATION
    assert seconds < 30, seconds  # about 11 s on the development machine; the budget is 15 s
