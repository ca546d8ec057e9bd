"""The admin: coordinators set up their units' channels (validated, audited), retry failed deliveries."""

from __future__ import annotations

import pytest

from chuangwen.audit.models import AuditEntry
from chuangwen.notify.models import Channel, ChannelKind, Delivery, DeliveryStatus
from chuangwen.notify.services import deliver, notify, notify_unit
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(users):
    coordinator = users["coordinator"]
    coordinator.is_staff = True
    coordinator.save()
    return client_for(coordinator)


def add(client, **data):
    form = {"unit": "", "name": "", "kind": "", "target": "", "secret": "", "active": "on", **data}
    return client.post("/admin/notify/channel/add/", form)


def test_it_lets_a_coordinator_add_a_channel_with_clear_errors(org, staff):
    response = add(
        staff, unit=org["east"].pk, name="东城群", kind=ChannelKind.WECOM, target="qyapi.weixin.qq.com"
    )
    assert response.status_code == 200
    assert "接收地址：群机器人需要以 http:// 或 https:// 开头的 Webhook 地址。" in response.content.decode()
    assert not Channel.objects.exists()
    target = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"
    response = add(staff, unit=org["east"].pk, name="东城群", kind=ChannelKind.WECOM, target=target)
    assert response.status_code == 302
    channel = Channel.objects.get()
    assert channel.target == target and channel.active
    entry = AuditEntry.objects.get(action="notify.channel.admin_add")
    assert "abc" not in str(entry.detail)


def test_it_keeps_other_roles_and_other_subtrees_out(org, users, staff):
    Channel.objects.create(unit=org["city"], name="市级群", kind=ChannelKind.EMAIL, target="a@example.cn")
    page = staff.get("/admin/notify/channel/").content.decode()
    assert "市级群" not in page  # above the coordinator's district
    handler = users["west_handler"]
    handler.is_staff = True
    handler.save()
    assert client_for(handler).get("/admin/notify/channel/").status_code == 403


def test_it_retries_selected_failed_deliveries(
    org, users, staff, webhook, django_capture_on_commit_callbacks
):
    Channel.objects.create(
        unit=org["east"],
        name="东城群",
        kind=ChannelKind.DINGTALK,
        target=f"{webhook.url}/robot/send?access_token=t",
    )
    webhook.mode = "500"
    [failed] = notify_unit(org["east"], subject="超期", body="")
    [sent] = notify_unit(org["east"], subject="另一条", body="")
    deliver(failed)
    webhook.mode = "ok"
    deliver(sent)
    assert len(webhook.requests) == 2
    page = staff.get("/admin/notify/delivery/", {"status__exact": "failed"}).content.decode()
    assert "超期" in page and "另一条" not in page and "立即重试" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            "/admin/notify/delivery/",
            {"action": "retry_selected", "_selected_action": [failed.pk, sent.pk]},
            follow=True,
        )
    assert "已重新排队 1 条推送。" in response.content.decode()
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.SENT and failed.attempts == 2
    assert len(webhook.requests) == 3  # the sent one was not sent again
    assert AuditEntry.objects.filter(action="notify.delivery.admin_retry").exists()
    assert staff.get(f"/admin/notify/delivery/{failed.pk}/change/").status_code == 200
    assert staff.post(f"/admin/notify/delivery/{failed.pk}/delete/", {"post": "yes"}).status_code == 403


def test_it_sends_a_test_message_over_a_channel(org, staff, webhook, django_capture_on_commit_callbacks):
    channel = Channel.objects.create(
        unit=org["east"], name="东城群", kind=ChannelKind.WECOM, target=f"{webhook.url}/send?key=k"
    )
    with django_capture_on_commit_callbacks(execute=True):
        staff.post("/admin/notify/channel/", {"action": "send_test", "_selected_action": [channel.pk]})
    [got] = webhook.requests
    assert got.json["markdown"]["content"].startswith("**创文平台测试消息**")
    assert Delivery.objects.get().status == DeliveryStatus.SENT


def test_it_shows_deliveries_of_people_in_scope_only(org, users, staff):
    far = make_user("far", "handler", org["city"], email="far@example.cn")
    near = make_user("near", "handler", org["east"], email="near@example.cn")
    notify([far], subject="市级的人", body="")
    notify([near], subject="东城的人", body="")
    page = staff.get("/admin/notify/delivery/").content.decode()
    assert "东城的人" in page and "市级的人" not in page
