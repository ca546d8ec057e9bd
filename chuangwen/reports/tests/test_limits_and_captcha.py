"""Abuse protection: rate limits per address and per phone number, the image captcha beyond the threshold."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from chuangwen.reports import captcha, services
from chuangwen.reports.models import CitizenReport
from chuangwen.reports.tests.report_fixtures import *  # noqa: F403
from chuangwen.reports.tests.report_fixtures import WEST, submit

pytestmark = pytest.mark.django_db


def form(**extra: str) -> dict[str, str]:
    data = {
        "category": "garbage",
        "description": "路边垃圾堆放多日",
        "lat": str(WEST[0]),
        "lng": str(WEST[1]),
    }
    data.update(extra)
    return data


def test_it_refuses_the_sixth_report_from_an_address_within_ten_minutes(org, categories, settings):
    settings.REPORTS_CAPTCHA_AFTER = 100
    for _n in range(5):
        submit(categories["garbage"], ip="10.1.1.1")
    with pytest.raises(services.RateLimited) as exc:
        submit(categories["garbage"], ip="10.1.1.1")
    first = CitizenReport.objects.order_by("created_at").first()
    when = timezone.localtime(first.created_at + timedelta(seconds=600)).strftime("%H:%M")
    assert exc.value.field == "address"
    assert exc.value.message == f"提交过于频繁：同一网络 10 分钟内最多提交 5 件随手拍，请于 {when} 后再试"
    assert 590 <= exc.value.retry_after_seconds <= 600
    submit(categories["garbage"], ip="10.1.1.2")  # another address is not limited
    CitizenReport.objects.update(created_at=timezone.now() - timedelta(seconds=601))
    submit(categories["garbage"], ip="10.1.1.1")  # the window has passed


def test_it_refuses_the_eleventh_report_of_a_phone_number_within_a_day(org, categories):
    for n in range(10):
        submit(categories["garbage"], phone="13812345678", ip=f"10.2.0.{n}")
    with pytest.raises(services.RateLimited) as exc:
        submit(categories["garbage"], phone="13812345678", ip="10.2.1.1")
    assert exc.value.field == "phone"
    assert "同一手机号 24 小时内最多提交 10 件随手拍" in exc.value.message


def test_it_does_not_count_an_integration_address(org, categories, settings):
    settings.REPORTS_ADDRESS_LIMIT = 1
    submit(categories["garbage"], source="open311", ip="10.3.0.1")
    submit(categories["garbage"], source="open311", ip="10.3.0.1")
    assert CitizenReport.objects.count() == 2


def test_it_shows_the_limit_on_the_page(org, categories, settings):
    settings.REPORTS_ADDRESS_LIMIT = 1
    settings.REPORTS_CAPTCHA_AFTER = 100
    client = Client()
    assert client.post("/s/", form()).status_code == 302
    response = client.post("/s/", form())
    assert response.status_code == 400
    assert "同一网络 10 分钟内最多提交 1 件随手拍，请于" in response.content.decode()


def test_it_asks_for_a_captcha_from_the_third_report_and_takes_each_answer_once(org, categories):
    client = Client()
    for _n in range(2):
        assert client.get("/s/").content.decode().count("验证码图片") == 0
        assert client.post("/s/", form()).status_code == 302
    page = client.get("/s/").content.decode()
    assert 'src="data:image/png;base64,' in page
    wrong = client.post("/s/", form(captcha="XXXX"))
    assert wrong.status_code == 400 and "验证码不正确或已失效" in wrong.content.decode()
    assert CitizenReport.objects.count() == 2
    session = client.session
    captcha.answer_for_tests(session, "AC3K")
    session.save()
    assert client.post("/s/", form(captcha="ac3k")).status_code == 302  # case does not matter
    assert CitizenReport.objects.count() == 3
    again = client.post("/s/", form(captcha="ac3k"))  # one use: the answer is gone
    assert again.status_code == 400 and CitizenReport.objects.count() == 3


def test_it_draws_a_captcha_image_with_noise(org):
    png = captcha.draw("AC3KX")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (captcha.WIDTH, captcha.HEIGHT)
    assert (
        len(image.getcolors(maxcolors=100_000) or []) > 50
    )  # characters, lines and dots, not a flat picture
