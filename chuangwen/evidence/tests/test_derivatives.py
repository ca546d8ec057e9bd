"""Display copy with a burned-in watermark, thumbnail and perceptual hash, made by the worker."""

from __future__ import annotations

import io
import logging
import os
import time
import uuid

import numpy as np
import pytest
from django.conf import settings
from django.core.management import call_command
from PIL import Image

from chuangwen.evidence import derivatives
from chuangwen.evidence.derivatives import hamming, near_duplicates, phash, render, similar, watermark_text
from chuangwen.evidence.models import Evidence
from chuangwen.evidence.services import PhotoMeta, ingest_photo
from chuangwen.evidence.storage import TEMP_PREFIX, TEMP_SUFFIX, sweep
from chuangwen.evidence.tasks import make_derivatives
from chuangwen.evidence.tests.helpers import API, form
from chuangwen.evidence.tests.photos import encode, jpeg, scene
from conftest import client_for


def ingest(users, sites, field_round, data=None, **meta):
    meta = {"round_id": field_round.pk, "site_id": sites["west_road"].pk, "lat": 30.05, "lng": 120.02, **meta}
    evidence, _ = ingest_photo(
        data or jpeg(size=(2000, 1500)), PhotoMeta(uuid.uuid4(), **meta), users["inspector"]
    )
    return evidence


def test_it_makes_display_thumb_and_phash(users, sites, field_round):
    evidence = ingest(users, sites, field_round)
    make_derivatives(evidence.pk)  # huey runs it inline in the tests
    evidence.refresh_from_db()
    assert evidence.derivatives_done
    display = Image.open(settings.MEDIA_ROOT / evidence.display_file.name)
    thumb = Image.open(settings.MEDIA_ROOT / evidence.thumb_file.name)
    assert display.size == (1600, 1200)
    assert thumb.size == (320, 240)
    assert display.format == thumb.format == "JPEG"
    assert len(evidence.phash) == 16 and int(evidence.phash, 16) >= 0
    assert evidence.display_file.name.startswith("evidence/display/")
    assert evidence.thumb_file.name.startswith("evidence/thumb/")


def test_it_queues_derivatives_when_the_row_commits(
    users, sites, field_round, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(users["inspector"]).post(API, form(field_round, sites["west_road"]))
    assert response.status_code == 201
    assert Evidence.objects.get().derivatives_done


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("L"), dtype=np.int16)


def test_it_burns_the_watermark_into_the_bottom_band(users, sites, field_round, monkeypatch):
    evidence = ingest(users, sites, field_round)
    data = (settings.MEDIA_ROOT / evidence.file.name).read_bytes()
    marked, _, _ = render(data, watermark_text(evidence))
    monkeypatch.setattr(derivatives, "burn_watermark", lambda im, text: im)
    plain, _, _ = render(data, watermark_text(evidence))
    diff = np.abs(_pixels(marked) - _pixels(plain))
    assert diff[-40:, :].mean() > 20  # the band at the bottom changed
    assert diff[:800, :].mean() < 1  # the picture above it did not


def test_it_writes_site_time_place_and_inspector_in_chinese(users, sites, field_round):
    evidence = ingest(users, sites, field_round, captured_at=None)
    lines = watermark_text(evidence).lines(cjk=True)
    text = "\n".join(lines)
    assert "西湖大道" in text and "30.050000, 120.020000" in text
    assert users["inspector"].display_name in text


def test_it_draws_with_a_cjk_font_when_one_is_installed():
    if derivatives.cjk_font_path() is None:
        pytest.skip("no CJK font installed here (make fonts installs fonts-wqy-microhei)")
    font, cjk = derivatives._font(20)
    assert cjk
    assert font.getbbox("西湖大道")[2] > 60  # real glyphs, not empty boxes of the default font


def test_it_falls_back_to_ascii_without_a_cjk_font(users, sites, field_round, monkeypatch, caplog):
    monkeypatch.setattr(derivatives, "CJK_FONTS", ())
    derivatives.cjk_font_path.cache_clear()
    derivatives._font.cache_clear()
    try:
        with caplog.at_level(logging.WARNING):
            _, cjk = derivatives._font(20)
        assert not cjk
        assert "fonts-wqy-microhei" in caplog.text
        evidence = ingest(users, sites, field_round)
        lines = watermark_text(evidence).lines(cjk=False)
        assert all(line.isascii() for line in lines)
        assert "P0001" in lines[0]
        make_derivatives(evidence.pk)
        assert Evidence.objects.get(pk=evidence.pk).derivatives_done
    finally:
        derivatives.cjk_font_path.cache_clear()
        derivatives._font.cache_clear()


def test_phash_is_near_for_a_recompressed_copy_and_far_for_another_picture():
    original = scene(seed=11, size=(1200, 900))
    recompressed = Image.open(io.BytesIO(encode(original.resize((900, 675)), "JPEG", quality=55)))
    other = scene(seed=12, size=(1200, 900))
    assert hamming(phash(original), phash(recompressed)) <= 6
    assert hamming(phash(original), phash(other)) > 16
    assert hamming("ffffffffffffffff", "0000000000000000") == 64


def test_near_duplicates_finds_the_reused_photo(users, sites, field_round):
    first = ingest(users, sites, field_round, jpeg(seed=21, size=(1200, 900)))
    reused = ingest(users, sites, field_round, jpeg(seed=21, size=(1000, 750), quality=60))
    other = ingest(users, sites, field_round, jpeg(seed=22, size=(1200, 900)))
    for evidence in (first, reused, other):
        make_derivatives(evidence.pk)
    first.refresh_from_db()
    found = near_duplicates(first.phash, max_distance=6, exclude_pk=first.pk)
    assert [pk for pk, _ in found] == [reused.pk]
    scoped = near_duplicates(first.phash, 6, queryset=Evidence.objects.filter(pk=other.pk))
    assert scoped == []


def test_rebuild_command_fills_in_missing_derivatives(users, sites, field_round, capsys):
    evidence = ingest(users, sites, field_round)
    call_command("evidence", "rebuild-derivatives")
    evidence.refresh_from_db()
    assert evidence.derivatives_done
    call_command("evidence", "rebuild-derivatives", "--all")
    assert "已重建 1 张" in capsys.readouterr().out


def test_sweep_removes_old_temp_and_orphan_files_only(users, sites, field_round):
    kept = ingest(users, sites, field_round)
    make_derivatives(kept.pk)
    kept.refresh_from_db()
    media = settings.MEDIA_ROOT
    root = media / "evidence"
    orphan = root / "ab" / "cd" / ("abcd" + "0" * 60 + ".jpg")
    temp = root / "ab" / "cd" / f"{TEMP_PREFIX}x{TEMP_SUFFIX}"
    fresh_orphan = root / "ab" / "ce" / ("abce" + "0" * 60 + ".jpg")
    orphan_copies = [  # of a row that is gone
        root / "display" / "ab" / ("999-" + "ab" * 8 + ".jpg"),
        root / "thumb" / "ab" / ("ab" * 32 + ".jpg"),
        root / "public" / "ab" / ("ab" * 32 + "-v1.jpg"),
    ]
    other = root / "notes.txt"  # not a name the evidence app writes: never touched
    for path in (orphan, temp, fresh_orphan, *orphan_copies, other):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    old = time.time() - 7200
    kept_files = [media / kept.file.name, media / kept.display_file.name, media / kept.thumb_file.name]
    for path in (orphan, temp, *orphan_copies, other, *kept_files):
        os.utime(path, (old, old))
    now = time.time()  # the test's clock, which CI moves away from the file system's
    os.utime(fresh_orphan, (now, now))
    assert sweep(grace_seconds=3600) == {"temp": 1, "orphans": 1, "copies": 3}
    assert not orphan.exists() and not temp.exists()
    assert not any(path.exists() for path in orphan_copies)
    assert fresh_orphan.exists() and other.exists()
    assert all(path.exists() for path in kept_files)


def test_similar_finds_hashes_within_seven_bits_through_the_band_index(users, sites, field_round):
    first = ingest(users, sites, field_round, jpeg(seed=21, size=(1200, 900)))
    make_derivatives(first.pk)
    first.refresh_from_db()
    assert (first.phash_band0 << 48) | (first.phash_band1 << 32) | (first.phash_band2 << 16) | (
        first.phash_band3
    ) == int(first.phash, 16)
    value = int(first.phash, 16)
    # Seven bits flipped, two in each of three bands and one in the last: that band is one bit off, found.
    near = value ^ (0b11 << 60) ^ (0b11 << 40) ^ (0b11 << 20) ^ 1
    assert similar([f"{near:016x}"], 7) == [(first.pk, 7)]
    # Two bits in every band: no band within one bit, not a candidate (however near).
    spread = f"{near ^ 2:016x}"
    assert similar([spread], 64) == []
    # A second value (the mirror image's hash) finds it too; a queryset narrows; the distance bound holds.
    assert similar([spread, first.phash], 6) == [(first.pk, 0)]
    assert similar([first.phash], 6, queryset=Evidence.objects.exclude(pk=first.pk)) == []
    assert similar([f"{near:016x}"], 6) == [] and similar([], 6) == []
