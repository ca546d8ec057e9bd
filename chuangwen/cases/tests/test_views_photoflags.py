"""What the verifier sees of the photo checks: before | after on the case page with each flag in Chinese and
their number by the verify buttons, ``photo_flags`` in the API, and nothing of another unit's case."""

from __future__ import annotations

import pytest
from django.urls import reverse

from chuangwen.cases.models import CaseState, PhotoFlagKind
from chuangwen.cases.tests.case_fixtures import make_case
from chuangwen.cases.tests.photo_fixtures import north_of, with_finding
from conftest import client_for

pytestmark = pytest.mark.django_db
K = PhotoFlagKind
API = "/api/v1/cases"
GENERIC = "与其他案卷的照片几乎相同"


@pytest.fixture
def flagged(people, org, sites, west_case, upload, rectify):
    """An east case fixed with a photo; the west case (from a finding) fixed with a copy of that photo, a copy
    of its own problem photo and a good photo."""
    east = make_case(CaseState.ACCEPTED, org["east"], site=sites["east_estate"])
    east_photo = upload(people["east_handler"], "base", at=(30.06, 120.07))
    rectify(east, people["east_handler"], [east_photo])
    problem = upload(people["inspector"], "other")
    case = with_finding(west_case, people["inspector"], [problem])
    handler = people["west_handler"]
    photos = {
        "reused": upload(handler, "near"),
        "same": upload(handler, "other-near"),
        "good": upload(handler, "third", at=north_of(30)),
    }
    rectify(case, handler, list(photos.values()))
    return {"case": case, "east": east, "east_photo": east_photo, "problem": problem, **photos}


def test_it_shows_the_verifier_before_and_after_with_the_flags(people, flagged):
    case = flagged["case"]
    response = client_for(people["verifier"]).get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    before, after = page.index('id="problem-photos"'), page.index('id="rectification-photos"')
    assert page.index('id="photo-compare"') < before < after
    assert "整改前：问题照片" in page and "整改后：整改照片" in page
    assert reverse("evidence:thumb", args=[flagged["problem"].pk]) in page[before:after]
    checked = {item.photo.pk: item.flags for item in response.context["checked_photos"]}
    assert [flag.kind for flag in checked[flagged["reused"].pk]] == [K.REUSED]
    assert [flag.kind for flag in checked[flagged["same"].pk]] == [K.SAME_AS_PROBLEM]
    assert checked[flagged["good"].pk] == []
    assert (
        "与问题照片几乎相同" in page[after:] and f"与案卷 {flagged['east'].code} 的照片是同一张照片" in page
    )
    assert "自动核验未发现疑点" in page[after:]
    actions = page[page.index('id="case-actions"') :]
    assert "最近一次整改照片自动核验发现 2 处疑点" in actions
    assert actions.index("photo-flag-count") < actions.index('data-action="verify_pass"')


def test_it_gives_the_flags_in_the_api(people, flagged):
    body = client_for(people["verifier"]).get(f"{API}/{flagged['case'].pk}").json()
    flags = {flag["evidence_id"]: flag for flag in body["photo_flags"]}
    assert set(flags) == {flagged["reused"].pk, flagged["same"].pk}
    reused = flags[flagged["reused"].pk]
    assert reused["kind"] == "reused" and reused["label"] == GENERIC
    assert (
        reused["other_evidence_id"] == flagged["east_photo"].pk and flagged["east"].code in reused["detail"]
    )
    same = flags[flagged["same"].pk]
    assert same["label"] == "与问题照片几乎相同" and same["other_evidence_id"] == flagged["problem"].pk


def test_it_does_not_name_a_case_the_viewer_may_not_see(people, flagged):
    client = client_for(people["west_head"])
    page = client.get(reverse("cases:detail", args=[flagged["case"].pk])).content.decode()
    assert flagged["east"].code not in page
    assert reverse("evidence:display", args=[flagged["east_photo"].pk]) not in page
    assert GENERIC in page
    flags = client.get(f"{API}/{flagged['case'].pk}").json()["photo_flags"]
    reused = next(flag for flag in flags if flag["kind"] == "reused")
    assert reused["other_evidence_id"] is None and reused["detail"] == GENERIC
    assert flagged["east"].code not in str(flags)


def test_it_shows_nothing_of_the_case_to_another_unit(people, flagged):
    client = client_for(people["east_handler"])
    assert client.get(reverse("cases:detail", args=[flagged["case"].pk])).status_code == 404
    assert client.get(f"{API}/{flagged['case'].pk}").status_code == 404


def test_it_answers_a_rectify_through_the_api_with_its_flags(
    people, west_case, upload, django_capture_on_commit_callbacks
):
    handler = people["west_handler"]
    photo = upload(handler, "base", at=north_of(900))
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(handler).post(
            f"{API}/{west_case.pk}/actions/rectify",
            {"reason": "已清理", "photo_ids": [photo.pk]},
            content_type="application/json",
        )
    assert response.status_code == 200, response.content
    flags = client_for(people["verifier"]).get(f"{API}/{west_case.pk}").json()["photo_flags"]
    assert [(flag["evidence_id"], flag["kind"]) for flag in flags] == [(photo.pk, "far_from_site")]
    assert flags[0]["label"] == "拍摄地点远离问题位置" and "900 米" in flags[0]["detail"]
