"""The ranking pages: the public table, the drill-down and its scoping."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from chuangwen.rankings import formulas
from chuangwen.rankings.drilldown import drilldown
from conftest import client_for


def test_it_shows_the_published_table_to_every_signed_in_user(ranked: Any, users: dict[str, Any]) -> None:
    for name in ("east_handler", "west_handler", "dept_handler", "coordinator", "leader"):
        client = client_for(users[name])
        listing = client.get("/rankings/")
        assert listing.status_code == 200
        assert ranked.title in listing.content.decode()
        page = client.get(f"/rankings/{ranked.pk}/").content.decode()
        assert "西湖街道" in page and "东城街道" in page


def test_it_links_the_drill_down_only_for_units_the_viewer_may_open(
    ranked: Any, users: dict[str, Any], org: dict[str, Any]
) -> None:
    page = client_for(users["east_handler"]).get(f"/rankings/{ranked.pk}/").content.decode()
    assert f"/rankings/{ranked.pk}/unit/{org['east'].pk}/" in page
    assert f"/rankings/{ranked.pk}/unit/{org['west'].pk}/" not in page


def test_it_hides_another_streets_internals(ranked: Any, users: dict[str, Any], org: dict[str, Any]) -> None:
    url = f"/rankings/{ranked.pk}/unit/{org['west'].pk}/"
    assert client_for(users["east_handler"]).get(url).status_code == 404
    assert client_for(users["dept_handler"]).get(url).status_code == 404
    assert client_for(users["east_handler"]).get(url + "visits.xlsx").status_code == 404
    assert client_for(users["west_handler"]).get(url).status_code == 200
    assert client_for(users["coordinator"]).get(url).status_code == 200
    assert client_for(users["leader"]).get(url).status_code == 200


def test_it_adds_the_drill_down_up_to_the_onsite_score(
    ranked: Any, scored: dict[str, Any], users: dict[str, Any], org: dict[str, Any]
) -> None:
    row = ranked.rows.get(unit=org["west"])
    # By hand: (90 × 1.0 + 94 × 1.2 × 1.5) / (1.0 + 1.8) = 259.2 / 2.8 = 92.571… → 92.57
    assert row.onsite_raw == Decimal("92.57")
    page = (
        client_for(users["coordinator"]).get(f"/rankings/{ranked.pk}/unit/{org['west'].pk}/").content.decode()
    )
    pairs = re.findall(r'data-visit="\d+" data-weight="([\d.]+)" data-score="([\d.]+)"', page)
    assert len(pairs) == 2 == row.visits
    total = sum((Decimal(w) * Decimal(s) for w, s in pairs), Decimal(0))
    weights = sum((Decimal(w) for w, _s in pairs), Decimal(0))
    assert formulas.q_score(total / weights) == row.onsite_raw
    assert 'data-adds-up="yes"' in page
    assert "259.2" in page and "2.8" in page
    d = drilldown(ranked, row)
    assert d.adds_up and d.onsite_raw == row.onsite_raw and d.weight_sum == row.weight_sum
    assert formulas.q_score(formulas.shrink(Decimal("259.2") / Decimal("2.8"), 2, d.prior, 5)) == row.onsite  # type: ignore[arg-type]


def test_it_lists_exactly_the_cases_counted_in_each_numerator(
    ranked: Any, scored: dict[str, Any], users: dict[str, Any], org: dict[str, Any]
) -> None:
    row = ranked.rows.get(unit=org["west"])
    d = drilldown(ranked, row)
    assert (
        {line.case.pk for line in d.cases} == {scored["case_a"].pk, scored["case_b"].pk} == set(row.case_ids)
    )
    for name, stored in row.counts.items():
        members = {line.case.pk for line in d.cases if line.members[name]}
        assert len(members) == stored, name
    assert {line.case.pk for line in d.cases if line.members["disposal_rate"]} == {scored["case_b"].pk}
    assert {line.case.pk for line in d.cases if line.members["ontime_rate"]} == {scored["case_b"].pk}
    assert d.counts_match
    page = (
        client_for(users["west_handler"])
        .get(f"/rankings/{ranked.pk}/unit/{org['west'].pk}/")
        .content.decode()
    )
    assert page.count('data-member="disposal_rate">✓') == row.counts["disposal_rate"] == 1
    assert 'id="counts-changed"' not in page


def test_it_keeps_the_snapshot_and_says_when_cases_changed_since(
    ranked: Any, scored: dict[str, Any], org: dict[str, Any]
) -> None:
    from chuangwen.cases.models import Case

    # case B was reopened after publication: closed at the ranking's as_of no longer
    Case.objects.filter(pk=scored["case_b"].pk).update(state="rework", closed_at=None)
    row = ranked.rows.get(unit=org["west"])
    d = drilldown(ranked, row)
    assert d.stored_counts["disposal_rate"] == 1 and d.counts["disposal_rate"] == 0
    assert not d.counts_match


def test_it_shows_the_change_against_the_previous_month(
    scored: dict[str, Any], users: dict[str, Any], org: dict[str, Any]
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from chuangwen.rankings.compute import Period
    from chuangwen.rankings.services import publish

    this_month = Period.for_month(timezone.localdate())
    last_month = Period.for_month(timezone.localdate().replace(day=1) - timedelta(days=1))
    publish(last_month, "street", users["coordinator"])
    ranking = publish(this_month, "street", users["coordinator"])
    page = client_for(users["east_handler"]).get(f"/rankings/{ranking.pk}/").content.decode()
    assert "较上期" in page and ranking.previous is not None
