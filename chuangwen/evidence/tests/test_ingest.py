"""POST /api/v1/evidence: good photos are re-encoded and stored under their hash; bad ones store nothing."""

from __future__ import annotations

import hashlib
import io
import re
import uuid
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from chuangwen.evidence import services
from chuangwen.evidence.models import Evidence
from chuangwen.evidence.services import PhotoMeta, ingest_photo
from chuangwen.evidence.tests.helpers import API, form, stored_files
from chuangwen.evidence.tests.photos import (
    ELF,
    PE,
    encode,
    exif_bytes,
    jpeg,
    jpeg_claiming,
    png_bomb,
    scene,
)
from conftest import client_for

CJK = re.compile(r"[\u4e00-\u9fff]")
# Pillow warns about images between its limit and twice it; our own check refuses them (asserted below).
pytestmark = pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")


def post(user, fields, **headers):
    return client_for(user).post(API, fields, **headers)


@pytest.mark.parametrize(
    ("fmt", "params"),
    [("JPEG", {"quality": 90}), ("PNG", {}), ("WEBP", {"quality": 80})],
)
def test_it_stores_a_good_photo_re_encoded_under_its_hash(users, sites, field_round, fmt, params):
    data = encode(scene(3, (900, 600)), fmt, **params)
    fields = form(field_round, sites["west_road"], data)
    response = post(users["inspector"], fields)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["duplicate"] is False
    assert (body["width"], body["height"]) == (900, 600)
    evidence = Evidence.objects.get()
    assert body == {
        "id": evidence.pk,
        "client_id": fields["client_id"],
        "sha256": evidence.sha256,
        "width": 900,
        "height": 600,
        "duplicate": False,
    }
    sha = evidence.sha256
    assert evidence.file.name == f"evidence/{sha[:2]}/{sha[2:4]}/{sha}.jpg"
    stored = (settings.MEDIA_ROOT / evidence.file.name).read_bytes()
    assert hashlib.sha256(stored).hexdigest() == sha
    assert evidence.upload_sha256 == hashlib.sha256(data).hexdigest()
    assert Image.open(io.BytesIO(stored)).format == "JPEG"
    assert evidence.uploader == users["inspector"]
    assert (evidence.round, evidence.site) == (field_round, sites["west_road"])
    assert evidence.captured_at == datetime(2026, 12, 1, 1, 15, tzinfo=UTC)
    assert evidence.received_at is not None
    assert (evidence.lat, evidence.lng, evidence.accuracy_m) == (30.05, 120.02, 8.5)
    assert evidence.size_bytes == len(stored)
    assert [p.name for p in stored_files()] == [f"{sha}.jpg"]


def test_it_takes_a_heic_photo(users, sites, field_round):
    pillow_heif = pytest.importorskip("pillow_heif", reason="pillow-heif is not installed")
    pillow_heif.register_heif_opener()
    try:
        data = encode(scene(4, (640, 480)), "HEIF", quality=80)
    except (OSError, KeyError, ValueError) as exc:  # a libheif build without an encoder
        pytest.skip(f"libheif cannot encode HEIC here: {exc}")
    response = post(users["inspector"], form(field_round, sites["west_road"], data))
    assert response.status_code == 201, response.content
    evidence = Evidence.objects.get()
    assert (evidence.width, evidence.height) == (640, 480)
    stored = (settings.MEDIA_ROOT / evidence.file.name).read_bytes()
    assert Image.open(io.BytesIO(stored)).format == "JPEG"


BAD_UPLOADS = {
    "random bytes": (bytes(range(256)) * 40, "not_an_image"),
    "empty file": (b"", "not_an_image"),
    "text file": ("这不是照片，只是一段文字。\n".encode() * 50, "not_an_image"),
    "ELF executable renamed .jpg": (ELF, "not_an_image"),
    "PE executable renamed .jpg": (PE, "not_an_image"),
    "truncated JPEG": (jpeg()[:20000], "truncated"),
    "JPEG cut inside its header": (jpeg()[:300], "truncated"),
    "PNG declaring 50000×50000": (png_bomb(), "too_many_pixels"),
    "PNG declaring 7000×7000 (between the limit and twice it)": (png_bomb(7000, 7000), "too_many_pixels"),
    "JPEG header claiming 50000×50000": (jpeg_claiming(50000, 50000), "too_many_pixels"),
    "GIF": (encode(scene(size=(64, 48)).convert("P"), "GIF"), "unsupported_type"),
    "BMP": (encode(scene(size=(64, 48)), "BMP"), "unsupported_type"),
    "truncated WebP": (encode(scene(), "WEBP")[:3000], "truncated"),
}


@pytest.mark.parametrize("case", sorted(BAD_UPLOADS))
def test_it_refuses_a_bad_upload_and_stores_nothing(users, sites, field_round, case):
    data, code = BAD_UPLOADS[case]
    fields = form(field_round, sites["west_road"], data)
    response = post(users["inspector"], fields)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == code
    assert CJK.search(body["detail"]), body
    assert not Evidence.objects.exists()
    assert stored_files() == []


def test_it_refuses_too_many_bytes(users, sites, field_round, settings):
    settings.EVIDENCE_MAX_BYTES = 50_000
    data = jpeg(size=(1200, 900), quality=95)
    assert len(data) > 50_000
    response = post(users["inspector"], form(field_round, sites["west_road"], data))
    assert response.status_code == 400
    assert response.json()["code"] == "too_large"
    assert "MB" in response.json()["detail"]
    assert not Evidence.objects.exists()
    assert stored_files() == []


def test_it_refuses_a_huge_body_from_its_length_alone(users, sites, field_round, settings):
    settings.EVIDENCE_MAX_BYTES = 100_000
    data = jpeg() + bytes(400_000)
    response = post(users["inspector"], form(field_round, sites["west_road"], data))
    assert response.status_code == 400
    assert response.json()["code"] == "too_large"
    assert not Evidence.objects.exists()
    assert stored_files() == []


def test_it_refuses_too_many_pixels_by_the_setting(users, sites, field_round, settings):
    settings.EVIDENCE_MAX_PIXELS = 100_000
    response = post(users["inspector"], form(field_round, sites["west_road"], jpeg(size=(400, 300))))
    assert response.status_code == 400
    assert response.json()["code"] == "too_many_pixels"
    assert stored_files() == []


def test_it_reads_capture_time_and_gps_from_exif(users, sites, field_round):
    exif = exif_bytes(datetime(2026, 12, 1, 9, 14, 30), lat=30.0512, lng=120.0234)
    fields = form(field_round, sites["west_road"], jpeg(exif=exif))
    assert post(users["inspector"], fields).status_code == 201
    evidence = Evidence.objects.get()
    assert evidence.exif_captured_at == datetime(2026, 12, 1, 1, 14, 30, tzinfo=UTC)  # Asia/Shanghai
    assert evidence.exif_lat == pytest.approx(30.0512, abs=1e-5)
    assert evidence.exif_lng == pytest.approx(120.0234, abs=1e-5)
    stored = Image.open(settings.MEDIA_ROOT / evidence.file.name)
    assert not stored.getexif()  # the stored JPEG carries no EXIF (the place is in the row)


def test_it_uses_the_exif_time_offset(users, sites, field_round):
    exif = exif_bytes(datetime(2026, 12, 1, 9, 0, 0), offset="+00:00")
    assert post(users["inspector"], form(field_round, sites["west_road"], jpeg(exif=exif))).status_code == 201
    assert Evidence.objects.get().exif_captured_at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_it_turns_the_photo_upright_by_its_exif_orientation(users, sites, field_round):
    im = Image.new("RGB", (480, 240), (220, 20, 20))
    im.paste((20, 20, 220), (240, 0, 480, 240))  # left red, right blue as stored by the sensor
    data = encode(im, "JPEG", quality=95, exif=exif_bytes(orientation=6))  # 6: rotate 90° clockwise
    response = post(users["inspector"], form(field_round, sites["west_road"], data))
    assert response.status_code == 201
    assert (response.json()["width"], response.json()["height"]) == (240, 480)
    stored = Image.open(settings.MEDIA_ROOT / Evidence.objects.get().file.name).convert("RGB")
    top, bottom = stored.getpixel((120, 60)), stored.getpixel((120, 420))
    assert top[0] > 150 and top[2] < 100  # red now on top
    assert bottom[2] > 150 and bottom[0] < 100


def test_it_caps_the_long_side(users, sites, field_round, settings):
    settings.EVIDENCE_MAX_SIDE = 1000
    response = post(users["inspector"], form(field_round, sites["west_road"], jpeg(size=(2400, 1200))))
    assert (response.json()["width"], response.json()["height"]) == (1000, 500)


def test_it_answers_a_resend_with_the_stored_row(users, sites, field_round):
    fields = form(field_round, sites["west_road"])
    first = post(users["inspector"], fields)
    fields["file"] = SimpleUploadedFile("again.jpg", jpeg(seed=9), "image/jpeg")
    again = post(users["inspector"], fields)
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == {**first.json(), "duplicate": True}
    assert Evidence.objects.count() == 1
    assert len(stored_files()) == 1


def test_it_returns_the_racing_row_when_the_insert_collides(users, sites, field_round, monkeypatch):
    """Two sends of one client_id at once: the loser's insert fails on the unique key and it re-reads."""
    meta = PhotoMeta(client_id=uuid.uuid4(), round_id=field_round.pk, site_id=sites["west_road"].pk)
    winner, created = ingest_photo(jpeg(), meta, users["inspector"])
    assert created
    real = services.stored_for
    calls = iter([None])
    monkeypatch.setattr(services, "stored_for", lambda cid, user: next(calls, None) or real(cid, user))
    again, created = ingest_photo(jpeg(seed=2), meta, users["inspector"])
    assert not created
    assert again.pk == winner.pk
    assert Evidence.objects.count() == 1


def test_it_shares_one_file_between_uploads_of_the_same_bytes(users, sites, field_round):
    data = jpeg(seed=5)
    for _ in range(2):
        assert post(users["inspector"], form(field_round, sites["west_road"], data)).status_code == 201
    first, second = Evidence.objects.order_by("pk")
    assert first.file.name == second.file.name
    assert len(stored_files()) == 1


def test_it_refuses_a_client_id_that_someone_else_used(users, sites, field_round):
    from chuangwen.rounds.models import Team

    fields = form(field_round, sites["west_road"])
    assert post(users["inspector"], fields).status_code == 201
    Team.objects.get().members.add(users["verifier"])
    fields["file"] = SimpleUploadedFile("p.jpg", jpeg(seed=2), "image/jpeg")
    response = post(users["verifier"], fields)
    assert response.status_code == 409
    assert response.json()["code"] == "client_id_conflict"


@pytest.mark.parametrize("who", ["east_handler", "leader", "west_head", "verifier"])
def test_it_hides_a_round_the_user_does_not_inspect(users, sites, field_round, who):
    response = post(users[who], form(field_round, sites["west_road"]))
    missing = post(users[who], form(field_round, sites["west_road"], round_id=999999))
    assert response.status_code == missing.status_code == 404
    assert response.json() == missing.json()
    assert response.json()["code"] == "not_found"
    assert stored_files() == []


def test_it_refuses_a_coordinator_who_is_on_no_team(users, sites, field_round):
    response = post(users["coordinator"], form(field_round, sites["west_road"]))
    assert response.status_code == 403
    assert response.json()["code"] == "not_on_team"
    assert stored_files() == []


def test_it_refuses_a_round_that_is_over(users, sites, field_round):
    field_round.status = "published"
    field_round.save()
    response = post(users["inspector"], form(field_round, sites["west_road"]))
    assert response.status_code == 409
    assert response.json()["code"] == "round_closed"


def test_it_refuses_a_site_outside_the_round(users, sites, field_round):
    response = post(users["inspector"], form(field_round, sites["west_market"]))
    assert response.status_code == 404
    assert response.json()["code"] == "site_not_in_round"
    assert CJK.search(response.json()["detail"])
    assert stored_files() == []


def test_it_requires_both_coordinates(users, sites, field_round):
    response = post(users["inspector"], form(field_round, sites["west_road"], lng=None))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["form", "lng"]


def test_it_converts_gcj02_to_wgs84(users, sites, field_round):
    from chuangwen.org.coords import wgs84_to_gcj02

    g_lng, g_lat = wgs84_to_gcj02(120.02, 30.05)
    fields = form(field_round, sites["west_road"], lat=str(g_lat), lng=str(g_lng), coord_system="GCJ-02")
    assert post(users["inspector"], fields).status_code == 201
    evidence = Evidence.objects.get()
    assert evidence.lat == pytest.approx(30.05, abs=1e-7)
    assert evidence.lng == pytest.approx(120.02, abs=1e-7)


def test_it_takes_a_phone_token(users, sites, field_round):
    from django.test import Client

    from chuangwen.accounts.services import issue_token

    key = issue_token(users["inspector"], "督查手机")
    response = Client().post(API, form(field_round, sites["west_road"]), HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 201
    assert Client().post(API, form(field_round, sites["west_road"])).status_code == 401


def test_it_does_not_expose_the_benchmark_baseline(users, sites, field_round):
    assert not settings.BENCH_BASELINE
    response = client_for(users["inspector"]).post(f"{API}/_baseline", form(field_round, sites["west_road"]))
    assert response.status_code == 404
    assert not Evidence.objects.exists()
