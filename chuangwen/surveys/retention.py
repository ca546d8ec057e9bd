"""What a survey keeps about people, and for how long (docs/surveys.md, "Personal data"): the daily purge of
respondent hashes and interview positions once a wave's results are published and settled, and of coaching
households' hashes once no exclusion period can need them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chuangwen.audit.services import record
from chuangwen.surveys.models import CoachingVisit, Response, WaveState


@dataclass(frozen=True)
class Purged:
    responses: int
    coaching: int


def purge(now: datetime | None = None) -> Purged:
    now = now or timezone.now()
    published_before = now - timedelta(days=settings.SURVEY_IDENTIFIER_DAYS)
    coached_before = timezone.localdate(now) - timedelta(days=settings.SURVEY_COACHING_KEY_DAYS)
    with transaction.atomic():
        responses = (
            Response.objects.filter(wave__state=WaveState.PUBLISHED, wave__published_at__lt=published_before)
            .exclude(respondent_key="", lat=None, accuracy_m=None)
            .update(respondent_key="", lat=None, lng=None, accuracy_m=None)
        )
        coaching = (
            CoachingVisit.objects.filter(visited_on__lt=coached_before)
            .exclude(respondent_key="")
            .update(respondent_key="")
        )
        if responses or coaching:
            record(
                None,
                "survey.purge",
                detail={"responses": responses, "coaching": coaching},
                actor_name="system",
            )
    return Purged(responses, coaching)
