"""The officer's export (service): every kind of the person's data inside the officer's subtree, by phone or
by ID number, audited without the number; another unit's officer gets nothing of this unit."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from chuangwen.audit.models import AuditEntry
from chuangwen.privacy import export
from chuangwen.privacy.tests.conftest import ID_NUMBER, PHONE
from chuangwen.reports.models import CitizenReport


def _file(officer: Any, **search: str) -> dict[str, Any]:
    made = export.export(
        officer, export.parse_search(search.get("phone", ""), search.get("id_number", "")), "json"
    )
    assert made.content_type == "application/json" and made.filename.endswith(".json")
    return json.loads(made.content)


def test_it_exports_each_kind_of_the_persons_data(
    person: dict[str, Any], reports: dict[str, CitizenReport], officers: dict[str, Any]
) -> None:
    sections = _file(officers["district"], phone=PHONE)["sections"]
    codes = {r["tracking_code"] for r in sections["citizen_reports"]["records"]}
    assert codes == {reports["mine"].tracking_code, reports["mine_east"].tracking_code}
    assert [s["tracking_code"] for s in sections["supporters"]["records"]] == [
        reports["theirs"].tracking_code
    ]
    (helper,) = sections["volunteers"]["records"]
    assert helper["name"] == "李志愿" and helper["id_last4"] == ID_NUMBER[-4:] and "id_hash" not in helper
    assert [r["code"] for r in sections["service_requests"]["records"]] == [person["request"].code]
    (account,) = sections["accounts"]["records"]
    assert account["username"] == PHONE and account["login_failures"][0]["address"] == "10.9.9.9"
    assert sections["coaching_visits"]["records"][0]["note"] == "入户宣传"
    assert sections["survey_responses"]["records"] == []
    assert ID_NUMBER not in json.dumps(sections, ensure_ascii=False)


def test_it_finds_a_volunteer_by_id_number(person: dict[str, Any], officers: dict[str, Any]) -> None:
    body = _file(officers["district"], id_number=ID_NUMBER.lower())
    assert [v["number"] for v in body["sections"]["volunteers"]["records"]] == [person["volunteer"].number]
    assert body["searched"] == {"by": "id_number", "value": "*" * 14 + ID_NUMBER[-4:]}
    assert body["sections"]["citizen_reports"]["records"] == []


def test_it_audits_who_searched_what_without_the_number(
    person: dict[str, Any], officers: dict[str, Any]
) -> None:
    officer = officers["district"]
    made = export.export(officer, export.parse_search(PHONE, ""), "xlsx")
    entry = AuditEntry.objects.get(action="privacy.export")
    assert entry.actor_id == officer.pk and entry.at is not None
    assert entry.detail["by"] == "phone" and entry.detail["value"] == "138****5678"
    assert entry.detail["format"] == "xlsx" and entry.detail["counts"]["citizen_reports"] == 2
    assert entry.detail["value_hash"] == export.parse_search(PHONE, "").digest
    assert PHONE not in json.dumps(entry.detail)
    book = load_workbook(io.BytesIO(made.content))
    assert book.sheetnames == list(export.SECTIONS.values())
    assert book["随手拍"].max_row == 3  # header and two reports


def test_it_gives_another_units_officer_nothing_of_this_unit(
    person: dict[str, Any], reports: dict[str, CitizenReport], officers: dict[str, Any]
) -> None:
    sections = _file(officers["east"], phone=PHONE)["sections"]
    # Only the report whose place is in the east street; nothing of the west community.
    assert [r["tracking_code"] for r in sections["citizen_reports"]["records"]] == [
        reports["mine_east"].tracking_code
    ]
    for name in ("supporters", "volunteers", "service_requests", "accounts", "coaching_visits", "signups"):
        assert sections[name]["records"] == [], name
    assert _file(officers["east"], id_number=ID_NUMBER)["sections"]["volunteers"]["records"] == []


def test_it_lets_only_coordinators_with_a_unit_export(
    officers: dict[str, Any], users: dict[str, Any]
) -> None:
    assert export.may_export(officers["district"]) and export.may_export(officers["east"])
    for role in ("west_handler", "leader", "inspector", "west_head"):
        assert not export.may_export(users[role]), role


@pytest.mark.parametrize(
    ("phone", "id_number", "fmt", "field"),
    [
        ("", "", "json", "phone"),
        (PHONE, ID_NUMBER, "json", "phone"),
        ("1381234", "", "json", "phone"),
        ("", "110101199003071234", "json", "id_number"),
        (PHONE, "", "pdf", "format"),
    ],
)
def test_it_names_the_field_of_a_bad_search(
    phone: str, id_number: str, fmt: str, field: str, db: Any
) -> None:
    with pytest.raises(ValidationError) as refused:
        export.parse_search(phone, id_number, fmt)
    assert field in refused.value.message_dict
