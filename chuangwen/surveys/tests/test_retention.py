"""The daily purge: respondents' hashes and positions go once a published wave is settled; answers stay."""

from __future__ import annotations

from datetime import date, timedelta

from chuangwen.surveys import plan, results, retention, services
from chuangwen.surveys.models import CoachingVisit, Response
from chuangwen.surveys.tests.fixtures import SURVEY_NOW, submission


def test_it_clears_identifiers_of_long_published_waves_and_keeps_the_answers(survey_wave, survey_people, org):
    stratum = survey_wave.strata.get(unit__code="S01C01")
    response, _ = services.submit(survey_wave, submission(stratum, phone="13800138000"), "interviewer")
    services.record_coaching(org["west_c"], "13900139000", date(2026, 12, 1), survey_people["coordinator"])
    plan.close_wave(survey_wave, survey_people["coordinator"])
    published = results.publish(survey_wave, survey_people["coordinator"])
    assert published.published_at is not None

    assert retention.purge(SURVEY_NOW + timedelta(days=30)) == retention.Purged(0, 0)
    assert retention.purge(published.published_at + timedelta(days=181)) == retention.Purged(1, 0)
    kept = Response.objects.get(pk=response.pk)
    assert kept.respondent_key == "" and kept.lat is None and kept.lng is None
    assert kept.answers == response.answers
    assert retention.purge(SURVEY_NOW + timedelta(days=400)) == retention.Purged(0, 1)
    assert CoachingVisit.objects.get().respondent_key == ""
