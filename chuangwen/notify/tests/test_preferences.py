"""The notice preferences page: a unit head sets his or her unit, a coordinator any unit in scope; bad input
is refused with the field named and nothing changed; others may not open it."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from chuangwen.notify.models import NoticePreference
from chuangwen.notify.preferences import unit_modes
from conftest import client_for

URL = reverse("notify:preferences")
ALL_INSTANT = {"case_dispatch": "instant", "case_rectified": "instant", "round_visits_in": "instant"}


def test_it_lets_a_unit_head_choose_the_digest_for_dispatches(org: Any, users: Any) -> None:
    client = client_for(users["west_head"])
    page = client.get(URL).content.decode()
    assert "新案卷派到本单位" in page and "西湖街道" in page
    assert page.count('value="instant"') == 3 and page.count("checked") == 3  # instant by default
    response = client.post(URL, {**ALL_INSTANT, "case_dispatch": "digest"}, follow=True)
    assert "已保存西湖街道的通知方式" in response.content.decode()
    assert unit_modes(org["west"])["case.dispatch"] == "digest"
    assert unit_modes(org["east"])["case.dispatch"] == "instant"  # another unit untouched


def test_it_keeps_a_unit_head_to_his_own_unit(org: Any, users: Any) -> None:
    client = client_for(users["west_head"])
    client.post(URL, {**ALL_INSTANT, "case_dispatch": "digest", "unit": org["east"].pk})
    assert unit_modes(org["east"])["case.dispatch"] == "instant"
    assert unit_modes(org["west"])["case.dispatch"] == "digest"


def test_it_lets_a_coordinator_set_a_unit_in_scope_only(org: Any, users: Any) -> None:
    from conftest import make_user

    client = client_for(users["coordinator"])
    page = client.get(URL, {"unit": org["east"].pk}).content.decode()
    assert 'id="pref-unit"' in page and "东城街道" in page
    client.post(URL, {**ALL_INSTANT, "case_rectified": "digest", "unit": org["east"].pk})
    assert unit_modes(org["east"])["case.rectified"] == "digest"
    west_coordinator = make_user("west_coord", "coordinator", org["west"])
    response = client_for(west_coordinator).post(URL, {**ALL_INSTANT, "unit": org["east"].pk})
    assert response.status_code == 404
    assert unit_modes(org["east"])["case.rectified"] == "digest"


def test_it_refuses_a_bad_choice_naming_the_field(org: Any, users: Any) -> None:
    response = client_for(users["west_head"]).post(URL, {**ALL_INSTANT, "case_rectified": "hourly"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "整改完成待核查" in page and "通知方式只能是" in page
    assert not NoticePreference.objects.exists()  # nothing changed, not even the valid fields


def test_it_refuses_people_who_do_not_decide_for_a_unit(users: Any) -> None:
    for name in ("west_handler", "verifier", "leader"):
        assert client_for(users[name]).get(URL).status_code == 403
