"""Reviewing many visits: accept the clean ones at once; previous / next on the visit page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from chuangwen.audit.models import AuditEntry
from chuangwen.rounds.models import Judgement, Visit, VisitStatus
from chuangwen.rounds.review import clean_visits
from chuangwen.rounds.tests.visit_fixtures import done_payload, make_photo
from chuangwen.rounds.visits import submit_visit
from conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel("2026-12-02 10:00 +0800", tick=False):
        yield


@pytest.fixture
def three(users: Any, sites: Any, visit_round: Any) -> dict[str, Visit]:
    """A clean visit, one with a finding, one with an item left unjudged (received in this order)."""
    inspector = users["inspector"]
    clean, _ = submit_visit(done_payload(visit_round, sites["west_road"]), inspector)
    photo = make_photo(inspector).client_id
    failing = done_payload(visit_round, sites["west_market"], failures={})
    first_item = failing["judgements"][0]
    first_item.update(result="not_conforming", count=1, photo_ids=[str(photo)])
    found, _ = submit_visit(failing, inspector)
    partial, _ = submit_visit(done_payload(visit_round, sites["east_estate"]), inspector)
    Judgement.objects.filter(visit=partial).order_by("pk").first().delete()  # type: ignore[union-attr]
    return {"clean": clean, "found": found, "partial": partial}


def test_it_accepts_only_visits_without_problems(users: Any, visit_round: Any, three: dict[str, Visit]):
    client = client_for(users["coordinator"])
    page = client.get(reverse("visits:round", args=[visit_round.pk])).content.decode()
    assert "一键采纳 1 条无问题的测评" in page
    response = client.post(reverse("visits:accept_clean", args=[visit_round.pk]), follow=True)
    assert "已采纳 1 条无问题的测评" in response.content.decode()
    statuses = {name: Visit.objects.get(pk=v.pk).status for name, v in three.items()}
    assert statuses == {
        "clean": VisitStatus.ACCEPTED,
        "found": VisitStatus.SUBMITTED,
        "partial": VisitStatus.SUBMITTED,
    }
    assert AuditEntry.objects.filter(action="visit_accepted", object_id=str(three["clean"].pk)).exists()
    assert clean_visits(visit_round, users["coordinator"]) == []


def test_it_refuses_bulk_accept_to_non_reviewers(users: Any, visit_round: Any, three: dict[str, Visit]):
    assert client_for(users["inspector"]).post(
        reverse("visits:accept_clean", args=[visit_round.pk])
    ).status_code in (403, 404)
    for who in ("leader", "west_handler", "west_head"):
        response = client_for(users[who]).post(reverse("visits:accept_clean", args=[visit_round.pk]))
        assert response.status_code == 404, who
    assert not Visit.objects.filter(status=VisitStatus.ACCEPTED).exists()


def test_it_steps_to_the_previous_and_next_visit(users: Any, visit_round: Any, three: dict[str, Visit]):
    client = client_for(users["coordinator"])
    # The list shows the newest first: partial, found, clean.
    html = client.get(reverse("visits:detail", args=[three["found"].pk])).content.decode()
    assert f'id="visit-previous" rel="prev" href="/visits/{three["partial"].pk}/"' in html
    assert f'id="visit-next" rel="next" href="/visits/{three["clean"].pk}/"' in html
    newest = client.get(reverse("visits:detail", args=[three["partial"].pk])).content.decode()
    assert 'id="visit-previous"' not in newest and 'id="visit-next"' in newest
    Visit.objects.filter(pk=three["found"].pk).update(status=VisitStatus.ACCEPTED)
    url = reverse("visits:detail", args=[three["partial"].pk]) + "?status=submitted"
    filtered = client.get(url).content.decode()
    assert f'href="/visits/{three["clean"].pk}/?status=submitted"' in filtered
