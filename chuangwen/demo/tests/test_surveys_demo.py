"""The demo's 问卷调查: two published waves over every community, interviews and self-completions through the
real intake, the supervisor's reviews and call-backs, coached households kept out, rates that differ by
community and improve from one wave to the next."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from shapely.geometry import Point, shape

from chuangwen.demo.build import reset_business_data
from chuangwen.demo.services import build_demo
from chuangwen.demo.surveys import build_surveys
from chuangwen.org.models import Unit, UnitKind
from chuangwen.surveys.models import (
    COUNTED_STATUSES,
    CoachingVisit,
    Measure,
    Mode,
    PopulationFigure,
    QuotaCell,
    Response,
    ResponseStatus,
    Wave,
    WaveState,
)

NOW = datetime(2026, 12, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SEED = 7
CALLBACK_FAILED = "回访不符"  # services.record_callback's review note


def fingerprint() -> list[tuple[object, ...]]:
    """Every response as stored (who, where, when, what, and what became of it), but for its call-back (an
    interview rejected by its call-back counts as accepted here)."""
    rows = Response.objects.order_by("client_id").values_list(
        "client_id", "wave__name", "stratum__unit__code", "cell__age_band", "cell__sex", "mode",
        "interviewer__username", "respondent_key", "answers", "started_at", "submitted_at", "lat", "lng",
        "accuracy_m", "paradata", "flags", "status", "review_note",
    )  # fmt: skip
    return [
        (*row[:-2], *((ResponseStatus.ACCEPTED, "") if row[-1] == CALLBACK_FAILED else row[-2:]))
        for row in rows
    ]


@pytest.fixture(scope="class")
def surveys(django_db_setup, django_db_blocker):
    """The demo district's territory and people (no year of activity: this step needs none), then the survey
    step on a fixed day; rolled back afterwards."""
    with time_machine.travel(NOW, tick=False), django_db_blocker.unblock(), transaction.atomic():
        build_demo("district", SEED, reset=True, activity=False)
        waves = build_surveys(SEED, NOW)
        yield {"waves": [w.pk for w in waves], "fingerprint": fingerprint()}
        transaction.set_rollback(True)


def streets() -> list[int]:
    return list(Unit.objects.filter(kind=UnitKind.STREET).values_list("pk", flat=True))


class TestTheDemoSurveys:
    def test_it_publishes_two_waves_three_months_and_one_month_back(self, surveys, db):
        waves = list(Wave.objects.filter(pk__in=surveys["waves"]).order_by("starts_on"))
        assert [w.name for w in waves] == ["2026 年 9 月市民问卷调查", "2026 年 11 月市民问卷调查"]
        for wave in waves:
            assert wave.state == WaveState.PUBLISHED and wave.results
            published = timezone.localtime(wave.published_at)
            assert wave.ends_on < published.date() and published.month == wave.starts_on.month
            assert set(wave.modes) == {Mode.INTERVIEWER, Mode.SELF, Mode.PHONE}
            assert wave.staff.count() == 5  # four interviewers and the supervisor

    def test_it_plans_two_communities_of_every_street_from_their_residents(self, surveys, db):
        communities = Unit.objects.filter(kind=UnitKind.COMMUNITY)
        figures = PopulationFigure.objects.values("unit").annotate(n=Count("pk"))
        assert {f["unit"] for f in figures} == set(communities.values_list("pk", flat=True))
        assert {f["n"] for f in figures} == {10}  # five age bands × two sexes
        planned = []
        for wave in Wave.objects.filter(pk__in=surveys["waves"]).order_by("starts_on"):
            strata = list(wave.strata.select_related("unit"))
            assert Counter(s.unit.parent_id for s in strata) == {s: 2 for s in streets()}
            assert all(s.target >= 8 and s.population > 0 for s in strata)
            assert sum(s.target for s in strata) == 12 * len(strata) == 192
            planned.append({s.unit_id for s in strata})
        assert planned[0] == planned[1]

    def test_it_counts_every_measure_in_the_published_results(self, surveys, db):
        for wave in Wave.objects.filter(pk__in=surveys["waves"]):
            results = wave.results
            assert results["measures"] == list(Measure.values)
            owner = results["units"][str(wave.owner_unit_id)]
            assert all(owner["measures"][m] and 0 < owner["measures"][m]["rate"] < 1 for m in Measure.values)
            counts = results["counts"]
            assert counts["accepted"] > 170 and counts["rejected"] >= 5 and counts["excluded_coaching"] == 2
            assert counts["flagged"] == 0
            assert results["method"] in ("poststratification", "raking")

    def test_it_shows_rates_that_differ_by_community_and_improve(self, surveys, db):
        first, second = (
            Wave.objects.get(pk=pk).results for pk in sorted(surveys["waves"], key=lambda pk: pk)
        )
        for measure in Measure.values:
            before = first["units"][str(first["owner"])]["measures"][measure]["rate"]
            after = second["units"][str(second["owner"])]["measures"][measure]["rate"]
            assert after > before, measure
        communities = [
            row["measures"]["awareness"]["rate"]
            for row in first["units"].values()
            if row["stratum"] and row["measures"]["awareness"]
        ]
        assert max(communities) - min(communities) > 0.2

    def test_it_fields_interviews_inside_the_community_and_self_completions(self, surveys, db):
        interviews = Response.objects.filter(mode=Mode.INTERVIEWER).select_related("stratum__unit")
        inside = outside = 0
        for response in interviews.exclude(lat=None):
            if shape(response.stratum.unit.boundary).contains(Point(response.lng, response.lat)):
                inside += 1
            else:
                outside += 1
                assert "outside_area" in response.flags
        assert inside > 250 and outside == 4
        assert not interviews.filter(interviewer=None).exists()
        selfs = Response.objects.filter(mode=Mode.SELF)
        assert selfs.count() > 50 and not selfs.filter(Q(respondent_key="") | ~Q(interviewer=None)).exists()
        assert Response.objects.filter(mode=Mode.PHONE).exclude(respondent_key="").exists()

    def test_it_has_the_supervisor_reject_a_few_and_accept_the_rest(self, surveys, db):
        for wave in surveys["waves"]:
            responses = Response.objects.filter(wave_id=wave)
            assert not responses.filter(status=ResponseStatus.FLAGGED).exists()
            rejected = responses.filter(status=ResponseStatus.REJECTED)
            assert rejected.exists() and not rejected.filter(review_note="").exists()
            flags = Counter(f for r in rejected for f in r.flags)
            assert flags["too_fast"] >= 5 and flags["outside_area"] == 2 and flags["duplicate"] == 1
            reviewed = responses.filter(status=ResponseStatus.ACCEPTED).exclude(flags=[])
            assert {f for r in reviewed for f in r.flags} == {"straight_lined", "no_position"}
            assert not reviewed.filter(reviewed_by=None).exists()
            callbacks = Counter(responses.exclude(callback="").values_list("callback", flat=True))
            # How many are picked depends on the install's secret key; a wave always has several.
            assert callbacks["confirmed"] >= 2 and callbacks["failed"] >= 1 and not callbacks["picked"]

    def test_it_keeps_coached_households_out_of_the_sample(self, surveys, db):
        excluded = Response.objects.filter(status=ResponseStatus.EXCLUDED)
        assert excluded.count() == 4
        for response in excluded:
            assert CoachingVisit.objects.filter(
                respondent_key=response.respondent_key, unit=response.stratum.unit
            ).exists()
        assert CoachingVisit.objects.count() == 16

    def test_it_fills_the_quotas_without_overshooting(self, surveys, db):
        counted = Counter(
            Response.objects.filter(status__in=COUNTED_STATUSES).values_list("cell_id", flat=True)
        )
        cells = list(QuotaCell.objects.filter(stratum__wave_id__in=surveys["waves"]))
        assert all(c.filled == counted.get(c.pk, 0) <= c.target for c in cells)
        assert sum(c.filled for c in cells) >= 0.9 * sum(
            c.target for c in cells
        )  # rejections give places back

    def test_it_builds_the_same_responses_again(self, surveys, db):
        with time_machine.travel(NOW, tick=False):
            reset_business_data()
            build_demo("district", SEED, activity=False)
            build_surveys(SEED, NOW)
        assert fingerprint() == surveys["fingerprint"]
