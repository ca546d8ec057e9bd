"""Error pages: in Chinese, in the site's frame, saying why and offering a way back — with DEBUG off."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import BadRequest
from django.test import Client, RequestFactory
from django.views import defaults

from conftest import client_for

HOME_LINK = 'href="/"'
FRAME = "文明城市创建管理平台"


def assert_framed(body: str, *phrases: str) -> None:
    assert FRAME in body  # the site's header and title
    assert "cw-top" in body and "cw-footer" in body
    assert HOME_LINK in body and "返回首页" in body
    for phrase in phrases:
        assert phrase in body
    assert "Not Found" not in body and "Server Error" not in body and "Forbidden" not in body


def test_it_shows_a_chinese_404_with_a_way_back(db: Any, settings: Any) -> None:
    settings.DEBUG = False
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert_framed(response.content.decode(), "找不到这个页面")
    # It names no path: a secret round's 404 must read exactly like a missing id's.
    assert "/no-such-page/" not in response.content.decode()


def test_it_shows_a_chinese_403_saying_why(users: dict[str, Any], settings: Any) -> None:
    settings.DEBUG = False
    response = client_for(users["west_handler"]).get("/dashboards/")
    assert response.status_code == 403
    body = response.content.decode()
    assert_framed(body, "您没有访问这个页面的权限", "只有文明办协调员和区领导可以查看数据看板。")
    assert "west_handler" in body  # the signed-in frame, with the user's name and menu


def test_it_shows_a_chinese_csrf_failure_page(users: dict[str, Any], settings: Any) -> None:
    settings.DEBUG = False
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["coordinator"])
    response = client.post("/accounts/logout/")
    assert response.status_code == 403
    assert_framed(response.content.decode(), "页面已过期", "刷新后重新填写并提交")


def test_it_shows_a_chinese_400(db: Any, settings: Any) -> None:
    settings.DEBUG = False
    request = RequestFactory().get("/anything/")
    response = defaults.bad_request(request, BadRequest("bad"))
    assert response.status_code == 400
    assert_framed(response.content.decode(), "请求有误")


def test_it_renders_the_500_page_without_database_or_request(settings: Any) -> None:
    """No ``db`` fixture: any database access here raises, as when the database is what failed."""
    settings.DEBUG = False
    response = defaults.server_error(RequestFactory().get("/broken/"))
    assert response.status_code == 500
    assert_framed(response.content.decode(), "系统内部出错，请稍后再试")


@pytest.mark.django_db
def test_it_answers_an_unhandled_exception_with_the_chinese_500(settings: Any) -> None:
    settings.DEBUG = False
    settings.ROOT_URLCONF = "chuangwen.core.tests.broken_urls"
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    assert_framed(response.content.decode(), "系统内部出错")
