"""The pages of service requests: the resident's 点单 form (field errors in Chinese, a resend harmless, the
rate limit), the follow page by token without login (cancel, rate), and the staff's list and detail with
their scope (another street's staff gets 404) and the masked phone."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client

from chuangwen.volunteers import requests
from chuangwen.volunteers.models import RequestState, ServiceRequest
from chuangwen.volunteers.tests.fixtures_requests import NOW, in_state, submit, world
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db
S = RequestState


@pytest.fixture(autouse=True)
def clock() -> Iterator[Any]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def form(org: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data = {
        "unit": str(org["west_c"].pk),
        "category": "elderly",
        "description": "独居老人需要陪同就医",
        "requester_name": "王大妈",
        "requester_phone": "13812345678",
        "wanted_on": "2026-03-20",
        "client_id": str(uuid.uuid4()),
    }
    data.update(changes)
    return data


def test_it_takes_an_order_and_a_resend_returns_the_same_request(org: dict[str, Any]) -> None:
    client = Client()
    page = client.get("/v/requests/new/").content.decode()
    assert "柳浪社区" in page and "助老助残" in page and "垃圾分类宣传" in page and 'name="client_id"' in page
    data = form(org)
    response = client.post("/v/requests/new/", data)
    made = ServiceRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/v/requests/{made.access_token}/"
    assert (made.state, made.unit, made.category) == (S.SUBMITTED, org["west_c"], "elderly")
    follow = client.get(response["Location"]).content.decode()
    assert made.code in follow and "提交成功" in follow and "138****5678" in follow
    assert "13812345678" not in follow
    again = client.post("/v/requests/new/", data)
    assert again["Location"] == response["Location"] and ServiceRequest.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"requester_phone": "12345"}, "联系电话：请填写 11 位手机号码"),
        ({"unit": str(2**70)}, "所在社区：请选择所在社区"),
        ({"unit": "west"}, "所在社区：请选择所在社区"),
        ({"category": "party"}, "服务类别：请选择服务类别"),
        ({"description": " "}, "需求内容：请填写需求内容（不超过 1000 字）"),
        ({"description": "长" * 1001}, "需求内容：请填写需求内容（不超过 1000 字）"),
        ({"requester_name": ""}, "联系人：请填写联系人（不超过 50 字）"),
        ({"wanted_on": "2026-03-15"}, "希望服务日期不能早于今天"),
        ({"wanted_on": "9999-01-01"}, "希望服务日期须在"),
        ({"wanted_on": "明天"}, "希望服务日期：请填写有效日期"),
    ],
)
def test_it_names_the_field_of_bad_input_and_stores_nothing(
    org: dict[str, Any], changes: dict[str, str], message: str
) -> None:
    if changes.get("unit") == "west":
        changes = {"unit": str(org["west"].pk)}  # a street is not a community
    response = Client().post("/v/requests/new/", form(org, **changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ServiceRequest.objects.exists()


def test_it_limits_submissions_per_address_in_chinese(org: dict[str, Any], settings: Any) -> None:
    settings.VOLUNTEER_REQUEST_ADDRESS_LIMIT = 2
    for _n in range(2):
        assert Client().post("/v/requests/new/", form(org)).status_code == 302
    response = Client().post("/v/requests/new/", form(org))
    assert response.status_code == 400
    page = response.content.decode()
    assert "提交过于频繁：同一网络 1 小时内最多提交 2 个服务需求" in page and 'id="limit-error"' in page
    assert ServiceRequest.objects.count() == 2


def test_the_requester_follows_cancels_and_rates_without_login(
    org: dict[str, Any], users: dict[str, Any]
) -> None:
    w = world(org, users)
    req = submit(org)
    client = Client()
    url = f"/v/requests/{req.access_token}/"
    assert 'id="cancel-form"' in client.get(url).content.decode()
    response = client.post(url + "act/", {"action": "cancel", "version": "1", "reason": "已解决"})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.state == S.CANCELLED
    done = in_state(org, users, w, S.DONE)
    url = f"/v/requests/{done.access_token}/"
    page = client.get(url).content.decode()
    assert 'id="rate-form"' in page and 'id="cancel-form"' not in page
    bad = client.post(url + "act/", {"action": "rate", "rating": "9", "version": str(done.version)})
    assert bad.status_code == 400 and "评价：请选择 1–5 星" in bad.content.decode()
    client.post(url + "act/", {"action": "rate", "rating": "5", "rating_comment": "非常感谢", "version": ""})
    done.refresh_from_db()
    assert (done.state, done.rating, done.rating_comment) == (S.RATED, 5, "非常感谢")
    refused = client.post(url + "act/", {"action": "approve"})
    assert refused.status_code == 400
    assert Client().get("/v/requests/" + "0" * 32 + "/").status_code == 404


def test_staff_see_their_requests_and_another_streets_staff_gets_404(
    org: dict[str, Any], users: dict[str, Any]
) -> None:
    w = world(org, users)
    req = submit(org)
    east_req = submit(org, unit="east_c", requester_phone="13900001111")
    west = client_for(users["west_handler"])
    page = west.get("/volunteers/requests/").content.decode()
    assert req.code in page and east_req.code not in page and "138****5678" in page
    assert "13812345678" not in page
    detail = west.get(f"/volunteers/requests/{req.pk}/").content.decode()
    assert "13812345678" in detail and 'data-action="approve"' in detail  # staff see the number in full
    east = client_for(users["east_handler"])
    assert east.get(f"/volunteers/requests/{req.pk}/").status_code == 404
    assert east.post(f"/volunteers/requests/{req.pk}/act/", {"action": "approve"}).status_code == 404
    assert req.code not in east.get("/volunteers/requests/").content.decode()
    req.refresh_from_db()
    assert req.state == S.SUBMITTED
    # the team's manager sees a request once it is dispatched to the team, the number masked
    dispatched = in_state(org, users, w, S.DISPATCHED)
    manager = client_for(w["team_manager"])
    assert manager.get(f"/volunteers/requests/{req.pk}/").status_code == 404
    detail = manager.get(f"/volunteers/requests/{dispatched.pk}/").content.decode()
    assert "138****5678" in detail and 'data-action="take"' in detail
    loner = make_user("loner", "volunteer", org["west_c"])
    assert client_for(loner).get("/volunteers/requests/").status_code == 403


def test_staff_act_from_the_detail_page_and_a_stale_form_is_refused(
    org: dict[str, Any], users: dict[str, Any]
) -> None:
    w = world(org, users)
    req = submit(org)
    client = client_for(users["west_handler"])
    url = f"/volunteers/requests/{req.pk}/act/"
    client.post(url, {"action": "approve", "version": "1"})
    req.refresh_from_db()
    assert req.state == S.APPROVED
    page = client.get(f"/volunteers/requests/{req.pk}/").content.decode()
    assert w["team"].name in page and w["east_team"].name not in page  # the dispatch choices
    stale = client.post(url, {"action": "dispatch", "version": "1", "team": str(w["team"].pk)}, follow=True)
    assert "该服务需求刚被他人办理，请刷新后再试" in stale.content.decode()
    bad = client.post(url, {"action": "dispatch", "version": "2", "team": "x"}, follow=True)
    assert "服务队伍：请选择本社区或其上级单位的服务队伍" in bad.content.decode()
    client.post(url, {"action": "dispatch", "version": "2", "team": str(w["team"].pk)})
    req.refresh_from_db()
    assert (req.state, req.team) == (S.DISPATCHED, w["team"])
    assert requests.timeline(req, public=True)[-1]["actor"] == ""
