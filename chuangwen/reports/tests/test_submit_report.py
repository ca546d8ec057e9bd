"""submit_report: validation by field, idempotency, outside-district refusal, photos, the case it opens."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from chuangwen.accounts.models import Role, User
from chuangwen.cases.models import Case, CaseEvent, CaseSource, CaseState
from chuangwen.evidence.models import Evidence, EvidenceKind
from chuangwen.org.coords import wgs84_to_gcj02
from chuangwen.reports import services
from chuangwen.reports.models import CitizenReport
from chuangwen.reports.tests.report_fixtures import EAST, WEST, submit, upload

pytestmark = pytest.mark.django_db


def errors_of(exc: Any) -> dict[str, list[str]]:
    return exc.value.message_dict


def test_it_opens_a_new_citizen_case_in_the_street_where_the_point_lies(org, categories):
    report = submit(categories["garbage"], EAST, phone="13812345678", address="东门路 1 号")
    case = report.case
    assert case.source == CaseSource.CITIZEN and case.state == CaseState.NEW
    assert case.area_unit == org["east"] and case.unit is None
    assert case.check_item is None  # no standard loaded in this test; the category keeps BJ-04
    assert (case.lat, case.lng) == EAST
    assert report.tracking_code.startswith("SP") and len(report.tracking_code) == 10
    assert report.phone == "13812345678"  # stored in full
    event = CaseEvent.objects.get(case=case)
    assert event.action == "open" and event.data["tracking_code"] == report.tracking_code
    portal = User.objects.get(username=services.PORTAL_USERNAME)
    assert portal.role == Role.CITIZEN and not portal.has_usable_password() and portal.unit == org["city"]


def test_it_names_each_wrong_field_in_chinese(org, categories):
    categories["other"].active = False
    categories["other"].save()
    with pytest.raises(ValidationError) as exc:
        submit(categories["other"], ("北纬", 200), description="脏", phone="12345")
    errors = errors_of(exc)
    assert set(errors) == {"category", "description", "lat", "lng", "phone"}
    assert errors["category"] == ["请选择问题类别"]
    assert "至少 5 个字" in errors["description"][0]
    assert "手机号格式不正确" in errors["phone"][0]
    assert "经度须在 -180 到 180 之间" in errors["lng"][0]
    assert not Case.objects.exists() and not CitizenReport.objects.exists()


def test_it_refuses_too_many_photos(org, categories, settings):
    settings.REPORTS_MAX_PHOTOS = 2
    with pytest.raises(ValidationError) as exc:
        submit(categories["garbage"], photos=[upload(), upload(), upload()])
    assert errors_of(exc) == {"photos": ["最多上传 2 张照片"]}


def test_it_refuses_a_file_that_is_not_a_photo_and_keeps_nothing(org, categories):
    with pytest.raises(ValidationError) as exc:
        submit(categories["garbage"], photos=[upload("x.jpg", b"MZ\x90\x00 not an image at all" * 10)])
    assert list(errors_of(exc)) == ["photos"]
    assert not Case.objects.exists() and not Evidence.objects.exists()


def test_it_refuses_a_point_outside_the_district_with_the_geo_message(org, categories):
    with pytest.raises(ValidationError) as exc:
        submit(categories["garbage"], (31.0, 121.0))
    message = errors_of(exc)["lat"][0]
    assert message.startswith("点位不在辖区范围内（距最近边界")
    assert not Case.objects.exists()


def test_it_is_idempotent_by_client_id(org, categories):
    client_id = uuid.uuid4()
    first = submit(categories["garbage"], client_id=client_id, photos=[upload()])
    again = submit(categories["parking"], EAST, client_id=client_id, photos=[upload(), upload()])
    assert again.pk == first.pk and again.tracking_code == first.tracking_code
    assert CitizenReport.objects.count() == 1 and Case.objects.count() == 1
    assert Evidence.objects.count() == 1


def test_it_stores_the_photos_as_problem_photos_of_the_case(org, categories):
    report = submit(categories["garbage"], photos=[upload(), upload(data=None)])
    photos = list(CaseEvent.objects.get(case=report.case).photos.all())
    assert len(photos) == 2 and all(p.kind == EvidenceKind.PROBLEM for p in photos)
    assert all(p.file.storage.exists(p.file.name) for p in photos)
    assert photos[0].lat == pytest.approx(WEST[0])


def test_it_converts_gcj02_to_wgs84(org, categories):
    g_lng, g_lat = wgs84_to_gcj02(WEST[1], WEST[0])
    report = submit(categories["garbage"], (g_lat, g_lng), gcj02=True)
    assert report.lat == pytest.approx(WEST[0], abs=1e-7) and report.lng == pytest.approx(WEST[1], abs=1e-7)


def test_it_takes_the_check_item_of_the_active_standard(org, categories):
    from django.core.management import call_command

    call_command("standard", "load-default", verbosity=0)
    report = submit(categories["garbage"])
    assert report.case.check_item is not None and report.case.check_item.code == "BJ-04"


def test_it_records_the_open311_integration(org, categories):
    report = submit(categories["garbage"], source="open311", integration="城市大脑", ip="10.0.0.1")
    assert report.source == "open311" and report.integration == "城市大脑"
