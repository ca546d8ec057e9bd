"""What one upload may cost: decoding bounded in size (draft) and in number (per-process slots, else 503), and
who may upload to a drawn site (only the team on whose route it lies)."""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings
from PIL import Image, ImageDraw

from chuangwen.evidence.models import Evidence
from chuangwen.evidence.services import PhotoMeta, ingest_photo
from chuangwen.evidence.tests.helpers import API, form, slots_taken, stored_files
from chuangwen.evidence.tests.photos import encode, exif_bytes, jpeg
from conftest import client_for, make_user


def post(user, fields):
    return client_for(user).post(API, fields)


def near_the_pixel_limit() -> bytes:
    """A 7600×5200 (39.5 MP) JPEG taken with the phone turned (EXIF orientation 6)."""
    im = Image.new("RGB", (7600, 5200), (90, 120, 160))
    draw = ImageDraw.Draw(im)
    for n in range(40):
        draw.rectangle((n * 190, 0, n * 190 + 90, 5200), fill=(200, 60 + n * 4, 40))
    return encode(im, "JPEG", quality=80, exif=exif_bytes(orientation=6))


def test_it_decodes_a_photo_near_the_pixel_limit_at_a_reduced_scale(users, sites, field_round):
    """Finding: photos near the 40 MP limit were decoded in full (1.1–1.7 s and hundreds of MB each) only to
    be shrunk to 4096 px; now the JPEG decoder reads them at half scale."""
    fields = form(field_round, sites["west_road"], near_the_pixel_limit())
    response = post(users["inspector"], fields)
    assert response.status_code == 201, response.content
    assert (response.json()["width"], response.json()["height"]) == (2600, 3800)  # half, turned upright
    assert Image.MAX_IMAGE_PIXELS == settings.EVIDENCE_MAX_PIXELS  # Pillow's own bomb check agrees


def test_it_answers_503_when_no_decoding_slot_frees_and_stores_nothing(users, sites, field_round, settings):
    """Finding: eight big photos at once were decoded together, 6–8 s each, and the workers grew to 3.4 GB."""
    with slots_taken(settings):
        response = post(users["inspector"], form(field_round, sites["west_road"]))
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response.json() == {"detail": "服务器繁忙，请稍后重试", "code": "busy"}
    assert not Evidence.objects.exists() and stored_files() == []
    again = post(users["inspector"], form(field_round, sites["west_road"]))  # the slots are free again
    assert again.status_code == 201


def test_it_answers_503_for_a_thumbnail_it_cannot_make_now(users, sites, field_round, settings):
    meta = PhotoMeta(uuid.uuid4(), round_id=field_round.pk, site_id=sites["west_road"].pk)
    evidence, _created = ingest_photo(jpeg(size=(1000, 750)), meta, users["inspector"])
    with slots_taken(settings):
        response = client_for(users["inspector"]).get(f"/evidence/{evidence.pk}/thumb")
    assert response.status_code == 503 and response["Retry-After"] == "1"
    assert "服务器繁忙，请稍后重试" in response.content.decode()
    evidence.refresh_from_db()
    assert not evidence.derivatives_done


@pytest.fixture
def second_team(users, sites, field_round):
    """A second team in the round, with the east estate on its route."""
    from chuangwen.rounds.models import RoundSite, Team

    team = Team.objects.create(round=field_round, name="第2组")
    member = make_user("inspector2", "inspector", users["inspector"].unit)
    team.members.add(member)
    RoundSite.objects.filter(round=field_round, site=sites["east_estate"]).update(team=team)
    return member


def test_it_refuses_a_photo_for_a_site_on_another_teams_route(users, sites, field_round, second_team):
    """Finding: an inspector could upload photos to a site on another team's route in the same round."""
    response = post(users["inspector"], form(field_round, sites["east_estate"]))
    assert response.status_code == 404
    assert response.json() == {"detail": "该点位不在您小组的测评路线上", "code": "not_assigned"}
    assert not Evidence.objects.exists() and stored_files() == []
    assert post(second_team, form(field_round, sites["east_estate"])).status_code == 201
    assert post(second_team, form(field_round, sites["west_road"])).status_code == 404


def test_it_still_hides_the_round_from_someone_on_no_team(users, sites, field_round, second_team):
    outsider = post(users["east_handler"], form(field_round, sites["east_estate"]))
    missing = post(users["east_handler"], form(field_round, sites["east_estate"], round_id=999999))
    assert outsider.status_code == missing.status_code == 404
    assert outsider.json() == missing.json()
