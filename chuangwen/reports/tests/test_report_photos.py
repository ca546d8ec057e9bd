"""A report's photos are all checked before any is stored; a busy server answers 503 and changes nothing; the
sweep removes report photos no row points to, never a committed one or one being written."""

from __future__ import annotations

import importlib
import os
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from chuangwen.evidence.models import Evidence, EvidenceKind
from chuangwen.evidence.services import insert_row, prepare_upload
from chuangwen.evidence.storage import store_original, sweep
from chuangwen.evidence.tests.helpers import slots_taken, stored_files
from chuangwen.reports import services
from chuangwen.reports.models import CitizenReport, LimitBucket
from chuangwen.reports.tests.report_fixtures import WEST, jpeg_bytes, submit, upload

pytestmark = pytest.mark.django_db


def broken_jpeg() -> bytes:
    return jpeg_bytes((200, 30, 30), size=(640, 480))[:1500]  # cut off in the middle of its pixels


def six_photos_the_last_broken() -> list[object]:
    good = [upload(f"p{n}.jpg", jpeg_bytes((40 * n, 90, 120), size=(1200, 900))) for n in range(5)]
    return [*good, upload("p5.jpg", broken_jpeg())]


def age(path: Path, seconds: float = 7200) -> None:
    old = time.time() - seconds
    os.utime(path, (old, old))


def test_it_stores_none_of_the_photos_of_a_report_whose_last_photo_is_broken(org, categories):
    """Finding: a report refused for its last photo kept its first five photos stored."""
    with pytest.raises(ValidationError) as exc:
        submit(categories["garbage"], photos=six_photos_the_last_broken())
    assert exc.value.message_dict == {"photos": ["第 6 张照片：图片不完整（文件被截断），请重新上传"]}
    assert not CitizenReport.objects.exists()
    assert not Evidence.objects.exists()
    assert stored_files() == []


def test_it_says_on_the_page_which_photo_is_broken_and_keeps_nothing(org, categories):
    data = {
        "category": "garbage",
        "description": "东门小区门口垃圾堆放多日",
        "lat": str(WEST[0]),
        "lng": str(WEST[1]),
        "photos": six_photos_the_last_broken(),
    }
    response = Client().post("/s/", data)
    assert response.status_code == 400
    assert "第 6 张照片：图片不完整（文件被截断），请重新上传" in response.content.decode()
    assert not Evidence.objects.exists() and stored_files() == []


@pytest.fixture
def every_slot_taken(settings: Any) -> Iterator[None]:
    with slots_taken(settings):
        yield


def test_it_answers_busy_with_503_and_changes_nothing(org, categories, every_slot_taken):
    """Finding: eight big photos at once were all decoded together (6–8 s each, 3.4 GB)."""
    data = {
        "category": "garbage",
        "description": "东门小区门口垃圾堆放多日",
        "lat": str(WEST[0]),
        "lng": str(WEST[1]),
        "photos": [upload()],
    }
    response = Client().post("/s/", data)
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert "服务器繁忙，请稍后重试" in response.content.decode()
    assert not CitizenReport.objects.exists() and not Evidence.objects.exists()
    assert stored_files() == []
    assert not LimitBucket.objects.exists()  # the attempt was not counted either


def test_it_takes_a_report_without_photos_while_the_decoders_are_busy(org, categories, every_slot_taken):
    assert submit(categories["garbage"]).pk


def test_sweep_removes_report_photos_no_row_points_to_but_never_committed_or_fresh_ones(org, categories):
    report = submit(categories["garbage"], photos=[upload(data=jpeg_bytes((10, 200, 10)))])
    (kept,) = Evidence.objects.filter(case_events__case=report.case)
    assert kept.kind == EvidenceKind.PROBLEM
    media = Path(settings.MEDIA_ROOT)
    # What a report whose transaction failed after its photos were written leaves: files without rows.
    orphan_photo = prepare_upload(jpeg_bytes((200, 10, 10)))
    orphan = media / store_original(orphan_photo.data, orphan_photo.sha256)
    being_written = prepare_upload(jpeg_bytes((10, 10, 200)))
    fresh = media / store_original(being_written.data, being_written.sha256)
    age(orphan)
    age(media / kept.file.name)
    age(fresh, 0)  # written "now" by the test's clock, which CI may move away from the file system's
    assert sweep(grace_seconds=3600)["orphans"] == 1
    assert not orphan.exists()
    assert (media / kept.file.name).exists()  # a committed row points to it, however old
    assert fresh.exists()  # younger than the grace period: perhaps its row is about to commit


def test_it_drops_the_rows_left_by_reports_refused_before_the_fix(org, categories, users):
    """Photo rows of the old code's refused reports (portal user, never cited) go; the sweep then takes their
    files. Rows of reports that were made, and other people's uploads, stay."""
    migration = importlib.import_module("chuangwen.reports.migrations.0004_drop_photos_of_refused_reports")
    made = submit(categories["garbage"], photos=[upload()])
    portal = services.portal_user()
    leftover = prepare_upload(jpeg_bytes((1, 2, 3)))
    name = store_original(leftover.data, leftover.sha256)
    row, _created = insert_row(uuid.uuid4(), portal, leftover, name, {"kind": EvidenceKind.RECTIFICATION})
    own, _created = insert_row(
        uuid.uuid4(), users["east_handler"], leftover, name, {"kind": EvidenceKind.RECTIFICATION}
    )
    later = timezone.now() + timedelta(hours=2)
    assert migration.drop_refused_report_photos(Evidence, now=later) == 1
    assert not Evidence.objects.filter(pk=row.pk).exists()
    assert Evidence.objects.filter(pk=own.pk).exists()
    assert Evidence.objects.filter(case_events__case=made.case).count() == 1
