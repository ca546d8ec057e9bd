"""Every number of a generated bulletin, recomputed from the records with this file's own queries."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from chuangwen.bulletins import services
from chuangwen.bulletins.tests.fixtures import CONFORMING, draft_of
from chuangwen.cases.models import Case
from chuangwen.rankings.models import RankingRow
from chuangwen.rounds.models import Finding, Judgement

pytestmark = pytest.mark.django_db


def _q(value: Decimal, places: str) -> str:
    return str(value.quantize(Decimal(places), rounding=ROUND_HALF_UP))


def test_it_matches_the_records_number_for_number(
    bulletin_world: dict[str, Any], users: dict[str, Any]
) -> None:
    bulletin = draft_of(bulletin_world, users)
    snap = bulletin.content
    visits = [bulletin_world[name].pk for name in ("road", "market", "estate")]
    judged = Judgement.objects.filter(visit_id__in=visits)
    good = judged.filter(result="conforming").count()
    bad = judged.filter(result="not_conforming").count()
    assert good == sum(CONFORMING.values())
    over = snap["overview"]
    assert (over["visits"], over["sites"], over["conforming"], over["applicable"]) == (3, 3, good, good + bad)
    assert over["score_rate"] == _q(Decimal(100) * good / (good + bad), "0.1") == "85.7"
    assert over["previous_score_rate"] is None and over["change"] is None  # the first ranking has no previous
    findings = Finding.objects.filter(visit_id__in=visits)
    assert over["findings"] == findings.count()
    assert over["problems"] == sum(f.count for f in findings)

    rows = list(RankingRow.objects.filter(ranking=bulletin_world["ranking"]))
    assert [(r["unit_name"], r["rank"], r["composite"]) for r in snap["ranking"]] == [
        (row.unit_name, row.rank, _q(row.composite, "0.01") if row.composite is not None else None)
        for row in rows
    ]
    by_name = {r.unit_name: r for r in rows}
    assert [r["unit_name"] for r in snap["red"]] == ["西湖街道"]
    assert [r["unit_name"] for r in snap["black"]] == ["东城街道"]
    assert Decimal(snap["black"][0]["composite"]) == by_name["东城街道"].composite

    open_cases = Case.objects.filter(finding__visit_id__in=visits).exclude(state__in=["closed", "cancelled"])
    assert sorted(r["code"] for r in snap["deadline"]) == sorted(open_cases.values_list("code", flat=True))
    assert bulletin_world["case_b"].code not in {r["code"] for r in snap["deadline"]}  # closed: not listed

    reasons = {(r["code"], r["reason"]) for r in snap["lookback"]}
    assert reasons == {
        (bulletin_world["case_a"].code, "rework"),
        (bulletin_world["case_c"].code, "flagged_photo"),
    }
    assert [t["unit_name"] for t in snap["talks"]] == ["东城街道"]

    road_finding = bulletin_world["findings"][bulletin_world["road"].pk]
    [typical] = snap["typical"]
    assert typical["finding_id"] == road_finding.pk
    assert typical["count"] == road_finding.count and typical["caption"] == "路面破损未修复"
    assert typical["photos"] == [bulletin_world["photos"]["road"].pk]


def test_it_refuses_an_unpublished_round(bulletin_world: dict[str, Any], users: dict[str, Any]) -> None:
    round_ = bulletin_world["round"]
    type(round_).objects.filter(pk=round_.pk).update(status="in_progress")
    round_.refresh_from_db()
    with pytest.raises(services.Refused) as refused:
        services.draft(bulletin_world["monthly"], users["coordinator"], round_=round_)
    assert refused.value.field == "round"


def test_it_refuses_a_typical_problem_outside_the_bulletin(
    bulletin_world: dict[str, Any], users: dict[str, Any]
) -> None:
    bulletin = draft_of(bulletin_world, users)
    market_finding = bulletin_world["findings"][bulletin_world["market"].pk]  # no photo
    with pytest.raises(services.Refused) as refused:
        services.set_typical(bulletin, users["coordinator"], [(market_finding.pk, "")])
    assert refused.value.field == "typical"
    assert [t["finding_id"] for t in type(bulletin).objects.get(pk=bulletin.pk).content["typical"]] == [
        bulletin_world["findings"][bulletin_world["road"].pk].pk
    ]
