"""DingTalk and WeCom robots, against a real local HTTP server: formats, signature, failures and back-off."""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
import time
from datetime import timedelta
from urllib.parse import quote_plus

import pytest
from django.utils import timezone

from chuangwen.notify import services
from chuangwen.notify.models import Channel, ChannelKind, Delivery, DeliveryStatus
from chuangwen.notify.services import BACKOFF, MAX_ATTEMPTS, deliver, notify_unit, retry_due
from chuangwen.notify.tests.conftest import BASE_URL

pytestmark = pytest.mark.django_db

TOKEN = "f0e1d2c3b4a5968778695a4b3c2d1e0f"
SECRET = "SEC1234567890abcdef1234567890abcdef1234567890abcdef1234567890abcd"
SUBJECT = "东门社区垃圾堆放超期"
BODY = "案卷 C-0007 已超期 2 个工作日，请尽快整改。"


def channel(org, webhook, kind=ChannelKind.DINGTALK, secret="", **extra) -> Channel:
    path = "/robot/send" if kind == ChannelKind.DINGTALK else "/cgi-bin/webhook/send"
    param = "access_token" if kind == ChannelKind.DINGTALK else "key"
    c = Channel(
        unit=extra.pop("unit", org["east"]),
        name=extra.pop("name", "东城街道创文群"),
        kind=kind,
        target=f"{webhook.url}{path}?{param}={TOKEN}",
        secret=secret,
        **extra,
    )
    c.full_clean()
    c.save()
    return c


def one(org, webhook, kind=ChannelKind.DINGTALK, secret="", link="/cases/7/", key="") -> Delivery:
    channel(org, webhook, kind, secret)
    [delivery] = notify_unit(org["east"], subject=SUBJECT, body=BODY, link=link, key=key)
    return delivery


def test_it_sends_the_dingtalk_markdown_format(org, webhook):
    delivery = one(org, webhook)
    assert deliver(delivery) is True
    [got] = webhook.requests
    assert got.path == "/robot/send" and got.query == {"access_token": TOKEN}
    assert got.headers["Content-Type"] == "application/json; charset=utf-8"
    assert got.json == {
        "msgtype": "markdown",
        "markdown": {
            "title": SUBJECT,
            "text": f"#### {SUBJECT}\n\n{BODY}\n\n[查看详情]({BASE_URL}/cases/7/)",
        },
    }
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1
    assert delivery.sent_at is not None and delivery.last_error == ""
    assert delivery.payload == got.json


def test_it_signs_dingtalk_requests_when_a_secret_is_set(org, webhook):
    delivery = one(org, webhook, secret=SECRET)
    before = int(time.time() * 1000)
    assert deliver(delivery)
    [got] = webhook.requests
    assert set(got.query) == {"access_token", "timestamp", "sign"}
    timestamp = got.query["timestamp"]
    assert before <= int(timestamp) <= int(time.time() * 1000)
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256).digest()
    ).decode()
    assert got.query["sign"] == expected  # parse_qs has undone the URL encoding
    assert SECRET not in got.raw.decode() and SECRET not in str(Delivery.objects.get().payload)


def test_it_sends_the_wecom_markdown_format(org, webhook):
    delivery = one(org, webhook, kind=ChannelKind.WECOM)
    assert deliver(delivery)
    [got] = webhook.requests
    assert got.path == "/cgi-bin/webhook/send" and got.query == {"key": TOKEN}
    assert got.json == {
        "msgtype": "markdown",
        "markdown": {"content": f"**{SUBJECT}**\n\n{BODY}\n\n[查看详情]({BASE_URL}/cases/7/)"},
    }


def test_it_leaves_out_the_link_line_without_a_link(org, webhook):
    delivery = one(org, webhook, kind=ChannelKind.WECOM, link="")
    assert deliver(delivery)
    assert webhook.requests[0].json["markdown"]["content"] == f"**{SUBJECT}**\n\n{BODY}"


def test_it_keeps_wecom_content_under_4096_bytes(org, webhook):
    channel(org, webhook, kind=ChannelKind.WECOM)
    [delivery] = notify_unit(org["east"], subject=SUBJECT, body="整改" * 3000, link="/cases/7/")
    assert deliver(delivery)
    content = webhook.requests[0].json["markdown"]["content"]
    assert len(content.encode()) <= 4096 and content.endswith(f"[查看详情]({BASE_URL}/cases/7/)")


def test_it_keeps_the_token_out_of_the_record(org, webhook):
    webhook.mode = "errcode"
    delivery = one(org, webhook)
    deliver(delivery)
    delivery.refresh_from_db()
    assert TOKEN not in delivery.target and delivery.target.endswith("access_token=f0e1…")
    assert TOKEN not in delivery.last_error


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("500", "HTTP 500"),
        ("errcode", "errcode 310000 sign not match"),
        ("notjson", "不是 JSON"),
        ("hang", "超时"),
    ],
)
def test_it_records_a_failure_and_schedules_the_retry(org, webhook, mode, error):
    webhook.mode = mode
    delivery = one(org, webhook)
    before = timezone.now()
    assert deliver(delivery) is False
    after = timezone.now()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 1
    assert error in delivery.last_error
    assert before + BACKOFF[0] <= delivery.next_attempt_at <= after + BACKOFF[0]
    assert delivery.sent_at is None and delivery.locked_until is None


def test_it_counts_a_refused_connection_as_a_failure(org):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = Channel.objects.create(
        unit=org["east"], name="x", kind=ChannelKind.WECOM, target=f"http://127.0.0.1:{port}/send?key=k"
    )
    [delivery] = notify_unit(org["east"], subject=SUBJECT, body=BODY)
    assert deliver(delivery) is False
    delivery.refresh_from_db()
    assert delivery.channel == c and delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error.startswith("连接失败")


def test_it_backs_off_then_gives_up_after_the_last_attempt(org, webhook):
    webhook.mode = "500"
    delivery = one(org, webhook)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        before = timezone.now()
        assert deliver(delivery) is False
        delivery.refresh_from_db()
        assert delivery.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert delivery.status == DeliveryStatus.FAILED
            wait = delivery.next_attempt_at - before
            assert BACKOFF[attempt - 1] <= wait <= BACKOFF[attempt - 1] + timedelta(seconds=5)
        else:
            assert delivery.status == DeliveryStatus.GAVE_UP and delivery.next_attempt_at is None
    assert [w.total_seconds() for w in BACKOFF] == [30, 120, 600, 1800, 7200]
    assert len(webhook.requests) == MAX_ATTEMPTS == 6
    assert deliver(delivery) is False and len(webhook.requests) == 6  # given up stays given up
    assert retry_due() == 0


def test_it_succeeds_after_a_failure(org, webhook):
    webhook.mode = "500"
    delivery = one(org, webhook)
    deliver(delivery)
    webhook.mode = "ok"
    assert deliver(delivery) is True
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 2
    assert delivery.last_error == "对方返回 HTTP 500" and delivery.next_attempt_at is None  # kept as history
    assert len(webhook.requests) == 2 and webhook.requests[0].raw == webhook.requests[1].raw


def test_it_retries_only_the_due_deliveries(org, webhook):
    channel(org, webhook, name="甲")
    channel(org, webhook, name="乙")
    channel(org, webhook, name="丙")
    webhook.mode = "500"
    first, second, third = notify_unit(org["east"], subject=SUBJECT, body=BODY, key="case:7:overdue")
    for d in (first, second, third):
        deliver(d)
    Delivery.objects.filter(pk=first.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    Delivery.objects.filter(pk=third.pk).update(status=DeliveryStatus.SENT, next_attempt_at=None)
    webhook.requests.clear()
    webhook.mode = "ok"
    assert retry_due() == 1
    assert len(webhook.requests) == 1
    statuses = dict(Delivery.objects.values_list("pk", "status"))
    assert statuses == {first.pk: "sent", second.pk: "failed", third.pk: "sent"}
    assert retry_due() == 0 and len(webhook.requests) == 1


def test_it_never_sends_a_sent_delivery_again(org, webhook):
    from chuangwen.notify.tasks import retry_deliveries, send_delivery

    delivery = one(org, webhook)
    assert deliver(delivery)
    assert deliver(delivery) is False
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(hours=1))
    send_delivery(delivery.pk)
    retry_deliveries()
    assert retry_due() == 0
    assert len(webhook.requests) == 1


def test_it_leaves_a_delivery_another_worker_is_sending(org, webhook):
    delivery = one(org, webhook)
    Delivery.objects.filter(pk=delivery.pk).update(locked_until=timezone.now() + timedelta(minutes=1))
    assert deliver(delivery) is False and retry_due() == 0
    assert webhook.requests == []
    # A worker that died mid-send frees the delivery when its lock runs out.
    Delivery.objects.filter(pk=delivery.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert retry_due() == 1 and len(webhook.requests) == 1


def test_it_sends_after_commit_through_the_task_queue(org, webhook, django_capture_on_commit_callbacks):
    channel(org, webhook, kind=ChannelKind.WECOM)
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = notify_unit(org["east"], subject=SUBJECT, body=BODY, key="k1")
        assert webhook.requests == []  # nothing leaves before the transaction commits
    assert len(webhook.requests) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT


def test_it_dedupes_by_key_per_channel_and_skips_inactive_channels(org, webhook):
    a = channel(org, webhook, name="甲")
    channel(org, webhook, name="停用", active=False)
    channel(org, webhook, name="西湖", unit=org["west"])
    first = notify_unit(org["east"], subject=SUBJECT, body=BODY, key="case:7:overdue")
    assert [d.channel for d in first] == [a]
    assert notify_unit(org["east"], subject=SUBJECT, body=BODY, key="case:7:overdue") == []
    b = channel(org, webhook, name="乙")
    again = notify_unit(org["east"], subject=SUBJECT, body=BODY, key="case:7:overdue")
    assert [d.channel for d in again] == [b]
    assert len(notify_unit(org["east"], subject=SUBJECT, body=BODY)) == 2  # no key: always sent


def test_it_uses_the_channels_current_url_and_stops_for_a_disabled_channel(org, webhook):
    c = channel(org, webhook)
    [delivery] = notify_unit(org["east"], subject=SUBJECT, body=BODY)
    c.target = f"{webhook.url}/robot/send?access_token=rotated"
    c.save()
    assert deliver(delivery)
    assert webhook.requests[0].query == {"access_token": "rotated"}
    [second] = notify_unit(org["east"], subject=SUBJECT, body=BODY)
    Channel.objects.filter(pk=c.pk).update(active=False)
    assert deliver(second) is False
    second.refresh_from_db()
    assert second.last_error == "推送通道已停用" and len(webhook.requests) == 1


def test_it_builds_the_signed_url_for_a_fixed_timestamp():
    url = services.dingtalk_signed_url(
        "https://oapi.dingtalk.com/robot/send?access_token=x", "SECabc", 1700000000000
    )
    digest = hmac.new(b"SECabc", b"1700000000000\nSECabc", hashlib.sha256).digest()

    assert url == (
        "https://oapi.dingtalk.com/robot/send?access_token=x&timestamp=1700000000000"
        f"&sign={quote_plus(base64.b64encode(digest))}"
    )
