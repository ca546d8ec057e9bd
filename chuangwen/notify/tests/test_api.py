"""The inbox API: own notifications only, unread filter and paging, mark one read, mark all read."""

from __future__ import annotations

import pytest

from chuangwen.notify.models import Notification
from chuangwen.notify.services import notify
from conftest import client_for

pytestmark = pytest.mark.django_db
BASE = "/api/v1/inbox"


@pytest.fixture
def mine(users):
    first = notify(
        [users["west_handler"]], subject="第一条", body="内容一", link="/cases/1/", kind="case.dispatched"
    )[0]
    second = notify([users["west_handler"]], subject="第二条", body="内容二")[0]
    theirs = notify([users["east_handler"]], subject="东城的", body="")[0]
    return first, second, theirs


def test_it_lists_my_notifications(users, mine):
    first, second, _theirs = mine
    page = client_for(users["west_handler"]).get(BASE).json()
    assert page["count"] == 2 and page["unread"] == 2
    assert [item["id"] for item in page["items"]] == [second.pk, first.pk]
    item = page["items"][1]
    assert item["subject"] == "第一条" and item["link"] == "/cases/1/" and item["kind"] == "case.dispatched"
    assert item["unread"] is True and item["read_at"] is None


def test_it_filters_and_pages(users, mine):
    first, second, _theirs = mine
    client = client_for(users["west_handler"])
    assert client.post(f"{BASE}/{first.pk}/read").status_code == 200
    unread = client.get(BASE, {"unread": "true"}).json()
    assert [item["id"] for item in unread["items"]] == [second.pk] and unread["count"] == 1
    read = client.get(BASE, {"unread": "false"}).json()
    assert [item["id"] for item in read["items"]] == [first.pk]
    paged = client.get(BASE, {"limit": 1, "offset": 1}).json()
    assert paged["count"] == 2 and [item["id"] for item in paged["items"]] == [first.pk]
    assert client.get(BASE, {"limit": 51}).status_code == 422


def test_it_marks_one_read(users, mine):
    first, _second, _theirs = mine
    response = client_for(users["west_handler"]).post(f"{BASE}/{first.pk}/read")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == first.pk and body["unread"] is False and body["read_at"]
    first.refresh_from_db()
    assert first.read_at is not None


def test_it_answers_404_for_another_users_notification(users, mine):
    _first, _second, theirs = mine
    response = client_for(users["west_handler"]).post(f"{BASE}/{theirs.pk}/read")
    assert response.status_code == 404 and response.json() == {"detail": "消息不存在", "code": "not_found"}
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert client_for(users["west_handler"]).post(f"{BASE}/999999/read").status_code == 404


def test_it_marks_all_read(users, mine):
    client = client_for(users["west_handler"])
    assert client.post(f"{BASE}/read-all").json() == {"marked": 2}
    assert client.post(f"{BASE}/read-all").json() == {"marked": 0}
    assert client.get(BASE).json()["unread"] == 0
    assert Notification.objects.filter(user=users["east_handler"], read_at__isnull=True).count() == 1


def test_it_requires_authentication(db, client):
    assert client.get(BASE).status_code == 401
