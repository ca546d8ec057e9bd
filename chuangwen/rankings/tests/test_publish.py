"""Publishing: a snapshot that never changes, compared with the previous period; published once."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from chuangwen.audit.models import AuditEntry
from chuangwen.cases.models import Case
from chuangwen.cases.tests.case_fixtures import make_case
from chuangwen.rankings.compute import Period
from chuangwen.rankings.models import Ranking
from chuangwen.rankings.services import publish
from chuangwen.rankings.tests.page_fixtures import make_visit
from chuangwen.rounds.models import RoundStatus
from chuangwen.rounds.tests.visit_fixtures import make_round
from chuangwen.standards.services.versions import load_default_standard

pytestmark = pytest.mark.django_db


@time_machine.travel(datetime(2026, 3, 16, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)
def test_it_publishes_once_compares_and_never_changes(org, users, sites):
    this_month = Period.for_month(timezone.localdate())
    last_month = this_month.previous()
    assert last_month is not None
    early = last_month.start + timedelta(days=1)
    # both streets score 80 on their one visit each month (on-site 80 for both, the level mean too)
    round_ = make_round(org, users, load_default_standard(), status=RoundStatus.PUBLISHED)
    for when in (early, timezone.now() - timedelta(hours=1)):
        make_visit(round_, sites["west_road"], users["inspector"], 80, when)
        make_visit(round_, sites["east_estate"], users["inspector"], 80, when)
    # last month: west closed its case on time (100), east let one run out (30):
    # west (0.6·80 + 0.3·100) / 0.9 = 86.67, east (0.6·80 + 0.3·30) / 0.9 = 63.33
    make_case("closed", org["west"], opened_at=early, deadline=early + timedelta(days=2), closed_at=early)
    make_case("accepted", org["east"], opened_at=early, deadline=early + timedelta(days=2))
    before = publish(last_month, "street", users["coordinator"])
    assert [(r.unit_name, r.rank, r.composite) for r in before.rows.all()] == [
        ("西湖街道", 1, D("86.67")),
        ("东城街道", 2, D("63.33")),
    ]
    # this month the order turns
    now = timezone.now()
    make_case("closed", org["east"], deadline=now + timedelta(days=1), closed_at=now)
    make_case("accepted", org["west"], deadline=now - timedelta(hours=1))
    ranking = publish(this_month, "street", users["coordinator"])
    rows = {r.unit_name: r for r in ranking.rows.all()}
    assert ranking.previous == before and ranking.title.endswith("街道排名")
    assert (rows["东城街道"].rank, rows["东城街道"].rank_change, rows["东城街道"].composite_change) == (
        1,
        1,
        D("23.34"),
    )
    assert (rows["西湖街道"].rank, rows["西湖街道"].rank_change) == (2, -1)
    assert AuditEntry.objects.filter(action="ranking.publish").count() == 2

    # the snapshot stands whatever happens to the records afterwards
    Case.objects.filter(unit=org["west"]).update(state="closed", closed_at=now)
    ranking.refresh_from_db()
    assert rows["西湖街道"].composite == ranking.rows.get(unit=org["west"]).composite
    row = ranking.rows.get(unit=org["west"])
    row.composite = D(99)
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        ranking.delete()
    with pytest.raises(ValidationError, match="已发布"):
        publish(this_month, "street", users["coordinator"])
    assert Ranking.objects.count() == 2


def test_it_lets_only_coordinators_publish(org, users):
    with pytest.raises(PermissionError):
        publish(Period.for_month(timezone.localdate()), "street", users["leader"])
