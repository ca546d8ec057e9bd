"""The public pages under /s/: report, status by code with QR code, "me too"; no personal data anywhere."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from chuangwen.reports.models import CitizenReport
from chuangwen.reports.tests.report_fixtures import EAST, WEST, jpeg_bytes, submit, upload

pytestmark = pytest.mark.django_db

PHONE = "13812345678"


def post_report(client: Client, **extra: Any) -> Any:
    data = {
        "category": "garbage",
        "description": "东门小区门口垃圾堆放多日",
        "lat": str(WEST[0]),
        "lng": str(WEST[1]),
        "phone": PHONE,
        "client_id": "6f1c1c9e-5d7e-4d38-9a55-8a3d7e2f4b11",
        "photos": [upload()],
    }
    data.update(extra)
    return client.post("/s/", data)


def test_it_shows_the_report_form_with_the_categories_and_a_camera_input(org, categories):
    response = Client().get("/s/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'accept="image/*" capture="environment" multiple' in html
    assert "csrfmiddlewaretoken" in html and "垃圾堆放" in html and "飞线充电" in html
    assert "验证码" not in html


def test_it_takes_a_report_and_shows_its_tracking_code_and_qr_code(org, categories):
    client = Client(enforce_csrf_checks=False)
    response = post_report(client)
    report = CitizenReport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/s/t/{report.tracking_code}/"
    page = client.get(response["Location"]).content.decode()
    assert "提交成功" in page and report.tracking_code in page and "已收到，待分拣" in page
    assert f"/s/t/{report.tracking_code}/qr.svg" in page
    assert PHONE not in page and "138****5678" not in page  # no personal data on a public page
    assert "东门小区门口垃圾堆放多日" not in page  # nor the citizen's own words
    again = client.get(response["Location"]).content.decode()
    assert "提交成功" not in again  # the banner is shown once
    qr = client.get(f"/s/t/{report.tracking_code}/qr.svg")
    assert qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content


def test_it_enforces_csrf_on_the_public_form(org, categories):
    response = post_report(Client(enforce_csrf_checks=True))
    assert response.status_code == 403 and not CitizenReport.objects.exists()


def test_it_shows_the_errors_of_each_field_and_keeps_what_was_typed(org, categories):
    response = post_report(Client(), description="脏", lat="", lng="", phone="123")
    html = response.content.decode()
    assert response.status_code == 400
    assert "请描述问题，至少 5 个字" in html and "请先获取位置或在地图上选点" in html
    assert "手机号格式不正确" in html and "脏" in html


def test_it_says_when_a_photo_is_not_an_image(org, categories):
    response = post_report(Client(), photos=[upload("a.jpg", b"GIF89a" + b"\x00" * 64)])
    assert response.status_code == 400 and not CitizenReport.objects.exists()
    assert "照片" in response.content.decode()


def test_it_answers_an_unknown_code_with_404_and_finds_a_code_typed_in_lower_case(org, categories):
    report = submit(categories["garbage"])
    client = Client()
    assert client.get("/s/t/SP00000000/").status_code == 404
    assert client.get("/s/t/", {"code": "SPNOPE"}).status_code == 404
    found = client.get("/s/t/", {"code": report.tracking_code.lower()})
    assert found.status_code == 302 and found["Location"] == f"/s/t/{report.tracking_code}/"


def test_it_lists_nearby_open_reports_without_personal_data(org, categories):
    report = submit(categories["garbage"], phone=PHONE, description="我叫张三，住 3 栋 201，垃圾没人管")
    submit(categories["parking"])  # another category: not listed
    data = Client().get("/s/nearby/", {"category": "garbage", "lat": WEST[0], "lng": WEST[1]}).json()
    assert [item["tracking_code"] for item in data["items"]] == [report.tracking_code]
    text = str(data)
    assert PHONE not in text and "张三" not in text and "5678" not in text
    assert Client().get("/s/nearby/", {"category": "garbage"}).status_code == 400


def test_it_adds_a_supporter_once_per_person(org, categories):
    report = submit(categories["garbage"], EAST)
    client = Client()
    first = client.post(f"/s/t/{report.tracking_code}/support/", {"phone": "13900001111"})
    assert first.status_code == 302
    client.post(f"/s/t/{report.tracking_code}/support/", {"phone": "13900001111"})
    client.post(f"/s/t/{report.tracking_code}/support/", {})  # the address, another person
    report.refresh_from_db()
    assert report.supporters == 2
    page = client.get(f"/s/t/{report.tracking_code}/").content.decode()
    assert "13900001111" not in page


def test_it_lets_the_form_resend_without_a_second_report(org, categories):
    client = Client()
    post_report(client)
    post_report(client, photos=[upload(data=jpeg_bytes((1, 2, 3)))])
    assert CitizenReport.objects.count() == 1


def test_it_never_puts_a_phone_number_in_the_status_page_markup(org, categories):
    report = submit(categories["garbage"], phone=PHONE)
    html = Client().get(f"/s/t/{report.tracking_code}/").content.decode()
    assert not re.search(r"1[3-9]\d[\d*]{4}\d{4}", html)
