"""The 通报 pages for the office (list, new, detail, edit, templates), the scope rules (another district's
coordinator gets 404, a unit sees only the issued bulletins sent to it), and the document download."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from chuangwen.audit.models import AuditEntry
from chuangwen.bulletins.models import Bulletin, BulletinState, Recipient, RenderState
from chuangwen.bulletins.tests.fixtures import draft_of, issue
from chuangwen.evidence.storage import store_derivative
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def stranger(org: dict[str, Any]) -> Any:
    """A coordinator of another district of the same city."""
    from chuangwen.org.models import Unit, UnitKind

    other = Unit.objects.create(code="D02", name="另一区", kind=UnitKind.DISTRICT, parent=org["city"])
    return make_user("other_coord", "coordinator", other)


def test_it_shows_every_page_to_the_office(bulletin_world: dict[str, Any], users: dict[str, Any]) -> None:
    client = client_for(users["coordinator"])
    new = client.get(reverse("bulletins:new"))
    assert new.status_code == 200 and "月度排名通报" in new.content.decode()
    answer = client.post(
        reverse("bulletins:new"),
        {"template": bulletin_world["monthly"].pk, "ranking": bulletin_world["ranking"].pk},
    )
    bulletin = Bulletin.objects.get()
    assert answer.status_code == 302 and answer["Location"] == reverse("bulletins:edit", args=[bulletin.pk])
    assert bulletin.state == BulletinState.DRAFT and bulletin.ranking == bulletin_world["ranking"]
    edit = client.get(reverse("bulletins:edit", args=[bulletin.pk])).content.decode()
    road = bulletin_world["findings"][bulletin_world["road"].pk]
    assert f'name="typical" value="{road.pk}"' in edit and 'name="wording_opening"' in edit

    listing = client.get(reverse("bulletins:list")).content.decode()
    assert bulletin.title in listing and 'id="state-draft"' in listing
    page = client.get(reverse("bulletins:detail", args=[bulletin.pk])).content.decode()
    assert 'data-section="red_list"' in page and "西湖街道" in page
    assert 'data-action="submit"' in page and 'id="rerender-form"' in page
    status = client.get(reverse("bulletins:render_status", args=[bulletin.pk]))
    assert status.status_code == 200 and 'id="render-status"' in status.content.decode()

    templates = client.get(reverse("bulletins:templates")).content.decode()
    assert 'data-template="monthly"' in templates and 'data-template="redblack"' in templates
    form = client.get(reverse("bulletins:template", args=[bulletin_world["monthly"].pk]))
    assert form.status_code == 200 and 'name="red_threshold"' in form.content.decode()


def test_it_shows_the_typical_problems_photo_to_the_office(
    bulletin_world: dict[str, Any], users: dict[str, Any]
) -> None:
    bulletin = draft_of(bulletin_world, users)
    page = client_for(users["coordinator"]).get(reverse("bulletins:detail", args=[bulletin.pk]))
    photo = bulletin_world["photos"]["road"]
    assert reverse("evidence:thumb", args=[photo.pk]) in page.content.decode()
    assert "路面破损未修复" in page.content.decode()


def test_it_answers_404_to_another_district(
    bulletin_world: dict[str, Any], users: dict[str, Any], stranger: Any
) -> None:
    draft = draft_of(bulletin_world, users)
    issued = issue(draft_of(bulletin_world, users), bulletin_world, users)
    name = store_derivative(f"bulletins/test/{issued.pk}.docx", b"PK-docx")
    Bulletin.objects.filter(pk=issued.pk).update(docx_name=name)
    client = client_for(stranger)
    for bulletin in (draft, issued):
        for url in ("detail", "edit", "render_status"):
            assert client.get(reverse(f"bulletins:{url}", args=[bulletin.pk])).status_code == 404
        assert client.get(reverse("bulletins:download", args=[bulletin.pk, "docx"])).status_code == 404
        act = client.post(reverse("bulletins:act", args=[bulletin.pk]), {"action": "submit"})
        assert act.status_code == 404
    template = reverse("bulletins:template", args=[bulletin_world["monthly"].pk])
    assert client.get(template).status_code == 404
    assert draft.title not in client.get(reverse("bulletins:list")).content.decode()
    assert Bulletin.objects.get(pk=draft.pk).state == BulletinState.DRAFT


def test_it_shows_a_unit_only_the_issued_bulletins_sent_to_it(
    bulletin_world: dict[str, Any], users: dict[str, Any], org: dict[str, Any]
) -> None:
    draft = draft_of(bulletin_world, users, title="尚未印发的通报")
    issued = issue(draft_of(bulletin_world, users), bulletin_world, users)
    east = client_for(users["east_handler"])
    listing = east.get(reverse("bulletins:list")).content.decode()
    assert issued.title in listing and draft.title not in listing
    assert f'data-bulletin="{issued.pk}" data-read="no"' in listing
    assert east.get(reverse("bulletins:detail", args=[draft.pk])).status_code == 404
    assert east.get(reverse("bulletins:edit", args=[issued.pk])).status_code == 403

    page = east.get(reverse("bulletins:detail", args=[issued.pk])).content.decode()
    receipt = Recipient.objects.get(bulletin=issued, unit=org["east"])
    assert receipt.read_at is not None and receipt.read_by == users["east_handler"]
    assert 'id="reply-form"' in page  # east is black-listed: it owes a report
    assert 'id="workflow"' not in page and f'data-recipient="{org["west"].pk}"' not in page
    listing = east.get(reverse("bulletins:list")).content.decode()
    assert f'data-bulletin="{issued.pk}" data-read="yes"' in listing
    # The department is not among the recipients: nothing in its list.
    dept = client_for(users["dept_handler"]).get(reverse("bulletins:list")).content.decode()
    assert issued.title not in dept


def test_it_serves_the_stored_document_and_audits_it(
    bulletin_world: dict[str, Any], users: dict[str, Any]
) -> None:
    issued = issue(draft_of(bulletin_world, users), bulletin_world, users)
    name = store_derivative(f"bulletins/test/{issued.pk}.pdf", b"%PDF-1.7 test")
    Bulletin.objects.filter(pk=issued.pk).update(pdf_name=name, docx_name="")
    issued.refresh_from_db()
    answer = client_for(users["east_handler"]).get(reverse("bulletins:download", args=[issued.pk, "pdf"]))
    assert answer.status_code == 200 and b"".join(answer.streaming_content) == b"%PDF-1.7 test"
    assert answer["Content-Type"] == "application/pdf"
    assert answer["Content-Disposition"].startswith("attachment;")
    assert ".pdf" in answer["Content-Disposition"]
    entry = AuditEntry.objects.filter(action="bulletin.export").get()
    assert entry.object_id == str(issued.pk) and entry.actor_id == users["east_handler"].pk
    missing = client_for(users["coordinator"]).get(reverse("bulletins:download", args=[issued.pk, "docx"]))
    assert missing.status_code == 404
    other = client_for(users["coordinator"]).get(reverse("bulletins:download", args=[issued.pk, "exe"]))
    assert other.status_code == 404


def test_it_refuses_a_draft_without_sources(bulletin_world: dict[str, Any], users: dict[str, Any]) -> None:
    answer = client_for(users["coordinator"]).post(
        reverse("bulletins:new"), {"template": bulletin_world["monthly"].pk}
    )
    body = answer.content.decode()
    assert answer.status_code == 400 and "引用排名：请至少引用一个已发布的排名" in body
    assert not Bulletin.objects.exists()
    assert client_for(users["east_handler"]).get(reverse("bulletins:new")).status_code == 403


def test_it_polls_while_rendering_and_renders_again_for_the_office(
    bulletin_world: dict[str, Any],
    users: dict[str, Any],
    stranger: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    bulletin = draft_of(bulletin_world, users)
    Bulletin.objects.filter(pk=bulletin.pk).update(render_state=RenderState.QUEUED, render_progress=40)
    client = client_for(users["coordinator"])
    box = client.get(reverse("bulletins:render_status", args=[bulletin.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in box and 'value="40"' in box and "rerender-form" not in box
    Bulletin.objects.filter(pk=bulletin.pk).update(render_state=RenderState.FAILED)
    assert client_for(stranger).post(reverse("bulletins:rerender", args=[bulletin.pk])).status_code == 404
    assert Bulletin.objects.get(pk=bulletin.pk).render_state == RenderState.FAILED
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("bulletins:rerender", args=[bulletin.pk])).status_code == 302
    # The task ran inline: the render finished one way or the other, and the box no longer polls.
    assert Bulletin.objects.get(pk=bulletin.pk).render_state in (RenderState.DONE, RenderState.FAILED)
    box = client.get(reverse("bulletins:render_status", args=[bulletin.pk])).content.decode()
    assert "hx-trigger" not in box
