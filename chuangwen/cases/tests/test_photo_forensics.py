"""Disguised copies among rectification photos, end to end: taken in through the evidence pipeline, checked
when the fix is reported, shown to the verifier with the aligned comparison, and kept from other units."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from PIL import Image

from chuangwen.cases.models import CaseState, PhotoFlag, PhotoFlagKind
from chuangwen.cases.tests.case_fixtures import make_case
from chuangwen.cases.tests.photo_fixtures import HERE, with_finding
from conftest import client_for

pytestmark = pytest.mark.django_db
K = PhotoFlagKind
API = "/api/v1/cases"


@pytest.fixture
def disguised(people, west_case, upload, rectify):
    """A west case from a finding with a street problem photo, fixed with the problem photo cropped, scaled,
    turned, mirrored, recoloured and stamped, and with a genuine photo of the place fixed."""
    problem = upload(people["inspector"], "street")
    case = with_finding(west_case, people["inspector"], [problem])
    handler = people["west_handler"]
    copy, fixed = upload(handler, "street-combined"), upload(handler, "street-fix")
    rectify(case, handler, [copy, fixed])
    return {"case": case, "problem": problem, "copy": copy, "fixed": fixed}


def test_it_flags_the_disguised_problem_photo_and_not_the_genuine_fix(disguised):
    flags = list(PhotoFlag.objects.filter(case=disguised["case"]))
    assert [(f.evidence_id, f.kind) for f in flags] == [(disguised["copy"].pk, K.SAME_AS_PROBLEM)]
    flag = flags[0]
    assert flag.other_evidence_id == disguised["problem"].pk
    assert flag.comparison["mirrored"] is True and flag.comparison["changed"] <= 0.06
    assert flag.comparison["inliers"] >= 25
    assert flag.detail.startswith("与问题照片是同一张照片（对齐后仅") and "已被镜像翻转" in flag.detail


def test_the_verifier_sees_the_aligned_comparison(people, disguised):
    case, client = disguised["case"], client_for(people["verifier"])
    flag = PhotoFlag.objects.get(case=case)
    url = reverse("cases:photo_comparison", args=[case.pk, flag.pk])
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert url in page and "红框为对齐后不同的区域" in page
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(response.content)) as drawn:
        assert drawn.width > 2 * drawn.height  # three panels side by side
    body = client.get(f"{API}/{case.pk}").json()
    (flagged,) = body["photo_flags"]
    assert flagged["comparison"]["mirrored"] is True and flagged["comparison_url"] == url


def test_another_units_user_gets_no_comparison(people, disguised):
    case = disguised["case"]
    flag = PhotoFlag.objects.get(case=case)
    url = reverse("cases:photo_comparison", args=[case.pk, flag.pk])
    assert client_for(people["east_handler"]).get(url).status_code == 404
    assert (
        client_for(people["verifier"]).get(url.replace(str(flag.pk), str(flag.pk + 999))).status_code == 404
    )


def test_it_flags_another_cases_photo_mirrored_and_recoloured(people, org, sites, west_case, upload, rectify):
    handler = people["west_handler"]
    earlier = make_case(CaseState.ACCEPTED, org["west"], site=sites["west_road"], lat=HERE[0], lng=HERE[1])
    first = upload(handler, "street")
    assert not rectify(earlier, handler, [first]).photo_flags.exists()
    event = rectify(west_case, handler, [upload(handler, "street-mirror"), upload(handler, "street-colour")])
    flags = list(event.photo_flags.order_by("evidence_id"))
    assert [f.kind for f in flags] == [K.REUSED, K.REUSED]
    assert all(f.other_evidence_id == first.pk and earlier.code in f.detail for f in flags)
    assert [f.comparison["mirrored"] for f in flags] == [True, False]


def test_a_genuine_fix_of_another_case_at_the_same_place_is_not_reuse(
    people, org, sites, west_case, upload, rectify
):
    handler = people["west_handler"]
    earlier = make_case(CaseState.ACCEPTED, org["west"], site=sites["west_road"], lat=HERE[0], lng=HERE[1])
    rectify(earlier, handler, [upload(handler, "street")])
    event = rectify(west_case, handler, [upload(handler, "street-fix"), upload(handler, "street-elsewhere")])
    assert not event.photo_flags.exists()
