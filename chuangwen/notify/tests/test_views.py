"""The inbox page: own notifications only, unread first, mark read (opens the link), mark all, nav count."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from chuangwen.notify.models import Notification
from chuangwen.notify.services import notify
from chuangwen.notify.views import PAGE_SIZE
from conftest import client_for

pytestmark = pytest.mark.django_db


def nav_count(html: str) -> str | None:
    found = re.search(r'id="nav-inbox-unread"[^>]*>(\d+)<', html)
    return found.group(1) if found else None


@pytest.fixture
def mine(users):
    west = users["west_handler"]
    now = timezone.now()
    old = notify([west], subject="旧的已读消息", body="")[0]
    Notification.objects.filter(pk=old.pk).update(read_at=now, created_at=now - timedelta(days=3))
    older_unread = notify([west], subject="较早的未读", body="第一行\n第二行")[0]
    Notification.objects.filter(pk=older_unread.pk).update(created_at=now - timedelta(days=2))
    newest = notify([west], subject="最新的督办", body="请查看", link="/cases/9/")[0]
    theirs = notify([users["east_handler"]], subject="东城的消息", body="")[0]
    return {"old": old, "older_unread": older_unread, "newest": newest, "theirs": theirs}


def test_it_lists_only_my_notifications_unread_first(users, mine):
    response = client_for(users["west_handler"]).get(reverse("notify:inbox"))
    assert response.status_code == 200
    subjects = [n.subject for n in response.context["page"].object_list]
    assert subjects == ["最新的督办", "较早的未读", "旧的已读消息"]
    html = response.content.decode()
    assert "东城的消息" not in html and "第一行<br>第二行" in html
    assert nav_count(html) == "2"
    unread = client_for(users["west_handler"]).get(reverse("notify:inbox"), {"unread": "1"})
    assert [n.subject for n in unread.context["page"].object_list] == ["最新的督办", "较早的未读"]


def test_it_shows_the_unread_count_in_the_nav_of_every_page(users, mine):
    client = client_for(users["west_handler"])
    home = client.get(reverse("home")).content.decode()
    assert 'href="/inbox/"' in home and "消息" in home and nav_count(home) == "2"
    assert nav_count(client.get(reverse("cases:list")).content.decode()) == "2"
    Notification.objects.filter(user=users["west_handler"]).update(read_at=timezone.now())
    home = client.get(reverse("home")).content.decode()
    assert 'id="nav-inbox"' in home and nav_count(home) is None


def test_it_marks_one_read_and_opens_its_link(users, mine):
    client = client_for(users["west_handler"])
    response = client.post(reverse("notify:read", args=[mine["newest"].pk]))
    assert response.status_code == 302 and response["Location"] == "/cases/9/"
    mine["newest"].refresh_from_db()
    assert mine["newest"].read_at is not None
    response = client.post(reverse("notify:read", args=[mine["older_unread"].pk]))
    assert response["Location"] == reverse("notify:inbox")  # no link: back to the inbox
    assert nav_count(client.get(reverse("notify:inbox")).content.decode()) is None


def test_it_answers_404_for_another_users_notification(users, mine):
    client = client_for(users["west_handler"])
    assert client.post(reverse("notify:read", args=[mine["theirs"].pk])).status_code == 404
    mine["theirs"].refresh_from_db()
    assert mine["theirs"].read_at is None
    assert client.get(reverse("notify:read", args=[mine["newest"].pk])).status_code == 405


def test_it_marks_all_read(users, mine):
    client = client_for(users["west_handler"])
    response = client.post(reverse("notify:read_all"), follow=True)
    assert "已将 2 条消息标为已读。" in response.content.decode()
    assert not Notification.objects.filter(user=users["west_handler"], read_at__isnull=True).exists()
    mine["theirs"].refresh_from_db()
    assert mine["theirs"].read_at is None


def test_it_pages_the_inbox(users):
    west = users["west_handler"]
    for i in range(PAGE_SIZE + 5):
        notify([west], subject=f"消息 {i}", body="")
    client = client_for(west)
    first = client.get(reverse("notify:inbox"))
    assert len(first.context["page"].object_list) == PAGE_SIZE and "第 1 / 2 页" in first.content.decode()
    second = client.get(reverse("notify:inbox"), {"page": 2})
    assert len(second.context["page"].object_list) == 5


def test_it_sends_anonymous_visitors_to_login(db, client):
    response = client.get(reverse("notify:inbox"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    login = client.get(reverse("accounts:login")).content.decode()
    assert 'id="nav-inbox"' not in login
