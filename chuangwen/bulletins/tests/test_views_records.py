"""The record pages (commendations, talks and their follow-up) and the unit dossier: the office writes through
them, bad input comes back with the field named and nothing written, another unit's user gets 404 and a role
that may not write gets 403."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from chuangwen.bulletins.models import AccountabilityTalk, Commendation, TalkState
from chuangwen.bulletins.tests.fixtures import draft_of, issue
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def stranger(org: dict[str, Any]) -> Any:
    """A coordinator of another district of the same city."""
    from chuangwen.org.models import Unit, UnitKind

    other = Unit.objects.create(code="D02", name="另一区", kind=UnitKind.DISTRICT, parent=org["city"])
    return make_user("other_coord", "coordinator", other)


def test_it_lets_the_office_register_a_commendation(
    bulletin_world: dict[str, Any], org: dict[str, Any], users: dict[str, Any]
) -> None:
    client = client_for(users["coordinator"])
    form = client.get(reverse("bulletins:commendation_new"))
    assert form.status_code == 200 and 'name="person_name"' in form.content.decode()
    answer = client.post(
        reverse("bulletins:commendation_new"),
        {
            "unit": org["east"].pk,
            "title": "文明单位",
            "reason": "常态长效",
            "date": "2026-03-10",
            "person_name": "李四",
        },
    )
    assert answer.status_code == 302 and answer["Location"] == reverse("bulletins:commendations")
    praise = Commendation.objects.get(unit=org["east"])
    assert (praise.title, praise.person_name, str(praise.date)) == ("文明单位", "李四", "2026-03-10")
    listing = client.get(reverse("bulletins:commendations")).content.decode()
    assert f'data-commendation="{praise.pk}"' in listing and "李四" in listing
    assert 'id="new-commendation"' in listing


@pytest.mark.parametrize(
    ("changes", "label"),
    [({"date": "1999-12-31"}, "表彰日期"), ({"title": ""}, "表彰名称"), ({"unit": "district"}, "单位")],
)
def test_it_names_the_field_of_a_bad_commendation_and_writes_nothing(
    bulletin_world: dict[str, Any],
    org: dict[str, Any],
    users: dict[str, Any],
    changes: dict[str, str],
    label: str,
) -> None:
    data = {"unit": org["east"].pk, "title": "文明单位", "reason": "常态长效", "date": "2026-03-10"}
    data.update({k: org[v].pk if k == "unit" else v for k, v in changes.items()})
    answer = client_for(users["coordinator"]).post(reverse("bulletins:commendation_new"), data)
    assert answer.status_code == 400 and f"{label}：" in answer.content.decode()
    assert not Commendation.objects.filter(unit=org["east"]).exists()


def test_it_registers_a_talk_and_follows_it_up_to_closed(
    bulletin_world: dict[str, Any], org: dict[str, Any], users: dict[str, Any]
) -> None:
    client = client_for(users["coordinator"])
    answer = client.post(
        reverse("bulletins:talk_new"),
        {
            "unit": org["west_c"].pk,
            "kind": "criticism",
            "reason": "整改弄虚作假",
            "meeting_date": "2026-03-16",
            "follow_up_due": "2026-04-16",
        },
    )
    talk = AccountabilityTalk.objects.get(unit=org["west_c"])
    assert answer.status_code == 302 and answer["Location"] == reverse(
        "bulletins:talk_detail", args=[talk.pk]
    )
    page = client.get(answer["Location"]).content.decode()
    assert 'id="follow-up-form"' in page and 'data-state="planned"' in page
    url = reverse("bulletins:talk_detail", args=[talk.pk])
    assert client.post(url, {"outcome": "已约谈"}).status_code == 302
    talk.refresh_from_db()
    assert talk.state == TalkState.FOLLOWING
    assert client.post(url, {"outcome": "整改到位", "close": "on"}).status_code == 302
    talk.refresh_from_db()
    assert talk.state == TalkState.CLOSED and talk.closed_at is not None
    page = client.get(url).content.decode()
    assert 'id="follow-up-form"' not in page and "整改到位" in page
    listing = client.get(reverse("bulletins:talks") + "?state=closed").content.decode()
    assert f'data-talk="{talk.pk}"' in listing and f'data-talk="{bulletin_world["talk"].pk}"' not in listing


def test_it_refuses_a_follow_up_date_before_the_meeting(
    bulletin_world: dict[str, Any], org: dict[str, Any], users: dict[str, Any]
) -> None:
    answer = client_for(users["coordinator"]).post(
        reverse("bulletins:talk_new"),
        {
            "unit": org["east"].pk,
            "kind": "talk",
            "reason": "排名末位",
            "meeting_date": "2026-03-16",
            "follow_up_due": "2026-03-01",
        },
    )
    assert answer.status_code == 400 and "整改跟踪期限：" in answer.content.decode()
    assert AccountabilityTalk.objects.count() == 1  # the world's own talk only


@pytest.mark.parametrize("who", ["leader", "west_head", "east_handler"])
def test_it_forbids_writing_to_others_than_the_coordinators(
    bulletin_world: dict[str, Any], users: dict[str, Any], who: str
) -> None:
    client = client_for(users[who])
    assert client.get(reverse("bulletins:commendation_new")).status_code == 403
    assert client.get(reverse("bulletins:talk_new")).status_code == 403
    talk = bulletin_world["talk"]  # east's: its handler sees it, but may not follow it up
    answer = client.post(
        reverse("bulletins:talk_detail", args=[talk.pk]), {"outcome": "已整改", "close": "on"}
    )
    assert answer.status_code in (403, 404)
    talk.refresh_from_db()
    assert talk.state == TalkState.PLANNED


def test_it_forbids_the_pages_to_roles_without_bulletins(
    bulletin_world: dict[str, Any], users: dict[str, Any]
) -> None:
    client = client_for(users["inspector"])
    assert client.get(reverse("bulletins:commendations")).status_code == 403
    assert (
        client.get(reverse("bulletins:unit_dossier", args=[bulletin_world["talk"].unit_id])).status_code
        == 403
    )


def test_it_hides_another_units_records(
    bulletin_world: dict[str, Any], org: dict[str, Any], users: dict[str, Any], stranger: Any
) -> None:
    talk, praise = bulletin_world["talk"], bulletin_world["praise"]  # east's talk, west's commendation
    west = client_for(users["west_handler"])
    assert west.get(reverse("bulletins:talk_detail", args=[talk.pk])).status_code == 404
    assert west.get(reverse("bulletins:unit_dossier", args=[org["east"].pk])).status_code == 404
    assert f'data-talk="{talk.pk}"' not in west.get(reverse("bulletins:talks")).content.decode()
    assert f'data-commendation="{praise.pk}"' in west.get(reverse("bulletins:commendations")).content.decode()
    east = client_for(users["east_handler"])
    assert (
        f'data-commendation="{praise.pk}"'
        not in east.get(reverse("bulletins:commendations")).content.decode()
    )
    assert east.get(reverse("bulletins:talk_detail", args=[talk.pk])).status_code == 200
    other = client_for(stranger)
    assert other.get(reverse("bulletins:talk_detail", args=[talk.pk])).status_code == 404
    assert other.get(reverse("bulletins:unit_dossier", args=[org["west"].pk])).status_code == 404
    assert other.get(reverse("bulletins:unit_dossier", args=[999999])).status_code == 404


def test_it_gathers_a_units_dossier(
    bulletin_world: dict[str, Any], org: dict[str, Any], users: dict[str, Any]
) -> None:
    bulletin = issue(draft_of(bulletin_world, users), bulletin_world, users)
    talk, ranking = bulletin_world["talk"], bulletin_world["ranking"]
    for viewer in (users["coordinator"], users["east_handler"]):
        page = client_for(viewer).get(reverse("bulletins:unit_dossier", args=[org["east"].pk]))
        assert page.status_code == 200
        text = page.content.decode()
        assert f'data-talk="{talk.pk}"' in text and "待约谈" in text
        assert f'data-bulletin="{bulletin.pk}"' in text and "列入黑榜" in text and "被约谈或通报批评" in text
        assert 'data-reply="awaiting"' in text and "未读" in text
        assert f'data-ranking="{ranking.pk}"' in text
        assert "创建工作先进单位" not in text  # west's commendation is not east's
    west = client_for(users["coordinator"]).get(reverse("bulletins:unit_dossier", args=[org["west"].pk]))
    assert f'data-commendation="{bulletin_world["praise"].pk}"' in west.content.decode()
