"""The case pages: worklist scope, filters and counts, bulk accept, export, the case page and its actions."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from PIL import Image

from chuangwen.cases.models import Case, CaseEvent, CaseState
from chuangwen.cases.tests.case_fixtures import make_case
from conftest import client_for

pytestmark = pytest.mark.django_db
S = CaseState


@pytest.fixture
def two(org, sites):
    east = make_case(S.DISPATCHED, org["east"], site=sites["east_estate"])
    west = make_case(S.DISPATCHED, org["west"], site=sites["west_road"])
    Case.objects.filter(pk=east.pk).update(title="东门垃圾堆放")
    Case.objects.filter(pk=west.pk).update(title="西湖占道经营")
    east.refresh_from_db()
    west.refresh_from_db()
    return east, west


def test_east_handler_never_sees_a_west_case(people, two):
    east, west = two
    client = client_for(people["east_handler"])
    page = client.get(reverse("cases:list")).content.decode()
    assert east.code in page and west.code not in page
    assert client.get(reverse("cases:detail", args=[west.pk])).status_code == 404
    for fmt in ("csv", "xlsx"):
        body = client.get(reverse("cases:export", args=[fmt])).content
        assert (west.code.encode() in body) is False
    response = client.post(reverse("cases:act", args=[west.pk, "accept"]), {"accept-expected_version": 1})
    assert response.status_code == 404
    west.refresh_from_db()
    assert west.state == S.DISPATCHED and not west.events.exists()


def test_counts_and_light_filter(people, org):
    now = timezone.now()
    red = make_case(
        S.DISPATCHED, org["east"], opened_at=now - timedelta(days=20), deadline=now - timedelta(days=1)
    )
    green = make_case(S.ACCEPTED, org["west"], deadline=now + timedelta(days=60))
    make_case(S.CLOSED, org["west"])
    client = client_for(people["coordinator"])
    response = client.get(reverse("cases:list"))
    assert response.context["page"].paginator.count == 3
    counts = {light: n for light, _label, n in response.context["light_counts"]}
    assert counts == {"green": 1, "yellow": 0, "red": 1}
    states = dict(response.context["state_counts"])
    assert states[S.DISPATCHED.label] == 1 and states[S.CLOSED.label] == 1
    only_red = client.get(reverse("cases:list"), {"light": "red"}).content.decode()
    assert red.code in only_red and green.code not in only_red
    overdue = client.get(reverse("cases:list"), {"overdue": "on"}).context["page"].paginator.count
    assert overdue == 1
    greens = client.get(reverse("cases:list"), {"light": "green", "q": green.code}).context["page"]
    assert [case.pk for case in greens.object_list] == [green.pk]


def test_htmx_returns_only_the_results(people, two):
    client = client_for(people["coordinator"])
    response = client.get(reverse("cases:list"), {"state": "dispatched"}, headers={"HX-Request": "true"})
    assert b"<html" not in response.content and two[0].code.encode() in response.content


def test_unit_filter_outside_scope_is_refused(people, org, two):
    client = client_for(people["east_handler"])
    response = client.get(reverse("cases:list"), {"unit": org["west"].pk})
    assert response.context["form"].errors["unit"]


def test_bulk_accept_reports_each_case(people, org, two):
    east, west = two
    done = make_case(S.ACCEPTED, org["east"])
    client = client_for(people["east_handler"])
    response = client.post(
        reverse("cases:bulk_accept"), {"case": [east.pk, done.pk, west.pk], "query": ""}, follow=True
    )
    text = [str(m) for m in response.context["messages"]]
    east.refresh_from_db()
    west.refresh_from_db()
    assert east.state == S.ACCEPTED and west.state == S.DISPATCHED
    assert any(east.code in line and "已受理 1 件" in line for line in text)
    assert any(done.code in line and "不能受理" in line for line in text)
    assert any(str(west.pk) in line and "案卷不存在" in line for line in text)
    assert all(west.code not in line for line in text)


def test_case_page_shows_only_allowed_actions(people, two):
    east, _west = two
    page = client_for(people["east_handler"]).get(reverse("cases:detail", args=[east.pk])).content.decode()
    assert 'data-action="accept"' in page and 'data-action="request_return"' in page
    assert 'data-action="cancel"' not in page
    leader_page = client_for(people["leader"]).get(reverse("cases:detail", args=[east.pk])).content.decode()
    assert east.code in leader_page and 'id="case-actions"' not in leader_page


def test_action_through_the_page_writes_one_event(people, two):
    east, _west = two
    client = client_for(people["east_handler"])
    url = reverse("cases:act", args=[east.pk, "accept"])
    response = client.post(url, {"accept-expected_version": east.version})
    assert response.status_code == 302
    east.refresh_from_db()
    assert east.state == S.ACCEPTED
    assert CaseEvent.objects.filter(case=east, action="accept").count() == 1


def test_stale_version_is_a_conflict(people, two):
    east, _west = two
    client = client_for(people["east_handler"])
    url = reverse("cases:act", args=[east.pk, "accept"])
    assert client.post(url, {"accept-expected_version": east.version}).status_code == 302
    response = client.post(url, {"accept-expected_version": east.version})
    assert response.status_code == 409
    assert "案卷已被他人处理，请刷新后重试" in response.content.decode()
    assert CaseEvent.objects.filter(case=east).count() == 1


def test_missing_reason_names_the_field(people, two):
    east, _west = two
    client = client_for(people["east_handler"])
    url = reverse("cases:act", args=[east.pk, "request_return"])
    response = client.post(
        url, {"request_return-expected_version": east.version, "request_return-reason": ""}
    )
    assert response.status_code == 400
    assert "理由：" in response.content.decode()
    assert not CaseEvent.objects.filter(case=east).exists()


def jpeg() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 80, 40)).save(buffer, "JPEG")
    buffer.seek(0)
    buffer.name = "fix.jpg"
    return buffer


def test_rectify_with_uploaded_photo(people, org, sites):
    case = make_case(S.ACCEPTED, org["east"], site=sites["east_estate"])
    client = client_for(people["east_handler"])
    url = reverse("cases:act", args=[case.pk, "rectify"])
    data = {"rectify-expected_version": case.version, "rectify-reason": "已清理", "photos": [jpeg()]}
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    event = CaseEvent.objects.get(case=case, action="rectify")
    assert event.photos.count() == 1
    assert event.photos.get().kind == "rectification"
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert reverse("evidence:thumb", args=[event.photos.get().pk]) in page


def test_it_stores_no_rectification_photo_when_a_later_one_is_broken(people, org, settings):
    """A fix reported with a good photo and a broken one is refused whole: no photo row, no file kept."""
    from chuangwen.evidence.models import Evidence

    case = make_case(S.ACCEPTED, org["east"])
    broken = io.BytesIO(b"\xff\xd8\xff\xe0 not really a jpeg")
    broken.name = "broken.jpg"
    url = reverse("cases:act", args=[case.pk, "rectify"])
    data = {"rectify-expected_version": case.version, "rectify-reason": "已清理", "photos": [jpeg(), broken]}
    response = client_for(people["east_handler"]).post(url, data)
    assert response.status_code == 400
    assert "照片：" in response.content.decode()
    case.refresh_from_db()
    assert case.state == S.ACCEPTED and not CaseEvent.objects.filter(case=case).exists()
    assert not Evidence.objects.exists()
    media = settings.MEDIA_ROOT
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]


def test_rectify_without_photo_is_refused(people, org):
    case = make_case(S.ACCEPTED, org["east"])
    client = client_for(people["east_handler"])
    url = reverse("cases:act", args=[case.pk, "rectify"])
    response = client.post(url, {"rectify-expected_version": case.version, "rectify-reason": "已清理"})
    assert response.status_code == 400
    assert "报告整改须上传照片" in response.content.decode()


def test_csv_and_xlsx_export(people, two):
    east, west = two
    client = client_for(people["coordinator"])
    response = client.get(reverse("cases:export", args=["csv"]), {"q": "东门"})
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff") and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][0] == "案卷编号" and [row[0] for row in rows[1:]] == [east.code]
    assert rows[1][2] == "已派遣"
    response = client.get(reverse("cases:export", args=["xlsx"]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    codes = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert codes == {east.code, west.code}
    assert client.get(reverse("cases:export", args=["pdf"])).status_code == 404


def test_it_shows_a_handlers_rectification_photos_to_the_verifier_and_not_to_another_street(users, org):
    """Photos in a case's history are evidence for everyone who may see the case."""
    import uuid

    from chuangwen.cases.models import Case, CaseEvent
    from chuangwen.demo.activity import synthetic_photo
    from chuangwen.evidence.services import PhotoMeta, ingest_photo

    photo, _ = ingest_photo(
        synthetic_photo(__import__("random").Random(7)),
        PhotoMeta(client_id=uuid.uuid4(), kind="rectification"),
        users["west_handler"],
    )
    case = Case.objects.create(
        code="AJ20261201-9001",
        source="finding",
        state="rectified",
        title="整改测试",
        unit=org["west"],
        area_unit=org["west_c"],
        created_by=users["coordinator"],
    )
    event = CaseEvent.objects.create(
        case=case, action="rectify", from_state="accepted", to_state="rectified", actor=users["west_handler"]
    )
    event.photos.add(photo)
    assert client_for(users["verifier"]).get(f"/evidence/{photo.pk}/thumb").status_code == 200
    assert client_for(users["coordinator"]).get(f"/evidence/{photo.pk}/thumb").status_code == 200
    assert client_for(users["east_handler"]).get(f"/evidence/{photo.pk}/thumb").status_code == 404


def test_it_names_every_event_in_the_timeline_in_words():
    from chuangwen.cases.machine import action_label

    assert action_label("open") == "立案"
    assert action_label("verify_fail") != "verify_fail"
