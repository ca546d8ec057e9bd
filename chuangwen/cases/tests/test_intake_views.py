"""Pages of the hotline import and of instructions: the steps, errors on the page, 403/404 for others."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from chuangwen.cases.models import Case, CaseState, Instruction
from chuangwen.cases.tests.case_fixtures import make_case
from chuangwen.cases.tests.test_hotline import (
    MAPPING,
    ROW_A,
    ROW_B,
    _after_the_orders,  # noqa: F401  (autouse: a clock after the orders)
    csv_bytes,
)
from conftest import client_for, make_user

pytestmark = pytest.mark.django_db
HOTLINE = "/cases/hotline/"


def upload(client, data: bytes, name: str = "12345.csv"):
    return client.post(HOTLINE, {"file": SimpleUploadedFile(name, data)})


def test_it_walks_upload_mapping_check_and_import(people, org):
    client = client_for(people["coordinator"])
    assert client.get(HOTLINE).status_code == 200
    page = upload(client, csv_bytes([ROW_A, ROW_B]))
    html = page.content.decode()
    assert page.status_code == 200 and "hotline-preview" in html and "GD002" in html
    assert '<option value="工单号" selected>' in html  # guessed from the header
    checked = client.post(HOTLINE, {**MAPPING, "step": "check"})
    assert checked.status_code == 200 and "校验通过" in checked.content.decode() and not Case.objects.exists()
    done = client.post(HOTLINE, {**MAPPING, "step": "import"})
    assert done.status_code == 200 and "新建案卷 2 件" in done.content.decode()
    assert Case.objects.count() == 2
    again = upload(client, csv_bytes([ROW_A]))
    assert '<option value="事发地址" selected>' in again.content.decode()  # the last mapping is kept


def test_it_shows_the_error_report_and_writes_nothing(people, org):
    client = client_for(people["coordinator"])
    upload(client, csv_bytes([ROW_A, ["GD009", "不是时间", "乱扔垃圾", "", "", "", "S02", ""]]))
    page = client.post(HOTLINE, {**MAPPING, "step": "import"})
    html = page.content.decode()
    assert page.status_code == 400 and "hotline-errors" in html and "不是时间" in html and "来电时间" in html
    assert not Case.objects.exists()
    report = client.get(reverse("cases:hotline_report"))
    assert report.status_code == 200 and report["Content-Disposition"].startswith("attachment")


def test_it_names_a_file_that_is_not_a_table(people):
    page = upload(client_for(people["coordinator"]), b"MZ\x90\x00", "x.csv")
    assert page.status_code == 400 and "upload-error" in page.content.decode()


def test_it_forbids_the_import_to_others(people):
    for who in ("west_handler", "leader"):
        client = client_for(people[who])
        assert client.get(HOTLINE).status_code == 403
        assert client.get(reverse("cases:hotline_report")).status_code == 403
        assert upload(client, csv_bytes([ROW_A])).status_code == 403


def test_it_instructs_from_the_case_page(people, org):
    case = make_case(CaseState.DISPATCHED, org["west"])
    client = client_for(people["leader"])
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'id="instruct-form"' in page
    later = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    url = reverse("cases:instruct", args=[case.pk])
    assert client.post(url, {"text": "两天内办结", "deadline": later}).status_code == 302
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "两天内办结" in page and "督办" in page
    past = (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    bad = client.post(url, {"text": "再催", "deadline": past})
    assert bad.status_code == 400 and "督办期限须晚于现在" in bad.content.decode()
    assert Instruction.objects.count() == 1


def test_it_shows_overdue_instructions_in_red(people, org):
    case = make_case(CaseState.DISPATCHED, org["west"])
    Instruction.objects.create(
        case=case, text="早该办完", deadline=timezone.now() - timedelta(hours=1), issued_by=people["leader"]
    )
    page = client_for(people["west_handler"]).get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "cw-light--red" in page and "已超期" in page and 'id="instruct-form"' not in page


def test_it_hides_the_case_from_another_unit_and_forbids_other_roles(people, org):
    case = make_case(CaseState.DISPATCHED, org["west"])
    url = reverse("cases:instruct", args=[case.pk])
    later = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    east_leader = make_user("east_leader", "leader", org["east"])
    assert client_for(east_leader).post(url, {"text": "x", "deadline": later}).status_code == 404
    assert client_for(people["west_handler"]).post(url, {"text": "x", "deadline": later}).status_code == 403
    assert not Instruction.objects.exists()


def test_it_opens_a_new_instruction_case(people, org):
    client = client_for(people["coordinator"])
    url = reverse("cases:instruction_new")
    assert client.get(url).status_code == 200
    later = (timezone.localtime() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"title": "主干道广告牌破损", "unit": org["east"].pk, "deadline": later})
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("cases:detail", args=[case.pk])
    assert case.unit == org["east"] and case.state == CaseState.DISPATCHED
    east_coord = make_user("east_coord", "coordinator", org["east"])
    refused = client_for(east_coord).post(url, {"title": "x", "unit": org["west"].pk, "deadline": later})
    assert refused.status_code == 400 and Case.objects.count() == 1
    assert client_for(people["west_head"]).get(url).status_code == 403
