"""曝光台: who may publish and withdraw, what the public page shows and hides, the blurred photo copies, the
Atom feed, and the 404s of an unpublished or withdrawn bulletin."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from chuangwen.audit.models import AuditEntry
from chuangwen.bulletins import exposure, services
from chuangwen.bulletins.models import Bulletin, Recipient, ReplyState
from chuangwen.bulletins.tests.fixtures import draft_of, issue
from chuangwen.cases.models import Case
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SUMMARY = "本月排名及典型问题通报，请各单位对照整改。"
REPLY = "已由王小明同志牵头完成整改"
PERSON = "李建国"
CITIZEN_TITLE = "市民张三反映13812345678门口垃圾"


@pytest.fixture
def stranger(org: dict[str, Any]) -> Any:
    from chuangwen.org.models import Unit, UnitKind

    other = Unit.objects.create(code="D02", name="另一区", kind=UnitKind.DISTRICT, parent=org["city"])
    return make_user("other_coord", "coordinator", other)


@pytest.fixture
def issued(bulletin_world: dict[str, Any], users: dict[str, Any]) -> Bulletin:
    """An issued monthly bulletin with a reply by east, a commended person, and a case titled by a
    citizen."""
    Case.objects.filter(finding__isnull=False).update(title=CITIZEN_TITLE)
    bulletin_world["praise"].person_name = PERSON
    bulletin_world["praise"].save()
    bulletin = issue(draft_of(bulletin_world, users), bulletin_world, users)
    recipient = Recipient.objects.get(bulletin=bulletin, unit=users["east_handler"].unit)
    assert recipient.reply_state == ReplyState.AWAITING
    services.reply(recipient, users["east_handler"], REPLY)
    return Bulletin.objects.get(pk=bulletin.pk)


def _page(bulletin: Bulletin) -> Any:
    return Client().get(reverse("exposure:page", args=[bulletin.public_token]))


def test_it_refuses_a_draft_another_office_and_a_leader(
    bulletin_world: dict[str, Any], users: dict[str, Any], stranger: Any, issued: Bulletin
) -> None:
    draft = draft_of(bulletin_world, users)
    with pytest.raises(services.Refused) as refused:
        exposure.publish(draft, users["coordinator"], SUMMARY)
    assert refused.value.code == "state"
    for outsider in (stranger, users["leader"], users["west_head"]):
        with pytest.raises(services.Refused) as refused:
            exposure.publish(issued, outsider, SUMMARY)
        assert refused.value.code == "forbidden"
    with pytest.raises(services.Refused) as refused:
        exposure.publish(issued, users["coordinator"], "长" * 501)
    assert refused.value.field == "summary"
    with pytest.raises(services.Refused):
        exposure.publish(issued, users["coordinator"], "  ")
    assert Bulletin.objects.filter(public_at__isnull=False).count() == 0
    assert not AuditEntry.objects.filter(action="bulletin.publish").exists()


def test_it_publishes_and_withdraws_with_audit(issued: Bulletin, users: dict[str, Any]) -> None:
    exposure.publish(issued, users["coordinator"], SUMMARY)
    issued.refresh_from_db()
    assert issued.public_at is not None and issued.public_summary == SUMMARY
    with pytest.raises(services.Refused) as refused:
        exposure.withdraw(issued, users["coordinator"], "")
    assert refused.value.field == "reason"
    exposure.withdraw(issued, users["coordinator"], "含未核实内容")
    issued.refresh_from_db()
    assert issued.public_at is None
    with pytest.raises(services.Refused) as refused:
        exposure.withdraw(issued, users["coordinator"], "再次撤下")
    assert refused.value.code == "state"
    actions = list(AuditEntry.objects.filter(action__startswith="bulletin.").values_list("action", flat=True))
    assert "bulletin.publish" in actions and "bulletin.withdraw" in actions


def test_it_shows_units_and_numbers_but_no_personal_data(
    issued: Bulletin, users: dict[str, Any], bulletin_world: dict[str, Any]
) -> None:
    exposure.publish(issued, users["coordinator"], SUMMARY)
    answer = _page(issued)
    assert answer.status_code == 200
    html = answer.content.decode()
    overview = issued.content["overview"]
    assert issued.content["ranking"], "the world has a ranking"
    for row in issued.content["ranking"]:
        assert row["unit_name"] in html and (row["composite"] is None or row["composite"] in html)
    assert f"{overview['score_rate']}%" in html and SUMMARY in html
    assert issued.document_number in html
    assert 'id="part-talks"' in html and "约谈" in html
    assert bulletin_world["talk"].reason not in html  # 连续两月排名末位
    assert REPLY not in html and PERSON not in html
    assert CITIZEN_TITLE not in html and "13812345678" not in html and "张三" not in html
    assert issued.content["deadline"], "the world has open cases"
    assert issued.content["deadline"][0]["code"] in html
    assert "路面破损未修复" not in html  # the office's caption stays internal; the check item text shows
    assert issued.content["typical"][0]["item"] in html


def test_it_serves_the_blurred_copy_of_a_published_photo_only(
    issued: Bulletin, users: dict[str, Any], bulletin_world: dict[str, Any]
) -> None:
    photo = bulletin_world["photos"]["road"]
    public = reverse("evidence:public", args=[photo.pk])
    anonymous = Client()
    assert anonymous.get(public).status_code == 404  # issued, not yet on the 曝光台
    exposure.publish(issued, users["coordinator"], SUMMARY)
    html = _page(issued).content.decode()
    assert f'src="{public}"' in html
    for name in ("display", "thumb", "original"):
        assert reverse(f"evidence:{name}", args=[photo.pk]) not in html
    served = anonymous.get(public)
    assert served.status_code == 200
    body = served.getvalue()
    with default_storage.open(photo.file.name, "rb") as handle:
        original = handle.read()
    photo.refresh_from_db()
    with default_storage.open(photo.public_file.name, "rb") as handle:
        blurred = handle.read()
    assert body == blurred and body != original and body[:2] == b"\xff\xd8"
    exposure.withdraw(issued, users["coordinator"], "撤下")
    assert anonymous.get(public).status_code == 404


def test_it_feeds_the_published_bulletins_as_atom(issued: Bulletin, users: dict[str, Any]) -> None:
    exposure.publish(issued, users["coordinator"], SUMMARY)
    issued.refresh_from_db()
    answer = Client().get(reverse("exposure:feed"))
    assert answer.status_code == 200 and answer["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(answer.content)
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 1
    entry = entries[0]
    assert issued.title in (entry.findtext(f"{ATOM}title") or "")
    link = entry.find(f"{ATOM}link")
    assert link is not None and link.get("href", "").endswith(
        reverse("exposure:page", args=[issued.public_token])
    )
    assert entry.findtext(f"{ATOM}summary") == SUMMARY
    assert issued.public_at is not None
    assert datetime.fromisoformat(entry.findtext(f"{ATOM}updated") or "") == issued.public_at

    exposure.withdraw(issued, users["coordinator"], "撤下")
    empty = Client().get(reverse("exposure:feed")).content
    root = ET.fromstring(empty)
    assert root.findall(f"{ATOM}entry") == []
    # An empty feed does not claim to have changed "now": the same content reads the same.
    assert root.findtext(f"{ATOM}updated", "").startswith("1970-01-01")
    assert Client().get(reverse("exposure:feed")).content == empty


def test_it_answers_404_to_unpublished_and_withdrawn(issued: Bulletin, users: dict[str, Any]) -> None:
    assert _page(issued).status_code == 404
    anonymous = Client()
    listing = anonymous.get(reverse("exposure:list"))
    assert listing.status_code == 200 and issued.title not in listing.content.decode()
    exposure.publish(issued, users["coordinator"], SUMMARY)
    shown = anonymous.get(reverse("exposure:list")).content.decode()
    assert issued.title in shown and reverse("exposure:page", args=[issued.public_token]) in shown
    assert _page(issued).status_code == 200
    exposure.withdraw(issued, users["coordinator"], "撤下")
    assert _page(issued).status_code == 404
    assert issued.title not in anonymous.get(reverse("exposure:list")).content.decode()
    assert anonymous.get(f"/exposure/{issued.pk}/").status_code == 404


def test_it_lets_only_the_office_coordinator_use_the_controls(
    issued: Bulletin, users: dict[str, Any], stranger: Any
) -> None:
    publish = reverse("exposure:publish", args=[issued.pk])
    withdraw = reverse("exposure:withdraw", args=[issued.pk])
    for outsider in (stranger, users["leader"], users["west_head"], users["east_handler"]):
        client = client_for(outsider)
        assert client.post(publish, {"summary": SUMMARY}).status_code == 404
        assert client.post(withdraw, {"reason": "撤下"}).status_code == 404
    assert Client().post(publish, {"summary": SUMMARY}).status_code == 302  # to the sign-in page
    assert Bulletin.objects.get(pk=issued.pk).public_at is None

    office = client_for(users["coordinator"])
    assert office.get(publish).status_code == 405
    answer = office.post(publish, {"summary": SUMMARY})
    assert answer.status_code == 302 and answer["Location"] == reverse("bulletins:detail", args=[issued.pk])
    assert Bulletin.objects.get(pk=issued.pk).public_at is not None
    empty = office.post(withdraw, {"reason": ""}, follow=True)
    assert "撤下原因" in empty.content.decode()
    assert Bulletin.objects.get(pk=issued.pk).public_at is not None
    office.post(withdraw, {"reason": "撤下"})
    assert Bulletin.objects.get(pk=issued.pk).public_at is None
