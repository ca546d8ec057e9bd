"""/api/v1/bulletins: the workflow end to end, refusals naming the field with nothing changed, scoping (404
for what one cannot see, 403 for what one sees but may not do), receipts and reports, documents, templates."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from chuangwen.accounts.services import issue_token
from chuangwen.audit.models import AuditEntry
from chuangwen.bulletins.models import Bulletin, BulletinTemplate, Recipient
from chuangwen.bulletins.tests.fixtures import draft_of, issue
from chuangwen.rounds.models import Round, RoundStatus
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db

BASE = "/api/v1/bulletins"


def send(client: Client, method: str, url: str, body: Any = None) -> Any:
    call = getattr(client, method)
    return call(url, data=json.dumps(body or {}), content_type="application/json")


def snapshot(bulletin: Bulletin) -> tuple[Any, ...]:
    bulletin.refresh_from_db()
    picks = list(bulletin.typical_problems.values_list("finding_id", "caption"))
    return (bulletin.version, bulletin.title, bulletin.sections, bulletin.wording, bulletin.state, picks)


def other_district(org: dict[str, Any]) -> Any:
    """A coordinator of a second district under the same city."""
    from chuangwen.org.models import Unit, UnitKind

    north = Unit.objects.create(code="D02", name="北区", kind=UnitKind.DISTRICT, parent=org["city"])
    return make_user("coord_north", "coordinator", north)


def test_it_takes_a_bulletin_from_draft_to_issue(
    bulletin_world: dict[str, Any], users: dict[str, Any]
) -> None:
    coord, reviewer, leader = (
        client_for(u) for u in (users["coordinator"], bulletin_world["reviewer"], users["leader"])
    )
    made = send(
        coord,
        "post",
        f"{BASE}/",
        {
            "template_id": bulletin_world["monthly"].pk,
            "ranking_id": bulletin_world["ranking"].pk,
            "round_id": bulletin_world["round"].pk,
        },
    )
    assert made.status_code == 201, made.content
    out = made.json()
    pk, version = out["id"], out["version"]
    assert out["state"] == "draft" and out["document_number"] == "" and out["may_edit"] is True
    assert [r["unit_name"] for r in out["content"]["black"]] == ["东城街道"]
    assert [a["action"] for a in out["allowed_actions"]] == ["submit"]

    road = bulletin_world["findings"][bulletin_world["road"].pk]
    candidates = coord.get(f"{BASE}/{pk}/candidates").json()
    assert [(c["finding_id"], c["picked"]) for c in candidates] == [(road.pk, False)]
    picked = send(
        coord,
        "put",
        f"{BASE}/{pk}/typical",
        {"version": version, "picks": [{"finding_id": road.pk, "caption": "路面破损"}]},
    )
    assert picked.status_code == 200, picked.content
    assert picked.json()["typical"] == [{"finding_id": road.pk, "caption": "路面破损"}]
    assert [t["finding_id"] for t in picked.json()["content"]["typical"]] == [road.pk]
    edited = send(coord, "patch", f"{BASE}/{pk}", {"version": version + 1, "title": "三月通报"})
    assert edited.status_code == 200 and edited.json()["title"] == "三月通报"

    steps = [(coord, "submit", "in_review"), (reviewer, "approve", "reviewed"), (leader, "sign", "signed")]
    for client, action, state in steps:
        done = send(client, "post", f"{BASE}/{pk}/transitions", {"action": action})
        assert done.status_code == 200, (action, done.content)
        assert done.json()["state"] == state
    issued = send(coord, "post", f"{BASE}/{pk}/transitions", {"action": "issue"}).json()
    assert issued["state"] == "issued" and issued["number"] == 1 and issued["year"] == 2026
    assert issued["document_number"] == f"{bulletin_world['monthly'].number_prefix}〔2026〕1号"
    assert issued["allowed_actions"] == [] and issued["may_edit"] is False
    assert issued["render"]["state"] == "queued"
    recipients = {r["unit"]["name"]: r for r in coord.get(f"{BASE}/{pk}/recipients").json()}
    assert (
        recipients["东城街道"]["reply_state"] == "awaiting" and "black" in recipients["东城街道"]["reasons"]
    )
    assert recipients["西湖街道"]["read_at"] is None

    second = issue(draft_of(bulletin_world, users), bulletin_world, users)
    assert coord.get(f"{BASE}/{second.pk}").json()["number"] == 2
    listed = coord.get(f"{BASE}/", {"state": "issued", "kind": "monthly", "year": 2026}).json()
    assert listed["count"] == 2 and [b["number"] for b in listed["items"]] == [2, 1]
    assert coord.get(f"{BASE}/", {"kind": "redblack"}).json()["count"] == 0
    assert coord.get(f"{BASE}/", {"limit": 1, "offset": 1}).json()["items"][0]["id"] == pk
    actions = set(AuditEntry.objects.filter(object_id=str(pk)).values_list("action", flat=True))
    assert {"bulletin.draft", "bulletin.typical", "bulletin.edit", "bulletin.issue"} <= actions


def test_it_refuses_bad_input_naming_the_field(bulletin_world: dict[str, Any], users: dict[str, Any]) -> None:
    coord = client_for(users["coordinator"])
    Round.objects.filter(pk=bulletin_world["round"].pk).update(status=RoundStatus.IN_PROGRESS)
    count = Bulletin.objects.count()
    body = {
        "template_id": bulletin_world["templates"]["inspection"].pk,
        "round_id": bulletin_world["round"].pk,
    }
    got = send(coord, "post", f"{BASE}/", body)
    assert got.status_code == 400 and got.json()["field"] == "round_id" and got.json()["code"] == "invalid"
    assert "已发布" in got.json()["detail"]
    missing = send(coord, "post", f"{BASE}/", {**body, "round_id": 999999})
    assert missing.status_code == 400 and missing.json()["field"] == "round_id"
    assert Bulletin.objects.count() == count
    Round.objects.filter(pk=bulletin_world["round"].pk).update(status=RoundStatus.PUBLISHED)

    bulletin = draft_of(bulletin_world, users)
    before = snapshot(bulletin)
    url = f"{BASE}/{bulletin.pk}"
    # What the schema says is refused by it (422 naming the field); the rest by the services (400, 409).
    for patch, field in [
        ({"version": bulletin.version, "sections": ["overview", "nonsense"]}, "sections"),
        ({"version": bulletin.version, "wording": {"opening": "字" * 5001}}, "wording"),
        ({"version": bulletin.version, "title": "  "}, "title"),
    ]:
        got = send(coord, "patch", url, patch)
        assert got.status_code == 422 and field in json.dumps(got.json()["detail"]), patch
    cases = [
        ({"version": bulletin.version, "wording": {"nonsense": "x"}}, 400, "wording"),
        ({"version": bulletin.version - 1 or 99, "title": "新标题"}, 409, "version"),
    ]
    for patch, status, field in cases:
        got = send(coord, "patch", url, patch)
        assert (got.status_code, got.json()["field"]) == (status, field), patch
        assert got.json()["message"] == got.json()["detail"]
    market = bulletin_world["findings"][bulletin_world["market"].pk]  # no photo: not a candidate
    got = send(
        coord, "put", f"{url}/typical", {"version": bulletin.version, "picks": [{"finding_id": market.pk}]}
    )
    assert got.status_code == 400 and got.json()["field"] == "picks"
    got = send(coord, "post", f"{url}/transitions", {"action": "submit", "version": 99})
    assert got.status_code == 409 and got.json()["field"] == "version"
    assert send(coord, "post", f"{url}/transitions", {"action": "fly"}).status_code == 422
    assert send(coord, "patch", url, {"version": bulletin.version, "title": "长" * 201}).status_code == 422
    assert snapshot(bulletin) == before

    services_submit = send(coord, "post", f"{url}/transitions", {"action": "submit"})
    assert services_submit.status_code == 200
    no_reason = send(
        client_for(bulletin_world["reviewer"]), "post", f"{url}/transitions", {"action": "return"}
    )
    assert no_reason.status_code == 400 and no_reason.json()["field"] == "reason"
    frozen = send(coord, "patch", url, {"version": bulletin.version + 1, "title": "再改"})
    assert frozen.status_code == 409 and frozen.json()["code"] == "frozen"
    bulletin.refresh_from_db()
    assert bulletin.state == "in_review" and bulletin.title == before[1]


def test_it_edits_templates_within_the_pages_bounds(
    bulletin_world: dict[str, Any], users: dict[str, Any]
) -> None:
    coord = client_for(users["coordinator"])
    templates = coord.get(f"{BASE}/templates").json()
    assert {t["kind"] for t in templates} == {"inspection", "lookback", "monthly", "redblack", "commendation"}
    template = bulletin_world["monthly"]
    url = f"{BASE}/templates/{template.pk}"
    saved = send(coord, "patch", url, {"reply_days": 5, "red_count": 2, "sections": ["overview", "ranking"]})
    assert saved.status_code == 200, saved.content
    assert (saved.json()["reply_days"], saved.json()["sections"]) == (5, ["overview", "ranking"])
    template.refresh_from_db()
    before = (template.reply_days, template.red_threshold, template.sections, template.wording, template.name)
    for body in ({"reply_days": 61}, {"reply_days": 0}, {"red_threshold": 101}, {"red_count": 51}):
        got = send(coord, "patch", url, body)
        assert got.status_code == 422, body
        assert next(iter(body)) in json.dumps(got.json(), ensure_ascii=False)
    refusals: list[tuple[dict[str, Any], str]] = [
        ({"sections": ["nonsense"]}, "sections"),
        ({"sections": []}, "sections"),
        ({"wording": {"closing": "字" * 5001}}, "wording"),
        ({"name": " "}, "name"),
    ]
    for wrong, field in refusals:  # the schema says so: a 422 naming the field
        got = send(coord, "patch", url, wrong)
        assert got.status_code == 422 and field in json.dumps(got.json()["detail"]), wrong
    unknown = send(coord, "patch", url, {"wording": {"nonsense": "字"}})  # the schema lists the keys too
    assert (unknown.status_code, unknown.json()["field"]) == (400, "wording")
    template.refresh_from_db()
    assert (
        template.reply_days,
        template.red_threshold,
        template.sections,
        template.wording,
        template.name,
    ) == before
    assert AuditEntry.objects.filter(action="bulletin.template", object_id=str(template.pk)).count() == 1


def test_it_hides_what_another_unit_may_not_see(
    bulletin_world: dict[str, Any], users: dict[str, Any], org: dict[str, Any]
) -> None:
    issued = issue(draft_of(bulletin_world, users), bulletin_world, users)
    draft = draft_of(bulletin_world, users)
    Bulletin.objects.filter(pk=issued.pk).update(pdf_name="bulletins/x.pdf")
    north, east = client_for(other_district(org)), client_for(users["east_handler"])
    before = snapshot(draft)
    reads = ["", "/documents/pdf", "/recipients", "/candidates"]
    writes: list[tuple[str, str, dict[str, Any]]] = [
        ("patch", "", {"version": 1, "title": "x"}),
        ("put", "/typical", {"version": 1, "picks": []}),
        ("post", "/transitions", {"action": "submit"}),
        ("post", "/render", {}),
        ("post", "/read", {}),
        ("post", "/reply", {"text": "已整改"}),
        ("post", f"/recipients/{org['east'].pk}/review", {"accept": True}),
    ]
    for bulletin in (issued, draft):
        for tail in reads:
            assert north.get(f"{BASE}/{bulletin.pk}{tail}").status_code == 404, tail
        for method, tail, body in writes:
            assert send(north, method, f"{BASE}/{bulletin.pk}{tail}", body).status_code == 404, tail
    for tail in reads:
        assert east.get(f"{BASE}/{draft.pk}{tail}").status_code == 404, tail
    for method, tail, body in writes:
        assert send(east, method, f"{BASE}/{draft.pk}{tail}", body).status_code == 404, tail
    assert north.get(f"{BASE}/").json()["count"] == 0
    assert [b["id"] for b in east.get(f"{BASE}/").json()["items"]] == [issued.pk]
    # East sees the issued bulletin but may not act as its office.
    for method, tail, body in writes[:4]:
        got = send(east, method, f"{BASE}/{issued.pk}{tail}", body)
        assert got.status_code == 403 and got.json()["code"] == "forbidden", tail
    assert east.get(f"{BASE}/{issued.pk}/candidates").status_code == 403
    west_review = send(
        east, "post", f"{BASE}/{issued.pk}/recipients/{org['west'].pk}/review", {"accept": True}
    )
    assert west_review.status_code == 404
    assert [r["unit"]["name"] for r in east.get(f"{BASE}/{issued.pk}/recipients").json()] == ["东城街道"]
    review = f"{BASE}/{issued.pk}/recipients/{org['east'].pk}/review"
    leader = send(client_for(users["leader"]), "post", review, {"accept": True})
    assert leader.status_code == 403
    template = f"{BASE}/templates/{bulletin_world['monthly'].pk}"
    assert send(north, "patch", template, {"reply_days": 3}).status_code == 404
    assert send(east, "patch", template, {"reply_days": 3}).status_code == 403
    assert east.get(f"{BASE}/templates").status_code == 403
    assert client_for(users["inspector"]).get(f"{BASE}/").status_code == 403
    assert snapshot(draft) == before
    assert BulletinTemplate.objects.get(pk=bulletin_world["monthly"].pk).reply_days != 3


def _rectification_photo(user: Any) -> Any:
    from chuangwen.cases.tests.photo_fixtures import HERE
    from chuangwen.evidence.models import EvidenceKind
    from chuangwen.evidence.services import PhotoMeta, ingest_photo
    from chuangwen.evidence.tests.photos import encode, scene

    meta = PhotoMeta(
        client_id=uuid.uuid4(),
        kind=EvidenceKind.RECTIFICATION,
        captured_at=timezone.now(),
        lat=HERE[0],
        lng=HERE[1],
        accuracy=8.0,
    )
    photo, _created = ingest_photo(encode(scene(7), "JPEG", quality=85), meta, user)
    return photo


def test_it_takes_receipts_and_reports_with_a_token(
    bulletin_world: dict[str, Any], users: dict[str, Any], org: dict[str, Any]
) -> None:
    bulletin = issue(draft_of(bulletin_world, users), bulletin_world, users)
    key = issue_token(users["east_handler"], "手机")
    east = Client(HTTP_AUTHORIZATION=f"Token {key}")
    url = f"{BASE}/{bulletin.pk}"
    assert east.get(url).json()["receipt"]["read_at"] is None
    first = send(east, "post", f"{url}/read")
    assert first.status_code == 200 and first.json()["read_by"] == "east_handler"
    assert send(east, "post", f"{url}/read").json()["read_at"] == first.json()["read_at"]

    theirs = bulletin_world["photos"]["road"]  # the inspector's photo, not east's
    refused = send(east, "post", f"{url}/reply", {"text": "已整改", "photo_ids": [theirs.pk]})
    assert refused.status_code == 400 and refused.json()["field"] == "photo_ids"
    empty = send(east, "post", f"{url}/reply", {"text": "  "})
    assert empty.status_code == 400 and empty.json()["field"] == "text"
    mine = _rectification_photo(users["east_handler"])
    replied = send(east, "post", f"{url}/reply", {"text": "已修复路面", "photo_ids": [mine.pk]})
    assert replied.status_code == 200, replied.content
    assert (replied.json()["reply_state"], replied.json()["photo_ids"]) == ("replied", [mine.pk])
    again = send(east, "post", f"{url}/reply", {"text": "再报"})
    assert again.status_code == 409 and again.json()["code"] == "state"

    coord = client_for(users["coordinator"])
    review = f"{url}/recipients/{org['east'].pk}/review"
    no_note = send(coord, "post", review, {"accept": False})
    assert no_note.status_code == 400 and no_note.json()["field"] == "note"
    returned = send(coord, "post", review, {"accept": False, "note": "照片不清晰"})
    assert returned.status_code == 200 and returned.json()["reply_state"] == "returned"
    assert Recipient.objects.get(bulletin=bulletin, unit=org["east"]).review_note == "照片不清晰"
    assert Client().get(url).status_code == 401


def test_it_serves_documents_as_audited_exports(
    bulletin_world: dict[str, Any], users: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    from chuangwen.evidence.storage import store_derivative

    bulletin = issue(draft_of(bulletin_world, users), bulletin_world, users)
    name = store_derivative(f"bulletins/test/{bulletin.pk}.pdf", b"%PDF-1.4 test")
    Bulletin.objects.filter(pk=bulletin.pk).update(pdf_name=name)
    west = client_for(users["west_handler"])
    detail = west.get(f"{BASE}/{bulletin.pk}").json()
    assert detail["documents"]["pdf"] == f"{BASE}/{bulletin.pk}/documents/pdf"
    assert detail["documents"]["docx"] is None
    got = west.get(detail["documents"]["pdf"])
    assert got.status_code == 200 and b"".join(got.streaming_content) == b"%PDF-1.4 test"
    assert got["Content-Type"] == "application/pdf" and "attachment" in got["Content-Disposition"]
    entry = AuditEntry.objects.get(action="bulletin.export", object_id=str(bulletin.pk))
    assert entry.actor == users["west_handler"] and entry.detail == {"format": "pdf"}
    assert west.get(f"{BASE}/{bulletin.pk}/documents/docx").status_code == 404
    assert west.get(f"{BASE}/{bulletin.pk}/documents/exe").status_code == 422

    coord = client_for(users["coordinator"])
    queued = send(coord, "post", f"{BASE}/{bulletin.pk}/render")
    assert queued.status_code == 409  # the issue's own render is still queued (nothing committed yet)
    Bulletin.objects.filter(pk=bulletin.pk).update(render_state="failed")
    with django_capture_on_commit_callbacks(execute=True):
        again = send(coord, "post", f"{BASE}/{bulletin.pk}/render")
    assert again.status_code == 202 and again.json()["render"]["state"] == "queued"
    bulletin.refresh_from_db()
    assert bulletin.render_state in ("done", "failed")  # the task ran (failure names its reason)
    assert bulletin.render_state == "done" or bulletin.render_error
    assert AuditEntry.objects.filter(action="bulletin.render", object_id=str(bulletin.pk)).exists()


def test_it_lists_the_openapi_paths(users: dict[str, Any]) -> None:
    paths = client_for(users["coordinator"]).get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/bulletins/",
        "/api/v1/bulletins/{bulletin_id}",
        "/api/v1/bulletins/{bulletin_id}/typical",
        "/api/v1/bulletins/{bulletin_id}/documents/{kind}",
        "/api/v1/bulletins/{bulletin_id}/recipients/{unit_id}/review",
        "/api/v1/bulletins/templates/{template_id}",
        "/api/v1/bulletins/talks/{talk_id}/follow-up",
    ):
        assert path in paths, path


def test_it_records_commendations_and_talks(
    bulletin_world: dict[str, Any], users: dict[str, Any], org: dict[str, Any]
) -> None:
    from chuangwen.bulletins.models import AccountabilityTalk, Commendation

    coord = client_for(users["coordinator"])
    praise = send(
        coord,
        "post",
        f"{BASE}/commendations",
        {
            "unit_id": org["west"].pk,
            "title": "文明创建先进集体",
            "reason": "整改及时",
            "date": "2026-03-10",
            "ranking_id": bulletin_world["ranking"].pk,
        },
    )
    assert praise.status_code == 201, praise.content
    assert (praise.json()["unit"]["name"], praise.json()["ranking_id"]) == (
        "西湖街道",
        bulletin_world["ranking"].pk,
    )
    talk = send(
        coord,
        "post",
        f"{BASE}/talks",
        {
            "unit_id": org["east"].pk,
            "kind": "criticism",
            "reason": "黑榜",
            "meeting_date": "2026-03-18",
            "follow_up_due": "2026-04-10",
        },
    )
    assert talk.status_code == 201, talk.content
    assert (talk.json()["kind"], talk.json()["state"]) == ("criticism", "planned")
    talks = coord.get(f"{BASE}/talks").json()
    assert talks["count"] == 2 and talk.json()["id"] in {t["id"] for t in talks["items"]}
    assert coord.get(f"{BASE}/commendations").json()["count"] == 2

    counts = (Commendation.objects.count(), AccountabilityTalk.objects.count())
    far = send(
        coord,
        "post",
        f"{BASE}/talks",
        {
            "unit_id": org["east"].pk,
            "reason": "x",
            "meeting_date": "2999-01-01",
            "follow_up_due": "2999-02-01",
        },
    )
    assert far.status_code == 422
    north = other_district(org)
    elsewhere = send(
        coord,
        "post",
        f"{BASE}/commendations",
        {
            "unit_id": north.unit_id,
            "title": "x",
            "reason": "x",
            "date": "2026-03-10",
        },
    )
    assert elsewhere.status_code == 400 and elsewhere.json()["field"] == "unit_id"
    east = client_for(users["east_handler"])
    assert (
        send(
            east,
            "post",
            f"{BASE}/talks",
            {
                "unit_id": org["east"].pk,
                "reason": "x",
                "meeting_date": "2026-03-18",
                "follow_up_due": "2026-04-10",
            },
        ).status_code
        == 403
    )
    assert (Commendation.objects.count(), AccountabilityTalk.objects.count()) == counts

    follow = f"{BASE}/talks/{talk.json()['id']}/follow-up"
    assert send(client_for(north), "post", follow, {"outcome": "x"}).status_code == 404
    assert send(east, "post", follow, {"outcome": "x"}).status_code == 403
    assert client_for(north).get(f"{BASE}/talks").json()["count"] == 0
    assert {t["unit"]["name"] for t in east.get(f"{BASE}/talks").json()["items"]} == {"东城街道"}
    closed = send(coord, "post", follow, {"outcome": "已整改到位", "close": True})
    assert closed.status_code == 200, closed.content
    assert (closed.json()["state"], closed.json()["outcome"]) == ("closed", "已整改到位")
