"""Editing a draft and a template through the pages (a bad value shows the Chinese error and changes
nothing), and the workflow, reply and review buttons."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from chuangwen.bulletins.models import Bulletin, BulletinState, BulletinTemplate, Recipient, ReplyState
from chuangwen.bulletins.tests.fixtures import draft_of
from conftest import client_for

pytestmark = pytest.mark.django_db


def _edit_data(bulletin: Bulletin, **changes: Any) -> dict[str, Any]:
    """The edit form as the page fills it for ``bulletin``."""
    data: dict[str, Any] = {
        "version": bulletin.version,
        "title": bulletin.title,
        "addressees": bulletin.addressees,
        **{f"wording_{key}": text for key, text in bulletin.wording.items()},
    }
    for order, key in enumerate(bulletin.sections, start=1):
        data[f"section_{key}"] = "on"
        data[f"order_{key}"] = order
    data["typical"] = [t.finding_id for t in bulletin.typical_problems.all()]
    for t in bulletin.typical_problems.all():
        data[f"caption_{t.finding_id}"] = t.caption
    data.update(changes)
    return data


def test_it_saves_an_edit(bulletin_world: dict[str, Any], users: dict[str, Any]) -> None:
    bulletin = draft_of(bulletin_world, users)
    data = _edit_data(bulletin, title="三月通报", wording_opening="新的开头段落。", order_overview=99)
    answer = client_for(users["coordinator"]).post(reverse("bulletins:edit", args=[bulletin.pk]), data)
    assert answer.status_code == 302
    saved = Bulletin.objects.get(pk=bulletin.pk)
    assert saved.title == "三月通报" and saved.wording["opening"] == "新的开头段落。"
    assert saved.sections[-1] == "overview" and saved.version > bulletin.version
    assert list(saved.typical_problems.values_list("caption", flat=True)) == ["路面破损未修复"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"wording_opening": "长" * 5001}, "文字段落：文字段落「opening」不能超过 5000 字"),
        ({"title": "  "}, "标题：标题不能为空"),
        ({"order_overview": "0"}, "章节：章节「总体情况」的顺序须为 1 到 99 的整数"),
        ({"version": "1"}, "版本号：该通报刚被他人修改，请刷新后再改"),
        ({"caption_ROAD": "说" * 301}, "典型问题：典型问题说明不能超过 300 字"),
    ],
)
def test_it_refuses_a_bad_edit_and_changes_nothing(
    bulletin_world: dict[str, Any], users: dict[str, Any], change: dict[str, str], message: str
) -> None:
    bulletin = draft_of(bulletin_world, users)
    road = bulletin_world["findings"][bulletin_world["road"].pk]
    change = {key.replace("ROAD", str(road.pk)): value for key, value in change.items()}
    data = _edit_data(bulletin, wording_closing="不应保存的结尾。", **change)
    answer = client_for(users["coordinator"]).post(reverse("bulletins:edit", args=[bulletin.pk]), data)
    assert answer.status_code == 400 and message in answer.content.decode()
    after = Bulletin.objects.get(pk=bulletin.pk)
    assert (after.version, after.title, after.wording) == (bulletin.version, bulletin.title, bulletin.wording)
    assert list(after.typical_problems.values_list("caption", flat=True)) == ["路面破损未修复"]


def test_it_refreshes_a_draft(bulletin_world: dict[str, Any], users: dict[str, Any]) -> None:
    bulletin = draft_of(bulletin_world, users)
    client = client_for(users["coordinator"])
    answer = client.post(reverse("bulletins:refresh", args=[bulletin.pk]), {"version": bulletin.version})
    assert answer.status_code == 302
    assert Bulletin.objects.get(pk=bulletin.pk).version == bulletin.version + 1


def test_it_saves_a_template_and_refuses_out_of_bounds(
    bulletin_world: dict[str, Any], users: dict[str, Any]
) -> None:
    template = bulletin_world["templates"]["redblack"]
    url = reverse("bulletins:template", args=[template.pk])
    data: dict[str, Any] = {
        "name": "红黑榜",
        "red_threshold": "96",
        "black_threshold": "80",
        "red_count": "2",
        "typical_count": "3",
        "addressees": "各街道：",
        "issuer": "文明区文明办",
        "number_prefix": "文明区红黑榜",
        "reply_days": "5",
        "schedule": "monthly",
        "ranking_level": "street",
        "active": "on",
        "section_black_list": "on",
        "order_black_list": "1",
        "section_red_list": "on",
        "order_red_list": "2",
        "wording_opening": "现发布红黑榜。",
    }
    client = client_for(users["coordinator"])
    bad = client.post(url, {**data, "red_threshold": "150", "reply_days": "0"})
    body = bad.content.decode()
    assert bad.status_code == 400 and "须在 0 到 100 之间" in body and "须在 1 到 60 之间" in body
    before = BulletinTemplate.objects.get(pk=template.pk)
    assert before.red_threshold == template.red_threshold and before.sections == template.sections
    bad_order = client.post(url, {**data, "order_red_list": "x"})
    assert (
        bad_order.status_code == 400
        and "章节：章节「红榜」的顺序须为 1 到 99 的整数" in bad_order.content.decode()
    )

    assert client.post(url, data).status_code == 302
    saved = BulletinTemplate.objects.get(pk=template.pk)
    assert saved.sections == ["black_list", "red_list"] and saved.reply_days == 5
    assert saved.wording["opening"] == "现发布红黑榜。" and saved.number_prefix == "文明区红黑榜"
    assert client_for(users["east_handler"]).get(url).status_code == 403


def test_it_takes_the_workflow_through_the_buttons(
    bulletin_world: dict[str, Any], users: dict[str, Any], org: dict[str, Any]
) -> None:
    bulletin = draft_of(bulletin_world, users)
    act = reverse("bulletins:act", args=[bulletin.pk])
    coordinator, reviewer = client_for(users["coordinator"]), client_for(bulletin_world["reviewer"])
    coordinator.post(act, {"action": "submit", "version": bulletin.version})
    assert Bulletin.objects.get(pk=bulletin.pk).state == BulletinState.IN_REVIEW
    refused = reviewer.post(act, {"action": "return", "reason": " "}, follow=True)
    assert "退回意见：请填写退回意见" in refused.content.decode()
    assert Bulletin.objects.get(pk=bulletin.pk).state == BulletinState.IN_REVIEW
    own = coordinator.post(act, {"action": "approve"}, follow=True)
    assert "起草人不能审核自己起草的通报" in own.content.decode()
    reviewer.post(act, {"action": "approve"})
    client_for(users["leader"]).post(act, {"action": "sign"})
    coordinator.post(act, {"action": "issue"})
    issued = Bulletin.objects.get(pk=bulletin.pk)
    assert issued.state == BulletinState.ISSUED and issued.number == 1

    east = client_for(users["east_handler"])
    empty = east.post(reverse("bulletins:reply", args=[bulletin.pk]), {"text": ""}, follow=True)
    assert "整改报告：请填写整改报告" in empty.content.decode()
    east.post(reverse("bulletins:reply", args=[bulletin.pk]), {"text": "已全部整改。"})
    receipt = Recipient.objects.get(bulletin=bulletin, unit=org["east"])
    assert receipt.reply_state == ReplyState.REPLIED
    review = reverse("bulletins:review", args=[bulletin.pk, receipt.pk])
    assert east.post(review, {"decision": "accept"}).status_code == 403
    back = coordinator.post(review, {"decision": "return", "note": ""}, follow=True)
    assert "审核意见：退回时请填写意见" in back.content.decode()
    coordinator.post(review, {"decision": "accept"})
    assert Recipient.objects.get(pk=receipt.pk).reply_state == ReplyState.ACCEPTED
    # An accepted report is final: the unit cannot report again.
    again = east.post(reverse("bulletins:reply", args=[bulletin.pk]), {"text": "再报一次"}, follow=True)
    assert "该通报当前不需要报送整改报告" in again.content.decode()
    assert Recipient.objects.get(pk=receipt.pk).reply_text == "已全部整改。"
