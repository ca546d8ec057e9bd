"""Abuse protection: limits per address, device and phone number, checked and counted in one step (racing
requests included, refused attempts included); the image captcha beyond the threshold, taken once by one
request."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import connections
from django.test import Client
from PIL import Image

from chuangwen.reports import captcha, guard, services
from chuangwen.reports.models import CitizenReport, LimitBucket
from chuangwen.reports.tests.report_fixtures import WEST, jpeg_bytes, submit, upload

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def form(**extra: str) -> dict[str, str]:
    data = {
        "category": "garbage",
        "description": "路边垃圾堆放多日",
        "lat": str(WEST[0]),
        "lng": str(WEST[1]),
    }
    data.update(extra)
    return data


def race(count: int, work: Callable[[int], object]) -> list[object]:
    """Run ``work(n)`` in ``count`` threads released at the same moment; each result or exception."""
    start = threading.Barrier(count)
    outcomes: list[object] = [None] * count

    def run(n: int) -> None:
        try:
            start.wait()
            outcomes[n] = work(n)
        except Exception as exc:
            outcomes[n] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_it_refuses_the_sixth_report_from_an_address_within_ten_minutes(org, categories, settings):
    settings.REPORTS_CAPTCHA_AFTER = 100
    with time_machine.travel(NOW, tick=False):
        for _n in range(5):
            submit(categories["garbage"], ip="10.1.1.1")
    with time_machine.travel(NOW + timedelta(minutes=3), tick=False):
        with pytest.raises(services.RateLimited) as exc:
            submit(categories["garbage"], ip="10.1.1.1")
        assert exc.value.field == "address"
        assert exc.value.message == "提交过于频繁：同一网络 10 分钟内最多提交 5 件随手拍，请于 10:10 后再试"
        assert exc.value.retry_after_seconds == 420
        submit(categories["garbage"], ip="10.1.1.2")  # another address is not limited
    with time_machine.travel(NOW + timedelta(seconds=601), tick=False):
        submit(categories["garbage"], ip="10.1.1.1")  # the window has passed
    assert CitizenReport.objects.count() == 7


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


def test_it_keeps_no_address_or_phone_number_in_the_counters(org, categories):
    submit(categories["garbage"], phone="13812345678", ip="10.3.1.1", device="a" * 32)
    keys = " ".join(LimitBucket.objects.values_list("key", flat=True))
    assert keys.count("report:") == 3
    assert "10.3.1.1" not in keys and "13812345678" not in keys and "a" * 32 not in keys


def test_it_shows_the_limit_on_the_page(org, categories, settings):
    settings.REPORTS_ADDRESS_LIMIT = 1
    settings.REPORTS_CAPTCHA_AFTER = 100
    client = Client()
    assert client.post("/s/", form()).status_code == 302
    response = client.post("/s/", form())
    assert response.status_code == 400
    assert "同一网络 10 分钟内最多提交 1 件随手拍，请于" in response.content.decode()


def test_it_counts_refused_reports_against_the_address_limit(org, categories, settings):
    """Finding: refused reports (a broken last photo) were not counted, so they could be sent without end."""
    settings.REPORTS_CAPTCHA_AFTER = 100
    broken = jpeg_bytes(size=(640, 480))[:1500]
    for _n in range(5):
        with pytest.raises(ValidationError):
            submit(categories["garbage"], ip="10.4.0.1", photos=[upload(), upload("b.jpg", broken)])
    with pytest.raises(services.RateLimited) as exc:
        submit(categories["garbage"], ip="10.4.0.1", photos=[upload()])
    assert exc.value.field == "address"
    assert not CitizenReport.objects.exists()


def test_it_limits_reports_per_device(org, categories, settings):
    settings.REPORTS_DEVICE_LIMIT = 2
    client = Client()
    client.get("/s/")  # the page gives the browser its device cookie
    for n in range(2):
        assert client.post("/s/", form(), REMOTE_ADDR=f"10.7.0.{n}").status_code == 302
    response = client.post("/s/", form(), REMOTE_ADDR="10.7.0.9")  # a new address does not help
    assert response.status_code == 400
    assert "同一设备 10 分钟内最多提交 2 件随手拍" in response.content.decode()
    assert CitizenReport.objects.count() == 2


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


@pytest.mark.django_db(transaction=True)
def test_it_lets_one_solved_captcha_make_one_report_however_many_requests_race(org, categories, settings):
    """Finding: three requests carrying one solved captcha each read the session before any saved it, and
    all three made a report."""
    settings.REPORTS_CAPTCHA_AFTER = 0  # every report needs a captcha
    client = Client()
    client.get("/s/")
    session = client.session
    captcha.answer_for_tests(session, "AC3K")
    session.save()
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value

    def send(_n: int) -> int:
        racer = Client()
        racer.cookies[django_settings.SESSION_COOKIE_NAME] = cookie
        return racer.post("/s/", form(captcha="AC3K")).status_code

    assert sorted(race(3, send)) == [302, 400, 400]  # type: ignore[type-var]
    assert CitizenReport.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_never_lets_racing_reports_past_the_address_limit(org, categories, settings):
    """Finding: reports sent at the same moment were each checked before any was counted: 6 made of 5."""
    settings.REPORTS_CAPTCHA_AFTER = 100
    outcomes = race(8, lambda _n: submit(categories["garbage"], ip="10.5.0.1"))
    made = [o for o in outcomes if isinstance(o, CitizenReport)]
    refused = [o for o in outcomes if isinstance(o, services.RateLimited)]
    assert (len(made), len(refused)) == (5, 3), outcomes
    assert CitizenReport.objects.count() == 5


@pytest.mark.django_db(transaction=True)
def test_it_limits_me_too_per_address_whatever_phone_numbers_are_typed(org, categories, settings):
    """Finding: “我也遇到” went from 1 to 21 in 0.1 s, each with a made-up phone number."""
    settings.REPORTS_SUPPORT_ADDRESS_LIMIT = 10
    report = submit(categories["garbage"], ip="10.6.0.9")
    outcomes = race(20, lambda n: guard.support_report(report, phone=f"1390000{n:04d}", ip="10.6.0.1"))
    refused = [o for o in outcomes if isinstance(o, services.RateLimited)]
    assert len(refused) == 10, outcomes
    assert refused[0].message.startswith("操作过于频繁：同一网络 10 分钟内最多附议 10 次")
    report.refresh_from_db()
    assert report.supporters == 10


def test_it_limits_me_too_per_device(org, categories, settings):
    settings.REPORTS_SUPPORT_DEVICE_LIMIT = 2
    report = submit(categories["garbage"])
    client = Client()
    client.get(f"/s/t/{report.tracking_code}/")  # the device cookie
    url = f"/s/t/{report.tracking_code}/support/"
    for n in range(3):
        client.post(url, {"phone": f"1370000{n:04d}"}, REMOTE_ADDR=f"10.8.0.{n}")
    page = client.get(f"/s/t/{report.tracking_code}/").content.decode()
    assert "操作过于频繁：同一设备 10 分钟内最多附议 2 次" in page
    report.refresh_from_db()
    assert report.supporters == 2


def test_it_draws_a_captcha_image_with_noise(org):
    png = captcha.draw("AC3KX")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (captcha.WIDTH, captcha.HEIGHT)
    assert (
        len(image.getcolors(maxcolors=100_000) or []) > 50
    )  # characters, lines and dots, not a flat picture
