"""E-mail through Django's SMTP backend to a real local SMTP server: per person and per unit channel."""

from __future__ import annotations

import pytest
from django.utils import timezone

from chuangwen.notify.models import Channel, ChannelKind, Delivery, DeliveryStatus
from chuangwen.notify.services import BACKOFF, deliver, notify, notify_unit
from chuangwen.notify.tests.conftest import BASE_URL
from conftest import make_user

pytestmark = pytest.mark.django_db

SUBJECT = "案卷 C-0007 已被督办"
BODY = "区领导督办：请于 3 个工作日内完成整改。"


def test_it_mails_each_person_with_an_absolute_link(org, smtp, django_capture_on_commit_callbacks):
    handler = make_user("wang", "handler", org["east"], email="wang@example.gov.cn")
    no_mail = make_user("li", "handler", org["east"])
    with django_capture_on_commit_callbacks(execute=True):
        notify([handler, no_mail], subject=SUBJECT, body=BODY, link="/cases/7/", kind="case.escalation")
    [mail] = smtp.mails
    assert mail.recipients == ["wang@example.gov.cn"]
    assert mail.sender == "chuangwen@example.gov.cn"
    message = mail.message
    assert message["Subject"] == SUBJECT
    assert message["To"] == "wang@example.gov.cn"
    text = message.get_content()
    assert BODY in text and f"查看详情：{BASE_URL}/cases/7/" in text
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1
    assert delivery.notification is not None and delivery.notification.user == handler
    assert delivery.channel is None and delivery.channel_kind == ChannelKind.EMAIL


def test_it_mails_a_unit_email_channel_to_every_address(org, smtp):
    channel = Channel(
        unit=org["west"], name="西湖街道创文办", kind=ChannelKind.EMAIL, target="a@example.cn， b@example.cn"
    )
    channel.full_clean()
    channel.save()
    [delivery] = notify_unit(org["west"], subject=SUBJECT, body=BODY, link="/cases/7/")
    assert delivery.payload == {}
    assert deliver(delivery)
    [mail] = smtp.mails
    assert mail.recipients == ["a@example.cn", "b@example.cn"]
    assert mail.message["Subject"] == SUBJECT
    assert f"{BASE_URL}/cases/7/" in mail.message.get_content()


def test_it_retries_a_refused_mail(org, smtp):
    user = make_user("wang", "handler", org["east"], email="wang@example.gov.cn")
    notify([user], subject=SUBJECT, body=BODY)  # not committed: nothing queued yet
    delivery = Delivery.objects.get()
    smtp.reject = True
    before = timezone.now()
    assert deliver(delivery) is False
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 1
    assert delivery.last_error.startswith("邮件发送失败：SMTPRecipientsRefused")
    assert delivery.next_attempt_at >= before + BACKOFF[0]
    assert smtp.mails == []
    smtp.reject = False
    assert deliver(delivery)
    assert len(smtp.mails) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 2


def test_it_counts_an_unreachable_mail_server_as_a_failure(org, smtp, settings):
    smtp.stop()
    user = make_user("wang", "handler", org["east"], email="wang@example.gov.cn")
    notify([user], subject=SUBJECT, body=BODY)
    delivery = Delivery.objects.get()
    assert deliver(delivery) is False
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and "ConnectionRefusedError" in delivery.last_error
    assert settings.EMAIL_HOST_PASSWORD == "" and "password" not in delivery.last_error.lower()
