"""compute() against hand-computed districts: weights, shrinkage toward the level mean, what counts in a
period (published official rounds only), the case indicators, penalties and ranks."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from chuangwen.cases.models import CaseEvent
from chuangwen.cases.tests.case_fixtures import make_case
from chuangwen.rankings.compute import Period, compute
from chuangwen.rounds.models import RoundKind, RoundStatus, Visit
from chuangwen.rounds.tests.visit_fixtures import make_round, standard  # noqa: F401
from chuangwen.standards.models import SiteType

pytestmark = pytest.mark.django_db


def visit(round_, site, score, inspector):
    return Visit.objects.create(
        client_id=uuid.uuid4(),
        round=round_,
        site=site,
        inspector=inspector,
        status="accepted",
        score=D(score),
    )


@pytest.fixture
def weighted(standard):  # noqa: F811
    SiteType.objects.filter(standard=standard, code="ZD").update(weight=1)
    SiteType.objects.filter(standard=standard, code="NM").update(weight=2)
    SiteType.objects.filter(standard=standard, code="LJ").update(weight=1)
    return standard


def test_it_scores_streets_by_weighted_shrunk_means(org, users, sites, weighted):
    round_ = make_round(org, users, weighted, status=RoundStatus.PUBLISHED)
    ids = [
        visit(round_, sites["west_road"], 90, users["inspector"]).pk,  # ZD, declared: weight 1
        visit(round_, sites["west_market"], 70, users["inspector"]).pk,  # NM ×2, undeclared ×1.5: weight 3
        visit(round_, sites["east_estate"], 60, users["inspector"]).pk,  # LJ, undeclared: weight 1.5
    ]
    # not counted: a self-check round, and a round not yet published
    selfcheck = make_round(org, users, weighted, status=RoundStatus.PUBLISHED, kind=RoundKind.SELF_CHECK)
    visit(selfcheck, sites["east_estate"], 100, users["inspector"])
    hidden = make_round(org, users, weighted)
    visit(hidden, sites["east_estate"], 100, users["inspector"])

    west, east = compute(Period.for_round(round_), "street")
    # west: (90·1 + 70·3) / 4 = 75; level mean (90 + 210 + 90) / 5.5 = 70.909…;
    # shrunk with k = 5: (2·75 + 5·70.909…) / 7 = 72.08; east: (60 + 5·70.909…) / 6 = 69.09
    assert (west.unit_name, west.onsite_raw, west.onsite, west.visits) == (
        "西湖街道",
        D("75.00"),
        D("72.08"),
        2,
    )
    assert (east.unit_name, east.onsite_raw, east.onsite, east.visits) == (
        "东城街道",
        D("60.00"),
        D("69.09"),
        1,
    )
    assert west.weight_sum == D("4.0") and sorted(west.visit_ids + east.visit_ids) == sorted(ids)
    assert (west.composite, west.rank, east.composite, east.rank) == (D("72.08"), 1, D("69.09"), 2)
    assert west.rectification is None  # no cases: the composite is the on-site score alone
    (community_w, community_e) = sorted(
        compute(Period.for_round(round_), "community"), key=lambda s: s.unit_code
    )
    assert community_w.visits == 2 and community_e.visits == 1
    (dept,) = compute(Period.for_round(round_), "department")
    assert (dept.visits, dept.composite, dept.rank) == (
        0,
        None,
        None,
    )  # the department is responsible for none


@time_machine.travel(datetime(2026, 3, 16, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)
def test_it_counts_a_months_cases_into_the_indicators(org, users):
    now = timezone.now()
    east, area = org["east"], org["east_c"]
    closed_on_time = make_case(
        "closed", east, area=area, deadline=now + timedelta(days=1), closed_at=now, rework_count=1
    )
    make_case("closed", east, area=area, deadline=now - timedelta(days=1), closed_at=now, extension_count=1)
    make_case("accepted", org["east_c"], area=area, deadline=now - timedelta(hours=1))  # overdue, open
    # still inside its time: not counted yet
    make_case("accepted", east, area=area, deadline=now + timedelta(days=3), recurrence_of=closed_on_time)
    make_case("cancelled", east, area=area)  # not counted
    make_case("suspended", east, area=area, deadline=now - timedelta(days=3))  # paused: not overdue
    CaseEvent.objects.create(
        case=closed_on_time, action="reverify_fail", from_state="closed", to_state="rework"
    )

    scores = {s.unit_name: s for s in compute(Period.for_month(timezone.localdate()), "street")}
    e = scores["东城街道"]
    assert e.cases == 4 and e.counts == {
        "disposal_rate": 2, "ontime_rate": 1, "rework_rate": 1, "overdue_rate": 2,
        "extension_rate": 1, "recurrence_rate": 0,
    }  # fmt: skip
    assert e.indicators["disposal_rate"] == D("0.5000") and e.indicators["overdue_rate"] == D("0.5000")
    # 100 × (0.25·0.5 + 0.25·0.25 + 0.15·0.75 + 0.2·0.5 + 0.05·0.75 + 0.1·1) = 53.75; a falsified fix
    # costs 5 points; no visit: not ranked (样本不足), no composite
    assert e.rectification == D("53.75") and e.penalty == D(5) and e.composite is None
    assert e.rank is None and scores["西湖街道"].rank is None and scores["西湖街道"].cases == 0
    assert len(e.case_ids) == 4
