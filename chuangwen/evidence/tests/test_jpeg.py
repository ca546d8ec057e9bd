"""An upright JPEG is stored as its own pixels, re-written segment by segment without metadata."""

from __future__ import annotations

import io
import random

import cv2
import numpy as np
import pytest
from PIL import Image, ImageCms

from chuangwen.evidence.errors import ImageRejected
from chuangwen.evidence.images import prepare_photo
from chuangwen.evidence.jpeg import rewrite_jpeg
from chuangwen.evidence.tests.photos import encode, exif_bytes, jpeg, scene

# What a damaged upload may be refused as.
REFUSALS = {"not_an_image", "truncated", "unsupported_type", "too_many_pixels", "too_small"}


def markers(data: bytes) -> list[int]:
    """The segment markers before the first scan."""
    found, pos = [], 2
    while data[pos + 1] != 0xDA:
        found.append(data[pos + 1])
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    return found


def test_it_drops_exif_comments_and_anything_after_the_end(db):
    exif = exif_bytes(lat=30.05, lng=120.02)
    upload = jpeg(exif=exif, comment=b"secret note") + b"PK\x03\x04<html><script>alert(1)</script>"
    stored = prepare_photo(upload).data
    assert stored.endswith(b"\xff\xd9")
    assert b"secret note" not in stored and b"<script>" not in stored and b"Exif" not in stored
    assert 0xE1 not in markers(stored) and 0xFE not in markers(stored)
    original = Image.open(io.BytesIO(upload))
    kept = Image.open(io.BytesIO(stored))
    assert kept.tobytes() == original.tobytes()  # the same pixels, no generation loss


def test_it_keeps_the_colour_profile(db):
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    stored = prepare_photo(jpeg(icc_profile=profile)).data
    assert Image.open(io.BytesIO(stored)).info.get("icc_profile") == profile


@pytest.mark.parametrize("params", [{"progressive": True}, {"restart_marker_rows": 1}, {"subsampling": 0}])
def test_it_rewrites_progressive_and_restart_jpegs(db, params):
    upload = encode(scene(7, (640, 480)), "JPEG", quality=85, **params)
    stored = rewrite_jpeg(upload)
    assert Image.open(io.BytesIO(stored)).tobytes() == Image.open(io.BytesIO(upload)).tobytes()


def test_it_calls_a_jpeg_without_its_end_truncated():
    upload = jpeg()
    with pytest.raises(ImageRejected) as caught:
        rewrite_jpeg(upload[:-2])
    assert caught.value.code == "truncated"


def test_it_re_encodes_every_jpeg_when_asked(db, settings):
    upload = jpeg(exif=exif_bytes(lat=30.05, lng=120.02))
    kept = prepare_photo(upload)
    settings.EVIDENCE_REENCODE_ALL = True
    encoded = prepare_photo(upload)
    assert encoded.sha256 != kept.sha256
    assert (encoded.width, encoded.height) == (kept.width, kept.height)
    assert b"Exif" not in encoded.data


def test_damaged_uploads_are_refused_or_stored_decodable(db):
    """Random byte flips, cuts and insertions: a clear refusal or a JPEG that decodes, never a crash."""
    rng = random.Random(5)
    bases = [
        jpeg(exif=exif_bytes(lat=30.0, lng=120.0, orientation=3)),
        encode(scene(2, (360, 240)), "JPEG", progressive=True),
        encode(scene(2, (360, 240)), "PNG"),
        encode(scene(2, (360, 240)), "WEBP"),
    ]
    for _ in range(200):
        data = bytearray(rng.choice(bases))
        where = rng.randrange(len(data))
        action = rng.choice(["flip", "cut", "insert"])
        if action == "flip":
            data[where] = rng.randrange(256)
        elif action == "cut":
            del data[where:]
        else:
            data[where:where] = rng.randbytes(rng.randint(1, 40))
        try:
            stored = prepare_photo(bytes(data)).data
        except ImageRejected as exc:
            assert exc.code in REFUSALS
            continue
        Image.open(io.BytesIO(stored)).load()


def _decodes(data: bytes) -> bool:
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
    except (OSError, SyntaxError, ValueError):
        return False
    return True


def _encodings() -> list[bytes]:
    """JPEGs as phones and libraries write them: baseline with EXIF, progressive, restart intervals,
    greyscale, 4:4:4, and OpenCV's encoder."""
    bgr = np.ascontiguousarray(np.asarray(scene(3, (400, 300)))[:, :, ::-1])
    return [
        jpeg(exif=exif_bytes(lat=30.0, lng=120.0)),
        encode(scene(2, (360, 240)), "JPEG", progressive=True),
        encode(scene(4, (360, 240)), "JPEG", restart_marker_rows=1),
        encode(scene(5, (360, 240)).convert("L"), "JPEG"),
        encode(scene(6, (360, 240)), "JPEG", subsampling=0, progressive=True),
        bytes(cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 92])[1]),
    ]


def test_it_stores_every_common_encoding_as_it_came(db):
    for upload in _encodings():
        stored = prepare_photo(upload).data
        assert Image.open(io.BytesIO(stored)).tobytes() == Image.open(io.BytesIO(upload)).tobytes()


def test_what_the_structure_check_passes_always_decodes(db):
    """The structure check stands in for a full decode: every damaged upload it lets through decodes in full
    (Pillow, libjpeg-turbo), so whatever a decoder refuses is refused here too. Damage goes where the checks
    are: table and header bytes, markers inserted into the entropy-coded data, cuts and junk."""
    rng = random.Random(11)
    bases = _encodings()
    refused = accepted = 0
    for _ in range(600):
        data = bytearray(rng.choice(bases))
        action = rng.choice(["header", "header3", "marker", "junk", "cut"])
        if action.startswith("header"):
            for _flip in range(3 if action == "header3" else 1):
                data[rng.randrange(2, min(len(data) - 1, 700))] = rng.randrange(256)
        elif action == "marker":
            where = rng.randrange(len(data))
            data[where:where] = bytes((0xFF, rng.randrange(256))) + rng.randbytes(rng.randint(0, 6))
        elif action == "junk":
            where = rng.randrange(len(data))
            data[where:where] = rng.randbytes(rng.randint(1, 400))
        else:
            where = rng.randrange(len(data))
            del data[where : rng.choice([where + rng.randrange(1, 500), len(data)])]
        try:
            stored = prepare_photo(bytes(data)).data
        except ImageRejected as exc:
            assert exc.code in REFUSALS
            refused += 1
            continue
        accepted += 1
        assert _decodes(stored), action
    assert refused > 100 and accepted > 100  # both outcomes were exercised


def test_it_refuses_a_marker_inside_the_entropy_coded_data(db):
    upload = jpeg()
    middle = len(upload) // 2
    damaged = upload[:middle] + b"\xff\x37" + upload[middle:]
    with pytest.raises(ImageRejected) as caught:
        prepare_photo(damaged)
    assert caught.value.code == "not_an_image"


def test_it_refuses_a_scan_whose_huffman_table_was_never_defined(db):
    upload = bytearray(jpeg())
    sos = upload.index(b"\xff\xda")
    upload[sos + 6] = 0x33  # the first component's DC/AC tables: 3 and 3, never defined
    with pytest.raises(ImageRejected) as caught:
        prepare_photo(bytes(upload))
    assert caught.value.code == "not_an_image"
