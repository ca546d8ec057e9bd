"""Public copies: faces and Chinese number plates blurred, the rest untouched, no metadata, served without
sign-in only for photos that a publishing app declares public."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from django.conf import settings
from django.test import Client
from PIL import Image, ImageDraw, ImageFilter

from chuangwen.evidence import privacy
from chuangwen.evidence.models import Evidence
from chuangwen.evidence.privacy import Box, blur_regions, encode_public, find_faces, find_plates, privatise
from chuangwen.evidence.services import PhotoMeta, ingest_photo
from chuangwen.evidence.tests.photos import exif_bytes
from chuangwen.evidence.tests.street import astronaut, background, street
from conftest import client_for

BoxT = tuple[int, int, int, int]


def grey(im: Image.Image) -> np.ndarray:
    return np.asarray(im.convert("L"), dtype=np.float64)


def crop(arr: np.ndarray, box: BoxT) -> np.ndarray:
    x, y, w, h = box
    return arr[y : y + h, x : x + w]


def detail(arr: np.ndarray) -> float:
    """High-frequency detail: variance of the Laplacian."""
    return float(cv2.Laplacian(arr, cv2.CV_64F).var())


def covers(found: list[Box], truth: BoxT, share: float = 0.95) -> bool:
    """One of the found boxes contains at least ``share`` of the true box."""
    x, y, w, h = truth
    for box in found:
        width = min(x + w, box.x + box.w) - max(x, box.x)
        height = min(y + h, box.y + box.h) - max(y, box.y)
        if width > 0 and height > 0 and width * height >= share * w * h:
            return True
    return False


def outside(shape: tuple[int, ...], boxes: list[Box]) -> np.ndarray:
    mask = np.ones(shape[:2], dtype=bool)
    for box in boxes:
        mask[box.y : box.y + box.h, box.x : box.x + box.w] = False
    return mask


def test_it_uses_the_cascades_shipped_in_the_package():
    cascades = Path(cv2.data.haarcascades)
    for name in (
        "haarcascade_frontalface_default.xml",
        "haarcascade_profileface.xml",
        "haarcascade_russian_plate_number.xml",
    ):
        assert (cascades / name).is_file()
        assert not privacy._cascade(name).empty()


def test_it_finds_the_face_and_both_plates():
    photo = street()
    faces, plates = find_faces(photo.image), find_plates(photo.image)
    assert len(faces) == 1 and covers(faces, photo.face)
    assert len(plates) == 2
    assert covers(plates, photo.blue_plate) and covers(plates, photo.green_plate)
    # Boxes are tight enough not to swallow the picture: each at most 2 % of it.
    assert all(box.area < 0.02 * 1600 * 1200 for box in faces + plates)


def test_it_finds_the_sample_face_and_plates_at_other_sizes():
    assert covers(find_faces(astronaut()), (175, 60, 100, 110), 0.9)
    small = street(face_width=150, plate_width=120, tilt=0.0)
    assert covers(find_faces(small.image), small.face, 0.9)
    plates = find_plates(small.image)
    assert covers(plates, small.blue_plate) and covers(plates, small.green_plate)


def test_it_blurs_the_face_and_plates_and_leaves_the_rest():
    photo = street()
    before = grey(photo.image)
    boxes = find_faces(photo.image) + find_plates(photo.image)
    after_im = blur_regions(photo.image, boxes)
    after = grey(after_im)
    for truth in (photo.face, photo.blue_plate, photo.green_plate):
        assert detail(crop(after, truth)) < 0.1 * detail(crop(before, truth))
        assert np.abs(crop(after, truth) - crop(before, truth)).mean() > 8
    rest = outside(before.shape, boxes)
    assert np.array_equal(np.asarray(after_im)[rest], np.asarray(photo.image)[rest])

    # Through the JPEG encoder the rest differs only by compression noise.
    decoded = Image.open(io.BytesIO(encode_public(privatise(photo.image))))
    assert decoded.size == (1600, 1200)
    difference = np.abs(grey(decoded) - before)
    assert difference[rest].mean() < 2.0
    for truth in (photo.face, photo.blue_plate, photo.green_plate):
        assert detail(crop(grey(decoded), truth)) < 0.1 * detail(crop(before, truth))


def lawn(size: tuple[int, int] = (1600, 1200), seed: int = 5) -> Image.Image:
    rng = np.random.default_rng(seed)
    width, height = size
    base = np.zeros((height, width, 3))
    base[..., 0], base[..., 1], base[..., 2] = 60, 150, 55
    blades = rng.normal(0, 25, (height, width, 1)) * np.array([0.6, 1.0, 0.5])
    return Image.fromarray(np.clip(base + blades, 0, 255).astype("uint8")).filter(ImageFilter.GaussianBlur(1))


def sky(size: tuple[int, int] = (1600, 1200)) -> Image.Image:
    """A blue sky with white clouds over a green strip of trees and a blue glass building."""
    im = Image.new("RGB", size, (60, 120, 215))
    draw = ImageDraw.Draw(im)
    width, height = size
    for y in range(height):
        draw.line([(0, y), (width, y)], fill=(60 + y // 20, 120 + y // 20, 215))
    for cx, cy, r in ((300, 200, 90), (380, 230, 70), (900, 150, 120), (1300, 300, 60)):
        draw.ellipse((cx - r * 2, cy - r, cx + r * 2, cy + r), fill=(245, 245, 250))
    draw.rectangle((0, height - 250, width, height), fill=(40, 130, 50))
    draw.rectangle((1100, 500, 1400, height - 250), fill=(30, 90, 170))
    for y in range(520, height - 260, 40):
        draw.line([(1100, y), (1400, y)], fill=(200, 210, 220), width=3)
    return im.filter(ImageFilter.GaussianBlur(1.2))


@pytest.mark.parametrize("make", [background, lawn, sky], ids=["street", "lawn", "sky"])
def test_it_finds_nothing_in_a_scene_without_faces_or_plates(make):
    im = make()
    assert find_faces(im) == []
    assert find_plates(im) == []


def test_it_writes_no_metadata_and_applies_the_orientation():
    im = street().image.resize((1200, 900))
    exif = exif_bytes(lat=30.05, lng=120.02, orientation=6)
    out = io.BytesIO()
    im.save(out, "JPEG", quality=90, exif=exif, icc_profile=b"\0" * 128, comment=b"secret")
    source = Image.open(io.BytesIO(out.getvalue()))
    assert source.getexif()  # the input carries EXIF with GPS

    data = encode_public(privatise(source))
    public = Image.open(io.BytesIO(data))
    assert public.size == (900, 1200)  # turned upright
    assert not public.getexif()
    assert not public.getexif().get_ifd(0x8825)
    assert "icc_profile" not in public.info and "exif" not in public.info and "comment" not in public.info
    assert b"\xff\xe1" not in data  # no APP1 (EXIF/XMP) segment anywhere
    assert b"\xff\xe2" not in data  # no APP2 (ICC) segment


def test_it_limits_the_long_side_to_1600():
    big = street().image.resize((3200, 2400))
    assert privatise(big).size == (1600, 1200)


# --- stored copy and the view ------------------------------------------------------------------------------


@pytest.fixture
def public_ids() -> Iterator[set[int]]:
    """Photo ids a check registered by the test declares public (removed again afterwards)."""
    ids: set[int] = set()

    def check(evidence: Evidence) -> bool:
        return evidence.pk in ids

    privacy.PUBLIC_CHECKS.append(check)
    yield ids
    privacy.PUBLIC_CHECKS.remove(check)


@pytest.fixture
def street_photo(users, sites, field_round):
    """The street scene as the inspector's photo, sent with GPS in its EXIF."""
    photo = street()
    out = io.BytesIO()
    photo.image.save(out, "JPEG", quality=92, exif=exif_bytes(lat=30.05, lng=120.02))
    meta = PhotoMeta(uuid.uuid4(), round_id=field_round.pk, site_id=sites["west_road"].pk)
    evidence, _ = ingest_photo(out.getvalue(), meta, users["inspector"])
    return evidence, photo


def test_it_serves_a_public_photo_blurred_without_sign_in(street_photo, public_ids):
    evidence, photo = street_photo
    public_ids.add(evidence.pk)
    assert privacy.public_url(evidence) == f"/evidence/{evidence.pk}/public.jpg"
    response = Client().get(f"/evidence/{evidence.pk}/public.jpg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"].startswith("public")
    data = b"".join(response.streaming_content)
    served = Image.open(io.BytesIO(data))
    assert not served.getexif() and b"\xff\xe1" not in data
    before, after = grey(photo.image), grey(served)
    for truth in (photo.face, photo.blue_plate, photo.green_plate):
        assert detail(crop(after, truth)) < 0.1 * detail(crop(before, truth))
    # Far from the face and the cars (the buildings on the right) the picture is the same.
    assert np.abs(after[100:700, 900:1600] - before[100:700, 900:1600]).mean() < 2.5

    evidence.refresh_from_db()
    assert evidence.public_file.name == privacy.public_name(evidence.sha256)
    stored = Path(settings.MEDIA_ROOT) / evidence.public_file.name
    assert stored.read_bytes() == data
    made = stored.stat().st_mtime_ns
    again = Client().get(f"/evidence/{evidence.pk}/public.jpg")
    assert b"".join(again.streaming_content) == data
    assert stored.stat().st_mtime_ns == made  # kept, not made again


def test_it_remakes_a_lost_public_copy(street_photo, public_ids):
    evidence, _ = street_photo
    public_ids.add(evidence.pk)
    assert Client().get(f"/evidence/{evidence.pk}/public.jpg").status_code == 200
    evidence.refresh_from_db()
    (Path(settings.MEDIA_ROOT) / evidence.public_file.name).unlink()
    response = Client().get(f"/evidence/{evidence.pk}/public.jpg")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"


def test_it_hides_photos_no_app_declares_public(users, street_photo, public_ids):
    evidence, _ = street_photo
    assert not privacy.is_public(evidence) and privacy.public_url(evidence) is None
    assert Client().get(f"/evidence/{evidence.pk}/public.jpg").status_code == 404
    # Not even for the people who may see the photo itself.
    assert client_for(users["coordinator"]).get(f"/evidence/{evidence.pk}/public.jpg").status_code == 404
    assert Client().get("/evidence/999999/public.jpg").status_code == 404
    evidence.refresh_from_db()
    assert not evidence.public_file.name


def test_it_counts_a_failing_check_as_not_public(street_photo):
    evidence, _ = street_photo

    def broken(evidence: Evidence) -> bool:
        raise RuntimeError("boom")

    privacy.PUBLIC_CHECKS.append(broken)
    try:
        assert not privacy.is_public(evidence)
        assert Client().get(f"/evidence/{evidence.pk}/public.jpg").status_code == 404
    finally:
        privacy.PUBLIC_CHECKS.remove(broken)


def test_it_keeps_originals_behind_sign_in(street_photo, public_ids):
    evidence, _ = street_photo
    public_ids.add(evidence.pk)
    for what in ("original", "display", "thumb"):
        response = Client().get(f"/evidence/{evidence.pk}/{what}")
        assert response.status_code == 302  # to the login page
