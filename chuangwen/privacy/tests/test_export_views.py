"""The export page /privacy/export/: coordinators download the file (JSON or xlsx); others 403; bad input
names its field."""

from __future__ import annotations

import io
import json
from typing import Any

from django.test import Client
from openpyxl import load_workbook

from chuangwen.audit.models import AuditEntry
from chuangwen.privacy.tests.conftest import ID_NUMBER, PHONE
from chuangwen.reports.models import CitizenReport
from conftest import client_for

URL = "/privacy/export/"


def test_it_shows_the_form_to_a_coordinator(officers: dict[str, Any]) -> None:
    page = client_for(officers["district"]).get(URL)
    assert page.status_code == 200 and "个人信息导出" in page.content.decode()


def test_it_is_in_the_navigation_of_those_who_may_export(
    officers: dict[str, Any], users: dict[str, Any]
) -> None:
    assert f'href="{URL}"' in client_for(officers["district"]).get("/").content.decode()
    for user in (officers["handler"], users["leader"]):
        assert f'href="{URL}"' not in client_for(user).get("/").content.decode()


def test_it_refuses_other_roles_and_strangers(officers: dict[str, Any], users: dict[str, Any]) -> None:
    for user in (officers["handler"], users["leader"], users["west_head"]):
        assert client_for(user).post(URL, {"phone": PHONE}).status_code == 403
    assert Client().get(URL).status_code == 302  # to the login page
    assert not AuditEntry.objects.filter(action="privacy.export").exists()


def test_it_downloads_json_and_xlsx(person: dict[str, Any], officers: dict[str, Any]) -> None:
    client = client_for(officers["district"])
    as_json = client.post(URL, {"phone": PHONE, "format": "json"})
    assert as_json.status_code == 200 and as_json["Content-Type"] == "application/json"
    assert json.loads(as_json.content)["sections"]["service_requests"]["records"]
    as_xlsx = client.post(URL, {"id_number": ID_NUMBER, "format": "xlsx"})
    assert as_xlsx.status_code == 200 and 'filename="personal-data-' in as_xlsx["Content-Disposition"]
    book = load_workbook(io.BytesIO(as_xlsx.content))
    assert book["志愿者"].max_row == 2
    assert AuditEntry.objects.filter(action="privacy.export").count() == 2


def test_it_keeps_another_units_data_out(
    person: dict[str, Any], officers: dict[str, Any], reports: dict[str, CitizenReport]
) -> None:
    body = client_for(officers["east"]).post(URL, {"phone": PHONE}).content.decode()
    assert reports["mine"].tracking_code not in body and "李志愿" not in body
    assert reports["mine_east"].tracking_code in body


def test_it_names_the_field_of_bad_input(officers: dict[str, Any]) -> None:
    response = client_for(officers["district"]).post(URL, {"phone": "12345", "format": "json"})
    assert response.status_code == 400 and "手机号格式不正确" in response.content.decode()
    assert not AuditEntry.objects.filter(action="privacy.export").exists()
