"""The verifier is never told a photo is clean before it was checked: the case page shows each fix's check
as waiting (with how long), checking, clean, flagged or failed; a failed or stuck check can be queued again;
each photo's capture time, place and distance are shown whatever the checks found; a verifier attaches
photos of the revisit; a case from a finding carries the inspector's note."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from chuangwen.audit.models import AuditEntry
from chuangwen.cases import services
from chuangwen.cases.models import Case, CaseState, PhotoCheck, PhotoCheckState
from chuangwen.cases.tasks import check_rectification_photos
from chuangwen.cases.tests.photo_fixtures import north_of, picture, with_finding
from chuangwen.evidence.models import Evidence, EvidenceKind
from chuangwen.rounds.models import Finding, FindingStatus
from conftest import client_for

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.fixture
def hold_queue():
    """Call it to take the worker down: tasks then wait in the queue instead of running inline (the photos
    are uploaded, and hashed, before)."""

    def hold() -> None:
        HUEY.immediate = False

    yield hold
    HUEY.flush()
    HUEY.immediate = True


def page_of(user, case):
    response = client_for(user).get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode()


def photos_section(page):
    start = page.index('id="rectification-photos"')
    return page[start : page.index("</section>", start)]


def test_it_says_waiting_until_the_check_has_run(people, west_case, upload, rectify, hold_queue):
    photo = upload(people["west_handler"], "other", at=north_of(500))
    hold_queue()
    event = rectify(west_case, people["west_handler"], [photo])
    assert PhotoCheck.objects.get(event=event).state == PhotoCheckState.PENDING
    page = page_of(people["verifier"], west_case)
    section = photos_section(page)
    assert "待检查" in section and "未发现疑点" not in page and 'hx-trigger="every 2s"' in section
    assert "尚未完成自动核验" in page

    check_rectification_photos.call_local(event.pk)  # the worker takes the task
    section = photos_section(page_of(people["verifier"], west_case))
    assert PhotoCheck.objects.get(event=event).state == PhotoCheckState.DONE
    assert "拍摄地点远离问题位置" in section and "待检查" not in section and "hx-trigger" not in section


def test_it_says_clean_only_after_the_check(people, west_case, upload, rectify, hold_queue):
    photo = upload(people["west_handler"], "other")
    hold_queue()
    event = rectify(west_case, people["west_handler"], [photo])
    assert "未发现疑点" not in page_of(people["verifier"], west_case)
    check_rectification_photos.call_local(event.pk)
    page = page_of(people["verifier"], west_case)
    assert "自动核验未发现疑点" in photos_section(page) and "最近一次整改照片自动核验未发现疑点" in page


def test_it_says_how_long_a_check_has_waited_and_lets_it_be_queued_again(
    people, west_case, upload, rectify, hold_queue
):
    photo = upload(people["west_handler"], "other")
    hold_queue()
    with time_machine.travel(NOW, tick=False):
        event = rectify(west_case, people["west_handler"], [photo])
    with time_machine.travel(NOW + timedelta(minutes=2), tick=False):
        section = photos_section(page_of(people["verifier"], west_case))
        assert "已等待 2" in section and "重新自动核验" not in section  # not stale yet
    with time_machine.travel(NOW + timedelta(minutes=10), tick=False):
        section = photos_section(page_of(people["verifier"], west_case))
        assert "已等待 10" in section and "重新自动核验" in section
        HUEY.immediate = True  # the worker is back
        url = reverse("cases:photo_recheck", args=[west_case.pk, event.pk])
        response = client_for(people["verifier"]).post(url)
    assert response.status_code == 302
    assert PhotoCheck.objects.get(event=event).state == PhotoCheckState.DONE
    assert AuditEntry.objects.filter(action="case.photo_recheck").exists()


def test_it_says_a_check_failed_and_runs_it_again_on_request(people, west_case, upload, rectify, settings):
    settings.CASES_REUSE_CANDIDATE_BITS = "twenty"  # a broken configuration makes the checks raise
    event = rectify(west_case, people["west_handler"], [upload(people["west_handler"], "other")])
    check = PhotoCheck.objects.get(event=event)
    assert check.state == PhotoCheckState.FAILED and "ValueError" in check.error
    page = page_of(people["verifier"], west_case)
    assert "自动核验失败" in photos_section(page) and "未发现疑点" not in page
    settings.CASES_REUSE_CANDIDATE_BITS = 20
    client_for(people["verifier"]).post(reverse("cases:photo_recheck", args=[west_case.pk, event.pk]))
    assert "自动核验未发现疑点" in photos_section(page_of(people["verifier"], west_case))
    assert PhotoCheck.objects.get(event=event).attempts == 2


def test_it_shows_when_and_where_every_photo_was_taken(people, west_case, upload, rectify):
    taken = timezone.now() - timedelta(hours=1)
    rectify(
        west_case,
        people["west_handler"],
        [upload(people["west_handler"], "other", at=north_of(150), taken=taken)],
    )
    section = photos_section(page_of(people["verifier"], west_case))
    assert "自动核验未发现疑点" in section  # no flag: the facts are shown all the same
    assert timezone.localtime(taken).strftime("%Y-%m-%d %H:%M") in section and "（手机）" in section
    assert "30.05135" in section and "精度 10 米" in section and "约 150 米" in section


def test_it_refreshes_only_the_photo_fragment(people, west_case, upload, rectify, hold_queue):
    photo = upload(people["west_handler"], "other")
    hold_queue()
    event = rectify(west_case, people["west_handler"], [photo])
    url = reverse("cases:photo_checks", args=[west_case.pk])
    fragment = client_for(people["verifier"]).get(url).content.decode()
    assert fragment.lstrip().startswith("<section") and "待检查" in fragment
    assert 'id="photo-flag-count"' in fragment and 'hx-swap-oob="true"' in fragment
    check_rectification_photos.call_local(event.pk)
    assert "hx-trigger" not in client_for(people["verifier"]).get(url).content.decode()
    assert client_for(people["east_handler"]).get(url).status_code == 404


def test_it_lets_the_verifier_attach_photos_of_the_revisit(people, west_case, upload, rectify):
    rectify(west_case, people["west_handler"], [upload(people["west_handler"], "other")])
    page = page_of(people["verifier"], west_case)
    assert "核查照片（可选）" in page
    client = client_for(people["verifier"])
    url = reverse("cases:act", args=[west_case.pk, "verify_pass"])
    version = Case.objects.get(pk=west_case.pk).version
    shot = SimpleUploadedFile("revisit.jpg", picture("third"), content_type="image/jpeg")
    response = client.post(url, {"verify_pass-expected_version": version, "photos": [shot]})
    assert response.status_code == 302
    event = west_case.events.get(action="verify_pass")
    assert [photo.kind for photo in event.photos.all()] == [EvidenceKind.VERIFICATION]


def test_it_stores_no_revisit_photo_when_one_is_bad(people, west_case, upload, rectify):
    rectify(west_case, people["west_handler"], [upload(people["west_handler"], "other")])
    before = Evidence.objects.count()
    url = reverse("cases:act", args=[west_case.pk, "verify_fail"])
    good = SimpleUploadedFile("a.jpg", picture("third"), content_type="image/jpeg")
    bad = SimpleUploadedFile("b.jpg", b"not a photo", content_type="image/jpeg")
    version = Case.objects.get(pk=west_case.pk).version
    data = {"verify_fail-expected_version": version, "verify_fail-reason": "仍有垃圾", "photos": [good, bad]}
    response = client_for(people["verifier"]).post(url, data)
    assert response.status_code == 400 and "照片：" in response.content.decode()
    assert Evidence.objects.count() == before
    assert Case.objects.get(pk=west_case.pk).state == CaseState.RECTIFIED


def test_it_puts_the_fix_before_the_extension_request(people, west_case):
    page = page_of(people["west_handler"], west_case)
    assert page.index('data-action="rectify"') < page.index('data-action="request_extension"')


def test_it_carries_the_inspectors_note_onto_the_case(people, west_case):
    finding = with_finding(west_case, people["inspector"], []).finding
    Case.objects.filter(pk=west_case.pk).update(finding=None)
    Finding.objects.filter(pk=finding.pk).update(status=FindingStatus.READY)
    finding.judgement.note = "桥下堆放建筑垃圾约两立方米"
    finding.judgement.save()
    case = services.open_case_from_finding(Finding.objects.get(pk=finding.pk), None)
    assert case.description == "桥下堆放建筑垃圾约两立方米\n问题数量：1"
    assert "桥下堆放建筑垃圾约两立方米" in page_of(people["coordinator"], case)
