"""notify(): the inbox rows, dedupe by key, e-mail deliveries, links; channel validation; scoping."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from chuangwen.notify.models import Channel, ChannelKind, Delivery, DeliveryStatus, Notification
from chuangwen.notify.services import absolute_url, mark_all_read, notify, notify_unit, unread_count
from chuangwen.notify.tests.conftest import BASE_URL
from conftest import make_user

pytestmark = pytest.mark.django_db


def test_it_writes_one_inbox_row_per_active_user(users):
    west, east = users["west_handler"], users["east_handler"]
    east.is_active = False
    east.save()
    created = notify(
        [west, east, west], subject="新案卷待受理", body="C-0001", link="/cases/1/", kind="case.dispatched"
    )
    assert [n.user for n in created] == [west]
    n = Notification.objects.get()
    assert (n.subject, n.body, n.link, n.kind, n.read_at) == (
        "新案卷待受理",
        "C-0001",
        "/cases/1/",
        "case.dispatched",
        None,
    )
    assert not Delivery.objects.exists()  # nobody here has an e-mail address


def test_it_skips_a_repeated_key_silently(users):
    west, east = users["west_handler"], users["east_handler"]
    assert len(notify([west], subject="超期提醒", body="", key="case:1:overdue")) == 1
    assert notify([west], subject="超期提醒", body="", key="case:1:overdue") == []
    assert [n.user for n in notify([west, east], subject="超期提醒", body="", key="case:1:overdue")] == [east]
    assert len(notify([west], subject="无键消息", body="")) == 1
    assert len(notify([west], subject="无键消息", body="")) == 1  # no key: every call is a new message
    assert Notification.objects.filter(user=west).count() == 3


def test_it_refuses_a_duplicate_key_at_the_database(users):
    west = users["west_handler"]
    Notification.objects.create(user=west, subject="a", key="k")
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(user=west, subject="b", key="k")
    Notification.objects.create(user=west, subject="c", key="")
    Notification.objects.create(user=west, subject="d", key="")


def test_it_queues_one_email_per_user_with_an_address(org, django_capture_on_commit_callbacks):
    a = make_user("zhang", "handler", org["east"], email="zhang@example.gov.cn")
    b = make_user("zhao", "handler", org["east"])
    with django_capture_on_commit_callbacks(execute=True):
        notify([a, b], subject="督办通知", body="请按期整改", link="/cases/2/", key="case:2:escalation")
        assert Delivery.objects.get().status == DeliveryStatus.PENDING
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.SENT and delivery.target == "zhang@example.gov.cn"
    assert delivery.key == "case:2:escalation" and delivery.link == "/cases/2/"
    [message] = mail.outbox
    assert message.to == ["zhang@example.gov.cn"] and message.subject == "督办通知"
    assert f"{BASE_URL}/cases/2/" in message.body


def test_it_sends_nothing_when_the_transaction_rolls_back(org, django_capture_on_commit_callbacks):
    a = make_user("zhang", "handler", org["east"], email="zhang@example.gov.cn")
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            notify([a], subject="督办通知", body="")
            raise RuntimeError("the caller failed")
    assert not Notification.objects.exists() and not Delivery.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize("link", ["https://evil.example.com/", "//evil.example.com/", "cases/1/", "/\\evil"])
def test_it_refuses_a_link_outside_the_site(users, link):
    with pytest.raises(ValueError):
        notify([users["west_handler"]], subject="x", body="", link=link)
    with pytest.raises(ValueError):
        notify_unit(users["west_handler"].unit, subject="x", body="", link=link)


def test_it_builds_absolute_links_on_the_base_url(settings):
    assert absolute_url("/cases/1/") == f"{BASE_URL}/cases/1/"
    settings.CHUANGWEN_BASE_URL = "https://cw.example.gov.cn/sub/"
    assert absolute_url("/cases/1/") == "https://cw.example.gov.cn/sub/cases/1/"
    assert absolute_url("") == ""


def test_it_scopes_notifications_to_their_owner(users):
    west, east = users["west_handler"], users["east_handler"]
    notify([west], subject="给西湖", body="")
    notify([east], subject="给东城", body="")
    assert [n.subject for n in Notification.objects.visible_to(west)] == ["给西湖"]
    assert [n.subject for n in Notification.objects.visible_to(users["coordinator"])] == []
    assert unread_count(west) == 1
    assert mark_all_read(west) == 1 and unread_count(west) == 0 and unread_count(east) == 1


NOT_URL = {"target": ["接收地址：群机器人需要以 http:// 或 https:// 开头的 Webhook 地址。"]}
BAD_ADDRESS = {"target": ["接收地址：“not-an-address”不是有效的电子邮件地址。"]}
NO_ADDRESS = {"target": ["接收地址：请填写至少一个电子邮件地址。"]}
SECRET_NOT_USED = {"secret": ["加签密钥：只有钉钉群机器人使用加签密钥。"]}


@pytest.mark.parametrize(
    ("kind", "target", "secret", "errors"),
    [
        (ChannelKind.EMAIL, "a@example.cn, b@example.cn", "", {}),
        (ChannelKind.EMAIL, "a@example.cn, not-an-address", "", BAD_ADDRESS),
        (ChannelKind.EMAIL, " , ", "", NO_ADDRESS),
        (ChannelKind.DINGTALK, "https://oapi.dingtalk.com/robot/send?access_token=x", "SECx", {}),
        (ChannelKind.DINGTALK, "ftp://oapi.dingtalk.com/robot", "", NOT_URL),
        (ChannelKind.WECOM, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x", "", {}),
        (ChannelKind.WECOM, "qyapi.weixin.qq.com/cgi-bin/webhook/send", "", NOT_URL),
        (ChannelKind.WECOM, "https://qyapi.weixin.qq.com/x", "SECx", SECRET_NOT_USED),
    ],
)  # fmt: skip
def test_it_validates_channels_with_named_errors(org, kind, target, secret, errors):
    channel = Channel(unit=org["east"], name="东城街道创文群", kind=kind, target=target, secret=secret)
    if not errors:
        channel.full_clean()
        return
    with pytest.raises(ValidationError) as caught:
        channel.full_clean()
    assert caught.value.message_dict == errors
