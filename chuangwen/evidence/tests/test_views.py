"""Serving photos: only through the evidence scoping function; originals only for some roles."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from chuangwen.evidence.models import Evidence
from chuangwen.evidence.services import PhotoMeta, ingest_photo
from chuangwen.evidence.tests.photos import jpeg
from conftest import client_for


@pytest.fixture
def photo(users, sites, field_round):
    """A problem photo of the inspector at the west road, cited by a visit of the round."""
    from chuangwen.rounds.models import Visit

    meta = PhotoMeta(uuid.uuid4(), round_id=field_round.pk, site_id=sites["west_road"].pk)
    evidence, _ = ingest_photo(jpeg(size=(1000, 750)), meta, users["inspector"])
    visit = Visit.objects.create(
        client_id=uuid.uuid4(), round=field_round, site=sites["west_road"], inspector=users["inspector"]
    )
    Evidence.objects.filter(pk=evidence.pk).update(visit=visit)
    return evidence


def get(user, evidence, what):
    return client_for(user).get(f"/evidence/{evidence.pk}/{what}")


@pytest.mark.parametrize("what", ["display", "thumb", "original"])
def test_it_serves_the_inspector_his_photo(users, photo, what):
    response = get(users["inspector"], photo, what)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"].startswith("private")
    assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"


def test_it_builds_missing_derivatives_on_first_view(users, photo):
    assert not photo.derivatives_done
    assert get(users["inspector"], photo, "thumb").status_code == 200
    photo.refresh_from_db()
    assert photo.derivatives_done and photo.phash


@pytest.mark.parametrize("who", ["leader", "west_handler", "west_head", "east_handler", "verifier"])
def test_it_hides_the_photos_of_an_unpublished_round(users, photo, who):
    for what in ("display", "thumb", "original"):
        assert get(users[who], photo, what).status_code == 404


def test_it_shows_a_published_round_to_its_street_only(users, photo, field_round):
    field_round.status = "published"
    field_round.save()
    assert get(users["west_handler"], photo, "display").status_code == 200
    assert get(users["leader"], photo, "display").status_code == 200
    assert get(users["east_handler"], photo, "display").status_code == 404
    assert get(users["east_handler"], photo, "thumb").status_code == 404


def test_it_gives_originals_only_to_coordinators_inspectors_and_verifiers(users, photo, field_round):
    field_round.status = "published"
    field_round.save()
    assert get(users["coordinator"], photo, "original").status_code == 200
    assert get(users["verifier"], photo, "original").status_code == 200
    assert get(users["west_handler"], photo, "original").status_code == 403
    assert get(users["leader"], photo, "original").status_code == 403


def test_it_shows_an_uncited_upload_only_to_its_uploader(users, sites, field_round):
    meta = PhotoMeta(uuid.uuid4(), round_id=field_round.pk, site_id=sites["west_road"].pk)
    evidence, _ = ingest_photo(jpeg(), meta, users["inspector"])
    assert get(users["inspector"], evidence, "thumb").status_code == 200
    assert get(users["coordinator"], evidence, "thumb").status_code == 404


def test_it_asks_a_stranger_to_sign_in(photo):
    response = Client().get(f"/evidence/{photo.pk}/display")
    assert response.status_code == 302
    assert "/accounts/" in response["Location"]
