"""Capture binding of rectification photos: the phone fetches a capture token for its case, sends it with each
photo with its clock offset, and the verifier sees which photos are bound, picked from the gallery or unbound
(and why); the token is refused for another unit's case and proves nothing for another case or out of time."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from chuangwen.cases.models import CaseState
from chuangwen.cases.tests.case_fixtures import make_case
from chuangwen.cases.tests.photo_fixtures import HERE, picture
from chuangwen.cases.tests.test_api_case_photos import phone
from chuangwen.evidence.models import Evidence
from conftest import client_for

pytestmark = pytest.mark.django_db
NOW = timezone.make_aware(datetime(2026, 12, 7, 10, 0))


def token_for(user, case_id, **extra):
    return Client().get("/api/v1/evidence/capture-token", {"case_id": case_id, **extra}, **phone(user))


def upload(user, case_id, *, token="", offset_ms=None, source=None, taken=None):
    data = {
        "client_id": str(uuid.uuid4()), "kind": "rectification", "case_id": case_id,
        "lat": HERE[0], "lng": HERE[1], "accuracy": 8, "capture_token": token,
        "file": SimpleUploadedFile("fix.jpg", picture("third"), content_type="image/jpeg"),
    }  # fmt: skip
    if taken is not None:
        data["captured_at"] = taken.isoformat()
    if offset_ms is not None:
        data["clock_offset_ms"] = offset_ms
    if source is not None:
        data["source"] = source
    return Client().post("/api/v1/evidence", data, **phone(user))


def stored(response):
    assert response.status_code == 201, response.content
    return Evidence.objects.get(pk=response.json()["id"])


@time_machine.travel(NOW, tick=False)
def test_a_photo_taken_with_the_cases_token_is_bound_with_the_clock_corrected(people, west_case):
    handler = people["west_handler"]
    answer = token_for(handler, west_case.pk)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["server_time"].startswith("2026-12-07T") and body["expires_at"] > body["issued_at"]
    # The phone's clock runs 90 s fast: it says the photo was taken 60 s from now; corrected, 30 s ago.
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        photo = stored(upload(handler, west_case.pk, token=body["token"], offset_ms=90_000,
                              source="camera", taken=NOW + timedelta(seconds=120)))  # fmt: skip
    assert photo.capture_state == "bound" and photo.clock_offset_ms == 90_000
    assert "手机时钟偏差 90 秒已校正" in photo.capture_detail


@time_machine.travel(NOW, tick=False)
def test_gallery_picks_and_photos_without_a_token_are_marked(people, west_case):
    handler = people["west_handler"]
    token = token_for(handler, west_case.pk).json()["token"]
    gallery = stored(upload(handler, west_case.pk, token=token, source="gallery", taken=NOW))
    assert gallery.capture_state == "gallery" and "相册" in gallery.capture_detail
    bare = stored(upload(handler, west_case.pk, taken=NOW))
    assert bare.capture_state == "unbound" and "没有拍摄凭据" in bare.capture_detail


@time_machine.travel(NOW, tick=False)
def test_a_token_proves_nothing_for_another_case_too_late_or_before_it_was_issued(people, org, west_case):
    handler = people["west_handler"]
    other = make_case(CaseState.ACCEPTED, org["west"])
    token = token_for(handler, other.pk).json()["token"]
    wrong_case = stored(upload(handler, west_case.pk, token=token, taken=NOW))
    assert wrong_case.capture_state == "unbound" and "不属于" in wrong_case.capture_detail
    token = token_for(handler, west_case.pk).json()["token"]
    earlier = stored(upload(handler, west_case.pk, token=token, taken=NOW - timedelta(hours=3)))
    assert earlier.capture_state == "unbound" and "不在凭据签发" in earlier.capture_detail
    with time_machine.travel(NOW + timedelta(hours=25), tick=False):
        late = stored(upload(handler, west_case.pk, token=token, taken=NOW + timedelta(hours=25)))
    assert late.capture_state == "unbound" and "已过期" in late.capture_detail
    forged = stored(upload(handler, west_case.pk, token=token[:-4] + "AAAA", taken=NOW))
    assert forged.capture_state == "unbound" and "无效" in forged.capture_detail


def test_another_units_user_gets_no_token_and_bad_input_is_named(people, west_case):
    assert token_for(people["east_handler"], west_case.pk).status_code == 404
    assert token_for(people["west_handler"], west_case.pk, kind="problem").status_code in (400, 422)
    refused = upload(people["west_handler"], west_case.pk, offset_ms=10**12)
    assert refused.status_code in (400, 422) and "clock_offset_ms" in refused.content.decode()
    refused = upload(people["west_handler"], west_case.pk, source="scanner")
    assert refused.status_code in (400, 422) and "source" in refused.content.decode()
    assert not Evidence.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_the_verifier_sees_how_each_photo_was_taken(people, west_case, django_capture_on_commit_callbacks):
    handler = people["west_handler"]
    token = token_for(handler, west_case.pk).json()["token"]
    bound = stored(upload(handler, west_case.pk, token=token, source="camera", taken=NOW))
    bare = stored(upload(handler, west_case.pk, taken=NOW))
    url = f"/api/v1/cases/{west_case.pk}/actions/rectify"
    body = {"reason": "已清理", "photo_ids": [bound.pk, bare.pk]}
    with django_capture_on_commit_callbacks(execute=True):
        acted = Client().post(url, body, content_type="application/json", **phone(handler))
    assert acted.status_code == 200, acted.content
    page = client_for(people["verifier"]).get(reverse("cases:detail", args=[west_case.pk])).content.decode()
    assert 'data-capture="bound"' in page and "现场拍摄（已绑定）" in page
    assert 'data-capture="unbound"' in page and "没有拍摄凭据" in page
    captures = client_for(people["verifier"]).get(f"/api/v1/cases/{west_case.pk}").json()["photo_captures"]
    assert [(c["evidence_id"], c["capture_state"]) for c in captures] == [
        (bound.pk, "bound"),
        (bare.pk, "unbound"),
    ]
