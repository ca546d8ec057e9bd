"""The automatic checks of rectification photos: each kind of flag found and not found, the GPS accuracy
allowance, nothing stored twice, a flag that appears when the perceptual hash arrives later, and a check that
breaks without failing the report of the fix."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chuangwen.cases import photochecks
from chuangwen.cases.models import CaseState, PhotoFlag, PhotoFlagKind
from chuangwen.cases.tests.case_fixtures import make_case
from chuangwen.cases.tests.photo_fixtures import (
    HERE,
    exif_taken,
    north_of,
    with_finding,
    with_opening_photos,
)
from chuangwen.evidence.tasks import make_derivatives
from chuangwen.evidence.tests.photos import exif_bytes

pytestmark = pytest.mark.django_db
K = PhotoFlagKind


def kinds(event, photo=None):
    rows = PhotoFlag.objects.filter(event=event)
    if photo is not None:
        rows = rows.filter(evidence=photo)
    return sorted(rows.values_list("kind", flat=True))


def test_it_finds_nothing_wrong_with_a_good_photo(people, west_case, upload, rectify, opened_at):
    photo = upload(people["west_handler"], "other", taken=opened_at + timedelta(days=1))
    event = rectify(west_case, people["west_handler"], [photo])
    assert kinds(event) == []
    west_case.refresh_from_db()
    assert west_case.state == CaseState.RECTIFIED


def test_it_flags_a_photo_taken_before_the_case_was_opened(people, west_case, upload, rectify, opened_at):
    handler = people["west_handler"]
    early = upload(handler, "other", taken=opened_at - timedelta(hours=3))
    late = upload(handler, "other", taken=opened_at + timedelta(hours=3))
    event = rectify(west_case, handler, [early, late])
    assert kinds(event, early) == [K.BEFORE_OPEN] and kinds(event, late) == []
    detail = PhotoFlag.objects.get(evidence=early).detail
    assert "手机拍摄时间" in detail and "早于立案时间" in detail


def test_it_trusts_the_exif_time_over_the_phone_clock(people, west_case, upload, rectify, opened_at):
    handler = people["west_handler"]
    exif = exif_taken(opened_at - timedelta(days=30))
    old = upload(handler, "other", taken=opened_at + timedelta(hours=1), exif=exif)
    assert old.exif_captured_at is not None
    event = rectify(west_case, handler, [old])
    assert kinds(event) == [K.BEFORE_OPEN]
    assert "EXIF" in PhotoFlag.objects.get(evidence=old).detail


def test_it_falls_back_to_the_receipt_time_without_any_capture_time(people, west_case, upload, rectify):
    photo = upload(people["west_handler"], "other", taken=None)
    assert photo.captured_at is None and photo.exif_captured_at is None
    event = rectify(west_case, people["west_handler"], [photo])
    assert K.BEFORE_OPEN not in kinds(event)


def test_it_flags_a_photo_taken_far_from_the_problem(people, west_case, upload, rectify):
    handler = people["west_handler"]
    far = upload(handler, "other", at=north_of(500), accuracy=10)
    close = upload(handler, "other", at=north_of(150), accuracy=10)
    event = rectify(west_case, handler, [far, close])
    assert kinds(event, far) == [K.FAR_FROM_SITE] and kinds(event, close) == []
    assert PhotoFlag.objects.get(evidence=far).detail == "距问题位置约 500 米（定位精度 10 米，允许 200 米）"


def test_it_allows_for_the_accuracy_of_the_fix(people, west_case, upload, rectify):
    handler = people["west_handler"]
    vague = upload(handler, "other", at=north_of(260), accuracy=80)  # 260 − 80 = 180 ≤ 200
    sharp = upload(handler, "other", at=north_of(260), accuracy=50)  # 260 − 50 = 210 > 200
    event = rectify(west_case, handler, [vague, sharp])
    assert kinds(event, vague) == [] and kinds(event, sharp) == [K.FAR_FROM_SITE]


def test_it_measures_from_the_site_when_the_case_has_no_position(people, org, sites, upload, rectify):
    case = make_case(CaseState.ACCEPTED, org["west"], site=sites["west_road"])
    assert case.lat is None
    far = upload(people["west_handler"], "other", at=north_of(1000))
    assert kinds(rectify(case, people["west_handler"], [far])) == [K.FAR_FROM_SITE]


def test_it_reads_the_exif_position_when_the_phone_sent_none(people, west_case, upload, rectify):
    exif = exif_bytes(lat=north_of(800)[0], lng=HERE[1])
    photo = upload(people["west_handler"], "other", at=None, exif=exif)
    assert photo.lat is None and photo.exif_lat is not None
    assert kinds(rectify(west_case, people["west_handler"], [photo])) == [K.FAR_FROM_SITE]


def test_it_flags_a_photo_without_location_only_when_the_case_has_one(
    people, org, west_case, upload, rectify
):
    handler = people["west_handler"]
    nowhere = upload(handler, "other", at=None)
    assert kinds(rectify(west_case, handler, [nowhere])) == [K.NO_LOCATION]
    placeless = make_case(CaseState.ACCEPTED, org["west"])
    also_nowhere = upload(handler, "third", at=None)
    assert kinds(rectify(placeless, handler, [also_nowhere])) == []


def test_it_flags_the_problem_photo_passed_off_as_the_fix(people, west_case, upload, rectify):
    problem = upload(people["inspector"], "base")
    case = with_finding(west_case, people["inspector"], [problem])
    handler = people["west_handler"]
    copy = upload(handler, "near")
    fixed = upload(handler, "other")
    event = rectify(case, handler, [copy, fixed])
    assert kinds(event, copy) == [K.SAME_AS_PROBLEM] and kinds(event, fixed) == []
    flag = PhotoFlag.objects.get(evidence=copy)
    assert flag.other_evidence_id == problem.pk and flag.case_id == case.pk
    assert flag.detail.startswith("与问题照片是同一张照片（感知哈希相差")


def test_it_compares_with_the_photos_given_when_the_case_was_opened(people, west_case, upload, rectify):
    reported = upload(people["coordinator"], "base")
    with_opening_photos(west_case, [reported])
    copy = upload(people["west_handler"], "near")
    assert kinds(rectify(west_case, people["west_handler"], [copy])) == [K.SAME_AS_PROBLEM]


def test_it_flags_a_photo_used_in_another_case(people, org, sites, west_case, upload, rectify):
    handler = people["west_handler"]
    earlier = make_case(CaseState.ACCEPTED, org["west"], site=sites["west_road"], lat=HERE[0], lng=HERE[1])
    first = upload(handler, "base")
    assert kinds(rectify(earlier, handler, [first])) == []
    copy = upload(handler, "near")
    fixed = upload(handler, "other")
    event = rectify(west_case, handler, [copy, fixed])
    assert kinds(event, copy) == [K.REUSED] and kinds(event, fixed) == []
    flag = PhotoFlag.objects.get(evidence=copy)
    assert flag.other_evidence_id == first.pk
    assert flag.detail.startswith(f"与案卷 {earlier.code} 的照片是同一张照片（感知哈希相差")


def test_it_flags_a_photo_like_the_problem_photo_of_another_case(
    people, org, sites, west_case, upload, rectify
):
    problem = upload(people["inspector"], "base")
    other = make_case(CaseState.DISPATCHED, org["east"], site=sites["east_estate"])
    with_finding(other, people["inspector"], [problem])
    copy = upload(people["west_handler"], "near")
    event = rectify(west_case, people["west_handler"], [copy])
    assert kinds(event) == [K.REUSED]
    assert other.code in PhotoFlag.objects.get(evidence=copy).detail


def test_it_creates_nothing_twice(people, west_case, upload, rectify, opened_at):
    reported = upload(people["coordinator"], "base")
    with_opening_photos(west_case, [reported])
    copy = upload(people["west_handler"], "near", taken=opened_at - timedelta(days=1), at=None)
    event = rectify(west_case, people["west_handler"], [copy])
    assert kinds(event) == [K.BEFORE_OPEN, K.NO_LOCATION, K.SAME_AS_PROBLEM]
    again = photochecks.check_photos(event)
    assert len(again) == 3 and PhotoFlag.objects.count() == 3
    make_derivatives.call_local(copy.pk)  # a repeated hash signal changes nothing either
    assert PhotoFlag.objects.count() == 3


def test_it_flags_the_copy_once_its_hash_arrives(people, west_case, upload, rectify):
    reported = upload(people["coordinator"], "base")
    with_opening_photos(west_case, [reported])
    copy = upload(people["west_handler"], "near", hashed=False)
    event = rectify(west_case, people["west_handler"], [copy])
    assert kinds(event) == []  # time and place are fine; the picture cannot be compared yet
    make_derivatives.call_local(copy.pk)  # what the worker does later
    assert kinds(event) == [K.SAME_AS_PROBLEM]


def test_it_flags_the_copy_once_the_problem_photo_is_hashed(people, west_case, upload, rectify):
    reported = upload(people["coordinator"], "base", hashed=False)
    with_opening_photos(west_case, [reported])
    copy = upload(people["west_handler"], "near")
    event = rectify(west_case, people["west_handler"], [copy])
    assert kinds(event) == []
    make_derivatives.call_local(reported.pk)
    assert kinds(event) == [K.SAME_AS_PROBLEM]


def test_it_never_fails_the_report_when_a_check_breaks(people, west_case, upload, rectify, settings, caplog):
    settings.CASES_REUSE_CANDIDATE_BITS = "twenty"  # a broken configuration makes the reuse check raise
    photo = upload(people["west_handler"], "base", at=None)
    event = rectify(west_case, people["west_handler"], [photo])
    west_case.refresh_from_db()
    assert west_case.state == CaseState.RECTIFIED and event.photos.get() == photo
    assert "photo checks of case event" in caplog.text
    assert kinds(event) == []  # the checks run as a whole or not at all


def test_it_checks_only_reports_of_a_fix(people, west_case, upload):
    photo = upload(people["coordinator"], "base", at=None)
    with_opening_photos(west_case, [photo])
    opening = west_case.events.get(action="open")
    assert photochecks.check_photos(opening) == [] and not PhotoFlag.objects.exists()
